"""`intake oncall now` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli.oncall import oncall_app

CONFIG = """\
public_url = "https://intake.example.com"   # the whole gateway config is read and checked

[oncall]
timezone = "America/New_York"

[[oncall.staff]]
id = "alice"
name = "Alice Example"
phone = "+12025550101"

[[oncall.staff]]
id = "bob"
name = "Bob Example"
phone = "+12025550102"

[[oncall.staff]]
id = "carol"
name = "Carol Example"
phone = "+12025550103"

[[oncall.staff]]
id = "dana"
name = "Dana Manager"
phone = "+12025550104"

[oncall.rotation]
kind = "weekly"
handoff = "09:00"
handoff_day = "mon"
start = 2026-01-05
order = ["alice", "bob", "carol"]

[[oncall.override]]
staff = "dana"
start = 2026-12-24T18:00:00
end = "2026-12-26T09:00"

[oncall.escalation]
repeat = 1
fallback = "dana"

[[oncall.escalation.step]]
target = "primary"
delay = "10m"

[[oncall.escalation.step]]
target = "secondary"
delay = "10m"
"""

runner = CliRunner()


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "intake.toml"
    path.write_text(CONFIG)
    return path


def test_now_prints_who_is_on_call_and_the_chain(config_file: Path) -> None:
    result = runner.invoke(
        oncall_app, ["now", "--config", str(config_file), "--at", "2026-03-09T09:30"]
    )

    assert result.exit_code == 0, result.output
    assert "Alice Example" in result.stdout
    assert "Carol Example" not in result.stdout  # not in alice's chain at all
    assert "Mon 2026-03-09 09:00 EDT" in result.stdout  # the shift started at the hand-off
    assert "Dana Manager" in result.stdout and "fallback" in result.stdout


def test_now_as_json(config_file: Path) -> None:
    result = runner.invoke(
        oncall_app,
        ["now", "--config", str(config_file), "--at", "2026-12-25T12:00:00Z", "--json"],
    )

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["at"] == "2026-12-25T07:00:00-05:00"
    assert data["on_call"] == {
        "id": "dana",
        "name": "Dana Manager",
        "phone": "+12025550104",
        "source": "override",
        "shift_start": "2026-12-24T18:00:00-05:00",
        "shift_end": "2026-12-26T09:00:00-05:00",
    }
    assert [(s["step"], s["id"]) for s in data["chain"]] == [
        (1, "dana"),
        (2, "alice"),
        (3, "dana"),
        (4, "alice"),
        (5, "dana"),
    ]
    assert [s["after_seconds"] for s in data["chain"]] == [0, 600, 1200, 1800, 2400]


def test_the_config_can_come_from_the_environment(config_file: Path) -> None:
    result = runner.invoke(oncall_app, ["now", "--json"], env={"INTAKE_CONFIG": str(config_file)})

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["timezone"] == "America/New_York"


def test_without_at_it_uses_the_current_time(config_file: Path) -> None:
    result = runner.invoke(oncall_app, ["now", "--config", str(config_file), "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["on_call"]["id"] in {"alice", "bob", "carol", "dana"}


def error_of(path: Path, *args: str) -> str:
    result = runner.invoke(oncall_app, ["now", "--config", str(path), *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_validation_error_names_file_field_and_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(CONFIG.replace('order = ["alice", "bob", "carol"]', 'order = ["alice", "zed"]'))

    assert error_of(path) == f"intake: {path}: oncall.rotation.order[1]: unknown staff 'zed'"


def test_every_one_of_several_errors_is_named(tmp_path: Path) -> None:
    """A file with several mistakes shows them all, one line each, so one round fixes them."""
    path = tmp_path / "bad.toml"
    path.write_text(CONFIG.replace('"+12025550102"', '"12"').replace('"10m"', '"soon"', 1))

    result = runner.invoke(oncall_app, ["now", "--config", str(path)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0] == f"intake: {path}: oncall.staff[1].phone: '12' is not a valid phone number"
    assert lines[1].startswith(f"intake: {path}: oncall.")
    assert "soon" in lines[1]


def test_the_rest_of_the_config_is_checked_too(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[gateway]\n" + CONFIG)

    assert error_of(path) == f"intake: {path}: gateway: Extra inputs are not permitted"


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    assert error_of(path) == f"intake: {path}: cannot read: No such file or directory"


def test_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[oncall\n")
    assert error_of(path).startswith(f"intake: {path}: invalid TOML: ")


def test_no_oncall_table(tmp_path: Path) -> None:
    path = tmp_path / "empty.toml"
    path.write_text('public_url = "https://intake.example.com"\n')
    assert error_of(path) == f"intake: {path}: oncall: missing [oncall] table"


def test_a_bad_at(config_file: Path) -> None:
    assert (
        error_of(config_file, "--at", "tomorrow")
        == "intake: --at: not an ISO 8601 time: 'tomorrow'"
    )


def test_before_the_rotation_starts_nobody_is_on_call(config_file: Path) -> None:
    """The rotation starts Mon 5 Jan 2026 09:00: a time before it names nobody."""
    args = ["now", "--config", str(config_file), "--at", "2025-12-31T12:00"]
    result = runner.invoke(oncall_app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "At Wed 2025-12-31 12:00 EST: nobody is on call; the rotation starts"
        " Mon 2026-01-05 09:00 EST.\n"
    )
    as_json = json.loads(runner.invoke(oncall_app, [*args, "--json"]).stdout)
    assert as_json["on_call"] is None and as_json["chain"] == []
    assert as_json["rotation_starts"] == "2026-01-05T09:00:00-05:00"
    first = runner.invoke(
        oncall_app, ["now", "--config", str(config_file), "--json", "--at", "2026-01-05T09:00"]
    )
    assert json.loads(first.stdout)["on_call"]["id"] == "alice"


def test_staff_names_print_as_text(tmp_path: Path) -> None:
    path = tmp_path / "hostile.toml"
    path.write_text(
        CONFIG.replace('"Alice Example"', '"[link=https://evil.example]Al[/link] \\u001b[2J"')
    )
    result = runner.invoke(
        oncall_app,
        ["now", "--config", str(path), "--at", "2026-01-05T10:00"],
        env={"COLUMNS": "300"},
    )
    assert result.exit_code == 0, result.output
    assert "[link=https://evil.example]Al[/link]" in result.stdout
    assert "\x1b" not in result.stdout


def test_piped_chain_is_tab_separated(config_file: Path) -> None:
    args = ["now", "--config", str(config_file), "--at", "2026-03-09T09:30"]
    lines = runner.invoke(oncall_app, args).stdout.splitlines()
    assert lines[2] == "#\tpages at\ttarget\twho\tphone\twaits"
    assert lines[3] == "1\t+0m\tprimary\tAlice Example (alice)\t+12025550101\t10m"
    table = runner.invoke(oncall_app, [*args, "--format", "table"], env={"COLUMNS": "200"})
    assert "Escalation chain" in table.stdout and "\t" not in table.stdout
