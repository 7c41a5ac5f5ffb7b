"""SQL for paging: one escalation chain per ticket, and the pages sent along it."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from gateway.store.connection import Connection
from gateway.store.records import from_iso, iso


@dataclass(frozen=True, slots=True)
class Chain:
    id: int
    ticket_id: int
    state: str  # active | acknowledged | exhausted | stopped
    reason: str
    summary: str
    started_at: datetime
    step: int
    next_at: datetime | None
    acked_by: str | None
    acked_at: datetime | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Chain:
        return cls(
            id=row["id"],
            ticket_id=row["ticket_id"],
            state=row["state"],
            reason=row["reason"],
            summary=row["summary"],
            started_at=datetime.fromisoformat(row["started_at"]),
            step=row["step"],
            next_at=from_iso(row["next_at"]),
            acked_by=row["acked_by"],
            acked_at=from_iso(row["acked_at"]),
        )


@dataclass(frozen=True, slots=True)
class Page:
    id: int
    chain_id: int
    step: int
    round: int
    staff_id: str
    phone: str
    outbox_key: str
    send_at: datetime
    created_at: datetime

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Page:
        return cls(
            id=row["id"],
            chain_id=row["chain_id"],
            step=row["step"],
            round=row["round"],
            staff_id=row["staff_id"],
            phone=row["phone"],
            outbox_key=row["outbox_key"],
            send_at=datetime.fromisoformat(row["send_at"]),
            created_at=datetime.fromisoformat(row["created_at"]),
        )


async def insert_chain(
    db: Connection, ticket_id: int, *, reason: str, summary: str, now: datetime
) -> Chain | None:
    """Start the ticket's chain; None if it already has one (one chain per ticket)."""
    cursor = await db.execute(
        "INSERT INTO page_chains (ticket_id, reason, summary, started_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (ticket_id) DO NOTHING",
        (ticket_id, reason, summary, iso(now)),
    )
    if cursor.rowcount != 1 or cursor.lastrowid is None:
        return None
    return await chain_by_id(db, cursor.lastrowid)


