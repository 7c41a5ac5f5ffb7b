"""When a support desk is open: weekly hours in a zone, minus public and extra holidays.

Open time is cached per local date as UTC intervals, so the SLA clock walks whole days and
intervals, never minutes. The caches are memos of pure functions of the calendar's inputs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from policies.hours import WeeklyHours
from policies.localtime import Interval, require_aware, spans_to_instants

ONE_DAY = timedelta(days=1)
# No opening within ten years means the hours or holidays leave the desk closed for good.
SEARCH_LIMIT_DAYS = 3660


def public_holidays(country: str, subdivision: str | None, year: int) -> Mapping[date, str]:
    """Public holidays from the ``holidays`` package (imported here: it is slow to import)."""
    import holidays

    return dict(holidays.country_holidays(country, subdiv=subdivision, years=year).items())


class BusinessCalendar:
    def __init__(
        self,
        tz: ZoneInfo,
        hours: WeeklyHours,
        holiday_country: str | None = None,
        holiday_subdivision: str | None = None,
        extra_holidays: frozenset[date] = frozenset(),
    ) -> None:
        self.tz = tz
        self.hours = hours
        self.holiday_country = holiday_country
        self.holiday_subdivision = holiday_subdivision
        self.extra_holidays = extra_holidays
        self._holidays_by_year: dict[int, Mapping[date, str]] = {}
        self._intervals_by_day: dict[date, tuple[Interval, ...]] = {}

    def holiday_name(self, day: date) -> str | None:
        """The holiday's name if ``day`` is closed as a holiday, else None."""
        if day in self.extra_holidays:
            return "extra holiday"
        if self.holiday_country is None:
            return None
        by_date = self._holidays_by_year.get(day.year)
        if by_date is None:
            by_date = public_holidays(self.holiday_country, self.holiday_subdivision, day.year)
            self._holidays_by_year[day.year] = by_date
        return by_date.get(day)

    def intervals(self, day: date) -> tuple[Interval, ...]:
        """The open UTC intervals of local date ``day``, sorted; empty when closed all day."""
        found = self._intervals_by_day.get(day)
        if found is None:
            spans = self.hours.days[day.weekday()]
            if spans and self.holiday_name(day) is not None:
                spans = ()
            found = spans_to_instants(self.tz, day, spans)
            self._intervals_by_day[day] = found
        return found

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()

    def intervals_from(self, at: datetime) -> Iterator[Interval]:
        """Open intervals that end after ``at``, in order, starting with the one containing it."""
        day = self.local_date(at)
        for _ in range(SEARCH_LIMIT_DAYS):
            for interval in self.intervals(day):
                if interval[1] > at:
                    yield interval
            day += ONE_DAY
        raise ValueError(f"no open time within {SEARCH_LIMIT_DAYS} days of {at.isoformat()}")

    def is_open(self, at: datetime) -> bool:
        require_aware(at)
        return any(opens <= at < closes for opens, closes in self.intervals(self.local_date(at)))

    def next_opening(self, at: datetime) -> datetime:
        """``at`` itself if open, else the start of the next open interval (UTC)."""
        require_aware(at)
        at = at.astimezone(UTC)
        opens, _ = next(self.intervals_from(at))
        return at if opens <= at else opens

    def open_days_after(self, day: date, count: int) -> date:
        """The ``count``-th date after ``day`` that has any open time."""
        closed_run = 0
        while count > 0:
            day += ONE_DAY
            if self.intervals(day):
                count -= 1
                closed_run = 0
            else:
                closed_run += 1
                if closed_run > SEARCH_LIMIT_DAYS:
                    raise ValueError(f"no open day within {SEARCH_LIMIT_DAYS} days of {day}")
        return day
