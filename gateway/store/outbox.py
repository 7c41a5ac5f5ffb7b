"""SQL for the outbox: every message that leaves the process, from enqueue to sent or failed.

States: `pending` (to send at `next_attempt_at`), `unconfirmed` (handed over but the answer
was lost: while `sent_at` is NULL the worker reconciles or resends it at `next_attempt_at`;
with `sent_at` set it is settled, nothing more will be tried), `sent`, `failed`, `cancelled`.
"""

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
    """Add a message to send; None when a message with this idempotency key already exists.
    The row keeps its ticket's desk (for the desk's acknowledgement budget)."""
    cursor = await db.execute(
        "INSERT INTO outbox (ticket_id, desk, kind, purpose, idempotency_key, recipient,"
        " payload, next_attempt_at, created_at)"
        " VALUES (?, (SELECT desk FROM tickets WHERE id = ?), ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (idempotency_key) DO NOTHING",
        (
            ticket_id,
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


# Rows the worker still acts on: to send, or unconfirmed and not yet settled.
_ACTIVE = "(state = 'pending' OR (state = 'unconfirmed' AND sent_at IS NULL))"


async def claim_due(
    db: Connection,
    now: datetime,
    lease_until: datetime,
    *,
    limit: int,
    sms_lease_until: datetime | None = None,
) -> list[OutboxItem]:
    """Take due rows, mark them in flight and push their next attempt to `lease_until`.

    If the process dies mid-send the row becomes due again when the lease ends, still marked
    in flight (`attempt_started_at`): the worker then treats that attempt as unconfirmed. On
    PostgreSQL, rows another node is claiming at this moment are locked and skipped, so two
    nodes never send one row.
    """
    async with db.execute(
        f"SELECT * FROM outbox WHERE {_ACTIVE} AND next_attempt_at <= ?"
        " ORDER BY next_attempt_at, id LIMIT ?" + skip_locked(db),
        (iso(now), limit),
    ) as cursor:
        rows = [OutboxItem.from_row(row) for row in await cursor.fetchall()]
    if rows:
        marks = ",".join("?" * len(rows))
        sms_lease = sms_lease_until or lease_until
        await db.execute(
            "UPDATE outbox SET next_attempt_at = CASE kind WHEN 'sms' THEN ? ELSE ? END,"
            f" attempts = attempts + 1, attempt_started_at = ? WHERE id IN ({marks})",
            (iso(sms_lease), iso(lease_until), iso(now), *(row.id for row in rows)),
        )
    return rows


async def mark_sent(db: Connection, outbox_id: int, provider_id: str | None, now: datetime) -> None:
    """Sent and confirmed; an earlier lost answer stays visible in `unconfirmed`."""
    await db.execute(
        "UPDATE outbox SET attempt_started_at = NULL, state = 'sent', sent_at = ?,"
        " provider_id = ?, last_error = NULL"
        f" WHERE id = ? AND {_ACTIVE}",
        (iso(now), provider_id, outbox_id),
    )


async def mark_retry(db: Connection, outbox_id: int, error: str, next_attempt_at: datetime) -> None:
    """Not sent (the provider said so, or was never reached): send again then."""
    await db.execute(
        "UPDATE outbox SET attempt_started_at = NULL, state = 'pending', last_error = ?,"
        " next_attempt_at = ?"
        f" WHERE id = ? AND {_ACTIVE}",
        (error, iso(next_attempt_at), outbox_id),
    )


async def mark_unconfirmed(
    db: Connection, outbox_id: int, error: str, next_attempt_at: datetime
) -> int:
    """An attempt's answer was lost: reconcile or resend at `next_attempt_at`.

    Returns how many attempts of this row have now ended unconfirmed.
    """
    await db.execute(
        "UPDATE outbox SET attempt_started_at = NULL, state = 'unconfirmed',"
        " unconfirmed = unconfirmed + 1,"
        f" last_error = ?, next_attempt_at = ? WHERE id = ? AND {_ACTIVE}",
        (error, iso(next_attempt_at), outbox_id),
    )
    async with db.execute("SELECT unconfirmed FROM outbox WHERE id = ?", (outbox_id,)) as cursor:
        row = await cursor.fetchone()
    return int(row["unconfirmed"]) if row else 0


async def reschedule(db: Connection, outbox_id: int, error: str, next_attempt_at: datetime) -> None:
    """Try the same step again later, in the same state (e.g. reconciling, when the
    provider could not be asked)."""
    await db.execute(
        "UPDATE outbox SET attempt_started_at = NULL, last_error = ?, next_attempt_at = ?"
        f" WHERE id = ? AND {_ACTIVE}",
        (error, iso(next_attempt_at), outbox_id),
    )


async def settle_unconfirmed(db: Connection, outbox_id: int, error: str, now: datetime) -> None:
    """Nothing more will be tried: the message may or may not have arrived."""
    await db.execute(
        "UPDATE outbox SET attempt_started_at = NULL, state = 'unconfirmed', last_error = ?,"
        " sent_at = ?"
        f" WHERE id = ? AND {_ACTIVE}",
        (error, iso(now), outbox_id),
    )


async def mark_failed(db: Connection, outbox_id: int, error: str, now: datetime) -> None:
    await db.execute(
        "UPDATE outbox SET attempt_started_at = NULL, state = 'failed', last_error = ?,"
        " sent_at = NULL,"
        f" next_attempt_at = ? WHERE id = ? AND {_ACTIVE}",
        (error, iso(now), outbox_id),
    )


async def cancel(db: Connection, key: str, reason: str) -> bool:
    """Cancel a message not sent yet, or one whose send is unconfirmed (so not resent)."""
    cursor = await db.execute(
        "UPDATE outbox SET state = 'cancelled', last_error = ?"
        f" WHERE idempotency_key = ? AND {_ACTIVE}",
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
        f"SELECT MIN(next_attempt_at) AS at FROM outbox WHERE {_ACTIVE}"
    ) as cursor:
        row = await cursor.fetchone()
    return datetime.fromisoformat(row["at"]) if row and row["at"] else None


async def provider_ids_to(db: Connection, recipient: str, *, besides: int) -> set[str]:
    """Provider ids (MessageSids) other rows to this recipient own: never matched again."""
    async with db.execute(
        "SELECT provider_id FROM outbox"
        " WHERE recipient = ? AND id != ? AND provider_id IS NOT NULL",
        (recipient, besides),
    ) as cursor:
        return {row["provider_id"] for row in await cursor.fetchall()}
