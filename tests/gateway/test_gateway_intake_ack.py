"""The acknowledgement speaks for one contract (issue 10.9): sender, signature and after-hours
wording agree; a zero-length target reads naturally; `tickets show` shows what was sent."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.app import Gateway
from gateway.cli import app
from gateway.clock import ManualClock
from gateway.config import load_settings
from gateway.triage import Decision
from policies import Policy, load_policy

from .gateway_harness import DefaultProposer, mail, outgoing_mail, send, settle

pytestmark = pytest.mark.asyncio

# Monday 23 Nov 2026, 08:03 in New York.
MONDAY_0803_NEW_YORK = datetime(2026, 11, 23, 13, 3, tzinfo=UTC)


class FixedProposer:
    def __init__(self, priority: str) -> None:
        self.priority = priority

    def decide(
        self, policy: Policy, subject: str, body: str, declared_hints: Sequence[str]
    ) -> Decision:
        return Decision(None, self.priority, self.priority, 0.95, ("test proposal",), None)


def _read(path: Path) -> EmailMessage:
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return " ".join(str(part.get_content()).split())


async def _run(
    tmp_path: Path,
    config: str,
    clock: ManualClock,
    proposer: object,
    *mails: tuple[EmailMessage, str],
) -> Gateway:
    path = tmp_path / "intake.toml"
    path.write_text(config)
    settings = load_settings(
        path,
        environ={},
        overrides={("data_dir",): str(tmp_path), ("smtp", "port"): 0, ("http", "port"): 0},
    )
    gw = Gateway(settings, clock=clock, proposer=proposer, workers=False)  # type: ignore[arg-type]
    await gw.start()
    try:
        for message, sender in mails:
            await send(gw, message, sender=sender)
        await settle(gw)
    finally:
        await gw.stop()
    return gw


README_DESK = (
    '[[desks]]\naddress = "support@localhost"\npolicy = "threepbx"\nname = "Example Support"\n'
    '[[customers]]\nmatch = "bigcorp.com"\npolicy = "restcomm-premium"\n'
)


async def test_a_customer_under_another_contract_hears_from_that_contract_only(
    tmp_path: Path, clock: ManualClock
) -> None:
    # Saturday 10:00 New York: ThreePBX is open, TeleStax (Mon-Fri) is not.
    gw = await _run(
        tmp_path,
        README_DESK,
        clock,
        DefaultProposer(),
        (mail(sender="ann@bigcorp.com"), "ann@bigcorp.com"),
    )
    (path,) = outgoing_mail(gw)
    ack = _read(path)
    restcomm = load_policy("restcomm-premium")
    name, address = parseaddr(str(ack["From"]))
    assert address == "support@localhost"  # replies must still reach this desk
    assert name == restcomm.title
    body = _text(ack)
    assert "Example Support" not in body and "ThreePBX" not in body
    assert body.rstrip().endswith(restcomm.title)
    assert " ".join(restcomm.after_hours_message.split()[:8]) in body


async def test_a_contract_with_its_own_desk_is_answered_by_that_desk(
    tmp_path: Path, clock: ManualClock
) -> None:
    config = README_DESK + (
        '[[desks]]\naddress = "restcomm@localhost"\npolicy = "restcomm-premium"\n'
        'name = "Restcomm Support"\n'
    )
    gw = await _run(
        tmp_path,
        config,
        clock,
        DefaultProposer(),
        (mail(sender="ann@bigcorp.com"), "ann@bigcorp.com"),
    )
    ack = _read(outgoing_mail(gw)[0])
    assert parseaddr(str(ack["From"])) == ("Restcomm Support", "restcomm@localhost")
    body = _text(ack)
    assert "Example Support" not in body
    assert body.rstrip().endswith("Restcomm Support " + load_policy("restcomm-premium").title)


async def test_an_immediate_target_is_worded_naturally(tmp_path: Path) -> None:
    clock = ManualClock(MONDAY_0803_NEW_YORK)
    config = '[[desks]]\naddress = "support@localhost"\npolicy = "msp"\nname = "MSP Desk"\n'
    gw = await _run(tmp_path, config, clock, FixedProposer("P1"), (mail(), "pat@example.com"))
    body = _text(_read(outgoing_mail(gw)[0]))
    assert "immediately, by" not in body and "by Mon 23 Nov 2026, 08:03" not in body
    assert "We are responding to it now." in body


async def test_tickets_show_has_the_text_the_customer_was_sent(
    tmp_path: Path, clock: ManualClock
) -> None:
    config = '[[desks]]\naddress = "support@localhost"\npolicy = "threepbx"\n'
    gw = await _run(tmp_path, config, clock, DefaultProposer(), (mail(), "pat@example.com"))
    sent = _text(_read(outgoing_mail(gw)[0]))
    # The command runs its own event loop: give it a thread.
    shown = await asyncio.to_thread(
        CliRunner().invoke, app, ["tickets", "show", "1001", "--json", "--data-dir", str(tmp_path)]
    )
    assert shown.exit_code == 0, shown.output
    (ack,) = [m for m in json.loads(shown.output)["messages"] if m["direction"] == "out"]
    assert ack["text"].strip() and " ".join(ack["text"].split()) == sent
