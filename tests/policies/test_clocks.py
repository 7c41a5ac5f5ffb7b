"""The pure SLA clocks (policies/clocks.py): every clock, pauses, priority changes, warning
points, business hours and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from policies import Policy, PolicyError, load_policy
from policies.clocks import Clock, Fact, open_time_between, ticket_clocks
from policies.warnpoints import parse_warn_point

from .policy_samples import policy_from

NY = ZoneInfo("America/New_York")
CHICAGO = ZoneInfo("America/Chicago")
H = timedelta(hours=1)


def ny(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=NY)


def by_key(clocks: list[Clock]) -> dict[tuple[str, int], Clock]:
    return {c.key: c for c in clocks}


def one(clocks: list[Clock], name: str, cycle: int = 0) -> Clock:
    return by_key(clocks)[(name, cycle)]


THREEPBX = load_policy("threepbx")
PREMIUM = load_policy("restcomm-premium")


def small(clocks: str = "", respond: str = "2 hours", extra: str = "") -> Policy:
    return policy_from(
        f"""
        name = "small"
        timezone = "America/New_York"
        {clocks_table(clocks)}
        [hours]
        mon = "09:00-17:00"
        tue = "09:00-17:00"
        wed = "09:00-17:00"
        thu = "09:00-17:00"
        fri = "09:00-17:00"
        [[priority]]
        id = "P1"
        respond = "{respond}"
        {extra}
        [[priority]]
        id = "P2"
        respond = "4 business hours"
        resolve = "8 business hours"
        """
    )


def clocks_table(body: str) -> str:
    return f"[clocks]\n{body}" if body else ""


# -- respond ------------------------------------------------------------------------------


def test_respond_pending_then_met_by_the_first_public_reply() -> None:
    arrival = ny("2026-06-02T10:00")
    pending = one(
        ticket_clocks(THREEPBX, "P1", arrival, [], arrival + timedelta(minutes=30)), "respond"
    )
    assert pending.state == "pending"
    assert pending.due_at == arrival + H
    assert pending.remaining == timedelta(minutes=30)
    replied = [Fact(arrival + timedelta(minutes=40), "reply")]
    met = one(ticket_clocks(THREEPBX, "P1", arrival, replied, arrival + 2 * H), "respond")
    assert (met.state, met.met_at, met.remaining) == (
        "met",
        arrival + timedelta(minutes=40),
        timedelta(),
    )


def test_respond_breached_at_its_deadline_and_a_late_reply_stays_breached() -> None:
    arrival = ny("2026-06-02T10:00")
    late = one(ticket_clocks(THREEPBX, "P1", arrival, [], arrival + H), "respond")
    assert late.state == "breached"
    assert late.breached_at == arrival + H
    replied = [Fact(arrival + 2 * H, "reply")]
    after = one(ticket_clocks(THREEPBX, "P1", arrival, replied, arrival + 3 * H), "respond")
    assert (after.state, after.met_at, after.breached_at) == (
        "breached",
        arrival + 2 * H,
        arrival + H,
    )


def test_a_resolution_before_any_reply_stops_the_respond_clock() -> None:
    arrival = ny("2026-06-02T10:00")
    facts = [Fact(arrival + timedelta(minutes=20), "status", "closed")]
    clock = one(ticket_clocks(THREEPBX, "P1", arrival, facts, arrival + 5 * H), "respond")
    assert clock.state == "met"


def test_facts_after_now_are_not_known_yet() -> None:
    arrival = ny("2026-06-02T10:00")
    facts = [Fact(arrival + 2 * H, "reply")]
    clock = one(
        ticket_clocks(THREEPBX, "P1", arrival, facts, arrival + timedelta(minutes=30)), "respond"
    )
    assert clock.state == "pending"


# -- ongoing (Restcomm Premium) -----------------------------------------------------------


def test_premium_ongoing_clock_runs_after_each_customer_message() -> None:
    arrival = datetime(2026, 6, 2, 10, 0, tzinfo=CHICAGO)
    facts = [
        Fact(arrival + H, "reply"),
        Fact(arrival + 2 * H, "customer"),
        Fact(arrival + 2 * H + timedelta(minutes=5), "customer"),  # same cycle
        Fact(arrival + 3 * H, "reply"),  # meets cycle 1 within 2 h
        Fact(arrival + 5 * H, "customer"),  # cycle 2
    ]
    clocks = ticket_clocks(PREMIUM, "P1", arrival, facts, arrival + 8 * H)
    first, second = one(clocks, "ongoing", 1), one(clocks, "ongoing", 2)
    assert (first.started_at, first.due_at, first.state) == (
        arrival + 2 * H,
        arrival + 4 * H,
        "met",
    )
    assert (second.started_at, second.due_at, second.state) == (
        arrival + 5 * H,
        arrival + 7 * H,
        "breached",
    )
    assert ("ongoing", 3) not in by_key(clocks)


def test_premium_ongoing_targets_per_priority() -> None:
    arrival = datetime(2026, 6, 2, 10, 0, tzinfo=CHICAGO)  # a Tuesday, open
    facts = [Fact(arrival + H, "reply"), Fact(arrival + 2 * H, "customer")]
    now = arrival + 2 * H
    p1 = one(ticket_clocks(PREMIUM, "P1", arrival, facts, now), "ongoing", 1)
    p2 = one(ticket_clocks(PREMIUM, "P2", arrival, facts, now), "ongoing", 1)
    p3 = one(ticket_clocks(PREMIUM, "P3", arrival, facts, now), "ongoing", 1)
    assert p1.due_at == arrival + 4 * H  # "2 hours"
    # "4 hours" in business hours: 12:00 + 4 open hours, closing at 17:00 -> 16:00
    assert p2.due_at == datetime(2026, 6, 2, 16, 0, tzinfo=CHICAGO)
    assert p3.due_at == arrival + 2 * H + timedelta(days=1)  # "1 calendar day"


def test_customer_messages_before_the_first_reply_belong_to_respond() -> None:
    arrival = datetime(2026, 6, 2, 10, 0, tzinfo=CHICAGO)
    facts = [Fact(arrival + timedelta(minutes=10), "customer")]
    clocks = ticket_clocks(PREMIUM, "P1", arrival, facts, arrival + H)
    assert [c.name for c in clocks] == ["respond"]


def test_a_customer_writing_after_a_resolution_without_reply_starts_an_ongoing_cycle() -> None:
    arrival = datetime(2026, 6, 2, 10, 0, tzinfo=CHICAGO)
    facts = [
        Fact(arrival + H, "status", "resolved"),
        Fact(arrival + 2 * H, "status", "open"),
        Fact(arrival + 2 * H, "customer"),
    ]
    clock = one(ticket_clocks(PREMIUM, "P1", arrival, facts, arrival + 3 * H), "ongoing", 1)
    assert (clock.started_at, clock.state) == (arrival.astimezone(UTC) + 2 * H, "pending")


def test_premium_pending_pauses_the_ongoing_clock_not_the_initial_response() -> None:
    arrival = datetime(2026, 6, 2, 10, 0, tzinfo=CHICAGO)
    facts = [
        Fact(arrival + H, "reply"),
        Fact(arrival + 2 * H, "customer"),
        Fact(arrival + 2 * H + timedelta(minutes=30), "status", "pending"),
    ]
    now = arrival + 6 * H
    clock = one(ticket_clocks(PREMIUM, "P1", arrival, facts, now), "ongoing", 1)
    assert clock.state == "paused"
    assert clock.paused == now - (arrival + 2 * H + timedelta(minutes=30))
    resumed = [*facts, Fact(now, "status", "open")]
    later = one(ticket_clocks(PREMIUM, "P1", arrival, resumed, now + H), "ongoing", 1)
    assert later.state == "pending"
    assert later.due_at == now + timedelta(minutes=90)  # 30 min had run, 90 left
    no_pause = [Fact(arrival, "status", "pending")]
    respond = one(ticket_clocks(PREMIUM, "P1", arrival, no_pause, arrival + 3 * H), "respond")
    assert respond.state == "breached"


# -- resolve and rfo (ThreePBX) -----------------------------------------------------------


def test_threepbx_resolve_in_business_hours() -> None:
    arrival = ny("2026-06-02T17:00")  # two open hours left today (desk 08:00-19:00)
    p3 = one(ticket_clocks(THREEPBX, "P3", arrival, [], arrival), "resolve")
    assert p3.due_at == ny("2026-06-03T14:00")  # 2 h + 6 h next morning
    assert p3.target.business
    p4 = one(ticket_clocks(THREEPBX, "P4", arrival, [], arrival), "resolve")
    # 48 open hours: 2 today + 4 full 11-hour days (44) + 2 -> the fifth day at 10:00
    assert p4.due_at == ny("2026-06-07T10:00")
    resolved = [Fact(ny("2026-06-03T12:00"), "status", "resolved")]
    met = one(ticket_clocks(THREEPBX, "P3", arrival, resolved, ny("2026-06-04T00:00")), "resolve")
    assert (met.state, met.met_at) == ("met", ny("2026-06-03T12:00"))


def test_threepbx_p1_has_no_resolve_clock_and_its_rfo_runs_from_resolution() -> None:
    arrival = ny("2026-06-02T10:00")
    before = ticket_clocks(THREEPBX, "P1", arrival, [], arrival + H)
    assert [c.name for c in before] == ["respond"]  # "As soon as possible"; no rfo yet
    resolved_at = arrival + 3 * H
    facts = [
        Fact(arrival + timedelta(minutes=30), "reply"),
        Fact(resolved_at, "status", "resolved"),
    ]
    rfo = one(ticket_clocks(THREEPBX, "P1", arrival, facts, resolved_at + H), "rfo")
    assert (rfo.started_at, rfo.due_at, rfo.state) == (resolved_at, resolved_at + 24 * H, "pending")
    late = one(ticket_clocks(THREEPBX, "P1", arrival, facts, resolved_at + 25 * H), "rfo")
    assert late.state == "breached"
    sent = [*facts, Fact(resolved_at + 20 * H, "rfo")]
    met = one(ticket_clocks(THREEPBX, "P1", arrival, sent, resolved_at + 25 * H), "rfo")
    assert met.state == "met"
    p2 = one(ticket_clocks(THREEPBX, "P2", arrival, facts, resolved_at), "rfo")
    assert p2.due_at == resolved_at + 96 * H


def test_left_open_for_monitoring_is_a_resolution_for_the_clocks() -> None:
    arrival = ny("2026-06-02T10:00")
    facts = [Fact(arrival + 2 * H, "monitoring")]
    rfo = one(ticket_clocks(THREEPBX, "P1", arrival, facts, arrival + 3 * H), "rfo")
    assert rfo.started_at == arrival + 2 * H


def test_threepbx_pending_pauses_resolve_in_open_time_only() -> None:
    arrival = ny("2026-06-02T09:00")  # P3: 8 open hours -> 17:00 the same day
    facts = [
        Fact(ny("2026-06-02T10:00"), "status", "pending"),
        Fact(ny("2026-06-03T10:00"), "status", "open"),  # 11 open hours (10-19, 8-10) paused
    ]
    clock = one(ticket_clocks(THREEPBX, "P3", arrival, facts, ny("2026-06-03T11:00")), "resolve")
    assert clock.due_at == ny("2026-06-03T17:00")
    assert clock.state == "pending"
    respond = one(ticket_clocks(THREEPBX, "P3", arrival, facts, ny("2026-06-03T11:00")), "respond")
    assert respond.state == "breached"  # "until the time when ThreePBX provides a response"


def test_a_pause_after_the_deadline_does_not_rescue_the_clock() -> None:
    arrival = ny("2026-06-02T09:00")
    facts = [Fact(ny("2026-06-02T18:00"), "status", "pending")]
    clock = one(ticket_clocks(THREEPBX, "P3", arrival, facts, ny("2026-06-02T19:00")), "resolve")
    assert clock.due_at == ny("2026-06-02T17:00")
    assert clock.state == "breached"


# -- priority changes ---------------------------------------------------------------------


def test_a_priority_change_recomputes_every_clock_from_the_original_arrival() -> None:
    arrival = ny("2026-06-02T10:00")
    facts = [Fact(arrival + 3 * H, "priority", "P3", by="cli:lead")]
    clocks = ticket_clocks(THREEPBX, "P3", arrival, facts, arrival + 3 * H)
    assert one(clocks, "respond").due_at == arrival + 4 * H
    assert one(clocks, "resolve").due_at == ny("2026-06-02T18:00")
    raised = [Fact(arrival + 3 * H, "priority", "P1", by="cli:lead")]
    clock = one(ticket_clocks(THREEPBX, "P1", arrival, raised, arrival + 3 * H), "respond")
    assert (clock.due_at, clock.state) == (arrival + H, "breached")


def test_changes_the_policy_prescribes_do_not_rejudge_the_clocks() -> None:
    arrival = ny("2026-06-02T10:00")
    resolved = arrival + 2 * H
    facts = [
        Fact(arrival, "priority", "P1", by="classifier"),
        Fact(resolved, "priority", "P4", by="policy"),  # "Final priority ... before Resolved"
        Fact(resolved, "status", "resolved"),
    ]
    clocks = ticket_clocks(THREEPBX, "P4", arrival, facts, resolved + H)
    assert one(clocks, "respond").priority == "P1"
    assert one(clocks, "rfo").due_at == resolved + 24 * H  # still owed "for any Priority 1 event"


# -- warning points -----------------------------------------------------------------------


def test_warning_points_on_calendar_and_business_clocks() -> None:
    arrival = ny("2026-06-02T17:00")
    clocks = ticket_clocks(THREEPBX, "P3", arrival, [], arrival)
    respond = dict(one(clocks, "respond").warnings)
    assert respond == {"75%": arrival + 3 * H, "15m": arrival + 4 * H - timedelta(minutes=15)}
    resolve = dict(one(clocks, "resolve").warnings)
    assert resolve["75%"] == ny("2026-06-03T12:00")  # 6 of 8 open hours: 2 today, 4 tomorrow


def test_a_level_may_have_its_own_warning_points() -> None:
    policy = small('warn = ["50%"]', extra='warn = ["10m"]')
    arrival = ny("2026-06-02T10:00")
    assert dict(one(ticket_clocks(policy, "P1", arrival, [], arrival), "respond").warnings) == {
        "10m": arrival + 2 * H - timedelta(minutes=10)
    }
    p2 = one(ticket_clocks(policy, "P2", arrival, [], arrival), "respond")
    assert dict(p2.warnings) == {"50%": arrival + 2 * H}


def test_a_warning_point_longer_than_the_clock_is_dropped() -> None:
    policy = small('warn = ["3h"]')
    arrival = ny("2026-06-02T10:00")
    assert one(ticket_clocks(policy, "P1", arrival, [], arrival), "respond").warnings == ()


@pytest.mark.parametrize("text", ["75", "0%", "100%", "-5m", "15 minutes", "0m", ""])
def test_bad_warning_points_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_warn_point(text)


def test_the_schema_refuses_bad_clock_settings_naming_the_field() -> None:
    with pytest.raises(PolicyError, match=r"clocks\.warn"):
        small('warn = ["soon"]')
    with pytest.raises(PolicyError, match=r"clocks\.pending_pauses"):
        small('pending_pauses = ["reply"]')
    with pytest.raises(PolicyError, match=r"clocks\.rfo_from"):
        small('rfo_from = "breakfast"')
    with pytest.raises(PolicyError, match=r"clocks\.when"):
        small("when = 1")


# -- daylight saving and business hours ---------------------------------------------------


def test_calendar_day_clock_across_spring_forward_keeps_the_wall_clock() -> None:
    arrival = datetime(2026, 3, 7, 12, 0, tzinfo=CHICAGO)  # Saturday before the change
    clock = one(ticket_clocks(PREMIUM, "P3", arrival, [], arrival), "respond")
    assert clock.due_at == datetime(2026, 3, 8, 12, 0, tzinfo=CHICAGO)
    assert clock.due_at - arrival == 23 * H
    assert dict(clock.warnings)["75%"] == arrival.astimezone(UTC) + 23 * H * 0.75


def test_calendar_hours_clock_across_fall_back_is_elapsed_time() -> None:
    arrival = datetime(2026, 11, 1, 0, 30, tzinfo=CHICAGO)
    clock = one(ticket_clocks(PREMIUM, "P1", arrival, [], arrival), "respond")
    assert clock.due_at == arrival.astimezone(UTC) + 2 * H
    assert clock.due_at.astimezone(CHICAGO).hour == 1  # 01:30 the second time


def test_business_clock_paused_across_a_dst_weekend() -> None:
    policy = small('pending_pauses = ["resolve"]')
    arrival = ny("2026-03-06T13:00")  # Friday; resolve 8 business hours: Mon 13:00
    facts = [
        Fact(ny("2026-03-06T16:00"), "status", "pending"),  # 1 open hour paused (16-17)
        Fact(ny("2026-03-09T09:00"), "status", "open"),  # weekend and DST change: closed
    ]
    clock = one(ticket_clocks(policy, "P2", arrival, facts, ny("2026-03-09T10:00")), "resolve")
    assert clock.due_at == ny("2026-03-09T14:00")
    assert open_time_between(policy.calendar, ny("2026-03-06T16:00"), ny("2026-03-09T09:00")) == H


def test_open_time_between_counts_only_open_spans() -> None:
    cal = THREEPBX.calendar
    assert open_time_between(cal, ny("2026-06-02T18:00"), ny("2026-06-03T09:00")) == 2 * H
    assert open_time_between(cal, ny("2026-06-02T20:00"), ny("2026-06-02T21:00")) == timedelta()
    assert open_time_between(cal, ny("2026-06-02T10:00"), ny("2026-06-02T09:00")) == timedelta()
