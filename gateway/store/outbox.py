"""SQL for the outbox: every message that leaves the process, from enqueue to sent or failed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from gateway.store.connection import Connection, skip_locked
from gateway.store.records import OutboxItem, iso


async def enqueue(
    db: Connection,
    *,
    ticket_id: int | None,
    kind: str,
    purpose: str,
    key: str,
    recipient: str,
    payload: dict[str, Any],
    now: datetime,
    not_before: datetime | None = None,
) -> int | None:
    """Add a message to send; None when a message with this idempotency key already exists."""
    cursor = await db.execute(
        "INSERT INTO outbox (ticket_id, kind, purpose, idempotency_key, recipient, payload,"
        " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (idempotency_key) DO NOTHING",
        (
            ticket_id,
            kind,
            purpose,
            key,
            recipient,
            json.dumps(payload),
            iso(not_before or now),
            iso(now),
        ),
    )
    return int(cursor.lastrowid) if cursor.rowcount == 1 and cursor.lastrowid else None


async def claim_due(
    db: Connection, now: datetime, lease_until: datetime, *, limit: int
) -> list[OutboxItem]:
    """Take due rows and push their next attempt to `lease_until`.

    If the process dies mid-send the row simply becomes due again when the lease ends, which
    is why every transport must be idempotent on the row's key. On PostgreSQL, rows another
    node is claiming at this moment are locked and skipped, so two nodes never send one row.
    """
    async with db.execute(
        "SELECT * FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?"
        " ORDER BY next_attempt_at, id LIMIT ?" + skip_locked(db),
        (iso(now), limit),
    ) as cursor:
        rows = [OutboxItem.from_row(row) for row in await cursor.fetchall()]
    if rows:
        marks = ",".join("?" * len(rows))
        await db.execute(
            f"UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1 WHERE id IN ({marks})",
            (iso(lease_until), *(row.id for row in rows)),
        )
    return rows


async def mark_sent(db: Connection, outbox_id: int, provider_id: str | None, now: datetime) -> None:
    await db.execute(
        "UPDATE outbox SET state = 'sent', sent_at = ?, provider_id = ?, last_error = NULL"
        " WHERE id = ? AND state = 'pending'",
        (iso(now), provider_id, outbox_id),
    )


async def mark_retry(db: Connection, outbox_id: int, error: str, next_attempt_at: datetime) -> None:
    await db.execute(
        "UPDATE outbox SET last_error = ?, next_attempt_at = ? WHERE id = ? AND state = 'pending'",
        (error, iso(next_attempt_at), outbox_id),
    )


async def mark_failed(db: Connection, outbox_id: int, error: str, now: datetime) -> None:
    await db.execute(
        "UPDATE outbox SET state = 'failed', last_error = ?, sent_at = NULL,"
        " next_attempt_at = ? WHERE id = ? AND state = 'pending'",
        (error, iso(now), outbox_id),
    )


async def cancel(db: Connection, key: str, reason: str) -> bool:
    cursor = await db.execute(
        "UPDATE outbox SET state = 'cancelled', last_error = ?"
        " WHERE idempotency_key = ? AND state = 'pending'",
        (reason, key),
    )
    return cursor.rowcount == 1


async def outbox_by_key(db: Connection, key: str) -> OutboxItem | None:
    async with db.execute("SELECT * FROM outbox WHERE idempotency_key = ?", (key,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else OutboxItem.from_row(row)


async def outbox_by_provider_id(db: Connection, provider_id: str) -> OutboxItem | None:
    async with db.execute("SELECT * FROM outbox WHERE provider_id = ?", (provider_id,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else OutboxItem.from_row(row)


async def count_recent(db: Connection, recipient: str, purpose: str, since: datetime) -> int:
    async with db.execute(
        "SELECT COUNT(*) AS n FROM outbox WHERE recipient = ? AND purpose = ? AND created_at > ?",
        (recipient, purpose, iso(since)),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row["n"]) if row else 0


async def outbox_of_ticket(db: Connection, ticket_id: int) -> list[OutboxItem]:
    async with db.execute(
        "SELECT * FROM outbox WHERE ticket_id = ? ORDER BY id", (ticket_id,)
    ) as cursor:
        return [OutboxItem.from_row(row) for row in await cursor.fetchall()]


async def outbox_counts(db: Connection) -> dict[str, int]:
    async with db.execute("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state") as cursor:
        return {row["state"]: row["n"] for row in await cursor.fetchall()}


async def next_due(db: Connection) -> datetime | None:
    async with db.execute(
        "SELECT MIN(next_attempt_at) AS at FROM outbox WHERE state = 'pending'"
    ) as cursor:
        row = await cursor.fetchone()
    return datetime.fromisoformat(row["at"]) if row and row["at"] else None
