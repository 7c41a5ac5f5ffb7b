"""The PostgreSQL backend: the store's `Connection` protocol over asyncpg, group commit, migrations.

Store ops are written once, in SQLite's dialect with `?` placeholders. Running them here needs
two mechanical changes and no more, both made once per statement text and cached:

* `?` becomes `$1`, `$2`, ... (asyncpg speaks only PostgreSQL's numbered parameters);
* an INSERT/UPDATE/DELETE without RETURNING gets one (`RETURNING id` on tables keyed by an
  `id`, else `RETURNING 1`), because PostgreSQL has no `lastrowid` and asyncpg's cached
  statements report rows, not the command tag: the returned rows give both.

Everything else in the store's SQL is already portable (`ON CONFLICT ... DO NOTHING`,
`RETURNING`, partial indexes, ISO 8601 text times). The few statements whose portable form
would cost too much ask `connection.dialect` (ticket numbers from a sequence, `SKIP LOCKED`).

Group commit is the same as on SQLite: every op waiting while a batch is in flight joins the
next transaction, each inside a SAVEPOINT. PostgreSQL's protocol answers each statement before
the next one is sent, so a batch costs one round trip per statement (and one for the savepoint
between two ops: `RELEASE SAVEPOINT op; SAVEPOINT op` goes as one simple query) but a single
COMMIT, hence a single WAL flush, for all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any, TypeVar

import asyncpg

from gateway.store.core import StoreUnavailable, StoreUnusable
from gateway.store.schema import MIGRATIONS, postgres_script, tables_with_rowid

log = logging.getLogger(__name__)

T = TypeVar("T")

# pg_advisory_xact_lock key for migrations: "intake" in ASCII, so nodes of one desk agree.
MIGRATION_LOCK = 0x696E74616B65
STATEMENT_CACHE_SIZE = 1024
CONNECT_TIMEOUT_SECONDS = 10.0
CLOSE_TIMEOUT_SECONDS = 10.0

_TOKENS = re.compile(r"'(?:[^']|'')*'|\?")
_HAS_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_INSERT_INTO = re.compile(r"\s*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)
_ROWID_TABLES = tables_with_rowid()


@functools.lru_cache(maxsize=STATEMENT_CACHE_SIZE)
def translate(sql: str) -> tuple[str, str]:
    """(PostgreSQL text, kind): kind is `rows` (hand rows out), `rowid` or `count`."""
    counter = 0

    def number(match: re.Match[str]) -> str:
        nonlocal counter
        if match.group() != "?":
            return match.group()  # a string literal: left alone
        counter += 1
        return f"${counter}"

    text = _TOKENS.sub(number, sql)
    verb = text.lstrip().split(None, 1)[0].upper() if text.strip() else ""
    if verb not in ("INSERT", "UPDATE", "DELETE") or _HAS_RETURNING.search(text):
        return text, "rows"
    insert = _INSERT_INTO.match(text)
    if insert and insert.group(1) in _ROWID_TABLES:
        return f"{text} RETURNING id", "rowid"
    return f"{text} RETURNING 1", "count"


class PgCursor:
    def __init__(self, rows: list[Any], *, rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    async def fetchone(self) -> Any:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    async def fetchall(self) -> list[Any]:
        rest = self._rows[self._next :]
        self._next = len(self._rows)
        return rest


class PgStatement:
    """A statement that runs when awaited or entered, like aiosqlite's."""

    def __init__(self, connection: PgConnection, sql: str, parameters: tuple[Any, ...]) -> None:
        self._connection = connection
        self._sql = sql
        self._parameters = parameters

    def __await__(self) -> Any:
        return self._connection.run(self._sql, self._parameters).__await__()

    async def __aenter__(self) -> PgCursor:
        return await self._connection.run(self._sql, self._parameters)

    async def __aexit__(self, *exc_info: object) -> None:
        return None


class PgConnection:
    """The store's `Connection` protocol over one asyncpg connection."""

    dialect = "postgresql"

    def __init__(self, raw: asyncpg.Connection) -> None:
        self.raw = raw

    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> PgStatement:
        return PgStatement(self, sql, tuple(parameters or ()))

    async def execute_fetchall(
        self, sql: str, parameters: Iterable[Any] | None = None
    ) -> list[Any]:
        cursor = await self.run(sql, tuple(parameters or ()))
        return await cursor.fetchall()

    async def run(self, sql: str, parameters: tuple[Any, ...]) -> PgCursor:
        text, kind = translate(sql)
        rows = await self.raw.fetch(text, *parameters)
        if kind == "rows":
            return PgCursor(list(rows), rowcount=len(rows), lastrowid=None)
        lastrowid = int(rows[-1][0]) if kind == "rowid" and rows else None
        return PgCursor([], rowcount=len(rows), lastrowid=lastrowid)


Outcome = tuple[Any, BaseException | None]

