"""SQL for the inbox: everything accepted, exactly as received, before anyone thinks about it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from gateway.store.connection import Connection, skip_locked
from gateway.store.records import InboxItem, iso


async def insert_inbox(
    db: Connection,
    *,
    channel: str,
    kind: str,
    received_at: datetime,
    meta: dict[str, Any],
    raw: bytes | None = None,
    source_key: str | None = None,
) -> tuple[int, bool]:
    """Store one accepted input; returns (id, created). A known `source_key` is not stored again."""
    cursor = await db.execute(
        "INSERT INTO inbox (channel, kind, received_at, source_key, meta, raw)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source_key) DO NOTHING",
        (channel, kind, iso(received_at), source_key, json.dumps(meta), raw),
    )
    if cursor.rowcount == 1 and cursor.lastrowid is not None:
        return cursor.lastrowid, True
    async with db.execute("SELECT id FROM inbox WHERE source_key = ?", (source_key,)) as rows:
        row = await rows.fetchone()
    assert row is not None, "conflict without an existing row"
    return int(row["id"]), False


async def pending_inbox(db: Connection, channel: str, *, limit: int = 100) -> list[InboxItem]:
    async with db.execute(
        "SELECT * FROM inbox WHERE state = 'new' AND channel = ? ORDER BY id LIMIT ?",
        (channel, limit),
    ) as cursor:
        return [InboxItem.from_row(row) for row in await cursor.fetchall()]


async def claim_pending(
    db: Connection,
    channel: str,
    now: datetime,
    lease_until: datetime,
    *,
    limit: int = 100,
    max_bytes: int | None = None,
) -> list[InboxItem]:
    """Take up to `limit` new rows nobody holds, for this node alone until `lease_until`.

    With `max_bytes`, the rows stop before their raw messages together exceed it (the first
    row is always taken, whatever its size), so a batch of large messages is never all in
    memory at once: sizes are read first, the raw bytes only of the rows claimed.

    Several nodes on one PostgreSQL never get the same row: rows another node is claiming
    are locked and skipped, rows it claimed carry its lease. A node that dies mid-claim
    holds its rows no longer than the lease; processing a row finishes it (or records its
    failure and releases it), so a live node never waits for its own lease. A lease that
    runs out under a node that is merely slow costs work, not correctness: the second
    attempt meets the first one's message in the unique Message-ID (or content hash) and
    is recorded as a duplicate.
    """
    async with db.execute(
        "SELECT id, COALESCE(LENGTH(raw), 0) AS size FROM inbox WHERE state = 'new'"
        " AND channel = ? AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY id LIMIT ?"
        + skip_locked(db),
        (channel, iso(now), limit),
    ) as cursor:
        sizes = [(int(row["id"]), int(row["size"])) for row in await cursor.fetchall()]
    ids: list[int] = []
    total = 0
    for row_id, size in sizes:
        if ids and max_bytes is not None and total + size > max_bytes:
            break
        ids.append(row_id)
        total += size
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    await db.execute(
        f"UPDATE inbox SET claimed_until = ? WHERE id IN ({marks})", (iso(lease_until), *ids)
    )
    async with db.execute(
        f"SELECT * FROM inbox WHERE id IN ({marks}) ORDER BY id", tuple(ids)
    ) as cursor:
        return [InboxItem.from_row(row) for row in await cursor.fetchall()]


async def claimable(db: Connection, channel: str, now: datetime) -> bool:
    """Whether `claim_pending` would take a row now: a read, where a claim is a write."""
    async with db.execute(
        "SELECT 1 FROM inbox WHERE state = 'new' AND channel = ?"
        " AND (claimed_until IS NULL OR claimed_until <= ?) LIMIT 1",
        (channel, iso(now)),
    ) as cursor:
        return await cursor.fetchone() is not None


async def oldest_pending(db: Connection, channel: str) -> datetime | None:
    async with db.execute(
        "SELECT received_at FROM inbox WHERE state = 'new' AND channel = ? ORDER BY id LIMIT 1",
        (channel,),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else datetime.fromisoformat(row["received_at"])


async def get_inbox(db: Connection, inbox_id: int) -> InboxItem | None:
    async with db.execute("SELECT * FROM inbox WHERE id = ?", (inbox_id,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else InboxItem.from_row(row)


async def finish_inbox(
    db: Connection, inbox_id: int, now: datetime, *, note: str | None = None
) -> None:
    await db.execute(
        "UPDATE inbox SET state = 'done', processed_at = ?, error = ? WHERE id = ?",
        (iso(now), note, inbox_id),
    )


async def record_inbox_failure(
    db: Connection, inbox_id: int, error: str, *, give_up: bool, now: datetime
) -> None:
    await db.execute(
        "UPDATE inbox SET attempts = attempts + 1, error = ?, claimed_until = NULL,"
        " state = CASE WHEN ? THEN 'failed' ELSE state END,"
        " processed_at = CASE WHEN ? THEN ? ELSE processed_at END WHERE id = ?",
        (error, give_up, give_up, iso(now), inbox_id),
    )


async def inbox_counts(db: Connection) -> dict[str, int]:
    async with db.execute("SELECT state, COUNT(*) AS n FROM inbox GROUP BY state") as cursor:
        return {row["state"]: row["n"] for row in await cursor.fetchall()}
