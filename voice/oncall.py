"""Who is on call at an instant, and who gets paged after them. Pure: the instant is passed in.

Rules:
- The rotation hands off at `rotation.handoff` local time in `oncall.timezone` every day or
  every week from `rotation.start`; hand-offs keep their wall-clock time across DST changes,
  so a weekly shift that spans a change is an hour shorter or longer. A hand-off instant
  belongs to the incoming person. Before `start` the rotation simply runs backwards.
- An override covers [start, end) and wins over the rotation (overrides never overlap).
- "secondary" is the next person in rotation order after the scheduled one who is not the
  primary (the same person if nobody else is in the rotation).
- The chain is the escalation steps, run `1 + repeat` times, then the fallback, if any.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from gateway.config.oncall import OnCallConfig, Staff
from gateway.phone import normalize_e164

__all__ = ["OnCallSchedule", "PageStep", "Shift"]


@dataclass(frozen=True, slots=True)
class Shift:
    """A stretch of time one person is on call. `start`/`end` are aware UTC datetimes."""

    staff: Staff
    start: datetime
    end: datetime
    source: Literal["rotation", "override"]


@dataclass(frozen=True, slots=True)
class PageStep:
    """One page of an escalation chain, resolved to a person.

    `number` counts from 1 through the whole chain; `round` is the pass through the configured
    steps (1 .. 1+repeat; the fallback gets repeat+2). `after` is when this step is paged,
    measured from the start of the chain; `delay` is how long it waits for an ack.
    """

    number: int
    round: int
    target: str  # "primary" | "secondary" | a staff id | "fallback"
    staff: Staff
    delay: timedelta
    after: timedelta


class OnCallSchedule:
    def __init__(self, config: OnCallConfig) -> None:
        self.config = config
        self.tz: ZoneInfo = config.tz
        self._staff = {person.id: person for person in config.staff}
        self._by_phone = {person.phone: person for person in config.staff}
        self._overrides = [(override, *override.window(self.tz)) for override in config.override]

    def staff(self, staff_id: str) -> Staff:
        """The staff member with this id (KeyError if unknown)."""
        return self._staff[staff_id]

    def staff_by_phone(self, phone: str) -> Staff | None:
        """The staff member with this number, in any format `normalize_e164` reads."""
        e164 = normalize_e164(phone)
        return self._by_phone.get(e164) if e164 else None

    def on_call(self, at: datetime) -> Staff:
        """Who is on call at `at` (aware): an override if one covers it, else the rotation."""
        return self.shift(at).staff

    def shift(self, at: datetime) -> Shift:
        """The shift covering `at`, with its real start and end (overrides cut rotation shifts)."""
        at = _utc(at)
        for override, start, end in self._overrides:
            if start <= at < end:
                return Shift(self.staff(override.staff), _utc(start), _utc(end), "override")
        index, start, end = self._rotation_slot(at)
        for _, o_start, o_end in self._overrides:
            if start < o_end <= at:
                start = _utc(o_end)
            if at < o_start < end:
                end = _utc(o_start)
        return Shift(self._rotation_staff(index), start, end, "rotation")

    def scheduled(self, at: datetime) -> Staff:
        """Who the rotation says is on call at `at`, ignoring overrides."""
        return self._rotation_staff(self._rotation_slot(_utc(at))[0])

    def secondary(self, at: datetime) -> Staff:
        """The next person in rotation order after the scheduled one who is not the primary."""
        at = _utc(at)
        primary = self.on_call(at)
        index = self._rotation_slot(at)[0]
        order = self.config.rotation.order
        for offset in range(1, len(order) + 1):
            candidate = self._rotation_staff(index + offset)
            if candidate.id != primary.id:
                return candidate
        return primary

    def chain(self, at: datetime) -> list[PageStep]:
        """The escalation chain for something paged at `at`, in paging order."""
        escalation = self.config.escalation
        steps: list[PageStep] = []
        after = timedelta(0)
        for round_ in range(1, escalation.repeat + 2):
            for step in escalation.step:
                person = self._resolve(step.target, at)
                steps.append(
                    PageStep(len(steps) + 1, round_, step.target, person, step.delay, after)
                )
                after += step.delay
        if escalation.fallback is not None:
            delay = escalation.fallback_delay or escalation.step[-1].delay
            person = self.staff(escalation.fallback)
            steps.append(
                PageStep(len(steps) + 1, escalation.repeat + 2, "fallback", person, delay, after)
            )
        return steps

    def _resolve(self, target: str, at: datetime) -> Staff:
        if target == "primary":
            return self.on_call(at)
        if target == "secondary":
            return self.secondary(at)
        return self.staff(target)

    def _rotation_staff(self, index: int) -> Staff:
        order = self.config.rotation.order
        return self.staff(order[index % len(order)])

    def _rotation_slot(self, at: datetime) -> tuple[int, datetime, datetime]:
        """(shift index since `start`, shift start, shift end) for the aware UTC instant `at`."""
        rotation = self.config.rotation
        days = rotation.period.days
        index = (at.astimezone(self.tz).date() - rotation.start).days // days
        # The local date can sit before that day's hand-off: then the previous shift is current.
        if self._handoff(index) > at:
            index -= 1
        return index, self._handoff(index), self._handoff(index + 1)

    def _handoff(self, index: int) -> datetime:
        """The UTC instant shift number `index` starts (local hand-off time on its date)."""
        rotation = self.config.rotation
        day = rotation.start + index * rotation.period
        return datetime.combine(day, rotation.handoff, tzinfo=self.tz).astimezone(UTC)


def _utc(at: datetime) -> datetime:
    # Aware datetimes sharing a tzinfo compare by wall time, which is wrong across DST changes:
    # every comparison in this module is done in UTC.
    if at.tzinfo is None:
        raise ValueError("on-call times must be timezone-aware")
    return at.astimezone(UTC)
