"""Fixtures for the API tests: a gateway on loopback (workers off), an agent and a client."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "gateway"))

from api_harness import Api, staff_with_token
from gateway_harness import SATURDAY_MORNING, DefaultProposer, make_settings

from gateway.app import Gateway
from gateway.clock import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(SATURDAY_MORNING)


@pytest.fixture
async def gateway(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Gateway]:
    gw = Gateway(make_settings(tmp_path), clock=clock, proposer=DefaultProposer(), workers=False)
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
