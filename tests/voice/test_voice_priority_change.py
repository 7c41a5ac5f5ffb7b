"""A priority change carries its consequences, whoever makes it: `intake tickets set-priority`
after hours pages, lowering a paged ticket stops or re-words its chain, and the customer is
told the new promise once. Also: a step's escalation delay counts from delivery.

The command line runs against the running night desk's database, with the desk's clock (the
command reads the system clock, so the test hands it the desk's).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.cli import tickets as tickets_cli
from gateway.store.connection import Connection
from gateway.store.tickets import ticket_by_number

from .fake_twilio import FakeTwilio
from .phone_harness import (
    ALICE,
    BOB,
    CUSTOMER,
    DESK_ADDRESS,
    DESK_NUMBER,
    OUTAGE,
    PUBLIC,
    QUESTION,
    SENDER,
    Desk,
    running_desk,
    sids,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:twilio")

# The night desk of `phone_harness.phone_settings` with the `oncall_table` of conftest.py.
CONFIG = f"""\
public_url = "{PUBLIC}"

[twilio]
sms_from = "{SENDER}"

[[desks]]
address = "{DESK_ADDRESS}"
policy = "threepbx"
name = "Acme Support"
phone = "{DESK_NUMBER}"
forward_to = "+12025550111"

[oncall]
timezone = "America/New_York"
staff = [
    {{ id = "alice", name = "Alice Example", phone = "+12025550101" }},
    {{ id = "bob", name = "Bob Example", phone = "(202) 555-0102" }},
    {{ id = "carol", name = "Carol Example", phone = "+1 202 555 0103" }},
    {{ id = "dana", name = "Dana Manager", phone = "+442079460000" }},
]
override = [{{ staff = "dana", start = "2026-12-24T18:00", end = "2026-12-26T09:00" }}]

[oncall.rotation]
kind = "weekly"
handoff = "09:00"
handoff_day = "mon"
start = "2026-01-05"
order = ["alice", "bob", "carol"]

[oncall.escalation]
repeat = 1
fallback = "dana"
step = [{{ target = "primary", delay = "10m" }}, {{ target = "secondary", delay = "5m" }}]
"""

runner = CliRunner()


@pytest.fixture
async def desk(
    tmp_path: Path,
    oncall_table: dict[str, Any],
    fake_twilio: FakeTwilio,
    twilio_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Desk]:
    async with running_desk(tmp_path, oncall_table, fake_twilio) as running:
        monkeypatch.setattr(tickets_cli, "SystemClock", lambda: running.clock)
        yield running


async def set_priority(desk: Desk, number: int, priority: str, reason: str = "checked") -> str:
    """`intake tickets set-priority`, in a thread (it runs its own event loop)."""
    config = desk.gw.settings.data_dir / "intake.toml"
    config.write_text(CONFIG)
    args = ["tickets", "set-priority", str(number), priority, "--reason", reason]
    args += ["--config", str(config), "--data-dir", str(desk.gw.settings.data_dir)]
    result = await asyncio.to_thread(runner.invoke, app, args)
    assert result.exit_code == 0, result.output
    await desk.settle()
    return result.output


async def text_ticket(desk: Desk, body: str = QUESTION) -> int:
    """A customer's text opens a ticket (P4 for a question: it pages nobody)."""
    status, _ = await desk.phone.text(CUSTOMER, body, sids("SM", 1))
    assert status == 200
    await desk.settle()
    (row,) = desk.query("SELECT number FROM tickets")
    return int(row["number"])


def detail(desk: Desk, kind: str) -> list[dict[str, Any]]:
    return [json.loads(e["detail"]) for e in desk.events(kind)]


# -- raising -------------------------------------------------------------------------------


