"""A support contract as the gateway uses it: priorities, targets and the SLA clock.

Built from a validated ``PolicySpec`` by ``policies.loader``. Every method is a pure function of
the policy and its arguments; the calendar's per-date caches are memos, not state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from policies.business_calendar import BusinessCalendar
from policies.hours import WeeklyHours
from policies.schema import (
    TARGET_FIELDS,
    PolicySpec,
    PrioritySpec,
    normalise_hint,
    split_holiday_code,
)
from policies.sla import due
from policies.targets import Target, parse_target
from policies.triage import TriageRules
from policies.warnpoints import WarnPoint, parse_warn_point

TargetName = Literal["respond", "resolve", "rfo", "ongoing"]
AfterHours = Literal["page", "queue"]

TARGET_WORDS: dict[str, str] = {
    "respond": "respond",
    "resolve": "resolve",
    "rfo": "reason for outage",
    "ongoing": "ongoing response",
}


@dataclass(frozen=True, slots=True)
class Priority:
    """One priority level; ``rank`` 0 is the most urgent."""

    id: str
    name: str
    definition: str
    respond: Target
    resolve: Target | None
    rfo: Target | None
    ongoing: Target | None
    after_hours: AfterHours
    warn: tuple[WarnPoint, ...] | None  # None: the policy's [clocks] warn
    aliases: tuple[str, ...]
    examples: tuple[str, ...]
    notes: tuple[str, ...]
    rank: int
    resolved_priority: str | None = None  # the priority a resolved ticket of this level takes
    monitoring_priority: str | None = None  # ... and one resolved but left open for monitoring

    @property
    def label(self) -> str:
        """The id and name ("P3 Normal"), or just the id when the level has no name."""
        return f"{self.id} {self.name}" if self.name and self.name != self.id else self.id

    @property
    def pages_after_hours(self) -> bool:
        return self.after_hours == "page"

    def target(self, which: str) -> Target | None:
        """The named target ("respond", "resolve", "rfo", "ongoing"); None if the level has none."""
        if which not in TARGET_FIELDS:
            raise ValueError(
                f"unknown target {which!r}: expected one of {', '.join(TARGET_FIELDS)}"
            )
        found: Target | None = getattr(self, which)
        return found


@dataclass(frozen=True, slots=True)
class ClockRules:
    """How the SLA clocks run under a policy (``[clocks]``; see policies/clocks.py)."""

    pending_pauses: frozenset[str]
    rfo_from: Literal["arrival", "resolved"]
    warn: tuple[WarnPoint, ...]


@dataclass(frozen=True, slots=True)
class ScopeOfCoverage:
    """What one kind of support (production, development, ...) covers."""

    name: str
    summary: str
    covered: tuple[str, ...]
    out_of_scope: tuple[str, ...]
    notes: tuple[str, ...]


class Policy:
    """A loaded support contract. Attributes are read-only by convention."""

    def __init__(self, spec: PolicySpec, source: str) -> None:
        self.spec = spec
        self.source = source
        self.name = spec.name
        self.title = spec.title or spec.name
        self.tz = ZoneInfo(spec.timezone)
        self.hours = WeeklyHours.from_table(spec.hours.table())
        self.holidays = spec.holidays
        self.extra_holidays = tuple(sorted(set(spec.extra_holidays)))
        country, subdivision = split_holiday_code(spec.holidays) if spec.holidays else (None, None)
        self.calendar = BusinessCalendar(
            self.tz, self.hours, country, subdivision, frozenset(spec.extra_holidays)
        )
        self.priorities: tuple[Priority, ...] = tuple(
            _priority(item, rank) for rank, item in enumerate(spec.priorities)
        )
        self._by_id = {priority.id: priority for priority in self.priorities}
        self.default_priority = self._by_id.get(spec.default_priority or "", self.priorities[-1])
        self.customer_sets_priority = spec.customer_sets_priority
        self.reclassify: tuple[str, ...] = spec.reclassify
        self.channels: tuple[str, ...] = spec.channels
        self.notes: tuple[str, ...] = spec.notes
        self.scope: tuple[ScopeOfCoverage, ...] = tuple(
            ScopeOfCoverage(key, s.summary, s.covered, s.out_of_scope, s.notes)
            for key, s in spec.scope.items()
        )
        self.triage: TriageRules = spec.triage
        self.clock_rules = ClockRules(
            pending_pauses=frozenset(spec.clocks.pending_pauses),
            rfo_from=spec.clocks.rfo_from,
            warn=tuple(map(parse_warn_point, spec.clocks.warn)),
        )
        self.after_hours_message = spec.after_hours_message or (
            f"We received your message outside our business hours ({self.hours.summary()}, "
            f"{spec.timezone}). It is queued and the response time committed for its priority "
            "applies."
        )
        self._declared = _declared_lookup(self.priorities)
        self.auto_close_after: Target = parse_target(spec.auto_close_after)

    def __repr__(self) -> str:
        return f"<Policy {self.name} from {self.source}>"

    def priority(self, priority_id: str) -> Priority:
        """The priority with this id; KeyError naming the known ids if there is none."""
        try:
            return self._by_id[priority_id]
        except KeyError:
            known = ", ".join(self._by_id)
            raise KeyError(
                f"unknown priority {priority_id!r} in policy {self.name!r} (known: {known})"
            ) from None

    def deadline(
        self, priority_id: str, received: datetime, target: str = "respond"
    ) -> datetime | None:
        """When ``target`` falls due for a message received at ``received`` (aware, in ``tz``).

        None when the priority has no such target or the target is "none".
        """
        rule = self.priority(priority_id).target(target)
        if rule is None:
            return None
        found = due(self.calendar, rule, received)
        return None if found is None else found.astimezone(self.tz)

    def auto_close_at(self, resolved_at: datetime) -> datetime | None:
        """When a ticket resolved at ``resolved_at`` closes by itself; None if never."""
        found = due(self.calendar, self.auto_close_after, resolved_at)
        return None if found is None else found.astimezone(self.tz)

    def warn_points(self, priority_id: str) -> tuple[WarnPoint, ...]:
        """The warning points of a level's clocks: its own, else the policy's."""
        own = self.priority(priority_id).warn
        return self.clock_rules.warn if own is None else own

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` falls inside business hours (not a holiday, inside an open span)."""
        return self.calendar.is_open(at)

    def is_after_hours(self, at: datetime) -> bool:
        return not self.calendar.is_open(at)

    def next_opening(self, at: datetime) -> datetime:
        """``at`` itself if open, else the start of the next open span (in ``tz``).

        Open returns ``at`` unchanged so ``next_opening(at) == at`` holds in any zone: Python
        never finds a ``fold=1`` local time equal to a time in another zone.
        """
        if self.calendar.is_open(at):
            return at
        return self.calendar.next_opening(at).astimezone(self.tz)

    def pages_after_hours(self, priority_id: str) -> bool:
        return self.priority(priority_id).pages_after_hours

    def holiday_name(self, day: date) -> str | None:
        """The name of the holiday closing ``day`` (a local date), or None."""
        return self.calendar.holiday_name(day)

    def match_declared(self, hints: Sequence[str]) -> str | None:
        """The id named by the first hint equal to a priority id or alias (normalised)."""
        for hint in hints:
            found = self._declared.get(normalise_hint(hint))
            if found is not None:
                return found
        return None


def _optional_target(text: str | None) -> Target | None:
    return None if text is None else parse_target(text)


def _priority(spec_item: PrioritySpec, rank: int) -> Priority:
    return Priority(
        id=spec_item.id,
        name=spec_item.name or spec_item.id,
        definition=" ".join(spec_item.definition.split()),
        respond=parse_target(spec_item.respond),
        resolve=_optional_target(spec_item.resolve),
        rfo=_optional_target(spec_item.rfo),
        ongoing=_optional_target(spec_item.ongoing),
        after_hours=spec_item.after_hours,
        warn=None if spec_item.warn is None else tuple(map(parse_warn_point, spec_item.warn)),
        aliases=spec_item.aliases,
        examples=spec_item.examples,
        notes=spec_item.notes,
        rank=rank,
        resolved_priority=spec_item.resolved_priority,
        monitoring_priority=spec_item.monitoring_priority,
    )


def _declared_lookup(priorities: Sequence[Priority]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for priority in priorities:
        lookup.setdefault(normalise_hint(priority.id), priority.id)
    for priority in priorities:
        for alias in priority.aliases:
            lookup.setdefault(normalise_hint(alias), priority.id)
    return lookup
