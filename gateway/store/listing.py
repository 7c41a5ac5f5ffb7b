"""SQL for reading tickets the way the API pages through them: newest first, by keyset.

A page is `number < cursor ORDER BY number DESC LIMIT n+1` over an index that starts with the
filter column and ends with `number`, so page 2,000 costs what page 1 costs. The respond
clock's first public reply is the earliest `replied` event of the ticket. `sla=at-risk` reads
the `due_at` index (only tickets due from now on can be at risk): 6-10 ms for the first page
among 100,000 tickets, against ~90 ms scanning them by number. The workspace's queue
(`due_first`) walks the `due_at` index and stops after a page: 5-15 ms among 60,000 open
tickets.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from gateway.store.connection import Connection, dialect
from gateway.store.records import Event, Message, Ticket, from_iso, iso

_RESPONDED = "(SELECT MIN(e.at) FROM events e WHERE e.ticket_id = t.id AND e.kind = 'replied')"
# The assignee as a scalar subquery: a rowid lookup per row (a LEFT JOIN let SQLite scan the
# staff table's email index for every ticket).
_SELECT = (
    "SELECT t.*, (SELECT s.email FROM staff s WHERE s.id = t.assignee_id) AS assignee_email,"
    f" {_RESPONDED} AS responded_at FROM tickets t"
)
OPEN_STATUSES = ("open", "pending")
# Unanswered with less than this share of the respond window left: "at risk".
AT_RISK_SHARE = 0.25


@dataclass(frozen=True, slots=True)
class TicketFilter:
    status: str | None = None
    priority: str | None = None
    policy: str | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    sla: str | None = None  # at-risk | breached


@dataclass(frozen=True, slots=True)
class TicketRow:
    ticket: Ticket
    assignee: str | None
    responded_at: datetime | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> TicketRow:
        return cls(Ticket.from_row(row), row["assignee_email"], from_iso(row["responded_at"]))


async def page_of_tickets(
    db: Connection, where: TicketFilter, *, before: int | None, limit: int, now: datetime
) -> list[TicketRow]:
    """Up to `limit` tickets numbered below `before` (all when None), newest first."""
    clauses, args = _filter(db, where, now)
    if before is not None:
        clauses.append("t.number < ?")
        args.append(before)
    clause = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    async with db.execute(
        f"{_SELECT} {clause} ORDER BY t.number DESC LIMIT ?", (*args, limit)
    ) as cursor:
        return [TicketRow.from_row(row) for row in await cursor.fetchall()]


async def due_first(
    db: Connection,
    where: TicketFilter,
    statuses: tuple[str, ...],
    *,
    search: str,
    limit: int,
    now: datetime,
) -> list[TicketRow]:
    """The queue's order over every matching ticket: unanswered tickets with a deadline, the
    soonest due (so the most overdue) first; then the others, newest first. Up to `limit`.

    Two queries, so each stops after `limit` rows: the first walks the `due_at` index, the
    second the `number` order. `search` is text in the subject, customer address or name.
    """
    # Policy and priority have a handful of values each: their indexes (in number order) would
    # make the database read and sort every match; `|| ''` keeps them out of the plan, so it
    # walks `tickets_due` and stops after a page (P1 of one policy among 100,000 tickets:
    # 8 ms instead of 110). A selective filter, the assignee, keeps its index.
    clauses, args = _filter(db, where, now, unindexed=("t.effective_priority", "t.policy"))
    status = "t.status || ''" if search else "t.status"  # a search reads every row anyway
    if statuses:
        clauses.append(f"{status} IN ({', '.join('?' for _ in statuses)})")
        args += statuses
    if search:
        # Case-insensitive: SQLite's LIKE for ASCII letters only, PostgreSQL's ILIKE for all.
        like = "ILIKE" if dialect(db) == "postgresql" else "LIKE"
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        matches = " OR ".join(
            f"{column} {like} ? ESCAPE '\\'"
            for column in ("t.subject", "t.customer", "t.customer_name")
        )
        clauses.append(f"({matches})")
        args += [f"%{escaped}%"] * 3
    clause = " AND ".join(clauses) if clauses else "TRUE"
    unanswered = f"t.due_at IS NOT NULL AND {_RESPONDED} IS NULL"
    if search:
        # Text matches no index: read every match once, then order them (few tickets match).
        async with db.execute(
            f"{_SELECT} WHERE t.id IN (SELECT t.id FROM tickets t WHERE {clause})"
            f" ORDER BY CASE WHEN {unanswered} THEN 0 ELSE 1 END,"
            f" CASE WHEN {unanswered} THEN t.due_at END, t.number DESC LIMIT ?",
            (*args, limit),
        ) as cursor:
            return [TicketRow.from_row(row) for row in await cursor.fetchall()]
    # One person's tickets are few: read them through the assignee index and sort them, rather
    # than walk every deadline (ordering by an expression keeps `tickets_due` out of the plan).
    by_due = "t.due_at || ''" if where.assignee_id is not None else "t.due_at"
    async with db.execute(
        f"{_SELECT} WHERE {clause} AND {unanswered} ORDER BY {by_due}, t.number LIMIT ?",
        (*args, limit),
    ) as cursor:
        rows = [TicketRow.from_row(row) for row in await cursor.fetchall()]
    if len(rows) < limit and where.sla != "at-risk":  # at risk is always unanswered
        async with db.execute(
            f"{_SELECT} WHERE {clause} AND NOT ({unanswered}) ORDER BY t.number DESC LIMIT ?",
            (*args, limit - len(rows)),
        ) as cursor:
            rows += [TicketRow.from_row(row) for row in await cursor.fetchall()]
    return rows


def _filter(
    db: Connection, where: TicketFilter, now: datetime, unindexed: tuple[str, ...] = ()
) -> tuple[list[str], list[object]]:
    """SQL conditions (on `tickets t`) and their arguments for a filter; a column named in
    `unindexed` is compared so that no index on it is used."""
    clauses: list[str] = []
    args: list[object] = []
    for column, value in (
        ("t.status", where.status),
        ("t.effective_priority", where.priority),
        ("t.policy", where.policy),
        ("t.assignee_id", where.assignee_id),
    ):
        if value is not None:
            clauses.append(f"{column} || '' = ?" if column in unindexed else f"{column} = ?")
            args.append(value)
    if where.unassigned:
        clauses.append("t.assignee_id IS NULL")
    if where.sla == "breached":
        clauses.append(f"t.due_at IS NOT NULL AND COALESCE({_RESPONDED}, ?) > t.due_at")
        args.append(iso(now))
    elif where.sla == "at-risk":
        left = _seconds(db, "t.due_at", "?")
        window = _seconds(db, "t.due_at", "t.received_at")
        clauses.append(
            f"t.due_at IS NOT NULL AND t.due_at >= ? AND t.status IN ('open', 'pending')"
            f" AND {_RESPONDED} IS NULL AND {left} < ? * {window}"
        )
        args += [iso(now), iso(now), AT_RISK_SHARE]
    return clauses, args


def _seconds(db: Connection, later: str, earlier: str) -> str:
    """SQL for the seconds between two stored instants (ISO 8601 text) on either backend."""
    if dialect(db) == "postgresql":
        cast = "CAST(CAST({} AS TEXT) AS TIMESTAMPTZ)"  # a text parameter, then an instant
        return f"EXTRACT(EPOCH FROM {cast.format(later)} - {cast.format(earlier)})"
    return f"((julianday({later}) - julianday({earlier})) * 86400)"


async def ticket_row(db: Connection, number: int) -> TicketRow | None:
    async with db.execute(f"{_SELECT} WHERE t.number = ?", (number,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else TicketRow.from_row(row)


async def thread_and_events(db: Connection, ticket_id: int) -> tuple[list[Message], list[Event]]:
    async with db.execute(
        "SELECT * FROM messages WHERE ticket_id = ? ORDER BY id", (ticket_id,)
    ) as cursor:
        messages = [Message.from_row(row) for row in await cursor.fetchall()]
    async with db.execute(
        "SELECT * FROM events WHERE ticket_id = ? ORDER BY id", (ticket_id,)
    ) as cursor:
        events = [Event.from_row(row) for row in await cursor.fetchall()]
    return messages, events


async def received_between(
    db: Connection, since: datetime, until: datetime, policy: str | None
) -> list[TicketRow]:
    """Every ticket received in [since, until), for the attainment report."""
    args: list[object] = [iso(since), iso(until)]
    extra = ""
    if policy is not None:
        extra = " AND t.policy = ?"
        args.append(policy)
    async with db.execute(
        f"{_SELECT} WHERE t.received_at >= ? AND t.received_at < ?{extra} ORDER BY t.number",
        args,
    ) as cursor:
        return [TicketRow.from_row(row) for row in await cursor.fetchall()]