async def chain_by_id(db: Connection, chain_id: int) -> Chain | None:
    async with db.execute("SELECT * FROM page_chains WHERE id = ?", (chain_id,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else Chain.from_row(row)


async def chain_for_ticket(db: Connection, ticket_id: int) -> Chain | None:
    async with db.execute("SELECT * FROM page_chains WHERE ticket_id = ?", (ticket_id,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else Chain.from_row(row)


async def chain_for_ticket_number(db: Connection, number: int) -> Chain | None:
    async with db.execute(
        "SELECT c.* FROM page_chains c JOIN tickets t ON t.id = c.ticket_id WHERE t.number = ?",
        (number,),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else Chain.from_row(row)


async def latest_chain_paged_to(db: Connection, phone: str) -> Chain | None:
    """The chain of the last page addressed to `phone` (what a bare "A" acknowledges)."""
    async with db.execute(
        "SELECT c.* FROM pages p JOIN page_chains c ON c.id = p.chain_id WHERE p.phone = ?"
        " ORDER BY p.send_at DESC, p.id DESC LIMIT 1",
        (phone,),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else Chain.from_row(row)


async def due_chains(db: Connection, now: datetime, *, limit: int = 100) -> list[Chain]:
    async with db.execute(
        "SELECT * FROM page_chains WHERE state = 'active' AND next_at <= ?"
        " ORDER BY next_at, id LIMIT ?",
        (iso(now), limit),
    ) as cursor:
        return [Chain.from_row(row) for row in await cursor.fetchall()]


async def advance_chain(db: Connection, chain_id: int, *, step: int, next_at: datetime) -> None:
    """`step` is paged now; the next is due at `next_at` unless its page is sent later (see
    `start_step_delay`)."""
    await db.execute(
        "UPDATE page_chains SET step = ?, next_at = ? WHERE id = ? AND state = 'active'",
        (step, iso(next_at), chain_id),
    )


async def start_step_delay(db: Connection, chain_id: int, *, step: int, next_at: datetime) -> bool:
    """The page of `step` was handed to the carrier: the next step is not due before `next_at`."""
    cursor = await db.execute(
        "UPDATE page_chains SET next_at = ?"
        " WHERE id = ? AND state = 'active' AND step = ? AND next_at < ?",
        (iso(next_at), chain_id, step, iso(next_at)),
    )
    return cursor.rowcount == 1


async def stop_chain(db: Connection, chain_id: int) -> bool:
    """Stop an active chain that no longer pages (its ticket was lowered); False if not active."""
    cursor = await db.execute(
        "UPDATE page_chains SET state = 'stopped', next_at = NULL"
        " WHERE id = ? AND state = 'active'",
        (chain_id,),
    )
    return cursor.rowcount == 1


async def exhaust_chain(db: Connection, chain_id: int) -> None:
    await db.execute(
        "UPDATE page_chains SET state = 'exhausted', next_at = NULL"
        " WHERE id = ? AND state = 'active'",
        (chain_id,),
    )


async def acknowledge_chain(db: Connection, chain_id: int, *, staff_id: str, now: datetime) -> bool:
    """Stop the chain; False if it was acknowledged already."""
    cursor = await db.execute(
        "UPDATE page_chains SET state = 'acknowledged', acked_by = ?, acked_at = ?,"
        " next_at = NULL WHERE id = ? AND state != 'acknowledged'",
        (staff_id, iso(now), chain_id),
    )
    return cursor.rowcount == 1


async def insert_page(
    db: Connection,
    *,
    chain_id: int,
    step: int,
    round_: int,
    staff_id: str,
    phone: str,
    outbox_key: str,
    send_at: datetime,
    now: datetime,
) -> None:
    await db.execute(
        "INSERT INTO pages (chain_id, step, round, staff_id, phone, outbox_key, send_at,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (chain_id, step, round_, staff_id, phone, outbox_key, iso(send_at), iso(now)),
    )


async def pages_of_chain(db: Connection, chain_id: int) -> list[Page]:
    async with db.execute(
        "SELECT * FROM pages WHERE chain_id = ? ORDER BY step", (chain_id,)
    ) as cursor:
        return [Page.from_row(row) for row in await cursor.fetchall()]


async def unsent_pages(db: Connection, chain_id: int) -> list[Page]:
    """Pages of the chain still waiting in the outbox (held by a rate limit, or retrying)."""
    async with db.execute(
        "SELECT p.* FROM pages p JOIN outbox o ON o.idempotency_key = p.outbox_key"
        " WHERE p.chain_id = ? AND o.state = 'pending' ORDER BY p.step",
        (chain_id,),
    ) as cursor:
        return [Page.from_row(row) for row in await cursor.fetchall()]


async def reword_unsent_page(db: Connection, outbox_key: str, body: str) -> None:
    """Replace the text of a page not yet handed to the carrier."""
    await db.execute(
        "UPDATE outbox SET payload = json_set(payload, '$.body', ?)"
        " WHERE idempotency_key = ? AND state = 'pending'",
        (body, outbox_key),
    )


async def page_times(db: Connection, phone: str, since: datetime) -> list[datetime]:
    """When pages to `phone` were (or are to be) sent, after `since`: for rate limits."""
    async with db.execute(
        "SELECT send_at FROM pages WHERE phone = ? AND send_at > ? ORDER BY send_at",
        (phone, iso(since)),
    ) as cursor:
        return [datetime.fromisoformat(row["send_at"]) for row in await cursor.fetchall()]


async def next_chain_due(db: Connection) -> datetime | None:
    async with db.execute(
        "SELECT MIN(next_at) AS at FROM page_chains WHERE state = 'active'"
    ) as cursor:
        row = await cursor.fetchone()
    return from_iso(row["at"]) if row else None
