"""The CLI convention (gateway/cli/common.py): errors are sentences, nothing is silently empty,
customer text is data (never markup, never terminal escapes), piped output is plain."""

from __future__ import annotations

import asyncio
import json
import mailbox
import sqlite3
from email.message import EmailMessage
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.app import Gateway
from gateway.cli import app
from gateway.cli.common import clean
from gateway.clock import ManualClock

from .gateway_harness import SATURDAY_MORNING, DefaultProposer, make_settings, send, settle

runner = CliRunner()
WIDE = {"COLUMNS": "400"}  # so a table cell is not wrapped across lines

HOSTILE_SUBJECTS = (
    "PBX alarm: partition [/var] 95% full",
    "PBX down [/bold] now",
    "[link=https://evil.example/reset]Click to reset password[/link]",
    "Alert \x1b[31mRED\x1b[0m \x1b]8;;https://evil.example\x07click\x1b]8;;\x07 \u202egpj.exe",
)
HOSTILE_NAME = "[bold red]Admin[/bold red] \x1b]0;pwned\x07"
HOSTILE_BODY = "Line one [/var] [link=https://evil.example]here[/link]\n\x1b[2Jcleared? [#1001]"


def _mail(subject: str, sender: str, body: str, **headers: str) -> bytes:
    # Built by hand: control characters in a header are exactly what a hostile sender sends.
    head = f"From: {sender}\r\nTo: support@localhost\r\nSubject: {subject}\r\n"
    for name, value in headers.items():
        head += f"{name}: {value}\r\n"
    head += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    return (head + body.replace("\n", "\r\n") + "\r\n").encode("utf-8")


async def _hostile_desk(data_dir: Path) -> None:
    gateway = Gateway(
        make_settings(data_dir),
        clock=ManualClock(SATURDAY_MORNING),
        proposer=DefaultProposer(),
        workers=False,
    )
    await gateway.start()
    try:
        for n, subject in enumerate(HOSTILE_SUBJECTS):
            raw = _mail(subject, f'"{HOSTILE_NAME}" <c{n}@example.com>', HOSTILE_BODY)
            await send(gateway, raw, sender=f"c{n}@example.com")
        # A reply whose subject carries the ticket tag: it must show in the thread view.
        await send(gateway, _mail("Re: [#1001] still broken", "c0@example.com", "still"))
        await settle(gateway)
    finally:
        await gateway.stop()
    # The mail parser already drops control characters; other channels (an SMS, a caller's
    # name, a transcript) may not, so the CLI must not rely on it: store them as-is here.
    with sqlite3.connect(data_dir / "intake.db") as db:
        db.execute("UPDATE tickets SET subject = ? WHERE number = 1004", (HOSTILE_SUBJECTS[3],))
        db.execute("UPDATE tickets SET customer_name = ?", (HOSTILE_NAME,))
        db.execute("UPDATE messages SET latest_text = ? WHERE direction = 'in'", (HOSTILE_BODY,))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> str:
    data_dir = tmp_path_factory.mktemp("hostile")
    asyncio.run(_hostile_desk(data_dir))
    return str(data_dir)


