"""The loop every background worker runs: work when woken, poll otherwise, survive a bad round."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)


class PollingWorker:
    """Calls `run_once` when `notify`-ed and at least every `poll_interval` seconds.

    A round that raises is logged and retried at the next poll, so one bad row or a passing
    database error never stops the worker; `hold_back` lets a worker wait its turn.
    """

    poll_interval = 1.0

    def __init__(self) -> None:
        self._wake = asyncio.Event()

    def notify(self) -> None:
        """There is work: run now rather than at the next poll."""
        self._wake.set()

    async def run_once(self) -> int:
        """Do what is due; return how much was done (0 makes the loop wait)."""
        raise NotImplementedError

    async def hold_back(self) -> float:
        """Seconds to wait before working now; 0 means go ahead."""
        return 0.0

    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                pause = await self.hold_back()
                if pause:
                    await asyncio.sleep(pause)
                    continue
                if await self.run_once():
                    continue
            except Exception:  # keep going: the next round retries what failed
                log.exception("%s round failed", type(self).__name__)
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
            # that arrives as the wake-up does, and the worker would then never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_interval):
                    await self._wake.wait()
