"""SQL for tickets, their threads of messages, attachments and the audit log."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.store.connection import Connection, dialect
from gateway.store.records import Event, Message, Ticket, iso

FIRST_TICKET_NUMBER = 1001


@dataclass(frozen=True, slots=True)
class NewTicket:
    channel: str
    customer: str
    customer_name: str
    desk: str
    policy: str
    subject: str
    declared_priority: str | None
    proposed_priority: str | None
    effective_priority: str
    confidence: float | None
    reasons: Sequence[str]
    received_at: datetime
    due_at: datetime | None
    after_hours: bool
    status: str = "open"


@dataclass(frozen=True, slots=True)
class NewMessage:
    direction: str  # in | out
    channel: str
    message_id: str | None
    content_hash: str | None
    sender: str
    subject: str
    body_text: str
    latest_text: str
    meta: dict[str, Any]
    inbox_id: int | None = None
    # An inbound email's identity keys (gateway/parsing/identity.py), stored with the row.
    fingerprint: str | None = None
    subject_stem: str | None = None
    body_hash: str | None = None


@dataclass(frozen=True, slots=True)
class TicketSummary:
    ticket: Ticket
    message_count: int


async def insert_ticket(db: Connection, new: NewTicket, now: datetime) -> Ticket:
    number = await next_ticket_number(db)
    # RETURNING: the row as stored, without reading it back in a second statement.
    async with db.execute(
        "INSERT INTO tickets (number, channel, customer, customer_name, desk, policy, subject,"
        " declared_priority, proposed_priority, effective_priority, confidence, reasons,"
        " received_at, due_at, after_hours, status, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        (
            number,
            new.channel,
            new.customer,
            new.customer_name,
            new.desk,
            new.policy,
            new.subject,
            new.declared_priority,
            new.proposed_priority,
            new.effective_priority,
            new.confidence,
            json.dumps(list(new.reasons)),
            iso(new.received_at),
            iso(new.due_at) if new.due_at else None,
            int(new.after_hours),
            new.status,
            iso(now),
            iso(now),
        ),
    ) as cursor:
        row = await cursor.fetchone()
    return Ticket.from_row(row)


async def next_ticket_number(db: Connection) -> int:
    if dialect(db) == "postgresql":  # several nodes open tickets at once: a sequence
        async with db.execute("SELECT nextval('ticket_numbers') AS n") as cursor:
            row = await cursor.fetchone()
        return int(row["n"])
    # SQLite has one writer, and numbers are handed out inside its transaction: MAX()+1 is safe.
    async with db.execute("SELECT MAX(number) AS n FROM tickets") as cursor:
        row = await cursor.fetchone()
    return max(FIRST_TICKET_NUMBER, (row["n"] or 0) + 1) if row else FIRST_TICKET_NUMBER


async def ticket_by_id(db: Connection, ticket_id: int) -> Ticket | None:
    async with db.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else Ticket.from_row(row)


async def ticket_by_number(db: Connection, number: int) -> Ticket | None:
    async with db.execute("SELECT * FROM tickets WHERE number = ?", (number,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else Ticket.from_row(row)


async def ticket_for_message_ids(db: Connection, ids: Sequence[str]) -> Ticket | None:
    """The ticket any of these Message-IDs (ours or the customer's) belongs to."""
    if not ids:
        return None
    marks = ",".join("?" * len(ids))
    async with db.execute(
        f"SELECT t.* FROM messages m JOIN tickets t ON t.id = m.ticket_id"
        f" WHERE m.message_id IN ({marks}) ORDER BY m.id DESC LIMIT 1",
        tuple(ids),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else Ticket.from_row(row)


async def latest_open_ticket_for(db: Connection, customer: str) -> Ticket | None:
    async with db.execute(
        "SELECT * FROM tickets WHERE customer = ? AND status != 'closed' ORDER BY id DESC LIMIT 1",
        (customer,),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else Ticket.from_row(row)


async def latest_ticket_for(db: Connection, customer: str) -> Ticket | None:
    """The customer's newest ticket, whatever its status."""
    async with db.execute(
        "SELECT * FROM tickets WHERE customer = ? ORDER BY id DESC LIMIT 1", (customer,)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else Ticket.from_row(row)


async def stored_message(
    db: Connection, message_id: str | None, content_hash: str
) -> Message | None:
    """The copy already stored of this message: same Message-ID, or same bytes if it has none."""
    if message_id:
        sql, args = "SELECT * FROM messages WHERE message_id = ?", (message_id,)
    else:
        sql = (
            "SELECT * FROM messages WHERE message_id IS NULL AND direction = 'in'"
            " AND content_hash = ?"
        )
        args = (content_hash,)
    async with db.execute(sql, args) as cursor:
        row = await cursor.fetchone()
    return None if row is None else Message.from_row(row)


async def insert_message(
    db: Connection, ticket_id: int, new: NewMessage, now: datetime, *, touch_ticket: bool = True
) -> int:
    """Add a message to a thread and mark the ticket changed (`touch_ticket` false: the
    caller has just written the ticket's row in this transaction)."""
    cursor = await db.execute(
        "INSERT INTO messages (ticket_id, inbox_id, direction, channel, message_id, content_hash,"
        " sender, subject, body_text, latest_text, meta, created_at, fingerprint, subject_stem,"
        " body_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ticket_id,
            new.inbox_id,
            new.direction,
            new.channel,
            new.message_id,
            new.content_hash,
            new.sender,
            new.subject,
            new.body_text,
            new.latest_text,
            json.dumps(new.meta),
            iso(now),
            new.fingerprint,
            new.subject_stem,
            new.body_hash,
        ),
    )
    # Status is the ticket service's (gateway/ticketing.py): a message never changes it here.
    if touch_ticket:
        await db.execute("UPDATE tickets SET updated_at = ? WHERE id = ?", (iso(now), ticket_id))
    return int(cursor.lastrowid or 0)


async def update_message_meta(db: Connection, message_id: int, meta: dict[str, Any]) -> None:
    await db.execute("UPDATE messages SET meta = ? WHERE id = ?", (json.dumps(meta), message_id))


async def set_message_text(db: Connection, message_id: int, text: str) -> None:
    """Fill in a message whose text arrived after it (a voicemail's transcript)."""
    await db.execute(
        "UPDATE messages SET body_text = ?, latest_text = ? WHERE id = ?",
        (text, text, message_id),
    )


async def first_message(db: Connection, ticket_id: int, direction: str) -> Message | None:
    async with db.execute(
        "SELECT * FROM messages WHERE ticket_id = ? AND direction = ? ORDER BY id LIMIT 1",
        (ticket_id, direction),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else Message.from_row(row)


async def insert_attachment(
    db: Connection,
    message_id: int,
    *,
    filename: str,
    content_type: str,
    size: int,
    content: bytes | None,
) -> None:
    await db.execute(
        "INSERT INTO attachments (message_id, filename, content_type, size, content)"
        " VALUES (?, ?, ?, ?, ?)",
        (message_id, filename, content_type, size, content),
    )


async def set_priority(
    db: Connection,
    ticket_id: int,
    *,
    effective: str,
    due_at: datetime | None,
    now: datetime,
    proposed: str | None = None,
    confidence: float | None = None,
    reasons: Sequence[str] | None = None,
) -> None:
    """Change the effective priority and deadline; a new proposal replaces the old one."""
    await db.execute(
        "UPDATE tickets SET effective_priority = ?, due_at = ?, updated_at = ?,"
        " proposed_priority = COALESCE(?, proposed_priority),"
        " confidence = COALESCE(?, confidence), reasons = COALESCE(?, reasons) WHERE id = ?",
        (
            effective,
            iso(due_at) if due_at else None,
            iso(now),
            proposed,
            confidence,
            json.dumps(list(reasons)) if reasons is not None else None,
            ticket_id,
        ),
    )


async def set_subject(db: Connection, ticket_id: int, subject: str, now: datetime) -> None:
    await db.execute(
        "UPDATE tickets SET subject = ?, updated_at = ? WHERE id = ?",
        (subject, iso(now), ticket_id),
    )


async def set_status(db: Connection, ticket_id: int, status: str, now: datetime) -> None:
    await db.execute(
        "UPDATE tickets SET status = ?, updated_at = ? WHERE id = ?", (status, iso(now), ticket_id)
    )


async def set_lifecycle(
    db: Connection,
    ticket_id: int,
    *,
    status: str,
    resolved_at: datetime | None,
    auto_close_at: datetime | None,
    monitoring: bool,
    now: datetime,
) -> None:
    """Status and the lifecycle columns that go with it, written together (the ticket
    service decides them; see gateway/ticketing.py)."""
    await db.execute(
        "UPDATE tickets SET status = ?, resolved_at = ?, auto_close_at = ?, monitoring = ?,"
        " updated_at = ? WHERE id = ?",
        (
            status,
            iso(resolved_at) if resolved_at else None,
            iso(auto_close_at) if auto_close_at else None,
            int(monitoring),
            iso(now),
            ticket_id,
        ),
    )


async def set_previous_ticket(db: Connection, ticket_id: int, previous_id: int) -> None:
    await db.execute(
        "UPDATE tickets SET previous_ticket_id = ? WHERE id = ?", (previous_id, ticket_id)
    )


async def due_to_close(db: Connection, now: datetime, *, limit: int) -> list[Ticket]:
    """Resolved tickets whose auto-close time has come, oldest due first (partial index)."""
    async with db.execute(
        "SELECT * FROM tickets WHERE status = 'resolved' AND auto_close_at <= ?"
        " ORDER BY auto_close_at, id LIMIT ?",
        (iso(now), limit),
    ) as cursor:
        return [Ticket.from_row(row) for row in await cursor.fetchall()]


async def next_ticket_of(db: Connection, ticket_id: int) -> Ticket | None:
    """The ticket opened by a message on this (closed) one, if any."""
    async with db.execute(
        "SELECT * FROM tickets WHERE previous_ticket_id = ? ORDER BY id LIMIT 1", (ticket_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else Ticket.from_row(row)


async def add_event(
    db: Connection, ticket_id: int | None, at: datetime, kind: str, **detail: Any
) -> None:
    await db.execute(
        "INSERT INTO events (ticket_id, at, kind, detail) VALUES (?, ?, ?, ?)",
        (ticket_id, iso(at), kind, json.dumps(detail, default=str)),
    )


async def count_events(db: Connection, ticket_id: int, kind: str) -> int:
    async with db.execute(
        "SELECT COUNT(*) AS n FROM events WHERE ticket_id = ? AND kind = ?", (ticket_id, kind)
    ) as cursor:
        row = await cursor.fetchone()
    return int(row["n"]) if row else 0


def _ticket_filter(status: str | None, priority: str | None) -> tuple[str, list[Any]]:
    where, args = [], []
    if status:
        where.append("t.status = ?")
        args.append(status)
    if priority:
        where.append("t.effective_priority = ?")
        args.append(priority)
    return (f"WHERE {' AND '.join(where)}" if where else ""), args


async def list_tickets(
    db: Connection,
    *,
    status: str | None = None,
    priority: str | None = None,
    limit: int | None = 1000,
) -> list[TicketSummary]:
    """Newest first; `limit` None lists every match."""
    clause, args = _ticket_filter(status, priority)
    cap = "" if limit is None else " LIMIT ?"
    async with db.execute(
        "SELECT t.*, (SELECT COUNT(*) FROM messages m WHERE m.ticket_id = t.id"
        f" AND m.direction = 'in') AS message_count FROM tickets t {clause}"
        f" ORDER BY t.number DESC{cap}",
        (*args, *(() if limit is None else (limit,))),
    ) as cursor:
        rows = await cursor.fetchall()
    return [TicketSummary(Ticket.from_row(r), r["message_count"]) for r in rows]


async def count_tickets(
    db: Connection, *, status: str | None = None, priority: str | None = None
) -> int:
    clause, args = _ticket_filter(status, priority)
    async with db.execute(f"SELECT COUNT(*) AS n FROM tickets t {clause}", args) as cursor:
        row = await cursor.fetchone()
    return int(row["n"]) if row else 0


async def thread(db: Connection, ticket_id: int) -> list[Message]:
    async with db.execute(
        "SELECT * FROM messages WHERE ticket_id = ? ORDER BY id", (ticket_id,)
    ) as cursor:
        return [Message.from_row(row) for row in await cursor.fetchall()]


async def attachments_of(db: Connection, message_id: int) -> list[dict[str, Any]]:
    async with db.execute(
        "SELECT filename, content_type, size, content IS NOT NULL AS stored FROM attachments"
        " WHERE message_id = ? ORDER BY id",
        (message_id,),
    ) as cursor:
        return [dict(row) for row in await cursor.fetchall()]


async def events_of(db: Connection, ticket_id: int) -> list[Event]:
    async with db.execute(
        "SELECT * FROM events WHERE ticket_id = ? ORDER BY id", (ticket_id,)
    ) as cursor:
        return [Event.from_row(row) for row in await cursor.fetchall()]


async def ticket_counts(db: Connection) -> int:
    async with db.execute("SELECT COUNT(*) AS n FROM tickets") as cursor:
        row = await cursor.fetchone()
    return int(row["n"]) if row else 0
