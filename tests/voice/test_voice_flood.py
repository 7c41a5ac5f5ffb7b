"""Paging through a flood: 30 customer-declared "[P1]" mails, then a real outage.

Before pages were coalesced, every page to one engineer queued behind the per-number rate
limits (GoAlert's: 1 a minute, 5 per 15 minutes, 11 an hour, 21 per 3 hours), and the real
outage's page waited 199 minutes, far past its 30-minute validity. Now pages waiting for one
number go out together in one SMS, the most credible first (the classifier's own reading,
not the customer's "[P1]"), and a flood of pages nobody but their sender calls urgent leaves
room in the limits for the one that is.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest

from voice.smstext import SINGLE_SMS, is_gsm7, septets

from .fake_twilio import FakeTwilio
from .phone_harness import ALICE, BOB, DESK_ADDRESS, OUTAGE, Desk, running_desk

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:twilio")

FLOOD = 30
TARGET = timedelta(minutes=2)


@pytest.fixture
async def quiet(
    tmp_path: Path,
    oncall_table: dict[str, Any],
    fake_twilio: FakeTwilio,
    twilio_env: None,
    store_url: str | None,
) -> AsyncIterator[Desk]:
    """The night desk without acknowledgements: every SMS to Twilio is a page; on each backend."""
    async with running_desk(
        tmp_path, oncall_table, fake_twilio, ack__enabled=False, store__url=store_url
    ) as desk:
        desk.fake.now = desk.clock.now
        yield desk


async def mail(desk: Desk, sender: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = DESK_ADDRESS
    message["Subject"] = subject
    message.set_content(body)
    host, port = desk.gw.smtp.address
    await aiosmtplib.send(message, hostname=host, port=port)


async def flood_mail(desk: Desk, n: int) -> None:
    await mail(
        desk,
        f"sender{n}@flood{n}.example",
        f"[P1] Please call me back #{n}",
        f"Urgent!! Account {n}",
    )


async def real_outage(desk: Desk) -> int:
    await mail(desk, "noc@customer.example", "Phones", OUTAGE)
    await desk.settle()
    (row,) = desk.query("SELECT number FROM tickets WHERE customer = 'noc@customer.example'")
    return int(row["number"])


async def first_page_naming(desk: Desk, number: int, within: timedelta) -> tuple[datetime, str]:
    """Move the clock in 5-second steps until an SMS to alice names ticket `number`."""
    start = desk.clock.now()
    while desk.clock.now() - start <= within + timedelta(minutes=5):
        for body in desk.sent_to(ALICE):
            if f"#{number}" in body:
                return desk.clock.now(), body
        desk.clock.advance(timedelta(seconds=5))
        await desk.settle()
    raise AssertionError(f"no page named #{number}: {desk.sent_to(ALICE)}")


async def test_a_real_outage_is_paged_within_two_minutes_of_a_p1_flood(quiet: Desk) -> None:
    for n in range(FLOOD):
        await flood_mail(quiet, n)
        quiet.clock.advance(timedelta(seconds=1))
        await quiet.settle()
    tickets = quiet.query("SELECT effective_priority FROM tickets")
    assert len(tickets) == FLOOD and {t["effective_priority"] for t in tickets} == {"P1"}

    number = await real_outage(quiet)
    (ticket,) = quiet.query("SELECT created_at FROM tickets WHERE number = ?", number)
    created = datetime.fromisoformat(ticket["created_at"])
    sent_at, body = await first_page_naming(quiet, number, TARGET)

    assert sent_at - created <= TARGET, f"the real page went after {sent_at - created}"
    # It leads its SMS, though 29 "[P1]" tickets waited longer: the classifier reads it as P1.
    assert body.startswith(f"P1 #{number}: email from noc@customer.example: Hi, this is Pat")
    assert "more: #" in body and body.endswith(f"Reply {number} A, or AA for all.")
    assert septets(body) <= SINGLE_SMS and is_gsm7(body)
    # Coalesced: a handful of texts to alice, not one per ticket.
    assert len(quiet.sent_to(ALICE)) <= 3
    coalesced = quiet.events("page-coalesced")
    assert len({json.loads(e["detail"])["sms"] for e in coalesced}) <= 2
    assert max(json.loads(e["detail"])["pages"] for e in coalesced) >= FLOOD - 1


async def test_a_trickle_of_declared_p1s_leaves_room_for_a_real_one(quiet: Desk) -> None:
    # One "[P1]" a minute for 20 minutes: enough to use up 5 texts per 15 minutes.
    for n in range(20):
        await flood_mail(quiet, n)
        await quiet.settle()
        quiet.clock.advance(timedelta(minutes=1))
        await quiet.settle()
    held = [json.loads(e["detail"]) for e in quiet.events("page-held")]
    assert held and not any(h["credible"] for h in held)

    number = await real_outage(quiet)
    (ticket,) = quiet.query("SELECT created_at FROM tickets WHERE number = ?", number)
    sent_at, body = await first_page_naming(quiet, number, TARGET)
    assert sent_at - datetime.fromisoformat(ticket["created_at"]) <= TARGET
    assert body.startswith(f"P1 #{number}:")


async def test_a_page_held_past_its_validity_raises_the_alarm_and_escalates(
    tmp_path: Path,
    oncall_table: dict[str, Any],
    fake_twilio: FakeTwilio,
    twilio_env: None,
    store_url: str | None,
) -> None:
    limits = [{"count": 1, "per": "2h"}]  # a carrier that takes one text per two hours
    async with running_desk(
        tmp_path,
        oncall_table,
        fake_twilio,
        ack__enabled=False,
        paging__rate_limit=limits,
        store__url=store_url,
    ) as desk:
        first = await desk.voicemail(1)
        second = await desk.voicemail(2, caller="+12025550124")
        assert len(desk.sent_to(ALICE)) == 1
        await desk.phone.text(ALICE, f"{first} A", "SM" + "a" * 32)  # alice has the first

        desk.clock.advance(timedelta(minutes=29))
        await desk.settle()
        assert desk.events("page-overdue") == []
        desk.clock.advance(timedelta(minutes=1, seconds=1))
        await desk.settle()

        (alarm,) = desk.events("page-overdue")
        detail = json.loads(alarm["detail"])
        assert detail["staff"] == "alice" and detail["validity"] == "0:30:00"
        (ticket,) = desk.query("SELECT id FROM tickets WHERE number = ?", second)
        assert alarm["ticket_id"] == ticket["id"]
        assert desk.gw.metrics.pages_overdue._value.get() == 1
        (escalated,) = desk.sent_to(BOB)  # the next step, at once
        assert escalated.startswith(f"P1 #{second} (escalated, page 2):")
        status, health = await desk.gw.health.report()
        assert status == 200 and health["status"] == "degraded"
        (reason,) = [r for r in health["reasons"] if r.startswith("pages_overdue")]
        assert f"#{second}" in reason  # until someone acknowledges the chain
        await desk.phone.text(BOB, "A", "SM" + "b" * 32)
        status, health = await desk.gw.health.report()
        assert not [r for r in health["reasons"] if r.startswith("pages_overdue")]
