"""The connection API that store ops are written against, and its inline SQLite implementation.

Ops are async functions of a `Connection` (aiosqlite's API: `execute` is awaitable and an async
context manager, cursors have async `fetchone`/`fetchall`), so a PostgreSQL backend can await
for real later. On SQLite the writer runs a whole group-commit batch on its own thread in one
round trip: `InlineConnection` wraps a plain `sqlite3.Connection`, every await on it completes
at once, and `run_inline` drives an op's coroutine to the end without an event loop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Generator, Iterable
from typing import Any, Protocol, TypeVar, cast

T = TypeVar("T")


class Cursor(Protocol):
    @property
    def lastrowid(self) -> int | None: ...

    @property
    def rowcount(self) -> int: ...

    async def fetchone(self) -> Any: ...

    async def fetchall(self) -> Iterable[Any]: ...


class Statement(Protocol):
    def __await__(self) -> Generator[Any, None, Any]: ...

    async def __aenter__(self) -> Any: ...

    async def __aexit__(self, *exc_info: object) -> Any: ...


class Connection(Protocol):
    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Statement: ...

    async def execute_fetchall(
        self, sql: str, parameters: Iterable[Any] | None = None
    ) -> Iterable[Any]: ...


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()


class InlineStatement:
    """An executed statement: `await` it for the cursor, or `async with` it."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = InlineCursor(cursor)
        self._raw = cursor

    def __await__(self) -> Generator[Any, None, InlineCursor]:
        return self._done().__await__()

    async def _done(self) -> InlineCursor:
        return self._cursor

    async def __aenter__(self) -> InlineCursor:
        return self._cursor

    async def __aexit__(self, *exc_info: object) -> None:
        self._raw.close()


class InlineConnection:
    dialect = "sqlite"

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.raw = connection

    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> InlineStatement:
        return InlineStatement(self.raw.execute(sql, tuple(parameters or ())))

    async def execute_fetchall(
        self, sql: str, parameters: Iterable[Any] | None = None
    ) -> list[Any]:
        return self.raw.execute(sql, tuple(parameters or ())).fetchall()


def dialect(db: Connection) -> str:
    """`"sqlite"` or `"postgresql"`: for the few statements whose portable form costs too much
    (a ticket-number sequence, row locks that other nodes skip)."""
    return str(getattr(db, "dialect", "sqlite"))


def skip_locked(db: Connection) -> str:
    """Suffix for a claiming SELECT: on PostgreSQL, rows another node is claiming right now are
    locked until its commit and skipped here; SQLite has one writer, so nothing to add."""
    return " FOR UPDATE SKIP LOCKED" if dialect(db) == "postgresql" else ""


def for_update(db: Connection) -> str:
    """Suffix for a SELECT whose row the op is about to change: on PostgreSQL a second node
    waits for the first one's commit and then sees its result."""
    return " FOR UPDATE" if dialect(db) == "postgresql" else ""


class OpSuspended(RuntimeError):
    """A store op awaited something other than the database: ops must be SQL only."""


def run_inline(awaitable: Awaitable[T]) -> T:
    """Drive an op to its end on this thread; it must never actually suspend."""
    steps = awaitable.__await__()
    try:
        steps.send(None)
    except StopIteration as finished:
        return cast(T, finished.value)
    steps.close()
    raise OpSuspended("a store op awaited something other than the database")
