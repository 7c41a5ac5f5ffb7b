"""The on-call schedule: rotations, DST-correct hand-offs, overrides, escalation chains."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from gateway.config.oncall import OnCallConfig
from voice.oncall import OnCallSchedule

NEW_YORK = ZoneInfo("America/New_York")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


@pytest.fixture
def schedule(oncall_table: dict[str, Any]) -> OnCallSchedule:
    return OnCallSchedule(OnCallConfig.model_validate(oncall_table))


def daily(oncall_table: dict[str, Any], handoff: str, start: str) -> OnCallSchedule:
    table = copy.deepcopy(oncall_table)
    table["rotation"] = {
        "kind": "daily",
        "handoff": handoff,
        "start": start,
        "order": ["alice", "bob"],
    }
    return OnCallSchedule(OnCallConfig.model_validate(table))


# -- config --------------------------------------------------------------------------------


def test_phones_are_normalised_and_durations_parsed(schedule: OnCallSchedule) -> None:
    config = schedule.config
    assert [person.phone for person in config.staff] == [
        "+12025550101",
        "+12025550102",
        "+12025550103",
        "+442079460000",
    ]
    assert [step.delay for step in config.escalation.step] == [
        timedelta(minutes=10),
        timedelta(minutes=5),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("10m", timedelta(minutes=10)),
        ("1h", timedelta(hours=1)),
        ("1h30m", timedelta(minutes=90)),
        ("1d", timedelta(days=1)),
        (600, timedelta(minutes=10)),
    ],
)
def test_durations(oncall_table: dict[str, Any], text: str | int, expected: timedelta) -> None:
    oncall_table["escalation"]["step"][0]["delay"] = text
    config = OnCallConfig.model_validate(oncall_table)
    assert config.escalation.step[0].delay == expected


def test_config_is_frozen(schedule: OnCallSchedule) -> None:
    with pytest.raises(ValidationError):
        schedule.config.timezone = "UTC"


def _set(table: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node: Any = table
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is _DELETE:
        del node[int(last) if last.isdigit() else last]
    elif last.isdigit() and int(last) == len(node):
        node.append(value)
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value


_DELETE = object()
ALICE = {"id": "alice", "name": "Another Alice", "phone": "+12025550109"}


@pytest.mark.parametrize(
    ("path", "value", "loc", "message"),
    [
        ("timezone", "Mars/Olympus", ("timezone",), "unknown time zone 'Mars/Olympus'"),
        ("staff.0.phone", "+15551230001", ("staff", 0, "phone"), "not a valid phone number"),
        ("staff.4", ALICE, ("staff", 4, "id"), "duplicate of staff[0]"),
        ("staff.1.phone", "+12025550101", ("staff", 1, "phone"), "same number as staff[0]"),
        ("staff.1.id", "Primary", ("staff", 1, "id"), "'Primary' is reserved"),
        ("staff.1.id", "bob smith", ("staff", 1, "id"), "String should match pattern"),
        (
            "rotation.order",
            ["alice", "bob", "zed"],
            ("rotation", "order", 2),
            "unknown staff 'zed'",
        ),
        ("rotation.order", [], ("rotation", "order"), "at least 1 item"),
        ("rotation.kind", "monthly", ("rotation", "kind"), "'daily' or 'weekly'"),
        ("rotation.handoff", "25:00", ("rotation", "handoff"), "valid time"),
        ("rotation.handoff_day", "tue", ("rotation", "start"), "is a mon, but handoff_day is tue"),
        ("rotation.shift", "x", ("rotation", "shift"), "Extra inputs are not permitted"),
        ("override.0.staff", "zed", ("override", 0, "staff"), "unknown staff 'zed'"),
        ("override.0.end", "2026-12-24T18:00", ("override", 0, "end"), "must be after start"),
        ("escalation.step.0.target", "boss", ("escalation", "step", 0, "target"), "unknown target"),
        ("escalation.step.0.delay", "10 minutes", ("escalation", "step", 0, "delay"), "like '90s'"),
        ("escalation.step.0.delay", "0m", ("escalation", "step", 0, "delay"), "longer than zero"),
        ("escalation.step", [], ("escalation", "step"), "at least 1 item"),
        ("escalation.fallback", "zed", ("escalation", "fallback"), "unknown staff 'zed'"),
        ("escalation.repeat", -1, ("escalation", "repeat"), "greater than or equal to 0"),
        ("escalation", _DELETE, ("escalation",), "Field required"),
    ],
)
def test_validation_errors_name_the_field(
    oncall_table: dict[str, Any], path: str, value: Any, loc: tuple[Any, ...], message: str
) -> None:
    _set(oncall_table, path, value)

    with pytest.raises(ValidationError) as caught:
        OnCallConfig.model_validate(oncall_table)

    [error] = caught.value.errors()
    assert error["loc"] == loc
    assert message in error["msg"]


def test_a_daily_rotation_has_no_handoff_day(oncall_table: dict[str, Any]) -> None:
    oncall_table["rotation"]["kind"] = "daily"
    with pytest.raises(ValidationError) as caught:
        OnCallConfig.model_validate(oncall_table)
    assert caught.value.errors()[0]["loc"] == ("rotation", "handoff_day")


def test_overlapping_overrides_are_refused(oncall_table: dict[str, Any]) -> None:
    oncall_table["override"].append(
        {"staff": "bob", "start": "2026-12-26T08:00", "end": "2026-12-27T08:00"}
    )
    with pytest.raises(ValidationError) as caught:
        OnCallConfig.model_validate(oncall_table)
    [error] = caught.value.errors()
    assert error["loc"] == ("override", 1, "start") and error["msg"] == "overlaps override[0]"


def test_adjacent_overrides_and_offsets_are_fine(oncall_table: dict[str, Any]) -> None:
    # 09:00 New York is 14:00 UTC in December: this one starts when the first ends.
    oncall_table["override"].append(
        {"staff": "bob", "start": "2026-12-26T14:00:00+00:00", "end": "2026-12-27T09:00"}
    )
    schedule = OnCallSchedule(OnCallConfig.model_validate(oncall_table))
    assert schedule.on_call(utc(2026, 12, 26, 13, 59)).id == "dana"
    assert schedule.on_call(utc(2026, 12, 26, 14, 0)).id == "bob"


# -- rotation ------------------------------------------------------------------------------


def test_weekly_rotation_hands_off_at_the_exact_instant(schedule: OnCallSchedule) -> None:
    # 2026-01-05 09:00 EST = 14:00 UTC: alice's first shift.
    assert schedule.on_call(utc(2026, 1, 5, 14, 0)).id == "alice"
    assert schedule.on_call(utc(2026, 1, 12, 13, 59, 59)).id == "alice"
    assert schedule.on_call(utc(2026, 1, 12, 14, 0)).id == "bob"
    assert schedule.on_call(utc(2026, 1, 19, 14, 0)).id == "carol"
    assert schedule.on_call(utc(2026, 1, 26, 14, 0)).id == "alice"


def test_before_the_start_the_rotation_runs_backwards(schedule: OnCallSchedule) -> None:
    assert schedule.on_call(utc(2026, 1, 5, 13, 59, 59)).id == "carol"
    assert schedule.on_call(utc(2025, 12, 29, 13, 59)).id == "bob"


def test_any_timezone_for_the_instant(schedule: OnCallSchedule) -> None:
    tokyo = datetime(2026, 1, 12, 23, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # 14:00 UTC
    assert schedule.on_call(tokyo).id == "bob"


def test_naive_instants_are_refused(schedule: OnCallSchedule) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule.on_call(datetime(2026, 1, 12, 9, 0))


def test_weekly_handoff_keeps_local_time_when_dst_starts(schedule: OnCallSchedule) -> None:
    # Clocks go forward on Sun 2026-03-08: Monday's 09:00 EDT hand-off is 13:00 UTC, not 14:00.
    assert schedule.on_call(utc(2026, 3, 9, 12, 59, 59)).id == "carol"
    assert schedule.on_call(utc(2026, 3, 9, 13, 0)).id == "alice"
    shift = schedule.shift(utc(2026, 3, 5))
    assert (shift.start, shift.end) == (utc(2026, 3, 2, 14), utc(2026, 3, 9, 13))
    assert shift.end - shift.start == timedelta(hours=167)


def test_weekly_handoff_keeps_local_time_when_dst_ends(schedule: OnCallSchedule) -> None:
    # Clocks go back on Sun 2026-11-01: Monday's 09:00 EST hand-off is 14:00 UTC again.
    assert schedule.on_call(utc(2026, 11, 2, 13, 30)).id == "alice"
    assert schedule.on_call(utc(2026, 11, 2, 14, 0)).id == "bob"
    shift = schedule.shift(utc(2026, 10, 30))
    assert shift.end - shift.start == timedelta(hours=169)
    assert shift.start.astimezone(NEW_YORK).hour == shift.end.astimezone(NEW_YORK).hour == 9


def test_daily_rotation(oncall_table: dict[str, Any]) -> None:
    schedule = daily(oncall_table, "17:00", "2026-01-01")
    # 17:00 EST = 22:00 UTC.
    assert schedule.on_call(utc(2026, 1, 1, 22, 0)).id == "alice"
    assert schedule.on_call(utc(2026, 1, 2, 21, 59)).id == "alice"
    assert schedule.on_call(utc(2026, 1, 2, 22, 0)).id == "bob"
    assert schedule.on_call(utc(2026, 1, 3, 22, 0)).id == "alice"
    assert schedule.on_call(utc(2026, 1, 3, 12, 0)).id == "bob"


def test_daily_handoff_in_the_spring_gap_happens_an_hour_later(
    oncall_table: dict[str, Any],
) -> None:
    # 02:30 does not exist on 2026-03-08 in New York: the hand-off is at 03:30 EDT (07:30 UTC).
    schedule = daily(oncall_table, "02:30", "2026-03-01")
    assert schedule.on_call(utc(2026, 3, 8, 7, 29)).id == "alice"
    assert schedule.on_call(utc(2026, 3, 8, 7, 30)).id == "bob"
    assert schedule.on_call(utc(2026, 3, 9, 6, 29)).id == "bob"  # 02:29 EDT
    assert schedule.on_call(utc(2026, 3, 9, 6, 30)).id == "alice"  # 02:30 EDT


def test_daily_handoff_in_the_autumn_overlap_uses_the_first_one(
    oncall_table: dict[str, Any],
) -> None:
    # 01:30 happens twice on 2026-11-01: the hand-off is the first (EDT, 05:30 UTC).
    schedule = daily(oncall_table, "01:30", "2026-11-01")
    assert schedule.on_call(utc(2026, 11, 1, 5, 29)).id == "bob"
    assert schedule.on_call(utc(2026, 11, 1, 5, 30)).id == "alice"
    shift = schedule.shift(utc(2026, 11, 1, 12))
    assert shift.end - shift.start == timedelta(hours=25)


# -- overrides -----------------------------------------------------------------------------


def test_an_override_wins_for_its_window(schedule: OnCallSchedule) -> None:
    # 2026-12-24 18:00 EST = 23:00 UTC to 2026-12-26 09:00 EST = 14:00 UTC; carol's week.
    assert schedule.on_call(utc(2026, 12, 24, 22, 59)).id == "carol"
    assert schedule.on_call(utc(2026, 12, 24, 23, 0)).id == "dana"
    assert schedule.on_call(utc(2026, 12, 26, 13, 59, 59)).id == "dana"
    assert schedule.on_call(utc(2026, 12, 26, 14, 0)).id == "carol"
    assert schedule.scheduled(utc(2026, 12, 25)).id == "carol"


def test_shifts_are_cut_by_overrides(schedule: OnCallSchedule) -> None:
    before = schedule.shift(utc(2026, 12, 22))
    during = schedule.shift(utc(2026, 12, 25))
    after = schedule.shift(utc(2026, 12, 27))

    assert (before.source, before.start, before.end) == (
        "rotation",
        utc(2026, 12, 21, 14),
        utc(2026, 12, 24, 23),
    )
    assert (during.source, during.staff.id) == ("override", "dana")
    assert (during.start, during.end) == (utc(2026, 12, 24, 23), utc(2026, 12, 26, 14))
    assert (after.start, after.end) == (utc(2026, 12, 26, 14), utc(2026, 12, 28, 14))


# -- escalation ----------------------------------------------------------------------------


def test_chain_repeats_the_steps_then_pages_the_fallback(schedule: OnCallSchedule) -> None:
    chain = schedule.chain(utc(2026, 12, 22))  # carol's week; alice is next

    assert [(s.number, s.round, s.target, s.staff.id) for s in chain] == [
        (1, 1, "primary", "carol"),
        (2, 1, "secondary", "alice"),
        (3, 2, "primary", "carol"),
        (4, 2, "secondary", "alice"),
        (5, 3, "fallback", "dana"),
    ]
    minutes = [(s.after.total_seconds() / 60, s.delay.total_seconds() / 60) for s in chain]
    assert minutes == [(0, 10), (10, 5), (15, 10), (25, 5), (30, 5)]


def test_chain_without_repeat_or_fallback(oncall_table: dict[str, Any]) -> None:
    oncall_table["escalation"] = {
        "step": [{"target": "primary", "delay": "10m"}, {"target": "bob", "delay": "1h"}],
    }
    schedule = OnCallSchedule(OnCallConfig.model_validate(oncall_table))

    chain = schedule.chain(utc(2026, 1, 6))

    assert [(s.target, s.staff.id) for s in chain] == [("primary", "alice"), ("bob", "bob")]


def test_fallback_delay_can_be_set(oncall_table: dict[str, Any]) -> None:
    oncall_table["escalation"]["fallback_delay"] = "30m"
    schedule = OnCallSchedule(OnCallConfig.model_validate(oncall_table))

    assert schedule.chain(utc(2026, 1, 6))[-1].delay == timedelta(minutes=30)


def test_during_an_override_the_secondary_is_the_next_in_rotation(
    schedule: OnCallSchedule,
) -> None:
    chain = schedule.chain(utc(2026, 12, 25))

    assert [s.staff.id for s in chain[:2]] == ["dana", "alice"]


def test_the_secondary_is_never_the_primary(oncall_table: dict[str, Any]) -> None:
    oncall_table["override"] = [
        {"staff": "alice", "start": "2026-12-24T18:00", "end": "2026-12-26T09:00"}
    ]
    schedule = OnCallSchedule(OnCallConfig.model_validate(oncall_table))

    assert schedule.on_call(utc(2026, 12, 25)).id == "alice"
    assert schedule.secondary(utc(2026, 12, 25)).id == "bob"


def test_a_rotation_of_one_is_its_own_secondary(oncall_table: dict[str, Any]) -> None:
    oncall_table["rotation"]["order"] = ["alice"]
    schedule = OnCallSchedule(OnCallConfig.model_validate(oncall_table))

    assert schedule.secondary(utc(2026, 2, 1)).id == "alice"


def test_staff_by_phone(schedule: OnCallSchedule) -> None:
    assert (p := schedule.staff_by_phone("+12025550102")) is not None and p.id == "bob"
    assert (p := schedule.staff_by_phone("(202) 555-0103")) is not None and p.id == "carol"
    assert schedule.staff_by_phone("+12025550199") is None
    assert schedule.staff_by_phone("anonymous") is None
    assert schedule.staff("dana").name == "Dana Manager"
