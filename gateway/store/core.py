"""The SQLite store: one writer connection with group commit, one reader connection.

Durability is the point of this module. The database runs in WAL mode with
`synchronous=FULL`, so a transaction is on disk when COMMIT returns. Committing once per SMTP
transaction would cap throughput at the disk's fsync rate, so writes are *group committed*:
every `write(op)` waiting while a commit is in flight joins the next transaction, each inside
its own SAVEPOINT so that one failing op does not take the others down. Each caller gets its
own result only after the shared COMMIT has returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from gateway.store.schema import MIGRATIONS

log = logging.getLogger(__name__)

T = TypeVar("T")
Op = Callable[[aiosqlite.Connection], Awaitable[T]]

MAX_OPS_PER_COMMIT = 512


class StoreClosed(RuntimeError):
    """The store is shutting down; nothing more can be written."""


class Store:
    """All access to the database goes through `write(op)` and `read(op)`.

    An op is an async function of the connection; the SQL itself lives in the topic modules
    of this package (`inbox`, `tickets`, `outbox`, ...), so business logic composes them into
    one transaction without writing SQL.
    """

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        self.path = path
        self._writer = writer
        self._reader = reader
        self._pending: list[tuple[Op[Any], asyncio.Future[Any]]] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._commits = 0
        self._listeners: list[Callable[[], None]] = []
        self._task = asyncio.get_running_loop().create_task(
            self._commit_loop(), name="store-writer"
        )

    @classmethod
    async def open(cls, path: Path) -> Store:
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await _connect(path)
        await _migrate(writer)
        reader = await _connect(path)
        await reader.execute("PRAGMA query_only = ON")
        return cls(path, writer, reader)

    @property
    def commits(self) -> int:
        """How many transactions were committed (a group commit counts once)."""
        return self._commits

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every commit (workers use it to wake up at once)."""
        self._listeners.append(listener)

    async def write(self, op: Op[T]) -> T:
        if self._closing:
            raise StoreClosed("store is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((op, future))
        self._wake.set()
        return await future

    async def read(self, op: Op[T]) -> T:
        return await op(self._reader)

    async def close(self) -> None:
        """Commit everything already handed in, then close both connections."""
        self._closing = True
        self._wake.set()
        await self._task
        await self._reader.close()
        await self._writer.close()

    async def _commit_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch = self._pending[:MAX_OPS_PER_COMMIT]
                del self._pending[:MAX_OPS_PER_COMMIT]
                await self._commit_batch(batch)
            if self._closing and not self._pending:
                return

    async def _commit_batch(self, batch: list[tuple[Op[Any], asyncio.Future[Any]]]) -> None:
        db = self._writer
        outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        try:
            await db.execute("BEGIN IMMEDIATE")
            for op, future in batch:
                outcomes.append((future, *await _run_in_savepoint(db, op)))
            await db.execute("COMMIT")
        except Exception as exc:  # the transaction itself failed: nobody's write is durable
            log.exception("group commit of %d ops failed", len(batch))
            with contextlib.suppress(Exception):
                await db.execute("ROLLBACK")
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        self._commits += 1
        for future, result, error in outcomes:
            if future.done():
                continue
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)
        for listener in self._listeners:
            listener()


async def _run_in_savepoint(
    db: aiosqlite.Connection, op: Op[Any]
) -> tuple[Any, BaseException | None]:
    await db.execute("SAVEPOINT op")
    try:
        result = await op(db)
    except Exception as exc:
        await db.execute("ROLLBACK TO op")
        await db.execute("RELEASE op")
        return None, exc
    await db.execute("RELEASE op")
    return result, None


async def _connect(path: Path) -> aiosqlite.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves (group commit needs that control).
    db = await aiosqlite.connect(path, isolation_level=None)
    db.row_factory = sqlite3.Row
    await db.execute("PRAGMA journal_mode = WAL")
    await db.execute("PRAGMA synchronous = FULL")  # durable at COMMIT, not merely at checkpoint
    await db.execute("PRAGMA foreign_keys = ON")
    await db.execute("PRAGMA busy_timeout = 10000")
    return db


async def _migrate(db: aiosqlite.Connection) -> None:
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    version = int(row[0]) if row else 0
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        log.info("migrating database to version %d", number)
        await db.executescript(
            f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
        )
