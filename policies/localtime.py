"""Local wall-clock time to instants and back, exactly, across daylight-saving changes.

Two rules make every conversion well defined and monotone (a later wall-clock reading never
maps to an earlier instant):

* A wall-clock time that does not exist (skipped by a spring-forward change) is reached at the
  change itself: "02:30" on the spring-forward night in New York is 03:00 EDT, the first instant
  at which the clock shows 02:30 or later.
* A wall-clock time that happens twice (fall-back) is the first occurrence.

Instants are aware ``datetime`` objects in UTC throughout; only the edges convert to the zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo

Interval = tuple[datetime, datetime]
_ONE_HOUR = timedelta(hours=1)
_ONE_DAY = timedelta(days=1)


def require_aware(at: datetime, what: str = "time") -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {at.isoformat()}")


def _offset_at(tz: tzinfo, timestamp: int) -> timedelta | None:
    return datetime.fromtimestamp(timestamp, tz).utcoffset()


def find_transition(tz: tzinfo, after: datetime, before: datetime) -> datetime:
    """The instant in (after, before] where the zone's UTC offset changes (to the second)."""
    low, high = int(after.timestamp()), int(before.timestamp()) + 1
    offset_low = _offset_at(tz, low)
    while high - low > 1:
        middle = (low + high) // 2
        if _offset_at(tz, middle) == offset_low:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


def first_instant_at(tz: tzinfo, wall: datetime) -> datetime:
    """The first instant at which the local clock shows ``wall`` (naive) or later."""
    instant = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == wall:
        return instant
    # In a gap: fold=1 reads the wall time with the offset after the change (an instant before
    # the change), fold=0 with the offset before it (an instant after it).
    earlier = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    return find_transition(tz, earlier, instant)


def wall_clock_reached(tz: tzinfo, at: datetime) -> datetime:
    """The latest wall-clock reading the local clock has shown by instant ``at`` (naive).

    That is the local time, except during the repeated hour after a fall-back change, where the
    clock already showed the later readings once: there it is the reading just before the
    change. Counting from this keeps "same wall-clock time N days later" monotone.
    """
    local = at.astimezone(tz)
    wall = local.replace(tzinfo=None, fold=0)
    if not local.fold:
        return wall
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    change = find_transition(tz, first, at)
    offset_before = (change - timedelta(seconds=1)).astimezone(tz).utcoffset()
    assert offset_before is not None  # a ZoneInfo always has an offset
    return change.replace(tzinfo=None) + offset_before


def _day_pieces(
    tz: tzinfo, day: date
) -> tuple[tuple[datetime | None, datetime | None, timedelta], ...]:
    """The day's instants split where the offset changes: (from, until, offset) pieces."""
    midnight = datetime.combine(day, time())
    next_midnight = midnight + _ONE_DAY
    offset_start = midnight.replace(tzinfo=tz).utcoffset()
    offset_end = next_midnight.replace(tzinfo=tz).utcoffset()
    assert offset_start is not None and offset_end is not None
    if offset_start == offset_end:
        return ((None, None, offset_start),)
    search_from = (midnight - offset_start - _ONE_HOUR).replace(tzinfo=UTC)
    search_to = (next_midnight - offset_end + _ONE_HOUR).replace(tzinfo=UTC)
    change = find_transition(tz, search_from, search_to)
    return ((None, change, offset_start), (change, None, offset_end))


def spans_to_instants(
    tz: tzinfo, day: date, spans: Sequence[tuple[int, int]]
) -> tuple[Interval, ...]:
    """The instants at which the local clock on ``day`` reads inside one of ``spans``.

    Spans are minutes after local midnight, half-open. On a change day a span may shrink (the
    skipped hour is not open time), grow, or, across a repeated hour, come back a second time.
    """
    if not spans:
        return ()
    wall_midnight = datetime.combine(day, time(), tzinfo=UTC)  # wall clock read as if UTC
    pieces = _day_pieces(tz, day)
    found: list[Interval] = []
    for start_minute, end_minute in spans:
        wall_open = wall_midnight + timedelta(minutes=start_minute)
        wall_close = wall_midnight + timedelta(minutes=end_minute)
        for piece_from, piece_until, offset in pieces:
            opens, closes = wall_open - offset, wall_close - offset
            if piece_from is not None and opens < piece_from:
                opens = piece_from
            if piece_until is not None and closes > piece_until:
                closes = piece_until
            if opens < closes:
                found.append((opens, closes))
    return _merge(sorted(found))


def _merge(intervals: list[Interval]) -> tuple[Interval, ...]:
    merged: list[Interval] = []
    for opens, closes in intervals:
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(closes, merged[-1][1]))
        else:
            merged.append((opens, closes))
    return tuple(merged)
