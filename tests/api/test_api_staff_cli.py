"""`intake staff` and `intake tokens`: accounts, argon2id hashes, tokens shown once, and the
CLI convention (sentences on stderr, exit 2 for usage, 1 for not found)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from gateway.cli import app
from gateway.credentials import token_hash, verify_password

runner = CliRunner()
PASSWORD = "correct horse battery staple"


def intake(data_dir: Path, *args: str, stdin: str | None = None, config: Path | None = None) -> Any:
    extra = ["--data-dir", str(data_dir)]
    if config is not None:
        extra += ["--config", str(config)]
    return runner.invoke(app, [*args, *extra], input=stdin, env={"INTAKE_CONFIG": ""})


def db(data_dir: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(data_dir / "intake.db")
    connection.row_factory = sqlite3.Row
    return connection


def test_add_stores_an_argon2id_hash_never_the_password(tmp_path: Path) -> None:
    result = intake(
        tmp_path,
        "staff",
        "add",
        "Alice@Example.com",
        "--name",
        "Alice Example",
        "--role",
        "lead",
        "--phone",
        "(202) 555-0101",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "added alice@example.com (lead)\n"
    (row,) = db(tmp_path).execute("SELECT * FROM staff").fetchall()
    assert (row["email"], row["role"], row["phone"]) == (
        "alice@example.com",
        "lead",
        "+12025550101",
    )
    assert row["password_hash"].startswith("$argon2id$")
    assert verify_password(row["password_hash"], PASSWORD)
    assert PASSWORD not in result.output
    raw = (tmp_path / "intake.db").read_bytes() + (tmp_path / "intake.db-wal").read_bytes()
    assert PASSWORD.encode() not in raw


def test_add_refuses_bad_input_with_a_sentence(tmp_path: Path) -> None:
    base = ["staff", "add", "bob@example.com", "--name", "Bob"]
    cases = [
        ([*base, "--password-stdin"], "short\n", "at least 12 characters"),
        (base, PASSWORD, "--password-stdin"),
        ([*base, "--role", "boss", "--password-stdin"], PASSWORD, "unknown role 'boss'"),
        ([*base, "--phone", "12", "--password-stdin"], PASSWORD, "not a phone number"),
        (["staff", "add", "bob", "--name", "Bob", "--password-stdin"], PASSWORD, "not an email"),
    ]
    for args, stdin, message in cases:
        result = intake(tmp_path, *args, stdin=stdin)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith("intake: ") and message in result.stderr, result.stderr
    assert intake(tmp_path, *base, "--password-stdin", stdin=PASSWORD).exit_code == 0
    again = intake(tmp_path, *base, "--password-stdin", stdin=PASSWORD)
    assert (again.exit_code, again.stderr) == (
        2,
        "intake: bob@example.com is already a staff member\n",
    )


def test_list_links_staff_to_oncall_by_phone(tmp_path: Path) -> None:
    config = tmp_path / "intake.toml"
    config.write_text(
        """
[oncall]
timezone = "America/New_York"
[[oncall.staff]]
id = "alice"
name = "Alice Example"
phone = "+12025550101"
[oncall.rotation]
kind = "weekly"
start = "2026-01-05"
handoff = "09:00"
order = ["alice"]
[[oncall.escalation.step]]
target = "primary"
delay = "10m"
"""
    )
    for email, phone in (("alice@example.com", "+1 202 555 0101"), ("zed@example.com", None)):
        args = ["staff", "add", email, "--name", email[:4], "--password-stdin"]
        args += ["--phone", phone] if phone else []
        result = intake(tmp_path, *args, stdin=PASSWORD, config=config)
        assert result.exit_code == 0, result.output
    listed = intake(tmp_path, "staff", "list", "--format", "json", config=config)
    assert listed.exit_code == 0, listed.output
    by_email = {r["email"]: r for r in json.loads(listed.stdout)}
    assert by_email["alice@example.com"]["oncall_id"] == "alice"
    assert by_email["zed@example.com"]["oncall_id"] is None
    tsv = intake(tmp_path, "staff", "list", config=config)  # piped: tab-separated
    assert tsv.stdout.splitlines()[0].split("\t") == [
        "email",
        "name",
        "role",
        "phone",
        "on call as",
        "status",
    ]


def test_a_token_is_printed_once_and_only_its_hash_is_kept(tmp_path: Path) -> None:
    intake(
        tmp_path, "staff", "add", "a@example.com", "--name", "A", "--password-stdin", stdin=PASSWORD
    )
    created = intake(tmp_path, "tokens", "create", "--staff", "a@example.com", "--name", "laptop")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("itk_") and len(token) > 40
    assert "shown once" in created.stderr
    (row,) = db(tmp_path).execute("SELECT * FROM api_tokens").fetchall()
    assert row["token_hash"] == token_hash(token)
    assert token not in json.dumps(dict(row))
    listed = json.loads(intake(tmp_path, "tokens", "list", "--json").stdout)
    assert listed[0]["hint"] == token[:10] + "…"
    assert token not in json.dumps(listed)
    twice = intake(tmp_path, "tokens", "create", "--staff", "a@example.com", "--name", "laptop")
    assert twice.exit_code == 2
    missing = intake(tmp_path, "tokens", "create", "--staff", "b@example.com", "--name", "x")
    assert (missing.exit_code, missing.stderr) == (1, "intake: no staff member b@example.com\n")


def test_revoke_and_disable(tmp_path: Path) -> None:
    intake(
        tmp_path, "staff", "add", "a@example.com", "--name", "A", "--password-stdin", stdin=PASSWORD
    )
    for name in ("one", "two"):
        intake(tmp_path, "tokens", "create", "--staff", "a@example.com", "--name", name)
    revoked = intake(tmp_path, "tokens", "revoke", "--staff", "a@example.com", "--name", "one")
    assert revoked.stdout == "revoked a@example.com's token 'one'\n"
    again = intake(tmp_path, "tokens", "revoke", "--staff", "a@example.com", "--name", "one")
    assert (again.exit_code, again.stdout) == (
        0,
        "a@example.com's token 'one' was already revoked\n",
    )
    nope = intake(tmp_path, "tokens", "revoke", "--staff", "a@example.com", "--name", "three")
    assert nope.exit_code == 1
    disabled = intake(tmp_path, "staff", "disable", "a@example.com")
    assert disabled.stdout == "disabled a@example.com; their API tokens are revoked\n"
    states = [
        r["revoked_at"] is not None
        for r in json.loads(intake(tmp_path, "tokens", "list", "--json").stdout)
    ]
    assert states == [True, True]
    late = intake(tmp_path, "tokens", "create", "--staff", "a@example.com", "--name", "new")
    assert late.exit_code == 2 and "disabled" in late.stderr
    assert intake(tmp_path, "staff", "disable", "nobody@example.com").exit_code == 1


def test_read_commands_need_a_database(tmp_path: Path) -> None:
    result = intake(tmp_path / "empty", "staff", "list")
    assert result.exit_code == 2
    assert "no Intake database" in result.stderr
