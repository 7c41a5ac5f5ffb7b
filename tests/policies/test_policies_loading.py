"""Loading policy files: names and paths, and errors that name the file, field and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies import (
    Policy,
    PolicyError,
    Priority,
    Target,
    builtin_policy_names,
    load_policy,
    load_policy_file,
)
from policies.triage import TriageRules

GOOD = """\
name = "acme"
title = "Acme Gold"
timezone = "America/New_York"
holidays = "US"
extra_holidays = ["2026-12-24", 2026-12-31]
default_priority = "P2"
[hours]
mon = "08:00-12:00, 13:00-18:00"
fri = "08:00-16:00"
sat = "00:00-24:00"
[[priority]]
id = "P1"
name = "Urgent"
respond = "1 hour"
resolve = "8 business hours"
after_hours = "page"
aliases = ["Sev 1", "urgent"]
[[priority]]
id = "P2"
respond = "1 business day"
[[priority]]
id = "P3"
respond = "none"
"""


def write(tmp_path: Path, text: str, name: str = "acme.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problem(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as caught:
        load_policy_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    return message.removeprefix(f"{path}: ")


def test_a_good_file_loads_with_every_field(tmp_path: Path) -> None:
    policy = load_policy(str(write(tmp_path, GOOD)))
    assert isinstance(policy, Policy)
    assert (policy.name, policy.title, policy.tz.key) == ("acme", "Acme Gold", "America/New_York")
    assert [p.id for p in policy.priorities] == ["P1", "P2", "P3"]
    assert [p.rank for p in policy.priorities] == [0, 1, 2]
    assert policy.default_priority.id == "P2"
    urgent = policy.priority("P1")
    assert isinstance(urgent, Priority) and isinstance(urgent.respond, Target)
    assert urgent.respond.text == "1 hour" and urgent.resolve is not None
    assert urgent.resolve.describe() == "within 8 business hours"
    assert policy.priority("P3").respond.describe() == "no fixed deadline"
    assert policy.priority("P2").name == "P2"
    assert policy.pages_after_hours("P1") and not policy.pages_after_hours("P2")
    assert policy.hours.describe_day(0) == "08:00-12:00, 13:00-18:00"
    assert policy.hours.describe_day(1) == "closed"
    assert [d.isoformat() for d in policy.extra_holidays] == ["2026-12-24", "2026-12-31"]
    assert policy.triage == TriageRules()
    assert policy.customer_sets_priority is False and policy.reclassify == ()
    assert "business hours" in policy.after_hours_message


def test_default_priority_is_the_last(tmp_path: Path) -> None:
    policy = load_policy_file(write(tmp_path, GOOD.replace('default_priority = "P2"\n', "")))
    assert policy.default_priority.id == "P3"


def test_unknown_priority_is_a_key_error(tmp_path: Path) -> None:
    policy = load_policy_file(write(tmp_path, GOOD))
    with pytest.raises(KeyError, match="P9"):
        policy.priority("P9")


@pytest.mark.parametrize(
    ("hints", "expected"),
    [
        (["Sev 1"], "P1"),
        (["SEV-1"], "P1"),
        (["p2"], "P2"),
        ([" P 3 "], "P3"),
        (["nothing", "urgent!"], "P1"),
        (["importance:high"], None),
        ([], None),
    ],
)
def test_match_declared_normalises_both_sides(
    tmp_path: Path, hints: list[str], expected: str | None
) -> None:
    assert load_policy_file(write(tmp_path, GOOD)).match_declared(hints) == expected


def test_builtin_names_and_loading_by_name() -> None:
    names = builtin_policy_names()
    assert names == ["jelastic", "msp", "restcomm-premium", "restcomm-standard", "threepbx"]
    assert load_policy("threepbx").source == "policies/threepbx.toml"
    assert load_policy("threepbx") is load_policy("threepbx")  # cached


def test_unknown_builtin_name() -> None:
    with pytest.raises(PolicyError, match=r"^nosuch: no such policy \(available: jelastic"):
        load_policy("nosuch")


def test_missing_file() -> None:
    with pytest.raises(PolicyError, match=r"^/nonexistent/x.toml: cannot read the file"):
        load_policy("/nonexistent/x.toml")


def test_a_changed_file_is_reloaded(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    assert load_policy_file(path).title == "Acme Gold"
    path.write_text(GOOD.replace("Acme Gold", "Acme Platinum!"), encoding="utf-8")
    assert load_policy_file(path).title == "Acme Platinum!"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('name = "acme"', 'name = "acme"\ncolour = "blue"', "colour: unknown field"),
        ('name = "Urgent"', 'name = "Urgent"\nsevrity = 1', "priority[0].sevrity: unknown field"),
        ("[hours]", '[hours]\nmonday = "09:00-17:00"', "hours.monday: unknown field"),
        (
            "America/New_York",
            "America/Nowhere",
            "timezone: unknown IANA time zone 'America/Nowhere'",
        ),
        (
            'respond = "none"',
            'respond = "2 fortnight"',
            "priority[2].respond: unknown unit 'fortnight'",
        ),
        (
            'respond = "none"',
            'respond = "0 hours"',
            "priority[2].respond: amount must be at least 1",
        ),
        ('respond = "none"', 'respond = "soon"', "priority[2].respond: cannot read target 'soon'"),
        (
            '"08:00-12:00, 13:00-18:00"',
            '"08:00-12:30, 12:00-18:00"',
            "hours.mon: '08:00-12:30' and '12:00-18:00' overlap",
        ),
        ('"08:00-16:00"', '"16:00-08:00"', "hours.fri: '16:00-08:00' ends before it starts"),
        ('"08:00-16:00"', '"08:00-24:30"', "hours.fri: bad time of day in '08:00-24:30'"),
        ('id = "P3"', 'id = "P1"', "priority[2].id: duplicate priority id 'P1'"),
        ('timezone = "America/New_York"\n', "", "timezone: required field is missing"),
        (
            'default_priority = "P2"',
            'default_priority = "P9"',
            "default_priority: unknown priority 'P9'",
        ),
        ('holidays = "US"', 'holidays = "XX"', "holidays: unknown country code 'XX'"),
        (
            'after_hours = "page"',
            'after_hours = "pager"',
            "priority[0].after_hours: expected 'page' or 'queue', got 'pager'",
        ),
        (
            'aliases = ["Sev 1", "urgent"]',
            'aliases = ["P2"]',
            "priority[0].aliases[0]: alias 'P2' already names priority 'P2'",
        ),
        ('name = "acme"', 'name = "Acme Gold"', "name: policy name 'Acme Gold' must be lowercase"),
        (
            'name = "acme"',
            'name = "acme"\ncustomer_sets_priority = "yes"',
            "customer_sets_priority: expected a valid boolean, got 'yes'",
        ),
    ],
)
def test_errors_name_file_field_and_problem(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in GOOD
    assert problem(tmp_path, GOOD.replace(old, new, 1)).startswith(expected)


def test_all_days_closed(tmp_path: Path) -> None:
    text = GOOD.replace(
        'mon = "08:00-12:00, 13:00-18:00"\nfri = "08:00-16:00"\nsat = "00:00-24:00"\n',
        'mon = "closed"\n',
    )
    assert problem(tmp_path, text) == "hours: no day has any open hours"


def test_triage_table_is_validated_by_triage_rules(tmp_path: Path) -> None:
    text = GOOD + "\n[triage]\nnot_a_rule_anyone_defines = 1\n"
    assert problem(tmp_path, text) == "triage.not_a_rule_anyone_defines: unknown field"


def test_reclassify_names_triage_signals(tmp_path: Path) -> None:
    text = GOOD.replace('name = "acme"', 'name = "acme"\nreclassify = ["question", "tuesday"]')
    assert problem(tmp_path, text) == "reclassify[1]: unknown triage signal 'tuesday'"


def test_triage_levels_must_be_priorities(tmp_path: Path) -> None:
    text = GOOD + '\n[[triage.rules]]\nseverity = ["outage"]\nlevel = "P7"\n'
    assert problem(tmp_path, text) == "triage.rules[0].level: unknown level 'P7'"


def test_no_priorities(tmp_path: Path) -> None:
    assert problem(tmp_path, GOOD.split("[[priority]]")[0]) == "priority: required field is missing"


def test_toml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    message = problem(tmp_path, GOOD.replace('title = "Acme Gold"', 'title = "Acme Gold'))
    assert message.startswith("not valid TOML: ")
    assert "line 2" in message and "column" in message


def test_every_problem_is_reported(tmp_path: Path) -> None:
    text = GOOD.replace('respond = "none"', 'respond = "soon"').replace("America/New_York", "Mars")
    with pytest.raises(PolicyError) as caught:
        load_policy_file(write(tmp_path, text))
    fields = [error.field for error in caught.value.all()]
    assert fields == ["timezone", "priority[2].respond"]
