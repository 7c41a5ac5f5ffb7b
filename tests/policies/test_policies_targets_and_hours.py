"""The two small grammars of a policy file: targets and business hours."""

from __future__ import annotations

import pytest

from policies.hours import WeeklyHours, parse_day_hours
from policies.targets import Target, parse_target


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 hour", Target("1 hour", "duration", 1, "hour", False)),
        ("4 Business Hours", Target("4 Business Hours", "duration", 4, "hour", True)),
        ("1 calendar day", Target("1 calendar day", "duration", 1, "day", False)),
        ("3  business   days", Target("3 business days", "duration", 3, "day", True)),
        ("30 minutes", Target("30 minutes", "duration", 30, "minute", False)),
        ("1 week", Target("1 week", "duration", 1, "week", False)),
        ("2 business weeks", Target("2 business weeks", "duration", 2, "week", True)),
        ("immediate", Target("immediate", "immediate")),
        ("Immediately", Target("Immediately", "immediate")),
        ("business immediate", Target("business immediate", "immediate", business=True)),
        ("none", Target("none", "none")),
    ],
)
def test_targets_parse(text: str, expected: Target) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2 fortnight", "unknown unit 'fortnight'"),
        ("two hours", "amount 'two' is not a whole number"),
        ("-1 hours", "amount '-1' is not a whole number"),
        ("0 hours", "amount must be at least 1"),
        ("1.5 hours", "amount '1.5' is not a whole number"),
        ("asap", "cannot read target 'asap'"),
        ("4 office hours", "cannot read target"),
        ("", "cannot read target"),
    ],
)
def test_bad_targets(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_target(text)


def test_describe_uses_the_contracts_words() -> None:
    assert parse_target("1 business day").describe() == "within 1 business day"
    assert parse_target("immediate").describe() == "immediately"
    assert parse_target("none").describe() == "no fixed deadline"
    assert str(parse_target("2 hours")) == "2 hours"


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("09:00-17:00", ((540, 1020),)),
        ("13:00-18:00, 08:00-12:00", ((480, 720), (780, 1080))),
        ("08:00-12:00,12:00-13:00", ((480, 780),)),  # touching spans merge
        ("00:00-24:00", ((0, 1440),)),
        ("9:30 - 10:00", ((570, 600),)),
        ("closed", ()),
        ("", ()),
    ],
)
def test_day_hours_parse(text: str, spans: tuple[tuple[int, int], ...]) -> None:
    assert parse_day_hours(text) == spans


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("09:00-12:00, 11:00-13:00", "'09:00-12:00' and '11:00-13:00' overlap"),
        ("08:00-17:00, 09:00-10:00", "overlap"),
        ("17:00-09:00", "ends before it starts"),
        ("10:00-10:00", "ends before it starts"),
        ("24:00-24:00", "bad time of day"),
        ("09:60-10:00", "bad time of day"),
        ("9am-5pm", "expected 'HH:MM-HH:MM'"),
    ],
)
def test_bad_day_hours(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_day_hours(text)


def test_weekly_summary() -> None:
    office = WeeklyHours.from_table({d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")})
    assert office.summary() == "Mon-Fri 09:00-17:00"
    assert office.open_weekdays == 5
    always = WeeklyHours.from_table(
        {d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    )
    assert always.summary() == "24 hours a day, 7 days a week"
    mixed = WeeklyHours.from_table({"mon": "08:00-12:00, 13:00-18:00", "fri": "08:00-16:00"})
    assert mixed.summary() == "Mon 08:00-12:00, 13:00-18:00; Fri 08:00-16:00"