async def test_set_priority_to_a_priority_that_pages_after_hours_starts_a_page(
    desk: Desk,
) -> None:
    number = await text_ticket(desk)
    assert desk.sent_to(ALICE) == [] and len(desk.sent_to(CUSTOMER)) == 1  # the ack

    output = await set_priority(desk, number, "P1", "whole office without dial tone")
    assert f"ticket #{number}: P4 -> P1" in output

    (page,) = desk.sent_to(ALICE)
    assert page.startswith(f"P1 #{number}: SMS from {CUSTOMER}: Hello, how do I change")
    (chain,) = desk.query("SELECT * FROM page_chains")
    assert chain["state"] == "active" and chain["reason"].startswith("P1 pages after hours")
    assert "by cli:" in chain["reason"]
    (changed,) = detail(desk, "priority-changed")
    assert (
        changed["by"].startswith("cli:") and changed["reason"] == "whole office without dial tone"
    )

    # The customer is told the new promise once: the same change again is no news.
    _ack, promise = desk.sent_to(CUSTOMER)
    assert promise == (
        f"Acme Support: ticket #{number} is now P1 System-wide Outage."
        " We will respond by Sat 21 Nov 2026, 04:00 EST."
    )
    await set_priority(desk, number, "P1")
    assert len(desk.sent_to(CUSTOMER)) == 2 and len(desk.sent_to(ALICE)) == 1

    # Nobody answers: the chain escalates like any other.
    desk.clock.advance(timedelta(minutes=10, seconds=1))
    await desk.settle()
    (escalated,) = desk.sent_to(BOB)
    assert escalated.startswith(f"P1 #{number} (escalated, page 2):")


async def test_a_priority_change_in_business_hours_pages_nobody(desk: Desk) -> None:
    number = await text_ticket(desk)
    desk.clock.advance(timedelta(hours=6))  # Saturday 09:00 in New York: the desk is open
    await set_priority(desk, number, "P1")
    assert desk.sent_to(ALICE) == [] and desk.query("SELECT * FROM page_chains") == []
    assert len(desk.sent_to(CUSTOMER)) == 2  # but the customer hears the new promise


# -- lowering ------------------------------------------------------------------------------


async def test_lowering_a_paged_ticket_stops_its_chain(desk: Desk) -> None:
    number = await desk.voicemail(1, OUTAGE)
    assert len(desk.sent_to(ALICE)) == 1

    desk.clock.advance(timedelta(minutes=2))
    await set_priority(desk, number, "P4", "only one handset, not an outage")
    (chain,) = desk.query("SELECT * FROM page_chains")
    assert chain["state"] == "stopped" and chain["next_at"] is None
    (stopped,) = detail(desk, "page-chain-stopped")
    assert "P4 does not page (P1 -> P4 by cli:" in stopped["reason"]
    assert "only one handset, not an outage" in stopped["reason"]

    desk.clock.advance(timedelta(hours=1))
    await desk.settle()
    assert desk.sent_to(BOB) == [] and len(desk.sent_to(ALICE)) == 1
    _ack, promise = desk.sent_to(CUSTOMER)
    assert f"ticket #{number} is now P4" in promise


async def test_raising_a_lowered_ticket_again_pages_again_with_a_new_chain(desk: Desk) -> None:
    # Before: the stopped chain stayed stopped, and the raise only noted "page-skipped".
    number = await desk.voicemail(1, OUTAGE)
    assert len(desk.sent_to(ALICE)) == 1
    desk.clock.advance(timedelta(minutes=2))
    await set_priority(desk, number, "P4", "only one handset")
    desk.clock.advance(timedelta(minutes=30))  # still the night: 03:32 in New York
    await set_priority(desk, number, "P1", "the whole office is down after all")

    first, second = desk.query("SELECT * FROM page_chains ORDER BY id")
    assert first["state"] == "stopped"
    assert second["state"] == "active" and "P4 -> P1 by cli:" in second["reason"]
    assert len(desk.sent_to(ALICE)) == 2
    assert desk.sent_to(ALICE)[1].startswith(f"P1 #{number}:")
    (restarted,) = detail(desk, "page-chain-started")[1:]
    assert "P4 -> P1" in restarted["reason"]
    # The new chain escalates like any other, and nothing of the first one comes back.
    desk.clock.advance(timedelta(minutes=10, seconds=1))
    await desk.settle()
    (escalated,) = desk.sent_to(BOB)
    assert escalated.startswith(f"P1 #{number} (escalated, page 2):")
    # Raised once more while the new chain runs: still one chain running, no new one.
    await set_priority(desk, number, "P2")
    await set_priority(desk, number, "P1")
    assert len(desk.query("SELECT * FROM page_chains")) == 2


