"""The store: group commit over a backend; SQLite's is a writer thread and an aiosqlite reader.

Durability is the point of this module. The database runs in WAL mode with
`synchronous=FULL`, so a transaction is on disk when COMMIT returns. Committing once per SMTP
transaction would cap throughput at the disk's fsync rate, so writes are *group committed*:
every `write(op)` waiting while a commit is in flight joins the next transaction, each inside
its own SAVEPOINT so that one failing op does not take the others down. Each caller gets its
own result only after the shared COMMIT has returned.

The whole batch runs on the writer thread in one round trip (see `connection.py`): a
statement-by-statement hop to a database thread would cost the event loop more than the
fsync itself.

The same `Store` runs on PostgreSQL (`store/postgres.py`) for desks with several nodes:
`Store.connect(url)` picks the backend, and only the backend knows how a batch is committed.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

import aiosqlite

from gateway.startup import StartupError
from gateway.store.connection import Connection, InlineConnection, run_inline
from gateway.store.schema import MIGRATIONS, sqlite_script

log = logging.getLogger(__name__)

T = TypeVar("T")
Op = Callable[[Connection], Awaitable[T]]
Outcome = tuple[Any, BaseException | None]

MAX_OPS_PER_COMMIT = 512
# While urgent writes (an SMTP `250` waiting on its commit) keep arriving, background ops are
# committed this many at a time: an accept then waits behind one slice of a worker's batch
# (a new ticket's transaction is 2-3 ms on the writer), not behind all of it.
BACKGROUND_SLICE = 2
# How long after an urgent write background batches stay sliced.
URGENT_TRAFFIC_WINDOW = 0.25  # seconds
# Checkpointing copies the WAL back into the database file. SQLite does it inside the commit
# that fills the WAL past `wal_autocheckpoint` pages: measured in bursts, such a commit took
# 50-170 ms, and every `250` queued behind it waited as long. So the writer never checkpoints
# (`wal_autocheckpoint = 0`); a connection of its own does, on its own thread, every
# CHECKPOINT_EVERY commits, PASSIVE: it neither waits for nor blocks the writer or readers.
CHECKPOINT_EVERY = 200  # commits, ~2-4 MB of WAL in a burst of 3 KB mails
BUSY_TIMEOUT_SECONDS = 10.0


class StoreClosed(RuntimeError):
    """The store is shutting down; nothing more can be written."""


class StoreUnavailable(RuntimeError):
    """The database cannot be reached or refuses us; the message names it, never a password.
    Nothing of the failed write was committed: callers answer "try again later"."""


class StoreUnusable(StartupError):
    """The database cannot be opened or is not one this version can use; worded for the user."""


class Backend(Protocol):
    """What a database offers the store: a batch of ops in one transaction, and reads."""

    name: str

    async def commit(self, ops: Sequence[Op[Any]]) -> list[Outcome]: ...

    async def read(self, op: Op[T]) -> T: ...

    async def schema_version(self) -> int: ...

    async def release_dead_claims(self) -> None: ...

    async def close(self) -> None: ...


class Store:
    """All access to the database goes through `write(op)` and `read(op)`.

    An op is an async function of the connection; the SQL itself lives in the topic modules
    of this package (`inbox`, `tickets`, `outbox`, ...), so business logic composes them into
    one transaction without writing SQL.
    """

    def __init__(self, backend: Backend, path: Path | None = None) -> None:
        self.backend = backend
        # The SQLite file, or None on PostgreSQL.
        self.path = path
        self._pending: list[tuple[Op[Any], asyncio.Future[Any]]] = []
        self._urgent: list[tuple[Op[Any], asyncio.Future[Any]]] = []
        self._urgent_at = float("-inf")  # loop time of the last urgent write
        self._urgent_went_last = False
        self._wake = asyncio.Event()
        self._closing = False
        self._commits = 0
        self._listeners: list[Callable[[], None]] = []
        self._task = asyncio.get_running_loop().create_task(
            self._commit_loop(), name="store-writer"
        )

    @classmethod
    async def open(cls, path: Path) -> Store:
        """The SQLite store in file `path` (created and migrated as needed)."""
        return cls(await SqliteBackend.open(path), path)

    @classmethod
    async def connect(
        cls, url: str | None, *, default_path: Path, password: str | None = None
    ) -> Store:
        """The store `url` names: `postgresql://user@host[:port]/db`, or SQLite for no URL,
        `sqlite:` (the file at `default_path`) or `sqlite:///absolute/path.db`."""
        if url is None or url == "sqlite:":
            return await cls.open(default_path)
        if url.startswith("sqlite:///"):
            return await cls.open(Path(url.removeprefix("sqlite://")))
        if url.startswith(("postgresql://", "postgres://")):
            from gateway.store.postgres import PgBackend  # asyncpg only when asked for

            return cls(await PgBackend.open(url, password=password))
        raise ValueError(f"unsupported store URL {url!r}: use postgresql://... or sqlite:")

    @property
    def dialect(self) -> str:
        return self.backend.name

    async def schema_version(self) -> int:
        return await self.backend.schema_version()

    @property
    def commits(self) -> int:
        """How many transactions were committed (a group commit counts once)."""
        return self._commits

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every commit (workers use it to wake up at once)."""
        self._listeners.append(listener)

    async def write(self, op: Op[T], *, urgent: bool = False) -> T:
        """Commit `op` (with whatever else is waiting) and return its result.

        `urgent` is for a client waiting on the line for this commit (the `250` after DATA):
        urgent ops are committed ahead of everything else, in transactions of their own, and
        while they keep coming other ops are committed a slice at a time. An urgent op waits
        at most for the transaction on its way and one background slice.
        """
        if self._closing:
            raise StoreClosed("store is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if urgent:
            self._urgent.append((op, future))
            self._urgent_at = loop.time()
        else:
            self._pending.append((op, future))
        self._wake.set()
        return await future

    async def read(self, op: Op[T]) -> T:
        return await self.backend.read(op)

    async def release_dead_claims(self) -> None:
        """At a node's start: free work that a node which died left claimed, where that is known.

        Only the gateway calls this, never a command: a command may run beside a live node.
        """
        await self.backend.release_dead_claims()

    async def close(self) -> None:
        """Commit everything already handed in, then close the backend's connections."""
        self._closing = True
        self._wake.set()
        await self._task
        await self.backend.close()

    async def _commit_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._urgent or self._pending:
                await self._commit_batch(self._next_batch())
            if self._closing:
                return

    def _next_batch(self) -> list[tuple[Op[Any], asyncio.Future[Any]]]:
        """Urgent ops first, all that wait; then a background slice if any waits, so a steady
        stream of urgent ops never starves the rest (the worker's `max_defer` depends on it).
        While urgent ops are arriving, background ops go a slice at a time: each op is its
        own savepoint, so splitting a batch changes nothing but how many commits it takes."""
        urgent_turn = bool(self._urgent) and not (self._pending and self._urgent_went_last)
        self._urgent_went_last = urgent_turn
        if urgent_turn:
            lane, size = self._urgent, MAX_OPS_PER_COMMIT
        else:
            lane, size = self._pending, MAX_OPS_PER_COMMIT
            if asyncio.get_running_loop().time() - self._urgent_at < URGENT_TRAFFIC_WINDOW:
                size = BACKGROUND_SLICE
        batch = lane[:size]
        del lane[:size]
        return batch

    async def _commit_batch(self, batch: list[tuple[Op[Any], asyncio.Future[Any]]]) -> None:
        try:
            outcomes = await self.backend.commit([op for op, _ in batch])
        except Exception as exc:  # the transaction itself failed: nobody's write is durable
            log.exception("group commit of %d ops failed", len(batch))
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        self._commits += 1
        for (_, future), (result, error) in zip(batch, outcomes, strict=True):
            if future.done():
                continue
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)
        for listener in self._listeners:
            listener()


