"""The shared worker loop: a failing round is logged and retried, never the end of the worker."""

from __future__ import annotations

import asyncio

import pytest

from gateway.worker import PollingWorker

pytestmark = pytest.mark.asyncio


class Flaky(PollingWorker):
    poll_interval = 0.01

    def __init__(self) -> None:
        super().__init__()
        self.rounds = 0
        self.done = asyncio.Event()

    async def run_once(self) -> int:
        self.rounds += 1
        if self.rounds < 3:
            raise RuntimeError("database is locked")
        self.done.set()
        return 0


async def test_a_failing_round_does_not_stop_the_worker(caplog: pytest.LogCaptureFixture) -> None:
    worker = Flaky()
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.wait_for(worker.done.wait(), 5)
    finally:
        task.cancel()
    assert worker.rounds >= 3
    assert "Flaky round failed" in caplog.text


async def test_notify_runs_at_once() -> None:
    class Counting(PollingWorker):
        poll_interval = 60.0

        def __init__(self) -> None:
            super().__init__()
            self.rounds = 0

        async def run_once(self) -> int:
            self.rounds += 1
            return 0

    worker = Counting()
    task = asyncio.create_task(worker.run())
    await asyncio.sleep(0.01)
    worker.notify()
    await asyncio.sleep(0.01)
    task.cancel()
    assert worker.rounds == 2
