"""Health and Prometheus metrics over a real HTTP connection."""

from __future__ import annotations

import aiohttp
import pytest

from gateway.app import Gateway

from .gateway_harness import mail, send, settle

pytestmark = pytest.mark.asyncio


async def test_healthz_reports_queues(gateway: Gateway) -> None:
    host, port = gateway.http_address
    async with aiohttp.ClientSession() as http, http.get(f"http://{host}:{port}/healthz") as r:
        assert r.status == 200
        body = await r.json()
    assert body["status"] == "ok"


async def test_metrics_count_received_refused_created_and_outbox(gateway: Gateway) -> None:
    await send(gateway, mail())
    await send(gateway, mail(subject="other"), recipients=["support@localhost", "nobody@localhost"])
    await settle(gateway)
    host, port = gateway.http_address
    async with aiohttp.ClientSession() as http, http.get(f"http://{host}:{port}/metrics") as r:
        assert r.status == 200
        text = await r.text()
    assert 'intake_messages_received_total{channel="email"} 2.0' in text
    assert 'intake_messages_refused_total{reason="unknown-recipient"} 1.0' in text
    assert 'intake_tickets_created_total{channel="email",policy="threepbx"} 2.0' in text
    assert "intake_outbox_pending 0.0" in text
    assert "intake_outbox_failed_rows 0.0" in text
