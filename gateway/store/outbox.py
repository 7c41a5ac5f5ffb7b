"""SQL for the outbox: every message that leaves the process, from enqueue to sent or failed.

States: `pending` (to send at `next_attempt_at`), `unconfirmed` (handed over but the answer
was lost: while `sent_at` is NULL the worker reconciles or resends it at `next_attempt_at`;
with `sent_at` set it is settled, nothing more will be tried), `sent`, `failed`, `cancelled`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from gateway.store.connection import Connection, dialect, skip_locked
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

# What a storm produces by the thousand and what may trail it: the customer's acknowledgement
# and changed promise. Every other purpose (pages, SLA notices, staff replies, webhooks) is
# claimed before them, so a page enqueued behind 10,000 acknowledgements goes out next.
DEFERRABLE = ("ack", "promise")
_DEFERRABLE = "('ack', 'promise')"  # the literal the partial index `outbox_urgent_due` names
# The two lanes, as conditions on an active row. An unconfirmed row of any purpose is urgent:
# there are few, and each has waited already.
_URGENT = f"{_ACTIVE} AND NOT (state = 'pending' AND purpose IN {_DEFERRABLE})"
_DEFERRED = f"state = 'pending' AND purpose IN {_DEFERRABLE}"


async def claim_due(
    db: Connection,
    now: datetime,
    lease_until: datetime,
    *,
    limit: int,
    sms_lease_until: datetime | None = None,
    deferrable: int | None = None,
) -> list[OutboxItem]:
    """Take due rows, mark them in flight and push their next attempt to `lease_until`.

    Urgent rows come first (see `DEFERRABLE`), then acknowledgements and promises, at most
    `deferrable` of them (None: up to `limit`); each lane in the order its rows fell due.
    If the process dies mid-send the row becomes due again when the lease ends, still marked
    in flight (`attempt_started_at`): the worker then treats that attempt as unconfirmed. On
    PostgreSQL, rows another node is claiming at this moment are locked and skipped, so two
    nodes never send one row.
    """
    rows = await _due_rows(db, now, limit, urgent=True)
    room = limit - len(rows) if deferrable is None else min(limit - len(rows), deferrable)
    if room > 0:
        rows += await _due_rows(db, now, room, urgent=False)
    if rows:
        marks = ",".join("?" * len(rows))
        sms_lease = sms_lease_until or lease_until
        await db.execute(
            "UPDATE outbox SET next_attempt_at = CASE kind WHEN 'sms' THEN ? ELSE ? END,"
            f" attempts = attempts + 1, attempt_started_at = ? WHERE id IN ({marks})",
            (iso(sms_lease), iso(lease_until), iso(now), *(row.id for row in rows)),
        )
    return rows


async def _due_rows(db: Connection, now: datetime, limit: int, *, urgent: bool) -> list[OutboxItem]:
    """Due rows of one lane, by the partial indexes on `next_attempt_at`: the cost of a claim
    must not grow with the backlog (a scan of every pending row per claim made a storm's
    outbox quadratic). SQLite uses one index per side of an OR only through a union;
    PostgreSQL cannot lock the rows of a union, and plans the OR itself."""
    if dialect(db) == "postgresql":
        where = _URGENT if urgent else _DEFERRED
        sql = (
            f"SELECT * FROM outbox WHERE {where} AND next_attempt_at <= ?"
            " ORDER BY next_attempt_at, id LIMIT ?" + skip_locked(db)
        )
        parameters: tuple[object, ...] = (iso(now), limit)
    elif urgent:
        sql = (
            "SELECT * FROM (SELECT * FROM outbox WHERE state = 'pending'"
            f" AND purpose NOT IN {_DEFERRABLE} AND next_attempt_at <= ?"
            " ORDER BY next_attempt_at, id LIMIT ?)"
            " UNION ALL SELECT * FROM (SELECT * FROM outbox WHERE state = 'unconfirmed'"
            " AND sent_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?)"
            " ORDER BY next_attempt_at, id LIMIT ?"
        )
        parameters = (iso(now), limit, iso(now), limit, limit)
    else:
        # Left to itself SQLite walks every acknowledgement ever sent (by purpose); the
        # pending rows' index holds only what is still to send, in the order wanted.
        sql = (
            f"SELECT * FROM outbox INDEXED BY outbox_due WHERE {_DEFERRED}"
            " AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?"
        )
        parameters = (iso(now), limit)
    async with db.execute(sql, parameters) as cursor:
        return [OutboxItem.from_row(row) for row in await cursor.fetchall()]


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


async def next_due(db: Connection, *, lane: str = "all") -> datetime | None:
    """When the next active row falls due: of any lane, or of `"urgent"` or `"deferred"`.

    Each MIN is one step down a partial index, whatever the backlog: this is asked after
    every commit of a storm."""
    pending = "SELECT MIN(next_attempt_at) AS at FROM outbox WHERE state = 'pending'"
    unconfirmed = (
        "SELECT MIN(next_attempt_at) AS at FROM outbox"
        " WHERE state = 'unconfirmed' AND sent_at IS NULL"
    )
    if lane == "deferred":
        indexed = "" if dialect(db) == "postgresql" else " INDEXED BY outbox_due"
        # In index order, stopping at the first: a MIN with a filter would read them all.
        sql = (
            f"SELECT next_attempt_at AS at FROM outbox{indexed} WHERE {_DEFERRED}"
            " ORDER BY next_attempt_at LIMIT 1"
        )
    else:
        urgent = f" AND purpose NOT IN {_DEFERRABLE}" if lane == "urgent" else ""
        sql = f"SELECT MIN(at) AS at FROM ({pending}{urgent} UNION ALL {unconfirmed}) AS lanes"
    async with db.execute(sql) as cursor:
        row = await cursor.fetchone()
    return datetime.fromisoformat(row["at"]) if row and row["at"] else None


async def inbox_backlog_reaches(db: Connection, rows: int) -> bool:
    """Whether at least `rows` accepted messages wait for the intake worker (a storm).
    Reads at most `rows` index entries, however large the backlog."""
    async with db.execute(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM inbox WHERE state = 'new' LIMIT ?) AS backlog",
        (rows,),
    ) as cursor:
        row = await cursor.fetchone()
    return bool(row) and int(row["n"]) >= rows


async def ticket_numbers(db: Connection, ticket_ids: set[int]) -> dict[int, int]:
    """Ticket number by id, for the log lines of rows just sent (one query per batch)."""
    if not ticket_ids:
        return {}
    marks = ",".join("?" * len(ticket_ids))
    async with db.execute(
        f"SELECT id, number FROM tickets WHERE id IN ({marks})", tuple(ticket_ids)
    ) as cursor:
        return {row["id"]: row["number"] for row in await cursor.fetchall()}


async def provider_ids_to(db: Connection, recipient: str, *, besides: int) -> set[str]:
    """Provider ids (MessageSids) other rows to this recipient own: never matched again."""
    async with db.execute(
        "SELECT provider_id FROM outbox"
        " WHERE recipient = ? AND id != ? AND provider_id IS NOT NULL",
        (recipient, besides),
    ) as cursor:
        return {row["provider_id"] for row in await cursor.fetchall()}
