"""SQL for SLA clocks: a ticket's timeline, its clocks as last computed, the scanner's queries,
the once-only alerts, and the rows of the attainment report."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from gateway.store.connection import Connection, dialect
from gateway.store.records import from_iso, iso


@dataclass(frozen=True, slots=True)
class TimelineRow:
    """One fact as stored: a message (`in`, or `out` with its purpose) or an event."""

    at: datetime
    source: str  # message | event
    kind: str  # message: in | out; event: its kind
    detail: dict[str, object]


@dataclass(frozen=True, slots=True)
class StoredClock:
    id: int
    ticket_id: int
    clock: str
    cycle: int
    policy: str
    priority: str
    business: bool
    started_at: datetime
    due_at: datetime
    state: str
    met_at: datetime | None
    watch: bool
    next_warn_at: datetime | None
    warned: tuple[str, ...]
    breached_at: datetime | None

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> StoredClock:
        return cls(
            id=r["id"],
            ticket_id=r["ticket_id"],
            clock=r["clock"],
            cycle=r["cycle"],
            policy=r["policy"],
            priority=r["priority"],
            business=bool(r["business"]),
            started_at=datetime.fromisoformat(r["started_at"]),
            due_at=datetime.fromisoformat(r["due_at"]),
            state=r["state"],
            met_at=from_iso(r["met_at"]),
            watch=bool(r["watch"]),
            next_warn_at=from_iso(r["next_warn_at"]),
            warned=tuple(json.loads(r["warned"])),
            breached_at=from_iso(r["breached_at"]),
        )


@dataclass(frozen=True, slots=True)
class ClockUpdate:
    """A clock as just computed, to store."""

    clock: str
    cycle: int
    policy: str
    priority: str
    business: bool
    started_at: datetime
    due_at: datetime
    state: str
    met_at: datetime | None
    watch: bool
    next_warn_at: datetime | None


async def timeline_rows(db: Connection, ticket_id: int) -> list[TimelineRow]:
    """The ticket's messages and events, oldest first (messages first at the same instant)."""
    rows = await db.execute_fetchall(
        "SELECT created_at AS at, 'message' AS source, direction AS kind, meta AS detail, id"
        " FROM messages WHERE ticket_id = ?"
        " UNION ALL SELECT at, 'event', kind, detail, id FROM events WHERE ticket_id = ?"
        " ORDER BY at, source DESC, id",
        (ticket_id, ticket_id),
    )
    return [
        TimelineRow(
            datetime.fromisoformat(r["at"]), r["source"], r["kind"], json.loads(r["detail"])
        )
        for r in rows
    ]


async def timelines_of(db: Connection, ticket_ids: Sequence[int]) -> dict[int, list[TimelineRow]]:
    """`timeline_rows` of many tickets in one query per 500 (a page of the API, the queue)."""
    found: dict[int, list[TimelineRow]] = {ticket_id: [] for ticket_id in ticket_ids}
    ids = list(found)
    for first in range(0, len(ids), 500):
        chunk = ids[first : first + 500]
        marks = ", ".join("?" * len(chunk))
        rows = await db.execute_fetchall(
            "SELECT ticket_id, created_at AS at, 'message' AS source, direction AS kind,"
            f" meta AS detail, id FROM messages WHERE ticket_id IN ({marks})"
            " UNION ALL SELECT ticket_id, at, 'event', kind, detail, id FROM events"
            f" WHERE ticket_id IN ({marks}) ORDER BY ticket_id, at, source DESC, id",
            (*chunk, *chunk),
        )
        for r in rows:
            found[int(r["ticket_id"])].append(
                TimelineRow(
                    datetime.fromisoformat(r["at"]), r["source"], r["kind"], json.loads(r["detail"])
                )
            )
    return found


async def clocks_of(db: Connection, ticket_id: int) -> list[StoredClock]:
    rows = await db.execute_fetchall(
        "SELECT * FROM sla_clocks WHERE ticket_id = ? ORDER BY clock, cycle", (ticket_id,)
    )
    return [StoredClock.from_row(r) for r in rows]


