"""SQL for reading tickets the way the API and the workspace page through them: newest first,
by keyset.

A page is `number < cursor ORDER BY number DESC LIMIT n+1` over an index that starts with the
filter column and ends with `number`, so page 2,000 costs what page 1 costs.

`sla=breached|at-risk` read the stored clocks (`sla_clocks`, kept as the clocks engine computes
them after every change: gateway/sla/refresh.py), through their partial indexes, so a filter
costs what the few matching clocks cost, not a scan of every ticket. They match what
`gateway.sla.views` shows for the ticket at `now`:

- breached: a clock not met by its deadline (overdue now, or met late), every clock counted;
- at risk: a clock still running, not yet due, past one of its policy's warning points.

The workspace's queue (`due_first`) walks the running clocks by deadline (`sla_clocks_running`)
and stops after a page, then the tickets without a running clock, newest first.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from gateway.store.connection import Connection, dialect
from gateway.store.records import Event, Message, Ticket, iso

# The assignee as a scalar subquery: a rowid lookup per row (a LEFT JOIN let SQLite scan the
# staff table's email index for every ticket).
_COLUMNS = "t.*, (SELECT s.email FROM staff s WHERE s.id = t.assignee_id) AS assignee_email"
_SELECT = f"SELECT {_COLUMNS} FROM tickets t"
# A watched clock (pending or breached, no breach recorded yet) past its deadline; or a clock
# whose breach was recorded (no longer watched) that is still breached as computed.
_BREACHED_IDS = (
    "SELECT c.ticket_id FROM sla_clocks c WHERE c.watch = 1 AND c.due_at <= ?"
    " UNION ALL SELECT c.ticket_id FROM sla_alerts a JOIN sla_clocks c"
    " ON c.ticket_id = a.ticket_id AND c.clock = a.clock AND c.cycle = a.cycle"
    " WHERE a.point = 'breach'"
    " AND (c.state = 'breached' OR (c.state = 'pending' AND c.due_at <= ?))"
)
_BREACHED_EXISTS = (
    "EXISTS (SELECT 1 FROM sla_clocks c WHERE c.ticket_id = t.id AND ((c.watch = 1"
    " AND c.due_at <= ?) OR (c.breached_at IS NOT NULL"
    " AND (c.state = 'breached' OR (c.state = 'pending' AND c.due_at <= ?)))))"
)
# A running clock not yet due with a warning point notified, or one whose next warning point
# has come and the scanner has not got to yet.
_AT_RISK_IDS = (
    "SELECT c.ticket_id FROM sla_clocks c WHERE c.watch = 1 AND c.warned != '[]'"
    " AND c.state = 'pending' AND c.due_at > ?"
    " UNION ALL SELECT c.ticket_id FROM sla_clocks c WHERE c.watch = 1"
    " AND c.next_warn_at IS NOT NULL AND c.next_warn_at <= ? AND c.state = 'pending'"
    " AND c.due_at > ?"
)
_AT_RISK_EXISTS = (
    "EXISTS (SELECT 1 FROM sla_clocks c WHERE c.ticket_id = t.id AND c.watch = 1"
    " AND c.state = 'pending' AND c.due_at > ? AND (c.warned != '[]' OR c.next_warn_at <= ?))"
)
# Up to this many matching tickets, a filter is the list of their ids (read through the partial
# indexes, then looked up and sorted: cost grows with the list); beyond it, the tickets are
# walked newest first, each checked by its clocks (cost grows with how far the page lies).
# Measured among 100,000 tickets: ~11 us a listed id, ~1.6 us a walked ticket.
SLA_LIST_MAX = 1000
# Search text this long or longer is looked up in the trigram index (`_text_clause`).
TRIGRAM = 3
# The deadline of a ticket's running clock due first (None when no clock runs).
_NEXT_DUE = (
    "(SELECT MIN(c.due_at) FROM sla_clocks c WHERE c.ticket_id = t.id AND c.state = 'pending')"
)


@dataclass(frozen=True, slots=True)
class TicketFilter:
    status: str | None = None
    priority: str | None = None
    policy: str | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    sla: str | None = None  # at-risk | breached
    desk: str | None = None


@dataclass(frozen=True, slots=True)
class TicketRow:
    ticket: Ticket
    assignee: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> TicketRow:
        return cls(Ticket.from_row(row), row["assignee_email"])


async def page_of_tickets(
    db: Connection, where: TicketFilter, *, before: int | None, limit: int, now: datetime
) -> list[TicketRow]:
    """Up to `limit` tickets numbered below `before` (all when None), newest first."""
    clauses, args = await _filter(db, where, now)
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
    """The queue's order over every matching ticket: tickets with a running SLA clock, the one
    whose next clock is due soonest (so the most overdue) first; then the others, newest first.
    Up to `limit`.

    Without a search, two walks that each stop after a page: the running clocks by deadline
    (`sla_clocks_running`, every clock of the policy, not only respond), then the tickets in
    number order. `search` is text in the subject, customer address or name.
    """
    # Policy and priority have a handful of values each: their indexes (in number order) would
    # make the database read and sort every match; `|| ''` keeps them out of the plan, so it
    # walks the deadlines and stops after a page (P1 of one policy among 100,000 tickets:
    # 8 ms instead of 110). A selective filter, the assignee, keeps its index.
    clauses, args = await _filter(db, where, now, unindexed=("t.effective_priority", "t.policy"))
    # A search reads its matches through the search index, not tickets by status.
    status = "t.status || ''" if search else "t.status"
    if statuses:
        clauses.append(f"{status} IN ({', '.join('?' for _ in statuses)})")
        args += statuses
    if search:
        clause, values = _text_clause(db, search)
        clauses.append(clause)
        args += values
    clause = " AND ".join(clauses) if clauses else "TRUE"
    if search:
        # Read every match once (through the search index), then order them.
        async with db.execute(
            f"{_SELECT} WHERE t.id IN (SELECT t.id FROM tickets t WHERE {clause})"
            f" ORDER BY {_NEXT_DUE} IS NULL, {_NEXT_DUE}, t.number DESC LIMIT ?",
            (*args, limit),
        ) as cursor:
            return [TicketRow.from_row(row) for row in await cursor.fetchall()]
    rows: list[TicketRow] = []
    seen: set[int] = set()
    # A ticket has a few running clocks at once (respond, an ongoing cycle, resolve, rfo): read
    # the deadlines a page at a time, each read going on from where the last one stopped (by
    # key, not OFFSET, which re-walked every clock before it), until a page of distinct
    # tickets is found. A page at a time, not four: under a filter most clocks walked belong
    # to other tickets, and each one matched costs a ticket read.
    after: tuple[str, int] | None = None
    while len(rows) < limit:
        seek, seek_args = ("", ()) if after is None else (" AND (c.due_at, c.id) > (?, ?)", after)
        async with db.execute(
            f"SELECT {_COLUMNS}, c.due_at AS clock_due_at, c.id AS clock_id"
            " FROM tickets t JOIN sla_clocks c ON c.ticket_id = t.id"
            f" WHERE c.state = 'pending' AND {clause}{seek}"
            " ORDER BY c.due_at, c.id LIMIT ?",
            (*args, *seek_args, limit),
        ) as cursor:
            found = await cursor.fetchall()
        for row in found:
            if row["id"] not in seen and len(rows) < limit:
                seen.add(row["id"])
                rows.append(TicketRow.from_row(row))
        if len(found) < limit:
            break
        after = (found[-1]["clock_due_at"], found[-1]["clock_id"])
    if len(rows) < limit and where.sla != "at-risk":  # at risk always has a running clock
        async with db.execute(
            f"{_SELECT} WHERE {clause} AND NOT EXISTS (SELECT 1 FROM sla_clocks c"
            " WHERE c.ticket_id = t.id AND c.state = 'pending')"
            " ORDER BY t.number DESC LIMIT ?",
            (*args, limit - len(rows)),
        ) as cursor:
            rows += [TicketRow.from_row(row) for row in await cursor.fetchall()]
    return rows


def _text_clause(db: Connection, text: str) -> tuple[str, list[object]]:
    """`text` anywhere in a ticket's subject, customer address or customer name, in any case.

    Three characters or more are looked up in the tickets' trigram index (migration 15):
    on SQLite an FTS5 table whose phrase query matches the text as a substring of one column
    (FTS5's trigram tokenizer folds case for every script); on PostgreSQL ILIKE, which
    pg_trgm's index serves. Shorter text has no trigram to look up: every ticket is read
    (LIKE on SQLite folds ASCII letters only, ILIKE on PostgreSQL all).
    """
    if "\x00" in text:  # no ticket's text holds one (PostgreSQL's text cannot; FTS5 refuses it)
        return "1 = 0", []
    postgres = dialect(db) == "postgresql"
    if len(text) >= TRIGRAM and not postgres:
        phrase = '"' + text.replace('"', '""') + '"'  # one FTS5 string: no query syntax
        return "t.id IN (SELECT rowid FROM tickets_search WHERE tickets_search MATCH ?)", [phrase]
    like = "ILIKE" if postgres else "LIKE"
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    matches = " OR ".join(
        f"{column} {like} ? ESCAPE '\\'"
        for column in ("t.subject", "t.customer", "t.customer_name")
    )
    return f"({matches})", [f"%{escaped}%"] * 3


async def _filter(
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
        ("t.desk", where.desk),
    ):
        if value is not None:
            clauses.append(f"{column} || '' = ?" if column in unindexed else f"{column} = ?")
            args.append(value)
    if where.unassigned:
        clauses.append("t.assignee_id IS NULL")
    if where.sla is not None:
        clause, values = await _sla_clause(db, where.sla, now)
        clauses.append(clause)
        args += values
    return clauses, args


async def _sla_clause(db: Connection, which: str, now: datetime) -> tuple[str, list[object]]:
    """The `sla=` filter as SQL: the matching ids when they are few, else a check per ticket."""
    at = iso(now)
    ids_sql, ids_args = (
        (_BREACHED_IDS, [at, at]) if which == "breached" else (_AT_RISK_IDS, [at, at, at])
    )
    rows = list(await db.execute_fetchall(f"{ids_sql} LIMIT ?", (*ids_args, SLA_LIST_MAX + 1)))
    if len(rows) <= SLA_LIST_MAX:
        ids = sorted({int(r["ticket_id"]) for r in rows})  # UNION ALL: the LIMIT stops early
        if not ids:
            return "1 = 0", []
        return f"t.id IN ({', '.join('?' * len(ids))})", list[object](ids)
    if which == "breached":
        return _BREACHED_EXISTS, [at, at]
    return _AT_RISK_EXISTS, [at, at]


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
