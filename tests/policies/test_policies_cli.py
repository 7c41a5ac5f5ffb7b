"""`intake policies ...` and `intake sla ...` through typer's CliRunner on the sub-apps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli.policies import policies_app, sla_app

EXAMPLE = """\
name = "example"
timezone = "America/New_York"
holidays = "US"
[hours]
mon = "09:00-17:00"
tue = "09:00-17:00"
wed = "09:00-17:00"
thu = "09:00-17:00"
fri = "09:00-17:00"
[[priority]]
id = "P1"
name = "Urgent"
respond = "4 business hours"
resolve = "1 business week"
after_hours = "page"
[[priority]]
id = "P3"
name = "Normal"
respond = "2 business days"
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def example(tmp_path: Path) -> str:
    path = tmp_path / "example.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    return str(path)


def test_list(runner: CliRunner) -> None:
    result = runner.invoke(policies_app, ["list"])
    assert result.exit_code == 0
    for name in ("jelastic", "msp", "restcomm-premium", "restcomm-standard", "threepbx"):
        assert name in result.output


def test_check_ok(runner: CliRunner, example: str) -> None:
    result = runner.invoke(policies_app, ["check", example])
    assert result.exit_code == 0, result.output
    assert f"{example}: ok" in result.output
    assert "4 business" in result.output  # the table may wrap the cell


def test_check_bad_file_exits_2_with_one_line(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.replace('respond = "2 business days"', 'respond = "2 fortnight"'))
    result = runner.invoke(policies_app, ["check", str(bad)])
    assert result.exit_code == 2
    assert result.output == f"intake: {bad}: priority[1].respond: unknown unit 'fortnight'\n"


def test_show_in_plain_words(runner: CliRunner) -> None:
    result = runner.invoke(policies_app, ["show", "threepbx"])
    assert result.exit_code == 0
    text = result.output
    assert "Sunday     08:00-19:00" in text
    assert "Open on public holidays" in text
    assert "reason for outage: within 24 hours" in text
    assert "pages the on-call engineer" in text
    assert "The customer sets the priority" in text


def test_show_unknown_policy(runner: CliRunner) -> None:
    result = runner.invoke(policies_app, ["show", "nosuch"])
    assert result.exit_code == 2
    assert result.output.startswith("intake: nosuch: no such policy")
    assert "Traceback" not in result.output


def test_due_json(runner: CliRunner, example: str) -> None:
    args = [
        "due",
        "--policy",
        example,
        "--priority",
        "P3",
        "--received",
        "2026-11-21T10:00:00-05:00",
    ]
    result = runner.invoke(sla_app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"due": "2026-11-25T09:00:00-05:00", "after_hours": True}


def test_due_by_builtin_name_and_target(runner: CliRunner) -> None:
    args = ["due", "--policy", "threepbx", "--priority", "P2", "--received"]
    result = runner.invoke(sla_app, [*args, "2026-11-23T15:00:00Z", "--target", "rfo"])
    assert json.loads(result.output) == {"due": "2026-11-27T10:00:00-05:00", "after_hours": False}


def test_due_batch_in_order(runner: CliRunner, example: str) -> None:
    lines = [
        "P1 2026-11-23T15:00:00-05:00",
        "P1 2026-11-21T10:00:00-05:00 respond",
        "",
        "P3 2026-11-21T10:00:00-05:00",
        "P3 2026-11-21T10:00:00-05:00 resolve",
        "P1 2026-11-23T11:00:00-05:00 resolve",
    ]
    result = runner.invoke(sla_app, ["due", "--policy", example, "--batch"], input="\n".join(lines))
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.output.splitlines()] == [
        {"due": "2026-11-24T11:00:00-05:00", "after_hours": False},
        {"due": "2026-11-23T13:00:00-05:00", "after_hours": True},
        {"due": "2026-11-25T09:00:00-05:00", "after_hours": True},
        {"due": None, "after_hours": True},
        {"due": "2026-12-01T11:00:00-05:00", "after_hours": False},
    ]


