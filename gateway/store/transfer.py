"""Moving a desk from SQLite to PostgreSQL, and the health figures `intake store check` shows.

The copy runs in one PostgreSQL transaction: it fills every table (parents first, ids kept so
that references hold), moves the id and ticket-number sequences past what was copied, and
compares the row count of every table on both sides before it commits. A copy that fails or
does not add up leaves the target as it was.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from gateway.store.connection import Connection
from gateway.store.core import Store
from gateway.store.postgres import PgBackend
from gateway.store.schema import MIGRATIONS, tables, tables_with_rowid

CHUNK_ROWS = 500


class TransferError(RuntimeError):
    """The desk cannot be moved as asked; the message says why, nothing was changed."""


@dataclass(frozen=True, slots=True)
class TableCount:
    table: str
    source: int
    target: int


async def copy_sqlite_to_postgres(
    source: Path, url: str, *, password: str | None
) -> list[TableCount]:
    """Copy the SQLite desk in `source` (an existing file) into the empty PostgreSQL
    database at `url`."""
    # Opening brings both schemas to the same version before anything is copied.
    store = await Store.open(source)
    await store.close()
    backend = await PgBackend.open(url, password=password, readers=1)
    await backend.close()
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        target = await asyncpg.connect(url, password=password)
        try:
            async with target.transaction():
                return await _copy(reader, target)
        except asyncpg.PostgresError as exc:
            raise TransferError(f"the copy failed, nothing was kept: {exc}") from exc
        finally:
            await target.close()
    finally:
        reader.close()


async def _copy(reader: sqlite3.Connection, target: asyncpg.Connection) -> list[TableCount]:
    for table in tables():
        if await target.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
            raise TransferError(f"the target database is not empty (table {table} has rows)")
    counts = []
    for table in tables():
        columns = [row[1] for row in reader.execute(f"PRAGMA table_info({table})")]
        select = f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid"
        cursor = reader.execute(select)
        while rows := cursor.fetchmany(CHUNK_ROWS):
            await target.copy_records_to_table(table, records=rows, columns=columns)
        source_count = reader.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        target_count = await target.fetchval(f"SELECT COUNT(*) FROM {table}")
        counts.append(TableCount(table, int(source_count), int(target_count)))
    for table in tables_with_rowid():
        await target.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )
    await target.execute(
        "SELECT setval('ticket_numbers', GREATEST(1000, (SELECT COALESCE(MAX(number), 0)"
        " FROM tickets)))"
    )
    wrong = [c for c in counts if c.source != c.target]
    if wrong:
        detail = ", ".join(f"{c.table} {c.source} != {c.target}" for c in wrong)
        raise TransferError(f"row counts differ after the copy ({detail}); nothing was kept")
    return counts


@dataclass(frozen=True, slots=True)
class Health:
    backend: str
    schema_version: int
    latest_version: int
    inbox: dict[str, int]
    outbox: dict[str, int]
    tickets: int
    oldest_new_inbox: datetime | None
    next_outbox_due: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "schema_version": self.schema_version,
            "latest_version": self.latest_version,
            "inbox": self.inbox,
            "outbox": self.outbox,
            "tickets": self.tickets,
            "oldest_new_inbox": self.oldest_new_inbox.isoformat()
            if self.oldest_new_inbox
            else None,
            "next_outbox_due": self.next_outbox_due.isoformat() if self.next_outbox_due else None,
        }


async def health(store: Store) -> Health:
    from gateway.store import inbox, outbox, tickets

    async def read(db: Connection) -> tuple[Any, ...]:
        pending = [await inbox.oldest_pending(db, ch) for ch in ("email", "voice", "sms")]
        oldest = min((at for at in pending if at is not None), default=None)
        return (
            await inbox.inbox_counts(db),
            await outbox.outbox_counts(db),
            await tickets.ticket_counts(db),
            oldest,
            await outbox.next_due(db),
        )

    inbox_counts, outbox_counts, ticket_count, oldest, next_due = await store.read(read)
    return Health(
        backend=store.dialect,
        schema_version=await store.schema_version(),
        latest_version=len(MIGRATIONS),
        inbox=dict(inbox_counts),
        outbox=dict(outbox_counts),
        tickets=ticket_count,
        oldest_new_inbox=oldest,
        next_outbox_due=next_due,
    )