async def save_clock(db: Connection, ticket_id: int, update: ClockUpdate, now: datetime) -> None:
    """Insert or update one clock; a recorded breach is never undone (its watch stays 0)."""
    await db.execute(
        "INSERT INTO sla_clocks (ticket_id, clock, cycle, policy, priority, business, started_at,"
        " due_at, state, met_at, watch, next_warn_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (ticket_id, clock, cycle) DO UPDATE SET policy = excluded.policy,"
        " priority = excluded.priority, business = excluded.business,"
        " started_at = excluded.started_at, due_at = excluded.due_at, state = excluded.state,"
        " met_at = excluded.met_at,"
        " watch = CASE WHEN sla_clocks.breached_at IS NULL THEN excluded.watch ELSE 0 END,"
        " next_warn_at = excluded.next_warn_at, updated_at = excluded.updated_at",
        (
            ticket_id,
            update.clock,
            update.cycle,
            update.policy,
            update.priority,
            int(update.business),
            iso(update.started_at),
            iso(update.due_at),
            update.state,
            iso(update.met_at) if update.met_at else None,
            int(update.watch),
            iso(update.next_warn_at) if update.next_warn_at else None,
            iso(now),
        ),
    )


async def touch_clocks(db: Connection, ticket_id: int, now: datetime) -> None:
    await db.execute(
        "UPDATE sla_clocks SET updated_at = ? WHERE ticket_id = ?", (iso(now), ticket_id)
    )


async def drop_clocks(db: Connection, ticket_id: int, keep: Sequence[tuple[str, int]]) -> None:
    """Forget clocks the ticket no longer has (a level without that target), unless a breach
    was recorded for one: that stays, as history."""
    rows = await db.execute_fetchall(
        "SELECT id, clock, cycle FROM sla_clocks WHERE ticket_id = ? AND breached_at IS NULL",
        (ticket_id,),
    )
    kept = set(keep)
    for row in rows:
        if (row["clock"], row["cycle"]) not in kept:
            await db.execute("DELETE FROM sla_clocks WHERE id = ?", (row["id"],))


async def breaches_due(db: Connection, now: datetime, *, limit: int) -> list[StoredClock]:
    """Watched clocks whose deadline has come (the `sla_clocks_due` index)."""
    rows = await db.execute_fetchall(
        "SELECT * FROM sla_clocks WHERE watch = 1 AND due_at <= ? ORDER BY due_at LIMIT ?",
        (iso(now), limit),
    )
    return [StoredClock.from_row(r) for r in rows]


async def warnings_due(db: Connection, now: datetime, *, limit: int) -> list[StoredClock]:
    """Watched clocks whose next warning point has come (the `sla_clocks_warn` index)."""
    rows = await db.execute_fetchall(
        "SELECT * FROM sla_clocks WHERE watch = 1 AND next_warn_at IS NOT NULL"
        " AND next_warn_at <= ? ORDER BY next_warn_at LIMIT ?",
        (iso(now), limit),
    )
    return [StoredClock.from_row(r) for r in rows]


async def record_alert(
    db: Connection,
    ticket_id: int,
    clock: str,
    cycle: int,
    point: str,
    *,
    due_at: datetime,
    now: datetime,
) -> bool:
    """Record a warning point or a breach; False when it was recorded before (once only)."""
    cursor = await db.execute(
        "INSERT INTO sla_alerts (ticket_id, clock, cycle, point, due_at, recorded_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (ticket_id, clock, cycle, point) DO NOTHING",
        (ticket_id, clock, cycle, point, iso(due_at), iso(now)),
    )
    return cursor.rowcount == 1


async def alerted_points(db: Connection, ticket_id: int) -> set[tuple[str, int, str]]:
    rows = await db.execute_fetchall(
        "SELECT clock, cycle, point FROM sla_alerts WHERE ticket_id = ?", (ticket_id,)
    )
    return {(r["clock"], r["cycle"], r["point"]) for r in rows}


async def mark_warned(db: Connection, clock_id: int, warned: Sequence[str]) -> None:
    await db.execute(
        "UPDATE sla_clocks SET warned = ? WHERE id = ?", (json.dumps(list(warned)), clock_id)
    )


async def set_next_warning(db: Connection, clock_id: int, at: datetime | None) -> None:
    await db.execute(
        "UPDATE sla_clocks SET next_warn_at = ? WHERE id = ?", (iso(at) if at else None, clock_id)
    )


async def unwatch(db: Connection, clock_id: int) -> None:
    await db.execute(
        "UPDATE sla_clocks SET watch = 0, next_warn_at = NULL WHERE id = ?", (clock_id,)
    )


