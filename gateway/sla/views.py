"""The clocks of tickets at `now`, the one way every reader gets them: the API (a ticket and
each item of a page), `intake tickets show`, and the browser workspace (the queue's countdown,
the ticket page).

A reader never works a clock out on its own: `clocks_at` reads the tickets' timelines from the
store (one query for a whole page) and runs the pure clocks engine (`policies.clocks`) on
them exactly as `refresh_clocks` does before it stores them, so what a reader shows is what the
scanner warns and breaches on, to the second, even between two scans.

A ticket whose policy is no longer in the configuration has no clocks here (there is nothing
to hold it to); `policy_missing` says which tickets those are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from gateway.policybook import PolicyBook
from gateway.sla.refresh import compute, facts_from
from gateway.store import clocks as sql
from gateway.store.connection import Connection
from gateway.store.records import Ticket
from policies import Policy, PolicyError
from policies.clocks import Clock, ClockState

RUNNING: tuple[ClockState, ...] = ("pending", "paused")


@dataclass(frozen=True, slots=True)
class ClockView:
    """One clock (an `ongoing` clock: one cycle of it) of a ticket, as of `now`.

    `state` is the engine's: a clock met after its deadline is `breached` (with `met_at`).
    `remaining` is None once met, negative once overdue; `at_risk` says a running clock has
    passed one of its policy's warning points.
    """

    name: str
    cycle: int
    priority: str
    target: str
    business: bool
    started_at: datetime
    due_at: datetime
    state: ClockState
    met_at: datetime | None
    breached_at: datetime | None
    remaining: timedelta | None
    paused: timedelta
    at_risk: bool
    zone: ZoneInfo  # the policy's time zone: where the contract's hours are counted

    @property
    def label(self) -> str:
        """`respond`, or `ongoing #2` for the second ongoing cycle."""
        return f"{self.name} #{self.cycle}" if self.cycle else self.name

    @property
    def running(self) -> bool:
        """Not met yet (pending, paused, or overdue and still unanswered)."""
        return self.met_at is None

    @property
    def remaining_seconds(self) -> int | None:
        return None if self.remaining is None else int(self.remaining.total_seconds())

    @classmethod
    def of(cls, clock: Clock, zone: ZoneInfo, now: datetime) -> ClockView:
        running = clock.met_at is None
        return cls(
            name=clock.name,
            cycle=clock.cycle,
            priority=clock.priority,
            target=clock.target.text,
            business=clock.target.business,
            started_at=clock.started_at,
            due_at=clock.due_at,
            state=clock.state,
            met_at=clock.met_at,
            breached_at=clock.breached_at,
            remaining=clock.remaining if running else None,
            paused=clock.paused,
            at_risk=clock.state == "pending" and any(at <= now for _, at in clock.warnings),
            zone=zone,
        )


@dataclass(frozen=True, slots=True)
class TicketClocks:
    """Every clock of one ticket at `now`, in the engine's order (respond, ongoing cycles,
    resolve, rfo)."""

    clocks: tuple[ClockView, ...]
    policy_missing: bool = False

    @property
    def next_due(self) -> ClockView | None:
        """The running clock due first: what the queue counts down to."""
        running = [c for c in self.clocks if c.running]
        return min(running, key=lambda c: c.due_at) if running else None

    @property
    def breached(self) -> bool:
        return any(c.state == "breached" for c in self.clocks)

    @property
    def at_risk(self) -> bool:
        return any(c.at_risk for c in self.clocks)


async def clocks_at(
    db: Connection, policies: PolicyBook, tickets: Sequence[Ticket], now: datetime
) -> dict[int, TicketClocks]:
    """The clocks of each ticket (by ticket id) at `now`."""
    timelines = await sql.timelines_of(db, [t.id for t in tickets])
    found: dict[int, TicketClocks] = {}
    for ticket in tickets:
        policy = _policy(policies, ticket.policy)
        if policy is None:
            found[ticket.id] = TicketClocks((), policy_missing=True)
            continue
        clocks = compute(policy, ticket, facts_from(timelines[ticket.id]), now)
        found[ticket.id] = TicketClocks(tuple(ClockView.of(c, policy.tz, now) for c in clocks))
    return found


async def ticket_clocks_at(
    db: Connection, policies: PolicyBook, ticket: Ticket, now: datetime
) -> TicketClocks:
    """The clocks of one ticket at `now`."""
    return (await clocks_at(db, policies, [ticket], now))[ticket.id]


def _policy(policies: PolicyBook, name: str) -> Policy | None:
    try:
        return policies.get(name)
    except (PolicyError, OSError, KeyError, ValueError):
        return None
