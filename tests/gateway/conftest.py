"""Fixtures for gateway tests: a real gateway on loopback ports and a movable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.config import Settings

from .gateway_harness import SATURDAY_MORNING, DefaultProposer, make_settings


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(SATURDAY_MORNING)


@pytest.fixture
def settings(tmp_path: Path, store_url: str | None) -> Settings:
    return make_settings(tmp_path, store__url=store_url)


@pytest.fixture
async def gateway(settings: Settings, clock: ManualClock) -> AsyncIterator[Gateway]:
    gw = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()
