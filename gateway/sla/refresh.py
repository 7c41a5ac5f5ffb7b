"""Keeping a ticket's stored SLA clocks true: read its timeline, compute, store.

`refresh_clocks` reads the ticket's timeline from what is stored (messages and events), not
from the caller, so whoever records a reply, a status or a priority (the ticket service, the
API, the lifecycle) gets correct clocks at the next refresh: the ticket service refreshes after
every change, and the scanner refreshes a ticket again before it warns or records a breach.

Timeline, from the store:
- a message `in`: a customer message; a message `out` whose purpose is `reply` (or a
  `replied` event marked public): a public staff reply. Acknowledgements and promise notices
  are not replies: "a response does not constitute" an automatic acknowledgement;
- `created` / `classified` / `priority-changed` events: the priority, with who set it;
- `status-changed` (`new`) and `monitoring` events: the status;
- an `rfo-sent` event, or a `replied` event with `rfo: true`: the reason for outage.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from gateway.store import clocks as sql
from gateway.store.clocks import ClockUpdate, StoredClock, TimelineRow
from gateway.store.connection import Connection
from gateway.store.records import Ticket
from gateway.store.tickets import add_event, ticket_by_id
from policies import Policy
from policies.clocks import Clock, Fact, ticket_clocks

_PRIORITY_EVENTS = {"created": "priority", "classified": "priority", "priority-changed": "new"}


def facts_from(rows: Iterable[TimelineRow]) -> list[Fact]:
    """The clock facts in a stored timeline (see the module docstring)."""
    facts: list[Fact] = []
    for row in rows:
        detail, by = row.detail, str(row.detail.get("by", ""))
        if row.source == "message":
            if row.kind == "in":
                facts.append(Fact(row.at, "customer"))
            elif detail.get("purpose") == "reply":
                facts.append(Fact(row.at, "reply", by=by))
            continue
        if row.kind in _PRIORITY_EVENTS and detail.get(_PRIORITY_EVENTS[row.kind]):
            facts.append(Fact(row.at, "priority", str(detail[_PRIORITY_EVENTS[row.kind]]), by))
        elif row.kind == "status-changed" and detail.get("new"):
            facts.append(Fact(row.at, "status", str(detail["new"]), by))
        elif row.kind == "monitoring":
            facts.append(Fact(row.at, "monitoring", by=by))
        elif row.kind == "rfo-sent":
            facts.append(Fact(row.at, "rfo", by=by))
        if row.kind == "replied":
            if detail.get("public", True):
                facts.append(Fact(row.at, "reply", by=by))
            if detail.get("rfo"):
                facts.append(Fact(row.at, "rfo", by=by))
    return facts


def message_moves_clocks(
    policy: Policy, priority: str, direction: str, meta: dict[str, object]
) -> bool:
    """Whether adding this message can change the ticket's clocks: a public staff reply, or a
    customer message under a level with an ongoing clock. (Acknowledgements and notices do
    not; a customer's first messages belong to the respond clock already running.) Saves the
    intake path a refresh per message."""
    if direction == "out":
        return meta.get("purpose") == "reply"
    try:
        return policy.priority(priority).ongoing is not None
    except KeyError:
        return False


async def still_current(db: Connection, ticket_id: int, now: datetime) -> None:
    """The ticket changed in a way its clocks do not depend on: mark them current, so the
    scanner's catch-up does not recompute them."""
    await sql.touch_clocks(db, ticket_id, now)


def next_warning(clock: Clock, warned: Iterable[str]) -> datetime | None:
    """When the clock's next warning point not yet notified falls; None if none is left."""
    if clock.state != "pending":
        return None
    done = set(warned)
    return min((at for point, at in clock.warnings if point not in done), default=None)


async def refresh_clocks(
    db: Connection,
    policy: Policy,
    ticket_id: int,
    now: datetime,
) -> list[Clock]:
    """Recompute and store every clock of a ticket; returns them as of `now`.

    A clock whose level changed (a priority change) records the move as a `clock-moved` event
    with the old and new deadline.
    """
    ticket = await ticket_by_id(db, ticket_id)
    if ticket is None:
        return []
    facts = facts_from(await sql.timeline_rows(db, ticket_id))
    clocks = compute(policy, ticket, facts, now)
    stored = {(c.clock, c.cycle): c for c in await sql.clocks_of(db, ticket_id)}
    await _save(db, policy, ticket_id, clocks, stored, now)
    await sql.drop_clocks(db, ticket_id, [c.key for c in clocks])
    return clocks


async def start_clocks(
    db: Connection, policy: Policy, ticket: Ticket, facts: list[Fact], now: datetime
) -> list[Clock]:
    """The first clocks of a ticket just inserted, whose timeline so far is `facts` (what the
    caller has just written): nothing to read back, nothing stored yet to move or drop."""
    clocks = compute(policy, ticket, facts, now)
    await _save(db, policy, ticket.id, clocks, {}, now)
    return clocks


async def _save(
    db: Connection,
    policy: Policy,
    ticket_id: int,
    clocks: list[Clock],
    stored: dict[tuple[str, int], StoredClock],
    now: datetime,
) -> None:
    for clock in clocks:
        before = stored.get(clock.key)
        if (
            before is not None
            and before.priority != clock.priority
            and before.due_at != clock.due_at
        ):
            await add_event(
                db,
                ticket_id,
                now,
                "clock-moved",
                clock=clock.name,
                cycle=clock.cycle,
                old_priority=before.priority,
                new_priority=clock.priority,
                old_due=before.due_at.isoformat(),
                new_due=clock.due_at.isoformat(),
            )
        await sql.save_clock(
            db,
            ticket_id,
            ClockUpdate(
                clock=clock.name,
                cycle=clock.cycle,
                policy=policy.name,
                priority=clock.priority,
                business=clock.target.business,
                started_at=clock.started_at,
                due_at=clock.due_at,
                state=clock.state,
                met_at=clock.met_at,
                watch=clock.state in ("pending", "breached"),
                next_warn_at=next_warning(clock, before.warned if before else ()),
            ),
            now,
        )


def compute(policy: Policy, ticket: Ticket, facts: list[Fact], now: datetime) -> list[Clock]:
    """The clocks of a stored ticket (a priority its policy no longer has: none)."""
    try:
        return ticket_clocks(policy, ticket.effective_priority, ticket.received_at, facts, now)
    except KeyError:  # a level the policy file no longer has: nothing to hold it to
        return []