class SqliteBackend:
    """One writer thread that group-commits, one aiosqlite connection for reads."""

    name = "sqlite"

    def __init__(
        self, writer: _Writer, reader: aiosqlite.Connection, checkpointer: _Checkpointer
    ) -> None:
        self._writer = writer
        self._reader = reader
        self._checkpointer = checkpointer

    @classmethod
    async def open(cls, path: Path) -> SqliteBackend:
        """Open (creating or migrating) the database; StoreUnusable says why it cannot be."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = await _Writer.open(path)
        except StoreUnusable as exc:
            raise StoreUnusable(f"database {path}: {exc}") from None
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnusable(_explain_open_error(path, exc)) from None
        reader = await aiosqlite.connect(path, isolation_level=None)
        reader.row_factory = sqlite3.Row
        await reader.execute("PRAGMA query_only = ON")
        await reader.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        return cls(writer, reader, _Checkpointer(path))

    async def commit(self, ops: Sequence[Op[Any]]) -> list[Outcome]:
        outcomes = await self._writer.run(_commit_ops, ops)
        self._checkpointer.committed()
        return outcomes

    async def read(self, op: Op[T]) -> T:
        # aiosqlite's connection is the `Connection` protocol at run time; its type hints
        # declare `execute` as (*Any, **Any), which mypy cannot match structurally.
        return await op(cast(Connection, self._reader))

    async def schema_version(self) -> int:
        async with self._reader.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def release_dead_claims(self) -> None:
        # A SQLite file has one node: claims found when it starts were left by a process that
        # died, and waiting out their leases would only delay its mail (an outbox lease is the
        # relay's 30-minute budget). Rows in flight become due now, still marked in flight, so
        # the outbox treats that attempt as unconfirmed rather than sending blindly.
        await self._writer.run(_release_dead_claims)

    async def close(self) -> None:
        await self._reader.close()
        await self._checkpointer.close()
        await self._writer.close()


class _Writer:
    """One thread owning the writing sqlite3 connection; everything it runs runs there."""

    def __init__(self, executor: ThreadPoolExecutor, connection: sqlite3.Connection) -> None:
        self._executor = executor
        self._connection = connection

    @classmethod
    async def open(cls, path: Path) -> _Writer:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-writer")
        loop = asyncio.get_running_loop()
        try:
            connection = await loop.run_in_executor(executor, _open_writer, path)
        except BaseException:
            executor.shutdown(wait=True)
            raise
        return cls(executor, connection)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, self._connection, *args)

    async def close(self) -> None:
        await self.run(sqlite3.Connection.close)
        self._executor.shutdown(wait=True)


class _Checkpointer:
    """Copies the WAL into the database file, on a thread and a connection of its own."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-checkpoint")
        self._connection: sqlite3.Connection | None = None  # opened on that thread
        self._commits = 0
        self._running: asyncio.Future[None] | None = None

    def committed(self) -> None:
        self._commits += 1
        if self._commits >= CHECKPOINT_EVERY and (self._running is None or self._running.done()):
            self._commits = 0
            loop = asyncio.get_running_loop()
            self._running = loop.run_in_executor(self._executor, self._checkpoint)

    def _checkpoint(self) -> None:
        try:
            if self._connection is None:
                self._connection = sqlite3.connect(
                    self._path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS
                )
            self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:  # the next one copies what this one did not
            log.warning("WAL checkpoint of %s failed: %s", self._path, exc)

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()

    async def close(self) -> None:
        if self._running is not None:  # else no checkpoint ran, and nothing was opened
            await asyncio.gather(self._running, return_exceptions=True)
            await asyncio.get_running_loop().run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)


