"""SQL for the inbox: everything accepted, exactly as received, before anyone thinks about it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

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


_CLAIMABLE = (
    " i.state = 'new' AND i.channel = ? AND (i.claimed_until IS NULL OR i.claimed_until <= ?)"
)
# The urgent lane (index `inbox_lane_urgent`), then everything else in arrival order
# (`inbox_pending`, each row's lane looked up by its key).
_URGENT_ROWS = (
    # CROSS JOIN: SQLite then walks the lane in order (left to right) rather than the inbox.
    "SELECT i.id, COALESCE(LENGTH(i.raw), 0) AS size FROM inbox_lane l"
    " CROSS JOIN inbox i WHERE i.id = l.inbox_id AND l.urgency > 0 AND"
    + _CLAIMABLE
    + " ORDER BY l.urgency DESC, l.inbox_id LIMIT ?"
)
_ORDINARY_ROWS = (
    "SELECT i.id, COALESCE(LENGTH(i.raw), 0) AS size FROM inbox i WHERE"
    + _CLAIMABLE
    + " AND NOT EXISTS (SELECT 1 FROM inbox_lane l WHERE l.inbox_id = i.id AND l.urgency > 0)"
    " ORDER BY i.id LIMIT ?"
)


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

    The most urgent rows come first (`urgency`, set by the scout during a backlog, highest
    first), then the rest in arrival order; each part is read by its own index, so a claim
    never sorts the whole backlog. The scout never raises a row above a pending row it may
    depend on (see `mark_urgency`), so this order keeps replies after their originals.
    """
    sizes: list[tuple[int, int]] = []
    for lane in (_URGENT_ROWS, _ORDINARY_ROWS):
        if len(sizes) == limit:
            break
        async with db.execute(
            lane + _lock_inbox_rows(db), (channel, iso(now), limit - len(sizes))
        ) as cursor:
            sizes += [(int(row["id"]), int(row["size"])) for row in await cursor.fetchall()]
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
    async with db.execute(f"SELECT * FROM inbox WHERE id IN ({marks})", tuple(ids)) as cursor:
        by_id = {row["id"]: InboxItem.from_row(row) for row in await cursor.fetchall()}
    return [by_id[row_id] for row_id in ids]  # in claim order


def _lock_inbox_rows(db: Connection) -> str:
    """`skip_locked`, of the inbox rows alone: the lane's rows are the scouts' to write."""
    suffix = skip_locked(db)
    return suffix.replace("FOR UPDATE", "FOR UPDATE OF i") if suffix else suffix


async def claimable(db: Connection, channel: str, now: datetime) -> bool:
    """Whether `claim_pending` would take a row now: a read, where a claim is a write."""
    async with db.execute(
        "SELECT 1 FROM inbox WHERE state = 'new' AND channel = ?"
        " AND (claimed_until IS NULL OR claimed_until <= ?) LIMIT 1",
        (channel, iso(now)),
    ) as cursor:
        return await cursor.fetchone() is not None


async def backlog_at_least(db: Connection, channel: str, count: int) -> bool:
    """Whether `count` or more rows wait (claimed or not); reads no further than `count`."""
    async with db.execute(
        "SELECT COUNT(*) AS n FROM"
        " (SELECT 1 FROM inbox WHERE state = 'new' AND channel = ? ORDER BY id LIMIT ?) AS waiting",
        (channel, count),
    ) as cursor:
        row = await cursor.fetchone()
    return row is not None and int(row["n"]) >= count


class Unscouted(NamedTuple):
    """A pending row the scout has not read: its envelope and the first bytes of the mail."""

    id: int
    meta: dict[str, Any]
    head: bytes


async def unscouted(
    db: Connection, channel: str, *, after: int, limit: int, head_bytes: int
) -> list[Unscouted]:
    """The oldest pending rows past id `after` not in the lane yet, only their first
    `head_bytes`: headers and the start of the text, never a large mail whole."""
    async with db.execute(
        "SELECT i.id, i.meta, SUBSTR(i.raw, 1, ?) AS head FROM inbox i"
        " WHERE i.state = 'new' AND i.channel = ? AND i.id > ?"
        " AND NOT EXISTS (SELECT 1 FROM inbox_lane l WHERE l.inbox_id = i.id)"
        " ORDER BY i.id LIMIT ?",
        (head_bytes, channel, after, limit),
    ) as cursor:
        return [
            Unscouted(int(row["id"]), json.loads(row["meta"]), bytes(row["head"] or b""))
            for row in await cursor.fetchall()
        ]


class Urgency(NamedTuple):
    """What the scout read of one row: how urgent it looks, its thread, and whether it names
    another message (In-Reply-To, References, a ticket tag)."""

    id: int
    urgency: int
    thread_key: str
    threaded: bool


async def mark_urgency(db: Connection, marks: Sequence[Urgency]) -> None:
    """Put the scout's reading in the lane, in inbox order, so no row overtakes one it may
    follow. A row already there (another node's scout) keeps its first reading.

    A message that names another stays in arrival order (urgency 0): whatever it answers
    arrived before it and is claimed no later. A message with a pending predecessor in its
    thread (same sender and subject stem) is no more urgent than the least urgent of those:
    it may share their lane, never pass them.
    """
    for mark in sorted(marks, key=lambda m: m.id):
        urgency = 0 if mark.threaded else mark.urgency
        if urgency > 0:
            async with db.execute(
                "SELECT MIN(l.urgency) AS floor FROM inbox_lane l JOIN inbox i"
                " ON i.id = l.inbox_id WHERE l.thread_key = ? AND l.inbox_id < ?"
                " AND i.state = 'new'",
                (mark.thread_key, mark.id),
            ) as cursor:
                row = await cursor.fetchone()
            if row is not None and row["floor"] is not None:
                urgency = min(urgency, int(row["floor"]))
        await db.execute(
            "INSERT INTO inbox_lane (inbox_id, urgency, thread_key) VALUES (?, ?, ?)"
            " ON CONFLICT (inbox_id) DO NOTHING",
            (mark.id, urgency, mark.thread_key),
        )


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
    await _leave_lane(db, inbox_id)


async def _leave_lane(db: Connection, inbox_id: int) -> None:
    """The lane holds waiting mail only, so a claim never walks past finished rows."""
    await db.execute("DELETE FROM inbox_lane WHERE inbox_id = ?", (inbox_id,))


async def record_inbox_failure(
    db: Connection, inbox_id: int, error: str, *, give_up: bool, now: datetime
) -> None:
    await db.execute(
        "UPDATE inbox SET attempts = attempts + 1, error = ?, claimed_until = NULL,"
        " state = CASE WHEN ? THEN 'failed' ELSE state END,"
        " processed_at = CASE WHEN ? THEN ? ELSE processed_at END WHERE id = ?",
        (error, give_up, give_up, iso(now), inbox_id),
    )
    if give_up:
        await _leave_lane(db, inbox_id)


async def inbox_counts(db: Connection) -> dict[str, int]:
    async with db.execute("SELECT state, COUNT(*) AS n FROM inbox GROUP BY state") as cursor:
        return {row["state"]: row["n"] for row in await cursor.fetchall()}