# What a lost or refused connection raises (as opposed to an error in one op's SQL).
CONNECTION_ERRORS = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InvalidCatalogNameError,
    asyncpg.InvalidAuthorizationSpecificationError,
    asyncpg.AdminShutdownError,
)


@contextlib.asynccontextmanager
async def _connection(pool: asyncpg.Pool, url: str) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection; losing the database is `StoreUnavailable`, whatever the driver
    called it, so that SMTP answers 451 and webhooks 503 rather than a 500."""
    try:
        raw = await pool.acquire()
    except CONNECTION_ERRORS as exc:
        raise StoreUnavailable(f"cannot connect to {url}: {exc}") from exc
    try:
        yield raw
    except CONNECTION_ERRORS as exc:
        raise StoreUnavailable(f"lost the connection to {url}: {exc}") from exc
    finally:
        await pool.release(raw)


class PgBackend:
    """Two asyncpg pools: one connection that group-commits writes, a few for reads."""

    name = "postgresql"

    def __init__(self, url: str, writer: asyncpg.Pool, readers: asyncpg.Pool) -> None:
        self.url = url
        self._writer = writer
        self._readers = readers

    @classmethod
    async def open(cls, url: str, *, password: str | None, readers: int = 4) -> PgBackend:
        options: dict[str, Any] = {
            "password": password,
            "statement_cache_size": STATEMENT_CACHE_SIZE,
            "timeout": CONNECT_TIMEOUT_SECONDS,
            # The session's own setting, in case the server's default was turned off: a `250`
            # must mean the message is on the database's disk.
            "server_settings": {"synchronous_commit": "on", "application_name": "intake"},
        }
        try:
            writer = await asyncpg.create_pool(url, min_size=1, max_size=1, **options)
        except (*CONNECTION_ERRORS, asyncpg.PostgresError) as exc:
            raise StoreUnusable(
                f"cannot connect to {url}: {exc}; check [store] url, that the server is up,"
                " and the password variable ([store] password_env)"
            ) from None
        try:
            await migrate(writer)
            reader_pool = await asyncpg.create_pool(url, min_size=1, max_size=readers, **options)
        except BaseException:
            await writer.close()
            raise
        return cls(url, writer, reader_pool)

    async def commit(self, ops: Sequence[Any]) -> list[Outcome]:
        async with _connection(self._writer, self.url) as raw:
            return await _commit_ops(raw, ops)

    async def read(self, op: Any) -> Any:
        async with _connection(self._readers, self.url) as raw:
            return await op(PgConnection(raw))

    async def schema_version(self) -> int:
        async with _connection(self._readers, self.url) as raw:
            return int(await raw.fetchval("SELECT version FROM intake_schema"))

    async def close(self) -> None:
        # Everything handed in was committed before this; a pool that still cannot close
        # (a server that stopped answering) must not keep the process from exiting.
        for pool in (self._readers, self._writer):
            try:
                async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                    await pool.close()
            except TimeoutError:
                log.warning("database connections did not close in time; dropping them")
                pool.terminate()


async def _commit_ops(raw: asyncpg.Connection, ops: Sequence[Any]) -> list[Outcome]:
    """One transaction, one savepoint per op, one COMMIT for all."""
    db = PgConnection(raw)
    single = len(ops) == 1
    await raw.execute("BEGIN" if single else "BEGIN; SAVEPOINT op")
    outcomes: list[Outcome] = []
    try:
        for index, op in enumerate(ops):
            try:
                result = await op(db)
            except Exception as exc:
                if raw.is_closed():
                    raise
                if single:  # nothing else in the transaction: give it up entirely
                    await raw.execute("ROLLBACK")
                    return [(None, exc)]
                await raw.execute("ROLLBACK TO SAVEPOINT op")
                outcomes.append((None, exc))
                continue
            outcomes.append((result, None))
            if not single and index < len(ops) - 1:
                await raw.execute("RELEASE SAVEPOINT op; SAVEPOINT op")
        await raw.execute("COMMIT")
    except BaseException:
        if not raw.is_closed() and raw.is_in_transaction():
            await raw.execute("ROLLBACK")
        raise
    return outcomes


async def migrate(pool: asyncpg.Pool) -> int:
    """Bring the schema up to date; several nodes starting at once take turns on a lock."""
    async with pool.acquire() as raw, raw.transaction():
        await raw.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await raw.execute("CREATE TABLE IF NOT EXISTS intake_schema (version INTEGER NOT NULL)")
        version = await raw.fetchval("SELECT version FROM intake_schema")
        if version is None:
            version = 0
            await raw.execute("INSERT INTO intake_schema (version) VALUES (0)")
        for number in range(version + 1, len(MIGRATIONS) + 1):
            log.info("migrating database to version %d", number)
            await raw.execute(postgres_script(number))
            await raw.execute("UPDATE intake_schema SET version = $1", number)
        return len(MIGRATIONS)
