"""Webhooks that many callers make at once, committed together: one statement per batch.

The store already group-commits concurrent ops, but it runs each op in a savepoint of its
own and every statement is a round trip to its writer thread. A burst of Twilio callbacks
(calls ringing in, delivery statuses) is mostly that overhead, so the cheap webhooks hand
their record to a `WebhookLog`: whatever arrives while one batch is being committed goes
into the next, stored by a single multi-row INSERT, followed by each record's own follow-up
(if any) in the same transaction. Each caller gets its answer only once its record is
durable. If a batch fails, its records are retried one op each, so that one bad record
cannot take the others down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from gateway.store import Store
from gateway.store import voice as sql
from gateway.store.connection import Connection
from gateway.store.voice import HandledWebhook

# Run after the record, in the same transaction; `created` is False for a Twilio retry.
FollowUp = Callable[[Connection, bool], Awaitable[None]]

MAX_BATCH = 200  # x 7 parameters: far below SQLite's limit of 32766


@dataclass
class _Entry:
    record: HandledWebhook
    then: FollowUp | None
    done: asyncio.Future[bool]


class WebhookLog:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: list[_Entry] = []
        self._flusher: asyncio.Task[None] | None = None

    async def record(self, record: HandledWebhook, then: FollowUp | None = None) -> bool:
        """Commit `record` (and `then`); True if it was new, False for a repeat."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append(_Entry(record, then, done))
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush())
        return await done

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch = self._pending[:MAX_BATCH]
                del self._pending[:MAX_BATCH]
                await self._commit(batch)
        finally:
            self._flusher = None

    async def _commit(self, batch: list[_Entry]) -> None:
        async def together(db: Connection) -> list[bool]:
            return await _store(db, batch)

        try:
            news = await self._store.write(together)
        except Exception:
            await asyncio.gather(*(self._alone(entry) for entry in batch))
            return
        for entry, new in zip(batch, news, strict=True):
            _resolve(entry.done, new)

    async def _alone(self, entry: _Entry) -> None:
        async def alone(db: Connection) -> list[bool]:
            return await _store(db, [entry])

        try:
            (new,) = await self._store.write(alone)
        except Exception as exc:
            if not entry.done.done():
                entry.done.set_exception(exc)
        else:
            _resolve(entry.done, new)


async def _store(db: Connection, batch: list[_Entry]) -> list[bool]:
    created = await sql.record_webhooks(db, [entry.record for entry in batch])
    news = []
    for entry in batch:
        key = entry.record.source_key
        new = key in created  # the same key twice in one batch counts as new once
        created.discard(key)
        news.append(new)
        if entry.then is not None:
            await entry.then(db, new)
    return news


def _resolve(future: asyncio.Future[Any], value: bool) -> None:
    if not future.done():
        future.set_result(value)