async def test_the_api_and_the_workspace_raising_it_again_page_again_too(desk: Desk) -> None:
    # The API's PATCH and the workspace's form both call StaffActions.change_priority.
    number = await desk.voicemail(1, OUTAGE)

    async def staff_sets(priority: str) -> None:
        async def op(db: Connection) -> None:
            ticket = await ticket_by_number(db, number)
            assert ticket is not None
            await desk.gw.staff_actions.change_priority(
                db, ticket, priority, actor="api:lee@example.com", reason="x", now=desk.clock.now()
            )

        await desk.gw.store.write(op)
        await desk.settle()

    await staff_sets("P4")
    desk.clock.advance(timedelta(minutes=30))
    await staff_sets("P1")
    states = [r["state"] for r in desk.query("SELECT state FROM page_chains ORDER BY id")]
    assert states == ["stopped", "active"]
    assert len(desk.sent_to(ALICE)) == 2


async def test_a_lowered_ticket_raised_in_business_hours_pages_nobody(desk: Desk) -> None:
    number = await desk.voicemail(1, OUTAGE)
    await set_priority(desk, number, "P4")
    desk.clock.advance(timedelta(hours=6))  # Saturday 09:00 in New York: the desk is open
    await set_priority(desk, number, "P1")
    (chain,) = desk.query("SELECT state FROM page_chains")
    assert chain["state"] == "stopped" and len(desk.sent_to(ALICE)) == 1


async def test_raising_a_paged_voicemail_to_a_priority_that_would_not_page_keeps_paging(
    desk: Desk,
) -> None:
    number = await desk.voicemail(1, QUESTION)  # P4: paged as an after-hours voicemail
    assert len(desk.sent_to(ALICE)) == 1
    await set_priority(desk, number, "P3")
    (chain,) = desk.query("SELECT state FROM page_chains")
    assert chain["state"] == "active" and desk.events("page-chain-stopped") == []
    desk.clock.advance(timedelta(minutes=10, seconds=1))
    await desk.settle()
    (escalated,) = desk.sent_to(BOB)
    assert escalated.startswith(f"P3 #{number} (escalated, page 2):")


async def test_lowering_cancels_a_page_still_held_back(desk: Desk) -> None:
    await desk.voicemail(1, OUTAGE)
    second = await desk.voicemail(2, OUTAGE, caller="+12025550124")
    assert len(desk.sent_to(ALICE)) == 1  # the second page waits for the rate limit

    await set_priority(desk, second, "P3")
    desk.clock.advance(timedelta(minutes=2))
    await desk.settle()
    assert len(desk.sent_to(ALICE)) == 1
    # A held page waits in its recipient's queue (no SMS yet): it is withdrawn from it.
    (row,) = desk.query(
        "SELECT p.state, p.sms_key FROM pages p"
        " JOIN page_chains c ON c.id = p.chain_id JOIN tickets t ON t.id = c.ticket_id"
        " WHERE t.number = ?",
        second,
    )
    assert row["state"] == "cancelled" and row["sms_key"] is None
    (stopped,) = desk.events("page-chain-stopped")
    assert "P1 -> P3" in json.loads(stopped["detail"])["reason"]


async def test_a_change_that_still_pages_rewords_the_chain(desk: Desk) -> None:
    await desk.voicemail(1, OUTAGE)
    second = await desk.voicemail(2, OUTAGE, caller="+12025550124")

    await set_priority(desk, second, "P2", "one site only")
    desk.clock.advance(timedelta(seconds=61))
    await desk.settle()
    held = desk.sent_to(ALICE)[1]
    assert held.startswith(f"P2 #{second}: voicemail")
    (chain,) = desk.query(
        "SELECT c.state FROM page_chains c JOIN tickets t ON t.id = c.ticket_id WHERE t.number = ?",
        second,
    )
    assert chain["state"] == "active"

    for _ in range(2):  # bob's two pages (one per chain) are a minute apart: his rate limit
        desk.clock.advance(timedelta(minutes=10))
        await desk.settle()
    assert any(p.startswith(f"P2 #{second} (escalated, page 2):") for p in desk.sent_to(BOB))


