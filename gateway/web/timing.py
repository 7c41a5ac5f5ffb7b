"""Where a page's time goes, sent with it as a `Server-Timing` header.

Browsers show the header in their developer tools; `bench/web_pages.py` reads it to say which
stage of a slow page was slow. `cpu` is the process's CPU time over the whole request (the
reader thread's SQL included): on a machine shared with other work it says what a page costs
where wall time says how long it waited.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web


class StageTimer:
    """Wall time per named stage of one request, and CPU and wall time over all of it."""

    def __init__(self) -> None:
        self._cpu = time.process_time()
        self._wall = time.perf_counter()
        self.stages: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = self.stages.get(name, 0.0) + time.perf_counter() - began

    def header(self) -> str:
        """`rows;dur=12.3, clocks;dur=2.0, ..., cpu;dur=15.1, total;dur=16.0` (milliseconds)."""
        parts = {**self.stages}
        parts["cpu"] = time.process_time() - self._cpu
        parts["total"] = time.perf_counter() - self._wall
        return ", ".join(f"{name};dur={seconds * 1000:.1f}" for name, seconds in parts.items())


_TIMER = web.RequestKey("stage_timer", StageTimer)


def timer_of(request: web.Request) -> StageTimer:
    """The request's timer (one is made on first use)."""
    timer = request.get(_TIMER)
    if timer is None:
        timer = StageTimer()
        request[_TIMER] = timer
    return timer
