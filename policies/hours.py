"""Weekly business hours as local wall-clock spans: ``mon = "08:00-12:00, 13:00-18:00"``.

A span is half-open: open at its start, closed at its end. ``24:00`` is allowed as an end, so
``"00:00-24:00"`` is a whole day. Spans are minutes after local midnight.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

DAY_KEYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
MINUTES_PER_DAY = 24 * 60
CLOSED_WORDS = ("", "closed")

Span = tuple[int, int]
_SPAN = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def _minute_of_day(hour: str, minute: str, text: str, *, is_end: bool) -> int:
    h, m = int(hour), int(minute)
    if m >= 60 or h > 24 or (h == 24 and (m != 0 or not is_end)):
        raise ValueError(f"bad time of day in {text!r}")
    return h * 60 + m


def parse_day_hours(text: str) -> tuple[Span, ...]:
    """Parse one day's spans, sorted; touching spans are merged, overlapping ones rejected."""
    if text.strip().casefold() in CLOSED_WORDS:
        return ()
    spans: list[Span] = []
    for part in text.split(","):
        match = _SPAN.match(part.strip())
        if match is None:
            raise ValueError(f"cannot read {part.strip()!r}: expected 'HH:MM-HH:MM'")
        start = _minute_of_day(match[1], match[2], part.strip(), is_end=False)
        end = _minute_of_day(match[3], match[4], part.strip(), is_end=True)
        if end <= start:
            raise ValueError(f"{part.strip()!r} ends before it starts")
        spans.append((start, end))
    spans.sort()
    merged: list[Span] = [spans[0]]
    for start, end in spans[1:]:
        last_start, last_end = merged[-1]
        if start < last_end:
            raise ValueError(
                f"{format_span((last_start, last_end))!r} and {format_span((start, end))!r} overlap"
            )
        if start == last_end:
            merged[-1] = (last_start, end)
        else:
            merged.append((start, end))
    return tuple(merged)


def format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def format_span(span: Span) -> str:
    return f"{format_minute(span[0])}-{format_minute(span[1])}"


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Open spans for each weekday, Monday first (index = ``date.weekday()``)."""

    days: tuple[tuple[Span, ...], ...]

    @classmethod
    def from_table(cls, table: Mapping[str, str | None]) -> WeeklyHours:
        return cls(tuple(parse_day_hours(table.get(key) or "") for key in DAY_KEYS))

    @property
    def open_weekdays(self) -> int:
        """How many weekdays have any hours (a business week is this many business days)."""
        return sum(1 for spans in self.days if spans)

    @property
    def always_open(self) -> bool:
        return all(spans == ((0, MINUTES_PER_DAY),) for spans in self.days)

    def describe_day(self, weekday: int) -> str:
        spans = self.days[weekday]
        return ", ".join(format_span(span) for span in spans) if spans else "closed"

    def summary(self) -> str:
        """Compact words: "Mon-Fri 09:00-17:00", "every day 00:00-24:00"."""
        if self.always_open:
            return "24 hours a day, 7 days a week"
        groups: list[tuple[int, int, str]] = []
        for weekday in range(7):
            text = self.describe_day(weekday)
            if groups and groups[-1][2] == text:
                groups[-1] = (groups[-1][0], weekday, text)
            else:
                groups.append((weekday, weekday, text))
        parts = []
        for first, last, text in groups:
            if text == "closed":
                continue
            days = DAY_KEYS[first].title()
            if last != first:
                days = (
                    "every day" if (first, last) == (0, 6) else f"{days}-{DAY_KEYS[last].title()}"
                )
            parts.append(f"{days} {text}")
        return "; ".join(parts)
