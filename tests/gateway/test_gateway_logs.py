"""Logs a desk can read (gateway/logs.py): aiosmtpd's per-connection chatter at DEBUG, one
INFO line per email ticket and acknowledgement, `--log-format json` for log shippers."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.logs import configure_logging

from .gateway_harness import SATURDAY_MORNING, DefaultProposer, mail, make_settings, send, settle

BODY = "None of our phones get a dial tone since this morning."


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


async def _one_mail(data_dir: Path) -> None:
    gateway = Gateway(
        make_settings(data_dir),
        clock=ManualClock(SATURDAY_MORNING),
        proposer=DefaultProposer(),
        workers=False,
    )
    await gateway.start()
    try:
        await send(gateway, mail(body=BODY))
        await settle(gateway)
    finally:
        await gateway.stop()


async def test_info_is_one_line_per_ticket_and_ack_without_smtp_chatter(
    tmp_path: Path, restore_logging: None
) -> None:
    out = io.StringIO()
    configure_logging("INFO", "text", stream=out)
    await _one_mail(tmp_path)
    text = out.getvalue()
    assert "INFO gateway.ticketing: ticket 1001 opened: email, P4 under threepbx\n" in text
    assert text.count("ticket 1001: ack email sent") == 1
    assert "Connection lost" not in text and "mail.log" not in text
    assert BODY not in text


async def test_smtp_chatter_is_there_at_debug_as_debug(
    tmp_path: Path, restore_logging: None
) -> None:
    out = io.StringIO()
    configure_logging("DEBUG", "text", stream=out)
    await _one_mail(tmp_path)
    chatter = [line for line in out.getvalue().splitlines() if " mail.log: " in line]
    assert chatter and all(" DEBUG mail.log: " in line for line in chatter)


def test_errors_from_aiosmtpd_stay_errors(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("INFO", "text", stream=out)
    logging.getLogger("mail.log").info("peer chatter")
    logging.getLogger("mail.log").warning("unrecognised command")
    logging.getLogger("mail.log").error("SMTP session exception")
    assert out.getvalue().splitlines() == [
        line for line in out.getvalue().splitlines() if "ERROR mail.log: SMTP session" in line
    ]
    assert len(out.getvalue().splitlines()) == 1


async def test_json_lines_for_log_shippers(tmp_path: Path, restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    await _one_mail(tmp_path)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    opened = next(r for r in records if r.get("event") == "ticket-opened")
    assert opened["ticket"] == 1001 and opened["level"] == "INFO"
    assert opened["logger"] == "gateway.ticketing" and opened["time"].endswith("+00:00")
    assert opened["message"].startswith("ticket 1001 opened")


def test_bad_log_options_are_usage_errors() -> None:
    from typer.testing import CliRunner

    from gateway.cli import app

    result = CliRunner().invoke(app, ["serve", "--log-format", "xml"])
    assert result.exit_code == 2
    assert result.stderr.startswith("intake: --log-format: expected one of text, json")
    result = CliRunner().invoke(app, ["serve", "--log-level", "LOUD"])
    assert result.exit_code == 2 and result.stderr.startswith("intake: --log-level: ")


def test_log_lines_carry_no_terminal_escapes(restore_logging: None) -> None:
    hostile = "relay said \x1b]8;;https://evil.example\x07click\x1b]8;;\x07 \u202eok"
    for log_format in ("text", "json"):
        out = io.StringIO()
        configure_logging("INFO", log_format, stream=out)
        logging.getLogger("gateway.outbox").warning("outbox row 1 failed: %s", hostile)
        line = out.getvalue()
        assert "\x1b" not in line and "\x07" not in line and "\u202e" not in line
        assert "relay said" in line