def test_due_batch_bad_line(runner: CliRunner, example: str) -> None:
    lines = "P1 2026-11-23T15:00:00-05:00\nP9 2026-11-23T15:00:00-05:00\n"
    result = runner.invoke(sla_app, ["due", "--policy", example, "--batch"], input=lines)
    assert result.exit_code == 2
    assert result.output.splitlines()[-1].startswith(
        "intake: stdin line 2: --priority: unknown priority 'P9'"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--priority", "P9", "--received", "2026-11-21T10:00"],
            "--priority: unknown priority 'P9'",
        ),
        (["--priority", "P1", "--received", "tomorrow"], "--received: not an ISO 8601 time"),
        (
            ["--priority", "P1", "--received", "2026-11-21T10:00", "--target", "x"],
            "--target: expected",
        ),
        (["--priority", "P1"], "--priority and --received are required"),
    ],
)
def test_due_errors_exit_2(runner: CliRunner, example: str, args: list[str], message: str) -> None:
    result = runner.invoke(sla_app, ["due", "--policy", example, *args])
    assert result.exit_code == 2
    assert result.output.startswith(f"intake: {message}")
    assert len(result.output.splitlines()) == 1


def test_due_bad_policy_file(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.replace("America/New_York", "America/Nowhere"))
    args = ["due", "--policy", str(bad), "--priority", "P1", "--received", "2026-11-21T10:00"]
    result = runner.invoke(sla_app, args)
    assert result.exit_code == 2
    assert result.output == f"intake: {bad}: timezone: unknown IANA time zone 'America/Nowhere'\n"


def test_explain_the_issue_example(runner: CliRunner, example: str) -> None:
    args = ["explain", "--policy", example, "--priority", "P3", "--received", "2026-11-21T10:00"]
    result = runner.invoke(sla_app, args)
    assert result.exit_code == 0, result.output
    assert result.output == (
        "P3 Normal: respond within 2 business days, by Wed 25 Nov 2026 09:00 EST; received "
        "Saturday 10:00 EST, outside business hours, the clock starts Mon 09:00.\n"
    )


def test_explain_calendar_time_after_hours_pages(runner: CliRunner) -> None:
    args = ["explain", "--policy", "msp", "--priority", "P2", "--received", "2026-11-26T22:00"]
    result = runner.invoke(sla_app, args)
    assert result.output == (
        "P2 Isolated Outage: respond within 30 minutes, by Thu 26 Nov 2026 22:30 EST; received "
        "Thursday (Thanksgiving Day) 22:00 EST, outside business hours, calendar time runs from "
        "receipt; the on-call engineer is paged.\n"
    )


def test_explain_no_deadline(runner: CliRunner) -> None:
    args = ["explain", "--policy", "msp", "--priority", "P6", "--received", "2026-11-23T10:00"]
    result = runner.invoke(sla_app, args)
    assert result.output.startswith(
        "P6 Scheduled Task: respond with no fixed deadline; received Monday"
    )


def test_list_piped_is_tab_separated(runner: CliRunner) -> None:
    result = runner.invoke(policies_app, ["list"])
    lines = result.output.splitlines()
    assert lines[0] == "name\ttitle\ttime zone\tpriorities"
    assert "threepbx\tThreePBX Support Policy\tAmerica/New_York\tP1 P2 P3 P4" in lines
    as_json = json.loads(runner.invoke(policies_app, ["list", "--format", "json"]).output)
    assert {"name": "msp", "timezone": "America/New_York"}.items() <= as_json[1].items()


def test_policy_text_prints_as_text(runner: CliRunner, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.toml"
    hostile.write_text(
        EXAMPLE.replace('name = "Urgent"', 'name = "Urgent [/bold] \\u001b[2J"').replace(
            'name = "example"', 'name = "example"\ntitle = "[link=https://evil.example]Ours[/link]"'
        )
    )
    check = runner.invoke(policies_app, ["check", str(hostile)], env={"COLUMNS": "300"})
    assert check.exit_code == 0, check.output
    assert "Urgent [/bold]" in check.output and "\x1b" not in check.output
    show = runner.invoke(policies_app, ["show", str(hostile)])
    assert show.exit_code == 0, show.output
    assert "\x1b" not in show.output
