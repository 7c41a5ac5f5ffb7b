"""Every daylight-saving change of 2026-2027 in New York, Berlin and Sydney, plus the odd hours
a change creates: a closing time that does not exist, an hour that happens twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from .policy_samples import ALL_DAYS, due, local, policy_from, sample_policy, utc

# (zone, the Sunday of the change, hours the clock moves: +1 spring forward, -1 fall back)
CHANGES = [
    ("America/New_York", "2026-03-08", +1),
    ("America/New_York", "2026-11-01", -1),
    ("America/New_York", "2027-03-14", +1),
    ("America/New_York", "2027-11-07", -1),
    ("Europe/Berlin", "2026-03-29", +1),
    ("Europe/Berlin", "2026-10-25", -1),
    ("Europe/Berlin", "2027-03-28", +1),
    ("Europe/Berlin", "2027-10-31", -1),
    ("Australia/Sydney", "2026-04-05", -1),
    ("Australia/Sydney", "2026-10-04", +1),
    ("Australia/Sydney", "2027-04-04", -1),
    ("Australia/Sydney", "2027-10-03", +1),
]
IDS = [f"{zone.split('/')[1]}-{day}" for zone, day, _ in CHANGES]


def _at(zone: str, day: date, hhmm: str) -> datetime:
    return local(f"{day.isoformat()}T{hhmm}", zone)


@pytest.mark.parametrize(("zone", "sunday", "shift"), CHANGES, ids=IDS)
def test_the_change_is_where_we_think(zone: str, sunday: str, shift: int) -> None:
    day = date.fromisoformat(sunday)
    tz = ZoneInfo(zone)
    before = _at(zone, day - timedelta(days=1), "12:00").astimezone(tz).utcoffset()
    after = _at(zone, day + timedelta(days=1), "12:00").astimezone(tz).utcoffset()
    assert before is not None and after is not None
    assert after - before == timedelta(hours=shift)


@pytest.mark.parametrize(("zone", "sunday", "shift"), CHANGES, ids=IDS)
def test_calendar_day_keeps_the_wall_clock(zone: str, sunday: str, shift: int) -> None:
    policy = sample_policy("1 calendar day", "1 week", zone=zone, holidays=None)
    day = date.fromisoformat(sunday)
    received = _at(zone, day - timedelta(days=1), "12:00")
    found = due(policy, "1 calendar day", received.isoformat())
    assert found == _at(zone, day, "12:00")
    assert found is not None and found - received == timedelta(hours=24 - shift)
    week = due(policy, "1 week", received.isoformat())
    assert week == _at(zone, day + timedelta(days=6), "12:00")
    assert week is not None and week - received == timedelta(hours=7 * 24 - shift)


@pytest.mark.parametrize(("zone", "sunday", "shift"), CHANGES, ids=IDS)
def test_business_hours_count_elapsed_open_time(zone: str, sunday: str, shift: int) -> None:
    day = date.fromisoformat(sunday)
    always = sample_policy("24 business hours", zone=zone, days=ALL_DAYS, spans="00:00-24:00")
    received = _at(zone, day - timedelta(days=1), "12:00")
    found = due(always, "24 business hours", received.isoformat())
    assert found == received + timedelta(hours=24)
    assert found is not None
    wall = found.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    assert wall == datetime.combine(day, datetime.min.time()) + timedelta(hours=12 + shift)
    # The change day itself has 23 or 25 open hours.
    open_time = sum(
        (closes - opens for opens, closes in always.calendar.intervals(day)), timedelta()
    )
    assert open_time == timedelta(hours=24 - shift)


@pytest.mark.parametrize(("zone", "sunday", "shift"), CHANGES, ids=IDS)
def test_office_hours_across_the_change_weekend(zone: str, sunday: str, shift: int) -> None:
    office = sample_policy("8 business hours", "1 business day", zone=zone, holidays=None)
    day = date.fromisoformat(sunday)
    friday, monday = day - timedelta(days=2), day + timedelta(days=1)
    received = _at(zone, friday, "13:00").isoformat()
    assert due(office, "8 business hours", received) == _at(zone, monday, "13:00")
    assert due(office, "1 business day", received) == _at(zone, monday, "13:00")


@pytest.mark.parametrize(("zone", "sunday", "shift"), CHANGES, ids=IDS)
def test_hours_that_contain_the_change(zone: str, sunday: str, shift: int) -> None:
    """Sunday 00:00-06:00 holds 5 open hours on a spring-forward night, 7 on a fall-back one."""
    night = sample_policy("5 business hours", zone=zone, days=("sun",), spans="00:00-06:00")
    day = date.fromisoformat(sunday)
    (opens, closes), *rest = night.calendar.intervals(day)
    assert rest == []
    assert closes - opens == timedelta(hours=6 - shift)
    received = _at(zone, day - timedelta(days=1), "12:00").isoformat()
    # Five elapsed hours after local midnight reads 06:00 (spring) or 04:00 (fall) on the clock.
    assert due(night, "5 business hours", received) == _at(zone, day, f"{5 + shift:02d}:00")


SPRING_NIGHT = """
name = "spring-night"
timezone = "America/New_York"
[hours]
sat = "00:00-24:00"
sun = "00:00-02:30, 02:45-05:00"
[[priority]]
id = "N"
respond = "3 business hours"
"""


def test_closing_time_that_does_not_exist() -> None:
    """On 2026-03-08 New York skips 02:00-03:00: a 02:30 closing closes at the jump, 03:00 EDT,
    and a 02:45 opening opens at the jump too, so the two spans meet."""
    policy = policy_from(SPRING_NIGHT)
    day = date(2026, 3, 8)
    assert policy.calendar.intervals(day) == (
        (datetime(2026, 3, 8, 5, tzinfo=UTC), datetime(2026, 3, 8, 9, tzinfo=UTC)),
    )
    assert policy.is_open(local("2026-03-08T01:59:59-05:00"))
    assert policy.is_open(local("2026-03-08T03:00:00-04:00"))
    assert not policy.is_open(local("2026-03-08T05:00:00-04:00"))
    # Sunday opens 00:00 EST, and 3 business hours from Saturday 23:00 are 00:00 + 2 h -> 03:00
    # EDT on the clock after the jump (02:00 EST + 1 h).
    assert utc(policy.deadline("N", local("2026-03-07T23:00"))) == local("2026-03-08T03:00-04:00")


def test_opening_time_that_does_not_exist() -> None:
    policy = policy_from(SPRING_NIGHT.replace("00:00-02:30, 02:45-05:00", "02:30-05:00"))
    opening = policy.next_opening(local("2026-03-08T00:00-05:00"))
    assert utc(opening) == local("2026-03-08T03:00-04:00")
    assert not policy.is_open(local("2026-03-08T01:59:59-05:00"))


def test_hour_that_happens_twice_is_open_twice() -> None:
    """Hours 01:00-01:30 on the fall-back night are open during both passes of the clock."""
    policy = sample_policy("1 business hour", days=("sun",), spans="01:00-01:30", holidays=None)
    assert policy.is_open(local("2026-11-01T01:15-04:00"))
    assert not policy.is_open(local("2026-11-01T01:45-04:00"))
    assert policy.is_open(local("2026-11-01T01:15-05:00"))
    assert not policy.is_open(local("2026-11-01T01:30-05:00"))
    assert due(policy, "1 business hour", "2026-10-31T12:00") == local("2026-11-01T01:30-05:00")


def test_calendar_day_landing_in_the_skipped_hour() -> None:
    """02:30 does not exist on 2026-03-08; the clock first reads 02:30 or later at 03:00 EDT."""
    policy = sample_policy("1 calendar day", zone="America/New_York", holidays=None)
    assert due(policy, "1 calendar day", "2026-03-07T02:30") == local("2026-03-08T03:00-04:00")
    assert due(policy, "1 calendar day", "2026-03-07T03:15") == local("2026-03-08T03:15-04:00")


def test_calendar_day_from_the_repeated_hour_never_goes_backwards() -> None:
    """01:15 EST on 2026-11-01 comes after 01:45 EDT: the clock had already shown 01:59, so the
    deadline one day later is not earlier than the one for 01:45 EDT."""
    policy = sample_policy("1 calendar day", holidays=None)
    first_pass = due(policy, "1 calendar day", "2026-11-01T01:45-04:00")
    second_pass = due(policy, "1 calendar day", "2026-11-01T01:15-05:00")
    assert first_pass == local("2026-11-02T01:45-05:00")
    assert second_pass == local("2026-11-02T02:00-05:00")


def test_offsets_are_canonical_after_the_change() -> None:
    policy = sample_policy("1 calendar day", zone="Australia/Sydney", holidays=None)
    found = policy.deadline("T0", local("2026-10-03T02:30", "Australia/Sydney"))
    assert found is not None
    assert found.isoformat() == "2026-10-04T03:00:00+11:00"
    assert found.tzinfo == ZoneInfo("Australia/Sydney")
