"""The lifecycle's policy fields: `auto_close_after` (strict, a target or "none") and the
per-priority `resolved_priority` / `monitoring_priority`, which must name the policy's own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from policies import PolicyError, load_policy, load_policy_file

BASE = """\
name = "acme"
timezone = "America/New_York"
[hours]
mon = "09:00-17:00"
tue = "09:00-17:00"
[[priority]]
id = "P1"
respond = "1 hour"
{p1}
[[priority]]
id = "P2"
respond = "1 business day"
"""


def load(tmp_path: Path, top: str = "", p1: str = "") -> object:
    path = tmp_path / "acme.toml"
    path.write_text(top + BASE.format(p1=p1), encoding="utf-8")
    return load_policy_file(path)


def problem(tmp_path: Path, top: str = "", p1: str = "") -> str:
    with pytest.raises(PolicyError) as caught:
        load(tmp_path, top, p1)
    return str(caught.value).split(": ", 1)[1]


def test_auto_close_defaults_to_seven_days_and_counts_business_time(tmp_path: Path) -> None:
    monday = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 10:00 in New York
    policy = load_policy_file(_write(tmp_path, BASE.format(p1="")))
    assert policy.auto_close_after.text == "7 days"
    assert policy.auto_close_at(monday) == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    business = load_policy_file(
        _write(tmp_path, 'auto_close_after = "2 business days"\n' + BASE.format(p1=""))
    )
    # Open Monday and Tuesday only: two business days from Monday morning is next Monday.
    assert business.auto_close_at(monday).astimezone(UTC) == datetime(
        2026, 11, 30, 15, 0, tzinfo=UTC
    )
    never = load_policy_file(_write(tmp_path, 'auto_close_after = "none"\n' + BASE.format(p1="")))
    assert never.auto_close_at(monday) is None


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "acme.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_auto_close_values_name_the_field(tmp_path: Path) -> None:
    assert problem(tmp_path, top='auto_close_after = "soon"\n').startswith(
        "auto_close_after: cannot read target 'soon'"
    )
    assert problem(tmp_path, top='auto_close_after = "immediate"\n').startswith(
        "auto_close_after: auto_close_after cannot be 'immediate'"
    )


def test_transition_priorities_must_exist(tmp_path: Path) -> None:
    assert problem(tmp_path, p1='resolved_priority = "P9"') == (
        "priority[0].resolved_priority: unknown priority 'P9' (known: P1, P2)"
    )
    assert problem(tmp_path, p1='monitoring_priority = "P7"') == (
        "priority[0].monitoring_priority: unknown priority 'P7' (known: P1, P2)"
    )


def test_threepbx_follows_its_seed() -> None:
    policy = load_policy("threepbx")
    assert [(p.id, p.resolved_priority) for p in policy.priorities] == [
        ("P1", "P4"),
        ("P2", "P4"),
        ("P3", "P4"),
        ("P4", None),
    ]
    assert [p.monitoring_priority for p in policy.priorities] == ["P3", "P3", None, None]
    assert policy.auto_close_after.text == "7 days"