async def clock_by_id(db: Connection, clock_id: int) -> StoredClock | None:
    async with db.execute("SELECT * FROM sla_clocks WHERE id = ?", (clock_id,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else StoredClock.from_row(row)


async def mark_breached(db: Connection, clock_id: int, breached_at: datetime) -> None:
    await db.execute(
        "UPDATE sla_clocks SET breached_at = ?, watch = 0, next_warn_at = NULL WHERE id = ?",
        (iso(breached_at), clock_id),
    )


# "At risk": a watched clock (not met, not paused, no breach recorded) past a warning point.
_AT_RISK = "watch = 1 AND warned != '[]'"


async def at_risk_count(db: Connection) -> int:
    """Tickets at risk (the `sla_clocks_at_risk` index)."""
    async with db.execute(
        f"SELECT COUNT(DISTINCT ticket_id) AS n FROM sla_clocks WHERE {_AT_RISK}"
    ) as cursor:
        row = await cursor.fetchone()
    return int(row["n"]) if row else 0


async def report_rows(
    db: Connection, since: datetime, until: datetime, policy: str | None
) -> list[StoredClock]:
    """Clocks that started in [since, until), optionally of one policy."""
    sql = "SELECT * FROM sla_clocks WHERE started_at >= ? AND started_at < ?"
    args: list[object] = [iso(since), iso(until)]
    if policy is not None:
        sql += " AND policy = ?"
        args.append(policy)
    rows = await db.execute_fetchall(sql + " ORDER BY policy, priority, clock, id", args)
    return [StoredClock.from_row(r) for r in rows]


async def _has_table(db: Connection, name: str) -> bool:
    if dialect(db) == "postgresql":
        sql = "SELECT 1 FROM information_schema.tables WHERE table_name = ?"
    else:
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    async with db.execute(sql, (name,)) as cursor:
        return await cursor.fetchone() is not None


async def assignee_email(db: Connection, ticket_id: int) -> str | None:
    """The ticket's assignee, once staff accounts exist (`intake staff`); else None."""
    if not await _has_table(db, "staff"):
        return None
    async with db.execute(
        "SELECT s.email FROM tickets t JOIN staff s ON s.id = t.assignee_id"
        " WHERE t.id = ? AND s.disabled_at IS NULL",
        (ticket_id,),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else str(row["email"])


async def lead_emails(db: Connection) -> list[str]:
    """Enabled staff with the lead role, once staff accounts exist; else none."""
    if not await _has_table(db, "staff"):
        return []
    rows = await db.execute_fetchall(
        "SELECT email FROM staff WHERE role = 'lead' AND disabled_at IS NULL ORDER BY email"
    )
    return [str(r["email"]) for r in rows]


async def unclocked_tickets(db: Connection, *, after_id: int, limit: int) -> list[int]:
    """Tickets not closed, past `after_id`, that have no clocks (opened before clocks existed,
    or under a level with no deadline), in id order."""
    rows = await db.execute_fetchall(
        "SELECT t.id FROM tickets t WHERE t.id > ? AND t.status != 'closed'"
        " AND NOT EXISTS (SELECT 1 FROM sla_clocks c WHERE c.ticket_id = t.id)"
        " ORDER BY t.id LIMIT ?",
        (after_id, limit),
    )
    return [int(r["id"]) for r in rows]


async def last_refresh(db: Connection) -> str:
    """When clocks were last computed (stored form), '' if never."""
    async with db.execute("SELECT MAX(updated_at) AS at FROM sla_clocks") as cursor:
        row = await cursor.fetchone()
    return str(row["at"]) if row and row["at"] else ""


async def changed_tickets(db: Connection, after: str, *, limit: int) -> list[tuple[int, str, bool]]:
    """(id, updated_at, clocks fresh) of tickets changed after `after` (stored form), oldest
    change first; fresh when its clocks were computed at or after the change."""
    rows = await db.execute_fetchall(
        "SELECT t.id, t.updated_at, EXISTS (SELECT 1 FROM sla_clocks c WHERE c.ticket_id = t.id"
        " AND c.updated_at >= t.updated_at) AS fresh FROM tickets t WHERE t.updated_at > ?"
        " ORDER BY t.updated_at LIMIT ?",
        (after, limit),
    )
    return [(int(r["id"]), str(r["updated_at"]), bool(r["fresh"])) for r in rows]
