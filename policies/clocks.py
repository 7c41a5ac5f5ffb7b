"""Every SLA clock of a ticket, as a pure function of its policy, arrival and timeline.

The clocks (targets per level in the policy file, rules in its ``[clocks]`` table):

* ``respond``: from arrival to the first public staff reply. A ticket resolved or closed
  before anyone replied stops it then (the customer is told the outcome; nothing is owed).
* ``ongoing``: once the respond clock is met, each customer message not yet answered starts a
  cycle (numbered 1, 2, ...) due ``ongoing`` after it; the next public reply, or a
  resolution, meets it. Customer messages before that are the respond clock's.
* ``resolve``: from arrival to the first resolution (status ``resolved`` or ``closed``, or
  "resolved and left open for monitoring"). A reopened ticket does not un-meet it.
* ``rfo``: from arrival or from the first resolution (``rfo_from``) to the reason for outage
  (an ``rfo`` fact).

Deadlines are today's SLA clock (``policies.sla.due``) from the clock's start, business or
calendar as the target says. A priority change recomputes every clock from the original
arrival: the clocks run at the ticket's latest priority, except changes the policy itself
prescribes (actor ``policy``: ThreePBX's "final priority ... before being set to AutoClose or
Resolved", the de-escalation of a P1/P2 "resolved and left open for monitoring"), which record
what happened after the fact and do not re-judge it.

Clocks named in ``pending_pauses`` stop while the ticket is ``pending``: the deadline moves by
the pause (open time for a business clock, elapsed time otherwise); a clock paused now has
state ``paused`` and the deadline it would have if the ticket were reopened now.

A clock met after its deadline is ``breached`` (with ``met_at``); one not met by ``now`` is
``breached`` once ``now`` reaches the deadline, ``pending`` before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from policies.business_calendar import BusinessCalendar
from policies.localtime import require_aware
from policies.model import Policy
from policies.sla import add_open_time, due
from policies.targets import Target
from policies.warnpoints import WarnPoint

ClockName = Literal["respond", "ongoing", "resolve", "rfo"]
ClockState = Literal["pending", "met", "breached", "paused"]
FactKind = Literal["customer", "reply", "status", "priority", "monitoring", "rfo"]

CLOCK_NAMES: tuple[ClockName, ...] = ("respond", "ongoing", "resolve", "rfo")
POLICY_ACTOR = "policy"  # the actor of changes the policy file prescribes
_DONE = frozenset({"resolved", "closed"})


@dataclass(frozen=True, slots=True)
class Fact:
    """One thing that happened to a ticket: a customer message, a public staff reply, a status
    (``value`` the new status), a priority (``value`` the new level, ``by`` who set it), the
    ticket left open for monitoring, or the reason for outage delivered."""

    at: datetime
    kind: FactKind
    value: str = ""
    by: str = ""


@dataclass(frozen=True, slots=True)
class Clock:
    """One clock (an ``ongoing`` clock: one cycle of it) as of ``now``."""

    name: ClockName
    cycle: int  # 0, or the ongoing cycle's number from 1
    priority: str
    target: Target
    started_at: datetime
    due_at: datetime
    state: ClockState
    met_at: datetime | None
    remaining: timedelta  # due_at - now (negative once late); 0 when met
    paused: timedelta  # time the deadline moved for pauses
    warnings: tuple[tuple[str, datetime], ...] = field(default=())  # (point, when it is due)

    @property
    def breached_at(self) -> datetime | None:
        """A breach happens at the deadline, whenever it is noticed."""
        return self.due_at if self.state == "breached" else None

    @property
    def key(self) -> tuple[str, int]:
        return self.name, self.cycle


def clock_priority(priority: str, timeline: Iterable[Fact]) -> str:
    """The level the clocks run at: the latest set by anyone but the policy itself."""
    chosen = None
    for fact in sorted(timeline, key=lambda f: f.at):
        if fact.kind == "priority" and fact.by != POLICY_ACTOR:
            chosen = fact.value
    return chosen or priority


def ticket_clocks(
    policy: Policy,
    priority: str,
    arrival: datetime,
    timeline: Sequence[Fact],
    now: datetime,
) -> list[Clock]:
    """Every clock of a ticket that arrived at ``arrival`` with current level ``priority``."""
    require_aware(arrival, "arrival")
    require_aware(now, "now")
    arrival, now = arrival.astimezone(UTC), now.astimezone(UTC)
    facts = sorted(timeline, key=lambda f: f.at)
    level = policy.priority(clock_priority(priority, facts))
    story = _Story.read(facts, now)
    runner = _Runner(policy, level.id, story, now, policy.warn_points(level.id))
    found: list[Clock] = []

    first_reply = story.first("reply", arrival)
    respond_met = _earliest(first_reply, story.first_resolution)
    found += runner.clock("respond", 0, level.respond, arrival, respond_met)

    if level.ongoing is not None and respond_met is not None:
        for cycle, (start, met) in enumerate(story.ongoing_cycles(respond_met), start=1):
            found += runner.clock("ongoing", cycle, level.ongoing, start, met)

    if level.resolve is not None:
        found += runner.clock("resolve", 0, level.resolve, arrival, story.first_resolution)

    if level.rfo is not None:
        rfo_start = arrival if policy.clock_rules.rfo_from == "arrival" else story.first_resolution
        if rfo_start is not None:
            found += runner.clock("rfo", 0, level.rfo, rfo_start, story.first("rfo", arrival))
    return found


def open_time_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """How much open time lies in [start, end)."""
    total = timedelta()
    if end <= start:
        return total
    for opens, closes in calendar.intervals_from(start):
        if opens >= end:
            break
        total += min(closes, end) - max(opens, start)
    return total


# -- internals -------------------------------------------------------------------------------


def _earliest(*instants: datetime | None) -> datetime | None:
    present = [at for at in instants if at is not None]
    return min(present) if present else None


@dataclass(frozen=True, slots=True)
class _Story:
    """The timeline read once: replies, customer messages, pending spells, resolution."""

    facts: tuple[Fact, ...]
    pending: tuple[tuple[datetime, datetime | None], ...]  # end None: pending now
    first_resolution: datetime | None

    @classmethod
    def read(cls, facts: Sequence[Fact], now: datetime) -> _Story:
        spells: list[tuple[datetime, datetime | None]] = []
        since: datetime | None = None
        resolved: datetime | None = None
        for fact in facts:
            if fact.at > now:
                continue
            done = fact.kind == "monitoring" or (fact.kind == "status" and fact.value in _DONE)
            if done and resolved is None:
                resolved = fact.at
            if fact.kind == "status" or fact.kind == "monitoring":
                if fact.kind == "status" and fact.value == "pending":
                    since = since or fact.at
                elif since is not None:
                    spells.append((since, fact.at))
                    since = None
        if since is not None:
            spells.append((since, None))
        return cls(tuple(f for f in facts if f.at <= now), tuple(spells), resolved)

    def first(self, kind: FactKind, after: datetime) -> datetime | None:
        return next((f.at for f in self.facts if f.kind == kind and f.at >= after), None)

    def ongoing_cycles(self, first_reply: datetime) -> list[tuple[datetime, datetime | None]]:
        """(start, met) of each cycle: an unanswered customer message after the respond clock
        was met (``first_reply``), until the next reply or resolution."""
        cycles: list[tuple[datetime, datetime | None]] = []
        waiting: datetime | None = None
        for fact in self.facts:
            if fact.at <= first_reply:
                continue
            ends = (
                fact.kind == "reply"
                or fact.kind == "monitoring"
                or (fact.kind == "status" and fact.value in _DONE)
            )
            if fact.kind == "customer" and waiting is None:
                waiting = fact.at
            elif ends and waiting is not None:
                cycles.append((waiting, fact.at))
                waiting = None
        if waiting is not None:
            cycles.append((waiting, None))
        return cycles


_Pause = tuple[datetime, datetime, bool]  # begin, end (now if ongoing), ongoing


class _Runner:
    """Turns (target, start, met) into a `Clock`, with pauses and warning points."""

    def __init__(
        self,
        policy: Policy,
        priority: str,
        story: _Story,
        now: datetime,
        warn: tuple[WarnPoint, ...],
    ) -> None:
        self.policy = policy
        self.calendar = policy.calendar
        self.priority = priority
        self.story = story
        self.now = now
        self.warn = warn

    def clock(
        self, name: ClockName, cycle: int, target: Target, start: datetime, met: datetime | None
    ) -> list[Clock]:
        base = due(self.calendar, target, start)
        if base is None:  # "none": no deadline, no clock
            return []
        pauses = self._pauses(start, met) if name in self.policy.clock_rules.pending_pauses else []
        due_at, moved, paused_now = self._shifted(base, target, pauses)
        if met is not None:
            state: ClockState = "met" if met <= due_at else "breached"
            remaining = timedelta()
        elif paused_now:
            state, remaining = "paused", due_at - self.now
        else:
            state = "breached" if self.now >= due_at else "pending"
            remaining = due_at - self.now
        warnings = tuple(
            (point.text, self._shifted(when, target, pauses)[0])
            for point in self.warn
            if (when := self._warn_base(point, target, start, base)) is not None
        )
        return [
            Clock(
                name=name,
                cycle=cycle,
                priority=self.priority,
                target=target,
                started_at=start,
                due_at=due_at,
                state=state,
                met_at=met,
                remaining=remaining,
                paused=moved,
                warnings=warnings,
            )
        ]

    def _pauses(self, start: datetime, met: datetime | None) -> list[_Pause]:
        """Pending spells inside the clock's run; one still going ends ``now`` (and counts,
        even if it began this instant, so the clock reads ``paused``)."""
        stop = met or self.now
        spells = []
        for begin, end in self.story.pending:
            begin, end_ = max(begin, start), min(end or self.now, stop)
            ongoing = end is None and met is None
            if begin < end_ or (ongoing and begin == end_):
                spells.append((begin, end_, ongoing))
        return spells

    def _shifted(
        self, base: datetime, target: Target, pauses: Sequence[_Pause]
    ) -> tuple[datetime, timedelta, bool]:
        """``base`` moved by the pauses that began before it; whether one is going on now."""
        at, paused_now = base, False
        for begin, end, ongoing in pauses:
            if begin >= at:
                break
            if target.business:
                at = add_open_time(self.calendar, at, open_time_between(self.calendar, begin, end))
            else:
                at += end - begin
            paused_now = paused_now or ongoing
        return at, at - base, paused_now

    def _warn_base(
        self, point: WarnPoint, target: Target, start: datetime, base: datetime
    ) -> datetime | None:
        """When ``point`` falls on the unpaused clock; None if not before the deadline."""
        if point.before is not None:
            when = base - point.before
        elif target.business:
            span = open_time_between(self.calendar, start, base)
            when = add_open_time(self.calendar, start, span * (point.fraction or 0))
        else:
            when = start + (base - start) * (point.fraction or 0)
        return when if start <= when < base else None
