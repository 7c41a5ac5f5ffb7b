"""The five seed contracts load and say what the seeds say (../shared/seeds/)."""

from __future__ import annotations

import pytest

from policies import builtin_policy_names, load_policy

from .policy_samples import local, utc

SEEDS = ["jelastic", "msp", "restcomm-premium", "restcomm-standard", "threepbx"]


@pytest.mark.parametrize("name", SEEDS)
def test_each_seed_policy_loads(name: str) -> None:
    policy = load_policy(name)
    assert policy.name == name
    assert name in builtin_policy_names()
    assert policy.priorities and policy.after_hours_message


# (policy, priority, target, the contract's words)
NUMBERS = [
    ("restcomm-standard", "P1", "respond", "1 calendar day"),
    ("restcomm-standard", "P2", "respond", "1 business day"),
    ("restcomm-standard", "P3", "respond", "2 business days"),
    ("restcomm-standard", "P1", "ongoing", "1 calendar day"),
    ("restcomm-standard", "P2", "ongoing", "1 business day"),
    ("restcomm-standard", "P3", "ongoing", "2 business days"),
    ("restcomm-premium", "P1", "respond", "2 hours"),
    ("restcomm-premium", "P2", "respond", "4 business hours"),
    ("restcomm-premium", "P3", "respond", "1 calendar day"),
    ("restcomm-premium", "P1", "ongoing", "2 hours"),
    ("restcomm-premium", "P2", "ongoing", "4 business hours"),
    ("restcomm-premium", "P3", "ongoing", "1 calendar day"),
    ("msp", "P1", "respond", "immediate"),
    ("msp", "P2", "respond", "30 minutes"),
    ("msp", "P3", "respond", "4 hours"),
    ("msp", "P4", "respond", "3 business days"),
    ("msp", "P5", "respond", "1 business week"),
    ("msp", "P6", "respond", "none"),
    ("jelastic", "L1", "respond", "2 hours"),
    ("jelastic", "L2", "respond", "6 hours"),
    ("jelastic", "L3", "respond", "12 hours"),
    ("jelastic", "L4", "respond", "24 hours"),
    ("threepbx", "P1", "respond", "1 hour"),
    ("threepbx", "P2", "respond", "2 hours"),
    ("threepbx", "P3", "respond", "4 hours"),
    ("threepbx", "P4", "respond", "8 hours"),
    ("threepbx", "P1", "resolve", "none"),
    ("threepbx", "P2", "resolve", "none"),
    ("threepbx", "P3", "resolve", "8 business hours"),
    ("threepbx", "P4", "resolve", "48 business hours"),
    ("threepbx", "P1", "rfo", "24 hours"),
    ("threepbx", "P2", "rfo", "96 hours"),
]


@pytest.mark.parametrize(("name", "priority", "which", "words"), NUMBERS)
def test_seed_numbers(name: str, priority: str, which: str, words: str) -> None:
    rule = load_policy(name).priority(priority).target(which)
    assert rule is not None and rule.text == words


@pytest.mark.parametrize(
    ("name", "ids", "default", "pages"),
    [
        ("restcomm-standard", ["P1", "P2", "P3"], "P3", []),
        ("restcomm-premium", ["P1", "P2", "P3"], "P3", ["P1"]),
        ("msp", ["P1", "P2", "P3", "P4", "P5", "P6"], "P4", ["P1", "P2", "P3"]),
        ("jelastic", ["L1", "L2", "L3", "L4"], "L4", ["L1", "L2"]),
        ("threepbx", ["P1", "P2", "P3", "P4"], "P4", ["P1", "P2"]),
    ],
)
def test_seed_levels_defaults_and_paging(
    name: str, ids: list[str], default: str, pages: list[str]
) -> None:
    policy = load_policy(name)
    assert [p.id for p in policy.priorities] == ids
    assert policy.default_priority.id == default
    assert [p.id for p in policy.priorities if policy.pages_after_hours(p.id)] == pages


@pytest.mark.parametrize(
    ("name", "customer_sets", "reclassify"),
    [
        ("restcomm-standard", True, ("nonproduction", "question")),
        ("restcomm-premium", True, ("nonproduction", "question")),
        ("msp", False, ()),
        ("jelastic", True, ()),
        ("threepbx", True, ("nonproduction", "question", "setup", "resolved", "monitoring")),
    ],
)
def test_who_sets_priority(name: str, customer_sets: bool, reclassify: tuple[str, ...]) -> None:
    policy = load_policy(name)
    assert policy.customer_sets_priority is customer_sets
    assert policy.reclassify == reclassify