async def test_a_late_transcript_that_raises_the_priority_tells_the_caller_once(
    desk: Desk,
) -> None:
    number = await desk.voicemail(1, text=None)
    desk.clock.advance(timedelta(minutes=10))
    await desk.settle()
    assert len(desk.sent_to(CUSTOMER)) == 1  # acknowledged at the policy default, P4
    for _ in range(2):
        await desk.phone.transcription(sids("CA", 1), sids("RE", 1), OUTAGE)
    await desk.settle()
    _ack, promise = desk.sent_to(CUSTOMER)
    assert promise.startswith(f"Acme Support: ticket #{number} is now P1")
    (changed,) = detail(desk, "priority-changed")
    assert changed["by"] == "classifier" and changed["reason"] == "late voicemail transcript"


async def test_a_priority_set_before_the_transcript_stands(desk: Desk) -> None:
    number = await desk.voicemail(1, text=None)
    await set_priority(desk, number, "P2", "caller phoned the staffed line too")
    assert desk.sent_to(CUSTOMER) == []  # not acknowledged yet: no separate new promise
    await desk.phone.transcription(sids("CA", 1), sids("RE", 1), OUTAGE)
    await desk.settle()
    (ticket,) = desk.query("SELECT effective_priority FROM tickets")
    assert ticket["effective_priority"] == "P2"
    (ack,) = desk.sent_to(CUSTOMER)
    assert f"ticket #{number} (P2 Partial Outage)" in ack
    (kept,) = detail(desk, "classification-not-applied")
    assert kept["proposed"] == "P1"


# -- escalation counts from delivery -------------------------------------------------------


async def test_a_held_page_gets_its_full_delay_before_escalating(desk: Desk) -> None:
    await desk.voicemail(1, OUTAGE)
    await desk.voicemail(2, OUTAGE, caller="+12025550124")
    start = desk.clock.now()
    assert len(desk.sent_to(ALICE)) == 1
    desk.clock.advance(timedelta(seconds=61))
    await desk.settle()
    assert len(desk.sent_to(ALICE)) == 2  # the second page is with the carrier now

    # Ten minutes after the first page only its chain escalates: the second page has been
    # with alice for nine minutes.
    desk.clock.set(start + timedelta(minutes=10, seconds=1))
    await desk.settle()
    assert len(detail(desk, "page-escalated")) == 1 and len(desk.sent_to(BOB)) == 1
    desk.clock.set(start + timedelta(minutes=11, seconds=2))
    await desk.settle()
    assert len(detail(desk, "page-escalated")) == 2 and len(desk.sent_to(BOB)) == 2
    (_, second) = detail(desk, "page-escalated")
    assert second["reason"] == "not acknowledged by Alice Example within 0:10:00"


async def test_a_retried_page_gets_its_full_delay_from_when_it_was_sent(
    tmp_path: Path, oncall_table: dict[str, Any], fake_twilio: FakeTwilio, twilio_env: None
) -> None:
    async with running_desk(tmp_path, oncall_table, fake_twilio, ack__enabled=False) as quiet:
        quiet.fake.fail_next(1, 503)  # Twilio refuses the page for now: retried after ~30 s
        await quiet.voicemail(1, OUTAGE)
        start = quiet.clock.now()
        assert quiet.sent_to(ALICE) == []
        quiet.clock.set(start + timedelta(seconds=40))
        await quiet.settle()
        assert len(quiet.sent_to(ALICE)) == 1

        quiet.clock.set(start + timedelta(minutes=10, seconds=1))
        await quiet.settle()
        assert quiet.sent_to(BOB) == []  # alice has had the page for 9 min 21 s
        quiet.clock.set(start + timedelta(minutes=10, seconds=41))
        await quiet.settle()
        assert len(quiet.sent_to(BOB)) == 1
