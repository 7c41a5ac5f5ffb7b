"""SLA attainment: per policy x priority x clock, how many clocks started in a period were met,
breached or are still open, and how long meeting them took, in the clock's own units.

- attainment % = met in time / (met in time + breached); clocks still running do not count
  yet (a still-open clock past its deadline is breached, whether or not the scanner has
  recorded it);
- median and p90 (nearest rank) of the time from a clock's start to when it was met (met late
  included), in business hours for a business clock (open time only, as the clock counts),
  in hours otherwise.

Used by `intake sla report`, the API's `GET /sla/report` and the workspace's `/reports`
(whose CSV download is `csv_text`, the bytes `intake sla report --format csv` prints): the
same rows, and the same default period, `month_so_far` in `report_zone`: this month so far
in the zone of the policy asked for, else of the first desk's policy, which is the month a
lead of that desk means. A desk of several zones lists its main desk first, or asks for a
policy (or gives the period) to see another desk's month. Dates and instants given without
an offset are read in that zone too (`read_bound`): "from 1 June" is the desk's 1 June.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from gateway.config import Settings
from gateway.policybook import PolicyBook
from gateway.store import clocks as sql
from gateway.store.clocks import StoredClock
from gateway.store.connection import Connection
from gateway.terminal import clean
from policies import PolicyError
from policies.business_calendar import BusinessCalendar
from policies.clocks import open_time_between

HOUR = timedelta(hours=1)
COLUMNS = (
    "policy",
    "priority",
    "clock",
    "count",
    "met",
    "breached",
    "open",
    "attainment %",
    "median",
    "p90",
    "unit",
)


@dataclass(frozen=True, slots=True)
class ReportRow:
    policy: str
    priority: str
    clock: str
    count: int
    met: int
    breached: int
    open: int
    attainment: float | None  # percent; None while nothing is decided
    median: float | None
    p90: float | None
    unit: str  # "business hours" or "hours"

    def as_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "priority": self.priority,
            "clock": self.clock,
            "count": self.count,
            "met": self.met,
            "breached": self.breached,
            "open": self.open,
            "attainment_percent": self.attainment,
            "median": self.median,
            "p90": self.p90,
            "unit": self.unit,
        }


def report_zone(settings: Settings, policies: PolicyBook, policy: str | None) -> ZoneInfo:
    """The zone a report's dates are read in: the policy's asked for, else the first desk's."""
    for reference in (policy, settings.desks[0].policy):
        if reference is None:
            continue
        try:
            return policies.get(reference).tz
        except PolicyError:
            continue  # an unknown policy: its report is empty, and says so
    return ZoneInfo("UTC")


def month_so_far(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The default period of a report: from midnight on the first of this month in `zone`
    (the desk's month, see `report_zone`) until `now`."""
    local = now.astimezone(zone)
    start = datetime.combine(local.date().replace(day=1), time(0), tzinfo=zone)
    return start, now


def read_bound(text: str, zone: ZoneInfo, *, end: bool) -> datetime:
    """One end of a report's period as a lead types it: a date (`2026-06-01`) or an ISO 8601
    instant, read in `zone` (the desk's, `report_zone`) when it has no offset; an `end` given
    as a bare date includes that whole day. ValueError, worded for the user, if it is neither."""
    value = text.strip()
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not an ISO 8601 time or date: {text!r}") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=zone)
    bare_date = "T" not in value and " " not in value
    if end and bare_date:  # midnight after that day, in the zone (a DST day has 23 or 25 h)
        return datetime.combine(at.date() + timedelta(days=1), time(0), tzinfo=at.tzinfo)
    return at


async def attainment(
    db: Connection,
    policies: PolicyBook,
    *,
    since: datetime,
    until: datetime,
    now: datetime,
    policy: str | None = None,
) -> list[ReportRow]:
    """Rows for clocks that started in [since, until), ordered by policy, priority, clock."""
    clocks = await sql.report_rows(db, since, until, policy)
    groups: dict[tuple[str, str, str], list[StoredClock]] = {}
    for clock in clocks:
        groups.setdefault((clock.policy, clock.priority, clock.clock), []).append(clock)
    return [
        _row(key, members, policies, now)
        for key, members in sorted(groups.items(), key=lambda item: _order(item[0], policies))
    ]


def cells(row: ReportRow) -> list[str]:
    """One row as text, in `COLUMNS` order; "-" where there is no figure yet."""
    return [
        row.policy,
        row.priority,
        row.clock,
        str(row.count),
        str(row.met),
        str(row.breached),
        str(row.open),
        _cell(row.attainment),
        _cell(row.median),
        _cell(row.p90),
        row.unit,
    ]


def csv_text(rows: Sequence[ReportRow]) -> str:
    """The report as CSV with a header line: every cell one line of printable text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([[" ".join(clean(c).split()) for c in cells(row)] for row in rows])
    return out.getvalue()


def _cell(value: float | int | None) -> str:
    return "-" if value is None else str(value)


def _row(
    key: tuple[str, str, str], members: Sequence[StoredClock], policies: PolicyBook, now: datetime
) -> ReportRow:
    policy_name, priority, clock_name = key
    met = breached = still_open = 0
    durations: list[float] = []
    business = any(c.business for c in members)
    calendar = _calendar(policies, policy_name) if business else None
    for clock in members:
        outcome = _outcome(clock, now)
        if outcome == "met":
            met += 1
        elif outcome == "breached":
            breached += 1
        else:
            still_open += 1
        if clock.met_at is not None:
            if clock.business and calendar is not None:
                taken = open_time_between(calendar, clock.started_at, clock.met_at)
            else:
                taken = clock.met_at - clock.started_at
            durations.append(round(taken / HOUR, 2))
    decided = met + breached
    return ReportRow(
        policy=policy_name,
        priority=priority,
        clock=clock_name,
        count=len(members),
        met=met,
        breached=breached,
        open=still_open,
        attainment=round(100 * met / decided, 1) if decided else None,
        median=round(statistics.median(durations), 2) if durations else None,
        p90=_nearest_rank(durations, 0.9),
        unit="business hours" if business and calendar is not None else "hours",
    )


def _outcome(clock: StoredClock, now: datetime) -> str:
    if clock.met_at is not None:
        return "met" if clock.met_at <= clock.due_at else "breached"
    if clock.breached_at is not None or (clock.state != "paused" and clock.due_at <= now):
        return "breached"
    return "open"


def _nearest_rank(values: Sequence[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _calendar(policies: PolicyBook, name: str) -> BusinessCalendar | None:
    try:
        return policies.get(name).calendar
    except (PolicyError, OSError, KeyError):
        return None  # the policy is gone from the configuration: elapsed hours, said as such


_CLOCK_ORDER = {"respond": 0, "ongoing": 1, "resolve": 2, "rfo": 3}


def _order(key: tuple[str, str, str], policies: PolicyBook) -> tuple[str, int, str, int]:
    policy_name, priority, clock = key
    try:
        ranks = {p.id: p.rank for p in policies.get(policy_name).priorities}
    except (PolicyError, OSError, KeyError):
        ranks = {}
    return policy_name, ranks.get(priority, 99), priority, _CLOCK_ORDER.get(clock, 9)
