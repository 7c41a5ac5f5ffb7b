"""Table tests for every SLA rule and every example in issue 3 (exact instants)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from .policy_samples import due, local, policy_from, sample_policy, utc

NINE_TO_FIVE = sample_policy(
    "4 business hours",
    "8 business hours",
    "1 business day",
    "2 business days",
    "1 business week",
    "1 calendar day",
    "2 hours",
    "30 minutes",
    "1 week",
    "3 business days",
    "90 business minutes",
    "immediate",
    "business immediate",
    "none",
)


@pytest.mark.parametrize(
    ("target", "received", "expected"),
    [
        # The issue's examples: Mon-Fri 09:00-17:00 America/New_York, US holidays.
        ("4 business hours", "2026-11-23T15:00", "2026-11-24T11:00-05:00"),
        ("4 business hours", "2026-11-21T10:00", "2026-11-23T13:00-05:00"),
        ("1 business day", "2026-11-20T16:00", "2026-11-23T16:00-05:00"),
        ("1 business day", "2026-11-25T10:00", "2026-11-27T10:00-05:00"),  # Thanksgiving
        ("2 business days", "2026-11-21T10:00", "2026-11-25T09:00-05:00"),
        ("1 calendar day", "2026-10-31T12:00-04:00", "2026-11-01T12:00-05:00"),
        ("8 business hours", "2026-10-30T13:00-04:00", "2026-11-02T13:00-05:00"),
        ("1 business week", "2026-11-23T11:00", "2026-12-01T11:00-05:00"),
    ],
)
def test_issue_examples(target: str, received: str, expected: str) -> None:
    assert due(NINE_TO_FIVE, target, received) == local(expected)


@pytest.mark.parametrize(
    ("target", "received", "expected"),
    [
        # Calendar minutes/hours are elapsed time: "2 hours" from 23:30 is 01:30.
        ("2 hours", "2026-11-23T23:30", "2026-11-24T01:30-05:00"),
        ("30 minutes", "2026-11-21T10:00", "2026-11-21T10:30-05:00"),
        # Calendar weeks: the same wall-clock time 7 days later, across the DST change.
        ("1 week", "2026-10-28T10:00-04:00", "2026-11-04T10:00-05:00"),
        # Business minutes.
        ("90 business minutes", "2026-11-23T16:00", "2026-11-24T09:30-05:00"),
        # Immediate: the receipt (calendar) or the next opening (business).
        ("immediate", "2026-11-21T10:00", "2026-11-21T10:00-05:00"),
        ("business immediate", "2026-11-21T10:00", "2026-11-23T09:00-05:00"),
        ("business immediate", "2026-11-23T10:15", "2026-11-23T10:15-05:00"),
        # Business days across a week with a holiday in the middle.
        ("3 business days", "2026-11-24T14:00", "2026-11-30T14:00-05:00"),
        # Business week from a Saturday starts at Monday's opening.
        ("1 business week", "2026-11-28T10:00", "2026-12-07T09:00-05:00"),
    ],
)
def test_calendar_business_and_immediate_rules(target: str, received: str, expected: str) -> None:
    assert due(NINE_TO_FIVE, target, received) == local(expected)


def test_none_has_no_deadline() -> None:
    assert due(NINE_TO_FIVE, "none", "2026-11-23T10:00") is None


def test_missing_target_has_no_deadline() -> None:
    assert NINE_TO_FIVE.deadline("T0", local("2026-11-23T10:00"), "resolve") is None


def test_deadline_is_in_the_policy_zone_for_any_input_zone() -> None:
    found = NINE_TO_FIVE.deadline("T0", local("2026-11-23T20:00+00:00"))
    assert found is not None
    assert found.tzinfo == NINE_TO_FIVE.tz
    assert utc(found) == local("2026-11-24T11:00-05:00")
    assert found.isoformat() == "2026-11-24T11:00:00-05:00"


def test_naive_received_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        NINE_TO_FIVE.deadline("T0", local("2026-11-23T20:00").replace(tzinfo=None))


def test_unknown_target_and_priority() -> None:
    with pytest.raises(ValueError, match="unknown target"):
        NINE_TO_FIVE.deadline("T0", local("2026-11-23T20:00"), "whenever")
    with pytest.raises(KeyError, match="T99"):
        NINE_TO_FIVE.deadline("T99", local("2026-11-23T20:00"))


# Arrivals exactly at an opening or a closing (open at the start, closed at the end).
@pytest.mark.parametrize(
    ("target", "received", "expected"),
    [
        ("4 business hours", "2026-11-23T09:00", "2026-11-23T13:00-05:00"),
        ("4 business hours", "2026-11-23T17:00", "2026-11-24T13:00-05:00"),
        ("4 business hours", "2026-11-23T13:00", "2026-11-23T17:00-05:00"),  # ends at closing
        ("8 business hours", "2026-11-23T09:00", "2026-11-23T17:00-05:00"),  # not next opening
        ("1 business day", "2026-11-23T09:00", "2026-11-24T09:00-05:00"),
        ("1 business day", "2026-11-23T17:00", "2026-11-25T09:00-05:00"),
        ("1 business day", "2026-11-23T16:59:59", "2026-11-24T16:59:59-05:00"),
    ],
)
def test_arrivals_at_opening_and_closing(target: str, received: str, expected: str) -> None:
    assert due(NINE_TO_FIVE, target, received) == local(expected)


def test_open_at_start_closed_at_end() -> None:
    assert NINE_TO_FIVE.is_open(local("2026-11-23T09:00"))
    assert not NINE_TO_FIVE.is_open(local("2026-11-23T08:59:59.999999"))
    assert NINE_TO_FIVE.is_open(local("2026-11-23T16:59:59.999999"))
    assert not NINE_TO_FIVE.is_open(local("2026-11-23T17:00"))
    assert NINE_TO_FIVE.is_after_hours(local("2026-11-23T17:00"))
    assert utc(NINE_TO_FIVE.next_opening(local("2026-11-23T17:00"))) == local("2026-11-24T09:00")
    assert utc(NINE_TO_FIVE.next_opening(local("2026-11-23T10:00"))) == local("2026-11-23T10:00")
    assert utc(NINE_TO_FIVE.next_opening(local("2026-11-25T17:30"))) == local("2026-11-27T09:00")


LUNCH = sample_policy(
    "3 business hours",
    "1 business day",
    "2 business days",
    spans="08:00-12:00, 13:00-18:00",
    holidays=None,
)


@pytest.mark.parametrize(
    ("target", "received", "expected"),
    [
        ("3 business hours", "2026-11-23T11:00", "2026-11-23T15:00-05:00"),  # skips lunch
        ("3 business hours", "2026-11-23T12:30", "2026-11-23T16:00-05:00"),  # in lunch
        ("3 business hours", "2026-11-23T09:00", "2026-11-23T12:00-05:00"),  # ends at lunch
        ("3 business hours", "2026-11-23T17:00", "2026-11-24T10:00-05:00"),
        ("1 business day", "2026-11-23T12:30", "2026-11-24T13:00-05:00"),  # starts after lunch
        ("1 business day", "2026-11-23T11:15", "2026-11-24T11:15-05:00"),
    ],
)
def test_lunch_breaks(target: str, received: str, expected: str) -> None:
    assert due(LUNCH, target, received) == local(expected)
    assert not LUNCH.is_open(local("2026-11-23T12:00"))
    assert LUNCH.is_open(local("2026-11-23T13:00"))


UNEVEN_TEXT = """
name = "uneven"
timezone = "America/New_York"
[hours]
mon = "08:00-12:00, 13:00-18:00"
tue = "10:00-11:00, 14:00-16:00"
wed = "13:00-14:00"
[[priority]]
id = "D1"
respond = "1 business day"
"""


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        # S's time inside the next day's hours: that time.
        ("2026-11-23T10:30", "2026-11-24T10:30-05:00"),
        # Inside the next day's gap: the nearest earlier closing time.
        ("2026-11-23T13:30", "2026-11-24T11:00-05:00"),
        # After the next day's last closing: that closing.
        ("2026-11-23T17:00", "2026-11-24T16:00-05:00"),
        # Before the next day's opening: the opening.
        ("2026-11-23T08:30", "2026-11-24T10:00-05:00"),
        # Exactly at the next day's closing time is not inside it: that closing.
        ("2026-11-23T16:00", "2026-11-24T16:00-05:00"),
        ("2026-11-24T10:30", "2026-11-25T13:00-05:00"),
        ("2026-11-25T13:30", "2026-11-30T13:30-05:00"),
    ],
)
def test_business_day_kept_inside_the_target_days_hours(received: str, expected: str) -> None:
    policy = policy_from(UNEVEN_TEXT)
    assert utc(policy.deadline("D1", local(received))) == local(expected)


HOLIDAYS = sample_policy(
    "1 business day",
    "4 business hours",
    extra_holidays=("2026-12-24",),
)


@pytest.mark.parametrize(
    ("target", "received", "expected"),
    [
        ("1 business day", "2026-12-23T11:00", "2026-12-28T11:00-05:00"),  # 24th extra, 25th US
        ("4 business hours", "2026-12-23T15:00", "2026-12-28T11:00-05:00"),
        ("1 business day", "2026-11-26T10:00", "2026-11-30T09:00-05:00"),  # on Thanksgiving
        ("4 business hours", "2027-01-01T10:00", "2027-01-04T13:00-05:00"),  # New Year's Day
    ],
)
def test_holidays_are_closed_all_day(target: str, received: str, expected: str) -> None:
    assert due(HOLIDAYS, target, received) == local(expected)
    assert not HOLIDAYS.is_open(local("2026-12-24T10:00"))
    assert HOLIDAYS.holiday_name(local("2026-12-24T10:00").date()) == "extra holiday"
    assert HOLIDAYS.holiday_name(local("2026-11-26T10:00").date()) == "Thanksgiving Day"


ROUND_THE_CLOCK = sample_policy(
    "24 business hours",
    "1 business day",
    "2 business weeks",
    spans="00:00-24:00",
    days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
    holidays=None,
)


def test_whole_days_are_contiguous() -> None:
    assert ROUND_THE_CLOCK.is_open(local("2026-11-24T00:00"))
    assert ROUND_THE_CLOCK.is_open(local("2026-11-23T23:59:59"))
    assert due(ROUND_THE_CLOCK, "24 business hours", "2026-11-23T12:00") == local(
        "2026-11-24T12:00"
    )
    assert due(ROUND_THE_CLOCK, "1 business day", "2026-11-21T00:00") == local("2026-11-22T00:00")
    # A business week of a 7-day desk is 7 business days.
    assert due(ROUND_THE_CLOCK, "2 business weeks", "2026-11-21T08:00") == local("2026-12-05T08:00")


def test_business_week_counts_weekdays_with_hours() -> None:
    six_days = sample_policy(
        "1 business week", days=("mon", "tue", "wed", "thu", "fri", "sat"), holidays=None
    )
    assert six_days.hours.open_weekdays == 6
    assert due(six_days, "1 business week", "2026-11-23T10:00") == local("2026-11-30T10:00")


def test_long_spans_walk_days_not_minutes() -> None:
    policy = sample_policy("2000 business hours", "500 business days")
    start = local("2026-01-05T09:00")
    # 2000 h / 8 h a day = 250 open days; 500 open days is about two years.
    hours_due = due(policy, "2000 business hours", "2026-01-05T09:00")
    days_due = due(policy, "500 business days", "2026-01-05T09:00")
    assert hours_due is not None and days_due is not None
    assert timedelta(days=340) < hours_due - start < timedelta(days=380)
    assert timedelta(days=700) < days_due - start < timedelta(days=740)
