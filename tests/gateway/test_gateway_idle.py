"""An idle gateway stays idle: its workers do not wake each other through the store."""

from __future__ import annotations

import asyncio

import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.config import Settings

from .gateway_harness import DefaultProposer

pytestmark = pytest.mark.asyncio


async def test_an_idle_gateway_does_not_commit_in_a_loop(
    settings: Settings, clock: ManualClock
) -> None:
    # Every commit wakes the intake worker; a claim that finds nothing is still a commit, so
    # claiming blindly kept an empty gateway committing hundreds of times a second (and every
    # page of the workspace waited behind those round trips).
    gateway = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=True)
    await gateway.start()
    try:
        await asyncio.sleep(0.3)  # start-up work
        before = gateway.store.commits
        await asyncio.sleep(0.5)  # less than one poll interval of any worker
        assert gateway.store.commits - before <= 2
    finally:
        await gateway.stop()