@pytest.mark.parametrize(
    ("name", "hint", "expected"),
    [
        ("threepbx", "P1", "P1"),
        ("threepbx", "1", "P1"),
        ("threepbx", "Priority 1", "P1"),
        ("threepbx", "emergency", "P1"),
        ("threepbx", "urgent", "P2"),
        ("threepbx", "x-priority:1", "P2"),
        ("threepbx", "importance:high", "P2"),
        ("msp", "Sev 2", "P2"),
        ("msp", "importance:high", "P3"),
        ("msp", "urgent", "P3"),
        ("restcomm-premium", "urgent", "P1"),
        ("restcomm-premium", "priority:urgent", "P1"),
        ("restcomm-premium", "x-priority:1", "P2"),
        ("restcomm-standard", "importance:low", "P3"),
        ("jelastic", "Sev 1", "L1"),
        ("jelastic", "critical", "L1"),
        ("jelastic", "importance:high", "L2"),
        ("jelastic", "level 3", "L3"),
        ("jelastic", "blue", None),
    ],
)
def test_declared_priority_hints(name: str, hint: str, expected: str | None) -> None:
    assert load_policy(name).match_declared([hint]) == expected


def test_restcomm_scope_of_coverage() -> None:
    for name in ("restcomm-standard", "restcomm-premium"):
        scope = {s.name: s for s in load_policy(name).scope}
        assert set(scope) == {"production", "development"}
        assert "Performance tuning" in scope["production"].out_of_scope
        assert "Development consulting" in scope["production"].out_of_scope
        assert "Extensive custom application debugging" in scope["development"].out_of_scope
        assert any("reasonable doubt" in item for item in scope["production"].covered)


def test_examples_come_from_the_seed_definitions() -> None:
    threepbx = load_policy("threepbx")
    assert "no dial tone" in threepbx.priority("P1").examples
    assert "one-way audio" in threepbx.priority("P2").examples


@pytest.mark.parametrize(
    ("name", "priority", "which", "received", "expected"),
    [
        # Premium P1 is 24x7 calendar time; P2 counts Central business hours.
        ("restcomm-premium", "P1", "respond", "2026-11-21T23:00-06:00", "2026-11-22T01:00-06:00"),
        ("restcomm-premium", "P2", "respond", "2026-11-20T15:00-06:00", "2026-11-23T11:00-06:00"),
        ("restcomm-standard", "P2", "respond", "2026-11-25T10:00-06:00", "2026-11-27T10:00-06:00"),
        ("restcomm-standard", "P3", "respond", "2026-11-21T10:00-06:00", "2026-11-25T09:00-06:00"),
        ("msp", "P1", "respond", "2026-11-21T03:00-05:00", "2026-11-21T03:00-05:00"),
        ("msp", "P2", "respond", "2026-11-21T03:00-05:00", "2026-11-21T03:30-05:00"),
        ("msp", "P4", "respond", "2026-11-24T14:00-05:00", "2026-11-30T14:00-05:00"),
        ("msp", "P5", "respond", "2026-11-23T11:00-05:00", "2026-12-01T11:00-05:00"),
        ("jelastic", "L4", "respond", "2026-10-24T12:00+00:00", "2026-10-25T12:00+00:00"),
        ("threepbx", "P3", "resolve", "2026-11-21T17:00-05:00", "2026-11-22T14:00-05:00"),
        ("threepbx", "P4", "resolve", "2026-11-23T20:00-05:00", "2026-11-28T12:00-05:00"),
        ("threepbx", "P1", "rfo", "2026-10-31T12:00-04:00", "2026-11-01T11:00-05:00"),
    ],
)
def test_seed_deadlines(name: str, priority: str, which: str, received: str, expected: str) -> None:
    found = load_policy(name).deadline(priority, local(received), which)
    assert utc(found) == local(expected)


def test_seed_without_a_target_has_no_deadline() -> None:
    msp = load_policy("msp")
    assert msp.deadline("P6", local("2026-11-23T10:00")) is None
    assert msp.deadline("P1", local("2026-11-23T10:00"), "resolve") is None
    assert load_policy("threepbx").deadline("P3", local("2026-11-23T10:00"), "rfo") is None


def test_seed_after_hours() -> None:
    threepbx = load_policy("threepbx")
    assert threepbx.is_after_hours(local("2026-11-26T19:00-05:00"))  # 7 PM, even on Thanksgiving
    assert threepbx.is_open(local("2026-11-26T18:59-05:00"))
    assert not load_policy("jelastic").is_after_hours(local("2026-12-25T03:00+00:00"))
    assert load_policy("msp").is_after_hours(local("2026-11-26T10:00-05:00"))  # Thanksgiving
