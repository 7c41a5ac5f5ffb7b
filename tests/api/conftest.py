"""Fixtures for the API tests: a gateway on loopback (workers off) on SQLite and on
PostgreSQL, an agent and a client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock

from ..gateway.gateway_harness import SATURDAY_MORNING, DefaultProposer, make_settings
from .api_harness import Api, staff_with_token


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(SATURDAY_MORNING)


@pytest.fixture
async def gateway(
    tmp_path: Path, clock: ManualClock, store_url: str | None
) -> AsyncIterator[Gateway]:
    settings = make_settings(tmp_path, store__url=store_url)
    gw = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()


@pytest.fixture
async def api(gateway: Gateway) -> AsyncIterator[Api]:
    token = await staff_with_token(gateway, "agent@example.com", "agent")
    host, port = gateway.http_address
    async with aiohttp.ClientSession() as session:
        yield Api(session, f"http://{host}:{port}/api/v1", token)