def _commit_ops(connection: sqlite3.Connection, ops: Sequence[Op[Any]]) -> list[Outcome]:
    """On the writer thread: one transaction, one savepoint per op, one COMMIT for all."""
    inline = InlineConnection(connection)
    connection.execute("BEGIN IMMEDIATE")
    try:
        outcomes = [_run_in_savepoint(connection, inline, op) for op in ops]
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return outcomes


def _run_in_savepoint(
    connection: sqlite3.Connection, inline: InlineConnection, op: Op[Any]
) -> Outcome:
    connection.execute("SAVEPOINT op")
    try:
        result: Any = run_inline(op(inline))
    except Exception as exc:
        connection.execute("ROLLBACK TO op")
        connection.execute("RELEASE op")
        return None, exc
    connection.execute("RELEASE op")
    return result, None


def _release_dead_claims(connection: sqlite3.Connection) -> None:
    # Autocommit: each statement is its own transaction, and each is complete on its own.
    connection.execute("UPDATE inbox SET claimed_until = NULL WHERE claimed_until IS NOT NULL")
    connection.execute(
        "UPDATE outbox SET next_attempt_at = attempt_started_at"
        " WHERE state = 'pending' AND attempt_started_at IS NOT NULL"
    )


def _open_writer(path: Path) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves (group commit needs that control).
    connection = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")  # durable at COMMIT, not at checkpoint
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA wal_autocheckpoint = 0")  # see CHECKPOINT_EVERY
        _migrate(connection)
    except BaseException:
        connection.close()
        raise
    return connection


def _explain_open_error(path: Path, exc: sqlite3.Error | OSError) -> str:
    text = str(exc)
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in text:
        return (
            f"database {path} is not an SQLite database (or is damaged): move it aside to"
            " start with an empty one, or restore it from a backup"
        )
    if "readonly" in text or "read-only" in text:
        return f"database {path} is read-only: make it and its directory writable"
    if "unable to open" in text or isinstance(exc, OSError):
        return (
            f"database {path} cannot be opened ({getattr(exc, 'strerror', None) or text}):"
            " check that it is a file and that its directory is writable"
        )
    return f"database {path} cannot be used ({text}): restore it from a backup"


def _migrate(connection: sqlite3.Connection) -> None:
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    if version > len(MIGRATIONS):
        raise StoreUnusable(
            f"schema version {version} is newer than this version of Intake knows"
            f" ({len(MIGRATIONS)}): run the newer Intake that wrote it, or restore a backup"
        )
    for number in range(version + 1, len(MIGRATIONS) + 1):
        log.info("migrating database to version %d", number)
        connection.executescript(
            f"BEGIN IMMEDIATE;\n{sqlite_script(number)}\nPRAGMA user_version = {number};\nCOMMIT;"
        )