def _no_escapes(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text


@pytest.mark.parametrize("fmt", ["table", "tsv"])
def test_hostile_subjects_print_literally_in_the_list(hostile: str, fmt: str) -> None:
    result = runner.invoke(
        app, ["tickets", "list", "--format", fmt, "--data-dir", hostile], env=WIDE
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    _no_escapes(out)
    assert "partition [/var] 95% full" in out
    assert "PBX down [/bold] now" in out
    assert "[link=https://evil.example/reset]" in out
    assert "Alert RED click gpj.exe" in out


def test_hostile_text_prints_literally_in_show(hostile: str) -> None:
    listed = json.loads(
        runner.invoke(app, ["tickets", "list", "--json", "--data-dir", hostile]).stdout
    )
    by_subject = {t["subject"]: t["number"] for t in listed}
    for subject in HOSTILE_SUBJECTS:
        number = by_subject[subject]
        result = runner.invoke(
            app, ["tickets", "show", str(number), "--data-dir", hostile], env=WIDE
        )
        assert result.exit_code == 0, result.output
        out = result.stdout
        _no_escapes(out)
        assert clean(subject) in out
        assert "[bold red]Admin[/bold red]" in out
        assert "Line one [/var] [link=https://evil.example]here[/link]" in out
        assert "cleared? [#1001]" in out
    first = runner.invoke(app, ["tickets", "show", "1001", "--data-dir", hostile], env=WIDE)
    assert "Re: [#1001] still broken" in first.stdout


def test_json_keeps_what_was_stored_with_escapes_quoted(hostile: str) -> None:
    result = runner.invoke(app, ["tickets", "list", "--json", "--data-dir", hostile])
    _no_escapes(result.stdout)  # JSON quotes control characters as \u001b
    subjects = {t["subject"] for t in json.loads(result.stdout)}
    assert set(HOSTILE_SUBJECTS) <= subjects


def test_piped_output_is_tab_separated_one_line_per_ticket(hostile: str) -> None:
    result = runner.invoke(app, ["tickets", "list", "--data-dir", hostile])  # stdout: a pipe
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split("\t") == [
        "#",
        "channel",
        "sender",
        "subject",
        "status",
        "priority",
        "due",
        "msgs",
    ]
    assert len(lines) == 1 + len(HOSTILE_SUBJECTS)
    assert all(len(line.split("\t")) == 8 for line in lines)


def test_help_text_is_not_eaten_as_markup() -> None:
    result = runner.invoke(app, ["tickets", "list", "--help"], env=WIDE)
    assert "TOML config file." in result.output and "INTAKE_CONFIG" in result.output
    oncall = runner.invoke(app, ["oncall", "now", "--help"], env=WIDE)
    assert "[oncall]" in oncall.output


# --- nothing silently empty -----------------------------------------------------------------


def test_read_commands_refuse_a_missing_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a fresh folder, as a new user would run it
    monkeypatch.delenv("INTAKE_DATA_DIR", raising=False)
    monkeypatch.delenv("INTAKE_CONFIG", raising=False)
    for args in (["tickets", "list"], ["tickets", "show", "1"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        assert result.stderr.startswith("intake: no Intake database in ")
        assert str(tmp_path / "var") in result.stderr
    train = runner.invoke(
        app, ["classifier", "train", "--include-corrections", "--data-dir", str(tmp_path)]
    )
    assert train.exit_code == 2 and "no Intake database in" in train.stderr
    assert not (tmp_path / "var").exists()


def test_classifier_train_finds_the_data_dir_through_config(tmp_path: Path) -> None:
    config = tmp_path / "intake.toml"
    config.write_text(f'data_dir = "{tmp_path / "elsewhere"}"\n')
    result = runner.invoke(app, ["classifier", "train", "--include-corrections", "-c", str(config)])
    assert result.exit_code == 2
    assert str(tmp_path / "elsewhere") in result.stderr  # it looked where the config says


def test_unknown_values_are_errors(hostile: str) -> None:
    status = runner.invoke(app, ["tickets", "list", "--status", "bogus", "--data-dir", hostile])
    assert status.exit_code == 2
    assert status.stderr.startswith("intake: Invalid value for '--status'")
    assert "'bogus' is not one of 'open', 'pending', 'resolved', 'closed'" in status.stderr
    priority = runner.invoke(app, ["tickets", "list", "--priority", "P9", "--data-dir", hostile])
    assert priority.exit_code == 2
    assert priority.stderr.startswith("intake: --priority 'P9': no configured or built-in")
    option = runner.invoke(app, ["tickets", "list", "--bogus"])
    assert option.exit_code == 2 and option.stderr.startswith("intake: No such option: --bogus")
    missing = runner.invoke(app, ["tickets", "show", "99999", "--data-dir", hostile])
    assert missing.exit_code == 1 and missing.stderr == "intake: no ticket #99999\n"


def test_a_cut_list_says_so(hostile: str) -> None:
    result = runner.invoke(app, ["tickets", "list", "--limit", "2", "--data-dir", hostile])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 3
    assert "showing the newest 2 of 4 tickets; use --limit N or --all for more" in result.stderr


def test_import_refuses_what_is_not_a_mailbox(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    a_file = tmp_path / "notes.txt"
    a_file.write_text("hello\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        (["import", "maildir", str(a_file)], "is a file, not a Maildir directory"),
        (["import", "maildir", str(empty)], "not a Maildir (no cur/ or new/ folder inside)"),
        (["import", "mbox", str(empty)], "is a directory, not an mbox file"),
        (["import", "mbox", str(a_file)], "not an mbox file"),
        (["import", "mbox", str(tmp_path / "nope")], "no such file or directory"),
    ]
    for args, problem in cases:
        result = runner.invoke(app, [*args, *data])
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith("intake: ") and problem in result.stderr
        assert "Traceback" not in result.output
    mailbox.Maildir(str(tmp_path / "md"), create=True)
    none = runner.invoke(app, ["import", "maildir", str(tmp_path / "md"), *data])
    assert none.exit_code == 0 and "no messages; nothing imported" in none.stdout


def test_backfilled_replies_keep_their_own_date(tmp_path: Path) -> None:
    box = mailbox.mbox(str(tmp_path / "old.mbox"))
    first, reply = EmailMessage(), EmailMessage()
    first["From"], first["To"] = "c@example.com", "support@localhost"
    first["Subject"], first["Message-ID"] = "old problem", "<old1@example.com>"
    first["Date"] = "Fri, 20 Nov 2026 10:00:00 -0500"
    first.set_content("It broke.")
    reply["From"], reply["To"] = "c@example.com", "support@localhost"
    reply["Subject"], reply["Message-ID"] = "Re: old problem", "<old2@example.com>"
    reply["In-Reply-To"] = "<old1@example.com>"
    reply["Date"] = "Sun, 22 Nov 2026 08:30:00 -0500"
    reply.set_content("Still broken.")
    box.add(first)
    box.add(reply)
    box.flush()
    data = ["--data-dir", str(tmp_path / "data")]
    imported = runner.invoke(app, ["import", "mbox", str(tmp_path / "old.mbox"), *data])
    assert imported.exit_code == 0, imported.output
    (ticket,) = json.loads(runner.invoke(app, ["tickets", "list", "--json", *data]).stdout)
    shown = json.loads(
        runner.invoke(app, ["tickets", "show", str(ticket["number"]), "--json", *data]).stdout
    )
    times = [m["at"] for m in shown["messages"] if m["direction"] == "in"]
    assert times == ["2026-11-20T15:00:00+00:00", "2026-11-22T13:30:00+00:00"]


def test_listing_does_not_need_the_policy_file(tmp_path: Path) -> None:
    """A ticket filed under a policy given by path lists and shows without --config."""
    from importlib.resources import files

    from .test_gateway_cli import _ticket_under

    own = tmp_path / "own-contract.toml"
    source = (files("policies") / "threepbx.toml").read_text()
    own.write_text(source.replace('name = "threepbx"', 'name = "nightdesk"', 1))
    config = tmp_path / "intake.toml"
    config.write_text(f'[[desks]]\naddress = "night@example.com"\npolicy = "{own}"\n')
    asyncio.run(_ticket_under(config, tmp_path / "data"))
    data = ["--data-dir", str(tmp_path / "data")]
    listed = runner.invoke(app, ["tickets", "list", "--json", *data])
    assert listed.exit_code == 0, listed.output
    (ticket,) = json.loads(listed.stdout)
    assert ticket["policy"] == "nightdesk" and ticket["due_at"].endswith("+00:00")
    assert listed.stderr == (
        "intake: policy nightdesk is not in the configuration (pass --config);"
        " its tickets' times are shown in UTC\n"
    )
    for args in (["tickets", "list", "--format", "table"], ["tickets", "show", "1001"]):
        result = runner.invoke(app, [*args, *data])
        assert result.exit_code == 0, result.output


def test_a_config_with_three_errors_reports_all_three(tmp_path: Path) -> None:
    config = tmp_path / "intake.toml"
    config.write_text('public_url = "nope"\n[smtp]\nport = "x"\n[http]\nport = 99999\n')
    result = runner.invoke(app, ["tickets", "list", "--config", str(config)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert all(line.startswith(f"intake: {config}: ") for line in lines)
    assert [line.split(": ")[2] for line in lines] == ["public_url", "smtp.port", "http.port"]
    bad_policies = tmp_path / "policies.toml"
    bad_policies.write_text(
        '[[desks]]\naddress = "a@b"\npolicy = "nosuch"\n'
        '[[customers]]\nmatch = "c.com"\npolicy = "nonesuch"\n'
    )
    result = runner.invoke(app, ["tickets", "list", "--config", str(bad_policies)])
    keys = [line.split(": ")[2] for line in result.stderr.splitlines()]
    assert keys == ["desks[0].policy", "customers[0].policy"]
