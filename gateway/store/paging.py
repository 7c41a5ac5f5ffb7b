"""SQL for paging: escalation chains of tickets, and the pages sent along them.

A ticket has at most one chain that is not `stopped` (running, acknowledged or run out): a
ticket lowered below paging stops its chain, and raised again it gets a new one; the stopped
chains stay as its history, and "the ticket's chain" is its latest.

A page is `queued` for its recipient until the per-recipient rate limits let an SMS go; then
every page queued for that number goes in one SMS (`sms_key`, the outbox row that carries
them) and is `sent`. A queued page whose chain stopped meanwhile is `cancelled`; one that waited
past the page validity is flagged `overdue_at` (alarm raised, chain escalated) and `expired`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.store.connection import Connection, for_update
from gateway.store.records import Ticket, from_iso, iso


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
    outbox_key: str  # the page's own key (and its SMS's, when it went alone)
    send_at: datetime  # queued: not before then (rate limits); sent: when it was handed over
    created_at: datetime
    state: str  # queued | sent | cancelled | expired
    sms_key: str | None  # the outbox row of the SMS that carried it; one SMS may carry several
    overdue_at: datetime | None

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
            state=row["state"],
            sms_key=row["sms_key"],
            overdue_at=from_iso(row["overdue_at"]),
        )


async def insert_chain(
    db: Connection, ticket_id: int, *, reason: str, summary: str, now: datetime
) -> Chain | None:
    """Start a chain for the ticket; None if it has one already that was not stopped."""
    cursor = await db.execute(
        "INSERT INTO page_chains (ticket_id, reason, summary, started_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (ticket_id) WHERE state != 'stopped' DO NOTHING",
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
    """The ticket's latest chain."""
    async with db.execute(
        "SELECT * FROM page_chains WHERE ticket_id = ? ORDER BY id DESC LIMIT 1", (ticket_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else Chain.from_row(row)


async def is_first_chain(db: Connection, chain: Chain) -> bool:
    """Whether no chain of this ticket came before `chain` (a restart names its pages apart)."""
    async with db.execute(
        "SELECT 1 FROM page_chains WHERE ticket_id = ? AND id < ? LIMIT 1",
        (chain.ticket_id, chain.id),
    ) as cursor:
        return await cursor.fetchone() is None


async def chain_for_ticket_number(db: Connection, number: int) -> Chain | None:
    async with db.execute(
        "SELECT c.* FROM page_chains c JOIN tickets t ON t.id = c.ticket_id WHERE t.number = ?"
        " ORDER BY c.id DESC LIMIT 1",
        (number,),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else Chain.from_row(row)


async def latest_chain_paged_to(db: Connection, phone: str) -> Chain | None:
    """The chain of the last page sent to `phone` (where a staff member's note goes)."""
    async with db.execute(
        "SELECT c.* FROM pages p JOIN page_chains c ON c.id = p.chain_id"
        " WHERE p.phone = ? AND p.state = 'sent'"
        " ORDER BY p.send_at DESC, p.id DESC LIMIT 1",
        (phone,),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else Chain.from_row(row)


async def open_chains_paged_to(db: Connection, phone: str) -> list[Chain]:
    """Active chains with a page sent to `phone`, latest page first (what "A" and "AA" mean)."""
    async with db.execute(
        "SELECT c.*, MAX(p.send_at) AS last_sent FROM pages p"
        " JOIN page_chains c ON c.id = p.chain_id"
        " WHERE p.phone = ? AND p.state = 'sent' AND c.state = 'active'"
        " GROUP BY c.id ORDER BY last_sent DESC, c.id DESC",
        (phone,),
    ) as cursor:
        return [Chain.from_row(row) for row in await cursor.fetchall()]


async def due_chains(db: Connection, now: datetime, *, limit: int = 100) -> list[Chain]:
    async with db.execute(
        "SELECT * FROM page_chains WHERE state = 'active' AND next_at <= ?"
        " ORDER BY next_at, id LIMIT ?",
        (iso(now), limit),
    ) as cursor:
        return [Chain.from_row(row) for row in await cursor.fetchall()]


async def lock_chain(db: Connection, chain_id: int) -> Chain | None:
    """`chain_by_id`, locked until commit: of two nodes about to take the chain's next step,
    the second waits for the first and then sees the step already taken."""
    async with db.execute(
        "SELECT * FROM page_chains WHERE id = ?" + for_update(db), (chain_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else Chain.from_row(row)


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
) -> int:
    """Queue a page for `phone`, to be sent (alone or with others) not before `send_at`."""
    cursor = await db.execute(
        "INSERT INTO pages (chain_id, step, round, staff_id, phone, outbox_key, send_at,"
        " created_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued')",
        (chain_id, step, round_, staff_id, phone, outbox_key, iso(send_at), iso(now)),
    )
    assert cursor.lastrowid is not None
    return int(cursor.lastrowid)


async def page_by_id(db: Connection, page_id: int) -> Page | None:
    async with db.execute("SELECT * FROM pages WHERE id = ?", (page_id,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else Page.from_row(row)


async def queued_pages_to(db: Connection, phone: str) -> list[Page]:
    """Locked until commit: of two nodes dispatching one number, the second waits for the
    first and then finds the pages it sent no longer queued (never two SMS for them)."""
    async with db.execute(
        "SELECT * FROM pages WHERE phone = ? AND state = 'queued' ORDER BY id" + for_update(db),
        (phone,),
    ) as cursor:
        return [Page.from_row(row) for row in await cursor.fetchall()]


async def unsent_pages(db: Connection, chain_id: int) -> list[Page]:
    """Pages of the chain in an SMS still waiting in the outbox (Twilio retrying)."""
    async with db.execute(
        "SELECT p.* FROM pages p JOIN outbox o ON o.idempotency_key = p.sms_key"
        " WHERE p.chain_id = ? AND o.state = 'pending' ORDER BY p.step",
        (chain_id,),
    ) as cursor:
        return [Page.from_row(row) for row in await cursor.fetchall()]


async def reword_unsent_page(db: Connection, outbox_key: str, body: str) -> None:
    """Replace the text of an SMS not yet handed to the carrier."""
    await db.execute(
        "UPDATE outbox SET payload = json_set(payload, '$.body', ?)"
        " WHERE idempotency_key = ? AND state = 'pending'",
        (body, outbox_key),
    )


async def queued_with_chains(db: Connection, phone: str) -> list[tuple[Page, Chain, Ticket]]:
    """The pages queued for `phone`, each with its chain and ticket: three reads however
    many pages wait (a flood queues hundreds)."""
    pages = await queued_pages_to(db, phone)
    if not pages:
        return []
    async with db.execute(
        "SELECT c.* FROM page_chains c WHERE c.id IN"
        " (SELECT chain_id FROM pages WHERE phone = ? AND state = 'queued')",
        (phone,),
    ) as cursor:
        chains = {row["id"]: Chain.from_row(row) for row in await cursor.fetchall()}
    async with db.execute(
        "SELECT t.* FROM tickets t WHERE t.id IN (SELECT c.ticket_id FROM pages p"
        " JOIN page_chains c ON c.id = p.chain_id WHERE p.phone = ? AND p.state = 'queued')",
        (phone,),
    ) as cursor:
        tickets = {row["id"]: Ticket.from_row(row) for row in await cursor.fetchall()}
    return [
        (page, chains[page.chain_id], tickets[chains[page.chain_id].ticket_id]) for page in pages
    ]


async def phones_due(db: Connection, now: datetime) -> list[str]:
    """Numbers with queued pages that may go now (as far as the last look at the limits said)."""
    async with db.execute(
        "SELECT DISTINCT phone FROM pages WHERE state = 'queued' AND send_at <= ? ORDER BY phone",
        (iso(now),),
    ) as cursor:
        return [row["phone"] for row in await cursor.fetchall()]


async def hold_pages(db: Connection, page_ids: list[int], until: datetime) -> None:
    marks = ",".join("?" * len(page_ids))
    await db.execute(
        f"UPDATE pages SET send_at = ? WHERE state = 'queued' AND id IN ({marks})",
        (iso(until), *page_ids),
    )


async def mark_pages_sent(
    db: Connection, page_ids: list[int], *, sms_key: str, now: datetime
) -> None:
    marks = ",".join("?" * len(page_ids))
    await db.execute(
        f"UPDATE pages SET state = 'sent', sms_key = ?, send_at = ? WHERE id IN ({marks})"
        " AND state = 'queued'",
        (sms_key, iso(now), *page_ids),
    )


async def set_page_state(db: Connection, page_id: int, state: str) -> None:
    await db.execute("UPDATE pages SET state = ? WHERE id = ?", (state, page_id))


async def cancel_queued_pages(db: Connection, chain_id: int) -> int:
    """The chain stopped (acknowledged, lowered): its pages not sent yet never will be."""
    cursor = await db.execute(
        "UPDATE pages SET state = 'cancelled' WHERE chain_id = ? AND state = 'queued'",
        (chain_id,),
    )
    return int(cursor.rowcount)


async def idle_sms_keys(db: Connection, chain_id: int) -> list[str]:
    """SMS carrying the chain's pages in which no page of an active chain remains: those
    need not go any more (if they are still in the outbox)."""
    async with db.execute(
        "SELECT DISTINCT p.sms_key FROM pages p WHERE p.chain_id = ? AND p.sms_key IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM pages q JOIN page_chains c ON c.id = q.chain_id"
        " WHERE q.sms_key = p.sms_key AND c.state = 'active')",
        (chain_id,),
    ) as cursor:
        return [row["sms_key"] for row in await cursor.fetchall()]


async def pages_in_sms(db: Connection, sms_key: str) -> list[Page]:
    async with db.execute(
        "SELECT * FROM pages WHERE sms_key = ? ORDER BY id", (sms_key,)
    ) as cursor:
        return [Page.from_row(row) for row in await cursor.fetchall()]


async def sms_times(db: Connection, phone: str, since: datetime) -> list[datetime]:
    """When SMS with pages went to `phone` after `since` (one per SMS, however many pages it
    carried): what the per-recipient rate limits count."""
    async with db.execute(
        "SELECT MIN(send_at) AS at FROM pages WHERE phone = ? AND state = 'sent' AND send_at > ?"
        " GROUP BY COALESCE(sms_key, outbox_key) ORDER BY at",
        (phone, iso(since)),
    ) as cursor:
        return [datetime.fromisoformat(row["at"]) for row in await cursor.fetchall()]


# A page is waiting while it is queued, or in an SMS the outbox has not handed over yet.
_WAITING = (
    "(p.state = 'queued' OR (p.state = 'sent' AND EXISTS (SELECT 1 FROM outbox o"
    " WHERE o.idempotency_key = p.sms_key AND o.sent_at IS NULL"
    " AND o.state IN ('pending', 'unconfirmed'))))"
)


async def overdue_pages(db: Connection, now: datetime, validity: timedelta) -> list[Page]:
    """Pages of active chains that have waited longer than `validity` and raised no alarm."""
    async with db.execute(
        "SELECT p.* FROM pages p JOIN page_chains c ON c.id = p.chain_id"
        f" WHERE c.state = 'active' AND p.overdue_at IS NULL AND p.created_at <= ? AND {_WAITING}"
        " ORDER BY p.id",
        (iso(now - validity),),
    ) as cursor:
        return [Page.from_row(row) for row in await cursor.fetchall()]


async def mark_overdue(db: Connection, page_id: int, now: datetime) -> bool:
    cursor = await db.execute(
        "UPDATE pages SET overdue_at = ? WHERE id = ? AND overdue_at IS NULL", (iso(now), page_id)
    )
    return cursor.rowcount == 1


async def overdue_page_tickets(db: Connection, now: datetime, validity: timedelta) -> list[int]:
    """For `/healthz`: ticket numbers of active chains with a page that waited past
    `validity` (alarmed, or about to be), until someone acknowledges the chain."""
    async with db.execute(
        "SELECT DISTINCT t.number FROM pages p JOIN page_chains c ON c.id = p.chain_id"
        " JOIN tickets t ON t.id = c.ticket_id WHERE c.state = 'active'"
        f" AND (p.overdue_at IS NOT NULL OR (p.created_at <= ? AND {_WAITING}))"
        " ORDER BY t.number",
        (iso(now - validity),),
    ) as cursor:
        return [int(row["number"]) for row in await cursor.fetchall()]


async def pages_of_chain(db: Connection, chain_id: int) -> list[Page]:
    async with db.execute(
        "SELECT * FROM pages WHERE chain_id = ? ORDER BY step", (chain_id,)
    ) as cursor:
        return [Page.from_row(row) for row in await cursor.fetchall()]


async def next_chain_due(db: Connection) -> datetime | None:
    async with db.execute(
        "SELECT MIN(next_at) AS at FROM page_chains WHERE state = 'active'"
    ) as cursor:
        row = await cursor.fetchone()
    return from_iso(row["at"]) if row else None


async def chains_on_watch(
    db: Connection, *, acknowledged_since: datetime, limit: int
) -> list[Chain]:
    """What the on-call page lists, newest first: every active chain, every exhausted one whose
    ticket is still open or pending (nobody took it), and those acknowledged since
    `acknowledged_since`. At most `limit`."""
    async with db.execute(
        "SELECT c.* FROM page_chains c JOIN tickets t ON t.id = c.ticket_id"
        " WHERE c.state = 'active'"
        " OR (c.state = 'exhausted' AND t.status IN ('open', 'pending'))"
        " OR (c.state = 'acknowledged' AND c.acked_at >= ?)"
        " ORDER BY c.started_at DESC, c.id DESC LIMIT ?",
        (iso(acknowledged_since), limit),
    ) as cursor:
        return [Chain.from_row(row) for row in await cursor.fetchall()]
