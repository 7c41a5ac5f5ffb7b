"""Health and Prometheus metrics over a real HTTP connection."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.store import Connection

from .gateway_harness import DefaultProposer, mail, make_settings, query, send, settle

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


async def _health(address: tuple[str, int]) -> tuple[int, dict[str, Any]]:
    host, port = address
    async with aiohttp.ClientSession() as http, http.get(f"http://{host}:{port}/healthz") as r:
        return r.status, await r.json()


async def test_healthz_lists_its_checks(gateway: Gateway) -> None:
    status, body = await _health(gateway.http_address)
    assert status == 200 and body["status"] == "ok" and body["reasons"] == []
    names = {check["name"] for check in body["checks"]}
    assert {"store_writable", "disk_space", "intake_backlog", "outbox", "page_chains"} <= names
    assert all(check["ok"] for check in body["checks"])


@pytest.mark.parametrize("store_url", [None])  # the fault is SQLite's read-only file
async def test_healthz_is_503_when_the_store_refuses_writes(gateway: Gateway) -> None:
    # The database turns read-only under the running gateway (a remount, an immutable file).
    read_only = sqlite3.connect(
        f"file:{gateway.store.path}?mode=ro",
        uri=True,
        isolation_level=None,
        check_same_thread=False,
    )
    gateway.store.backend._writer._connection = read_only  # type: ignore[attr-defined]
    status, body = await _health(gateway.http_address)
    assert status == 503 and body["status"] == "failing"
    assert any(r.startswith("store_writable: the database refuses writes") for r in body["reasons"])


async def test_healthz_reports_degraded_states_with_reasons(
    gateway: Gateway, clock: ManualClock
) -> None:
    await send(gateway, mail(subject="first"))
    await settle(gateway)
    (ticket,) = query(gateway, "SELECT id, number FROM tickets")
    await send(gateway, mail(subject="second, not processed"))
    clock.advance(timedelta(minutes=12))

    async def trouble(db: Connection) -> None:
        await db.execute(
            "INSERT INTO page_chains (ticket_id, state, reason, summary, started_at)"
            " VALUES (?, 'exhausted', 'p1', 'phones down', ?)",
            (ticket["id"], clock.now().isoformat()),
        )
        await db.execute(
            "INSERT INTO outbox (kind, purpose, idempotency_key, recipient, payload, state,"
            " next_attempt_at, last_error, created_at)"
            " VALUES ('email', 'ack', 'k1', 'pat@example.com', '{}', 'failed', ?, ?, ?)",
            (clock.now().isoformat(), "relay said 554 no", clock.now().isoformat()),
        )

    await gateway.store.write(trouble)
    status, body = await _health(gateway.http_address)
    assert status == 200 and body["status"] == "degraded"
    reasons = "\n".join(body["reasons"])
    assert "intake_backlog: oldest unprocessed message waits 12 min" in reasons
    assert "outbox: 1 failed in the last 24 h" in reasons and "relay said 554 no" in reasons
    assert f"page_chains: 1 page chain(s) ran out unacknowledged: #{ticket['number']}" in reasons


async def test_admin_routes_on_their_own_listener(tmp_path: Path, clock: ManualClock) -> None:
    settings = make_settings(tmp_path, http__admin_listen="127.0.0.1:0")
    gw = Gateway(settings, clock=clock, workers=False, proposer=DefaultProposer())
    await gw.start()
    try:
        assert gw.admin_http_address != gw.http_address
        status, body = await _health(gw.admin_http_address)
        assert status == 200 and body["status"] == "ok"
        host, port = gw.admin_http_address
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://{host}:{port}/metrics") as r:
                assert r.status == 200 and "intake_messages_received" in await r.text()
            public_host, public_port = gw.http_address
            async with http.get(f"http://{public_host}:{public_port}/healthz") as r:
                assert r.status == 404
    finally:
        await gw.stop()


async def test_health_thresholds_come_from_the_health_settings(
    tmp_path: Path, clock: ManualClock
) -> None:
    # A desk that processes in nightly batches allows a longer backlog before anyone looks.
    settings = make_settings(
        tmp_path, health__backlog_age="30m", health__outbox_failure_window="2h"
    )
    gw = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gw.start()
    try:
        await send(gw, mail(subject="not processed yet"))
        clock.advance(timedelta(minutes=12))
        status, body = await _health(gw.http_address)
        assert status == 200 and body["status"] == "ok", body["reasons"]
        clock.advance(timedelta(minutes=20))

        async def failed(db: Connection) -> None:
            await db.execute(
                "INSERT INTO outbox (kind, purpose, idempotency_key, recipient, payload, state,"
                " next_attempt_at, last_error, created_at)"
                " VALUES ('email', 'ack', 'k1', 'pat@example.com', '{}', 'failed', ?, ?, ?)",
                (clock.now().isoformat(), "relay said 554 no", clock.now().isoformat()),
            )

        await gw.store.write(failed)
        status, body = await _health(gw.http_address)
        reasons = "\n".join(body["reasons"])
        assert "intake_backlog: oldest unprocessed message waits 32 min" in reasons
        assert "outbox: 1 failed in the last 2 h" in reasons
    finally:
        await gw.stop()
