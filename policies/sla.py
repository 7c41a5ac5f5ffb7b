"""The SLA clock: when a target falls due for a message received at a given instant.

Rules (business hours are local wall-clock in the policy's zone; a holiday is closed all day;
an open interval is open at its start and closed at its end):

* calendar minutes/hours: elapsed time.
* calendar days/weeks: the same local wall-clock time N days (7N) later.
* business minutes/hours: only open time counts, from the next opening if received while
  closed; a deadline that falls exactly on a closing time is that closing time.
* business days: from S (receipt, or the next opening), S's local time of day on the N-th
  following open day, pulled back to that day's nearest earlier closing time, or forward to its
  opening, when the desk is closed at that time. Business weeks: N x (weekdays with hours).
* immediate: the receipt (calendar) or the next opening (business). none: no deadline.

Everything is a pure function of the calendar, the target and the instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from policies.business_calendar import BusinessCalendar
from policies.localtime import first_instant_at, require_aware, wall_clock_reached
from policies.targets import Target

_UNIT_LENGTH = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}


def due(calendar: BusinessCalendar, target: Target, received: datetime) -> datetime | None:
    """The deadline in UTC, or None when the target sets none."""
    require_aware(received, "received")
    received = received.astimezone(UTC)
    if target.kind == "none":
        return None
    if target.kind == "immediate":
        return calendar.next_opening(received) if target.business else received
    if target.unit in ("minute", "hour"):
        length = target.amount * _UNIT_LENGTH[target.unit]
        if target.business:
            return add_open_time(calendar, received, length)
        return received + length
    days = target.amount * (7 if target.unit == "week" else 1)
    if target.business:
        if target.unit == "week":
            days = target.amount * calendar.hours.open_weekdays
        return add_business_days(calendar, received, days)
    return add_calendar_days(calendar, received, days)


def add_calendar_days(calendar: BusinessCalendar, received: datetime, days: int) -> datetime:
    """The same local wall-clock time ``days`` later (23 or 25 elapsed hours across DST)."""
    wall = wall_clock_reached(calendar.tz, received) + timedelta(days=days)
    return first_instant_at(calendar.tz, wall)


def add_open_time(calendar: BusinessCalendar, start: datetime, length: timedelta) -> datetime:
    """``start`` plus ``length`` of open time, counted interval by interval."""
    remaining = length
    for opens, closes in calendar.intervals_from(start):
        begin = opens if opens > start else start
        available = closes - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise AssertionError("intervals_from never ends without raising")  # pragma: no cover


def add_business_days(calendar: BusinessCalendar, received: datetime, days: int) -> datetime:
    """S's local time of day on the ``days``-th open day after S, kept inside that day's hours."""
    start = calendar.next_opening(received)
    wall = wall_clock_reached(calendar.tz, start)
    day = calendar.open_days_after(wall.date(), days)
    candidate = first_instant_at(calendar.tz, datetime.combine(day, wall.time()))
    intervals = calendar.intervals(day)
    if candidate < intervals[0][0]:
        return intervals[0][0]
    latest_closing = intervals[0][0]
    for opens, closes in intervals:
        if opens <= candidate < closes:
            return candidate
        if closes <= candidate:
            latest_closing = closes
    return latest_closing
