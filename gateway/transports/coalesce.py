"""Sends that arrive together, written together: the file transports' group commit.

The outbox starts its due rows as concurrent deliveries. A file transport that took each one
to a thread and fsynced it alone paid a thread hop, a directory fsync (and for the SMS file
an fsync) per message: most of the outbox's CPU in a storm. `Coalescer` hands every call
made while the previous batch was being written to one `write(batch)` call, like the store's
group commit; each caller still gets its own result, or its own exception.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

A = TypeVar("A")
R = TypeVar("R")

# `write` answers each argument, in order, with its result or the exception for that one.
BatchWriter = Callable[[Sequence[A]], Awaitable[Sequence[R | Exception]]]


class Coalescer(Generic[A, R]):
    def __init__(self, write: BatchWriter[A, R]) -> None:
        self._write = write
        self._waiting: list[tuple[A, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, argument: A) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((argument, future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        batch: list[tuple[A, asyncio.Future[R]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    results = await self._write([argument for argument, _ in batch])
                except Exception as exc:  # the whole batch failed: each caller hears it
                    results = [exc] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():  # its caller gave up (a timeout): nobody to tell
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
                batch = []
        finally:  # cancelled (the loop is stopping): nobody may wait forever
            for _, future in [*batch, *self._waiting]:
                future.cancel()
            self._waiting = []
            self._writer = None
