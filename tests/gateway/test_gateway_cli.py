"""The `intake` command line: help, tickets, corrections and mailbox import."""

from __future__ import annotations

import asyncio
import json
import mailbox
from email.message import EmailMessage
from pathlib import Path

from typer.testing import CliRunner

from gateway.app import Gateway
from gateway.cli import app
from gateway.clock import ManualClock

from .gateway_harness import SATURDAY_MORNING, DefaultProposer, mail, make_settings, send, settle

runner = CliRunner()


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in (
        "serve",
        "tickets",
        "import",
        "policies",
        "sla",
        "classify",
        "classifier",
        "oncall",
    ):
        assert command in result.output


def test_bad_config_names_file_key_and_problem(tmp_path: Path) -> None:
    config = tmp_path / "intake.toml"
    config.write_text('[smtp]\nport = "twenty-five"\n')
    result = runner.invoke(app, ["tickets", "list", "--config", str(config)])
    assert result.exit_code == 2
    assert f"{config}: smtp.port:" in result.output


def test_unknown_policy_in_config_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "intake.toml"
    config.write_text('[[desks]]\naddress = "help@example.com"\npolicy = "no-such-policy"\n')
    result = runner.invoke(app, ["tickets", "list", "--config", str(config)])
    assert result.exit_code == 2
    assert "desks[0].policy" in result.output


async def _one_ticket(data_dir: Path) -> None:
    gateway = Gateway(
        make_settings(data_dir),
        clock=ManualClock(SATURDAY_MORNING),
        proposer=DefaultProposer(),
        workers=False,
    )
    await gateway.start()
    try:
        await send(gateway, mail(subject="Voicemail greeting question"))
        await settle(gateway)
    finally:
        await gateway.stop()


def test_tickets_list_json_show_and_set_priority(tmp_path: Path) -> None:
    asyncio.run(_one_ticket(tmp_path))
    data_dir = str(tmp_path)
    listed = runner.invoke(app, ["tickets", "list", "--json", "--data-dir", data_dir])
    assert listed.exit_code == 0, listed.output
    (ticket,) = json.loads(listed.output)
    for key in (
        "number",
        "channel",
        "sender",
        "subject",
        "status",
        "priority",
        "due_at",
        "message_count",
    ):
        assert key in ticket
    assert ticket["message_count"] == 1 and ticket["sender"] == "pat@example.com"
    assert ticket["due_at"].endswith(("-05:00", "-04:00"))  # in the policy's zone

    shown = runner.invoke(app, ["tickets", "show", str(ticket["number"]), "--data-dir", data_dir])
    assert shown.exit_code == 0, shown.output
    assert "Voicemail greeting question" in shown.output and "ack" in shown.output

    corrected = runner.invoke(
        app,
        [
            "tickets",
            "set-priority",
            str(ticket["number"]),
            "P2",
            "--reason",
            "customer is down",
            "--data-dir",
            data_dir,
        ],
    )
    assert corrected.exit_code == 0, corrected.output
    relisted = json.loads(
        runner.invoke(app, ["tickets", "list", "--json", "--data-dir", data_dir]).output
    )
    assert relisted[0]["priority"] == "P2"
    assert relisted[0]["due_at"] != ticket["due_at"]

    wrong = runner.invoke(
        app,
        [
            "tickets",
            "set-priority",
            str(ticket["number"]),
            "P9",
            "--reason",
            "x",
            "--data-dir",
            data_dir,
        ],
    )
    assert wrong.exit_code == 2 and "P9" in wrong.output

    filtered = runner.invoke(
        app, ["tickets", "list", "--json", "--priority", "P4", "--data-dir", data_dir]
    )
    assert json.loads(filtered.output) == []


def _mbox(path: Path, count: int) -> None:
    box = mailbox.mbox(str(path))
    for n in range(count):
        message = EmailMessage()
        message["From"] = f"c{n}@example.com"
        message["To"] = "support@localhost"
        message["Subject"] = f"old problem {n}"
        message["Date"] = "Mon, 02 Nov 2026 10:00:00 -0500"
        message["Message-ID"] = f"<old{n}@example.com>"
        message.set_content("It broke last week.")
        box.add(message)
    box.flush()
    box.close()


def test_import_mbox_backfills_once(tmp_path: Path) -> None:
    box = tmp_path / "old.mbox"
    _mbox(box, 3)
    data_dir = str(tmp_path / "data")
    first = runner.invoke(app, ["import", "mbox", str(box), "--data-dir", data_dir])
    assert first.exit_code == 0, first.output
    assert "3 new tickets" in first.output
    again = runner.invoke(app, ["import", "mbox", str(box), "--data-dir", data_dir])
    assert again.exit_code == 0 and "0 new tickets" in again.output
    tickets = json.loads(
        runner.invoke(app, ["tickets", "list", "--json", "--data-dir", data_dir]).output
    )
    assert len(tickets) == 3
    assert all(t["received_at"].startswith("2026-11-02T10:00") for t in tickets)
    assert not (tmp_path / "data" / "mail-out").exists()  # old mail is not acknowledged


def test_import_maildir(tmp_path: Path) -> None:
    maildir = mailbox.Maildir(str(tmp_path / "md"), create=True)
    maildir.add(mail().as_bytes())
    result = runner.invoke(
        app, ["import", "maildir", str(tmp_path / "md"), "--data-dir", str(tmp_path / "d")]
    )
    assert result.exit_code == 0 and "1 new tickets" in result.output


async def _ticket_under(config: Path, data_dir: Path) -> None:
    from gateway.config import load_settings

    settings = load_settings(
        config,
        environ={},
        overrides={("data_dir",): str(data_dir), ("smtp", "port"): 0, ("http", "port"): 0},
    )
    gateway = Gateway(
        settings, clock=ManualClock(SATURDAY_MORNING), proposer=DefaultProposer(), workers=False
    )
    await gateway.start()
    try:
        await send(gateway, mail(to="night@example.com"), recipients=["night@example.com"])
        await settle(gateway)
    finally:
        await gateway.stop()


def test_policy_given_as_a_file_path_is_found_again_from_its_tickets(tmp_path: Path) -> None:
    from importlib.resources import files

    own = tmp_path / "own-contract.toml"
    source = (files("policies") / "threepbx.toml").read_text()
    own.write_text(source.replace('name = "threepbx"', 'name = "nightdesk"', 1))
    config = tmp_path / "intake.toml"
    config.write_text(f'[[desks]]\naddress = "night@example.com"\npolicy = "{own}"\n')
    asyncio.run(_ticket_under(config, tmp_path / "data"))
    args = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
    listed = runner.invoke(app, ["tickets", "list", "--json", *args])
    assert listed.exit_code == 0, listed.output
    (ticket,) = json.loads(listed.output)
    assert ticket["policy"] == "nightdesk"
    shown = runner.invoke(app, ["tickets", "show", str(ticket["number"]), *args])
    assert shown.exit_code == 0, shown.output


def test_the_readme_configuration_example_is_valid(tmp_path: Path) -> None:
    """The configuration reference in the README loads as it stands (with its TLS files)."""
    import re

    from gateway.config import load_settings

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    (example,) = re.findall(r"```toml\n(.*?)```", readme, re.S)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    example = example.replace("/etc/intake/cert.pem", str(cert)).replace(
        "/etc/intake/key.pem", str(key)
    )
    config = tmp_path / "intake.toml"
    config.write_text(example)
    settings = load_settings(config, environ={})
    assert settings.oncall is not None and settings.desks[0].policy == "threepbx"
    assert [c.policy for c in settings.customers] == ["restcomm-premium"]
