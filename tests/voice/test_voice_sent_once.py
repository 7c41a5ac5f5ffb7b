"""Sent once (issue 9, item 6): Twilio answering late, answering 2xx with a body that is not
JSON, or dropping the connection used to make one acknowledgement and one page go out again
on every retry (4 acks and 3 pages, 9 copies). A send whose answer was lost is now
`unconfirmed` and reconciled against Twilio's Messages list before anything is resent."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from .fake_twilio import FakeTwilio
from .phone_harness import ALICE, BOB, CUSTOMER, Desk, running_desk

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:twilio")


@pytest.fixture
async def night(
    tmp_path: Path, oncall_table: dict[str, Any], fake_twilio: FakeTwilio, twilio_env: None
) -> AsyncIterator[Desk]:
    async with running_desk(tmp_path, oncall_table, fake_twilio) as desk:
        fake_twilio.now = desk.clock.now  # Twilio's date_created on the test's clock
        yield desk


async def run_for(desk: Desk, minutes: int) -> None:
    """Let the outbox retry and reconcile for a while, a minute at a time."""
    for _ in range(minutes):
        desk.clock.advance(timedelta(minutes=1))
        await desk.settle()


def outbox(desk: Desk, purpose: str) -> dict[str, Any]:
    (row,) = desk.query("SELECT * FROM outbox WHERE purpose = ?", purpose)
    return dict(row)


def posts(desk: Desk) -> int:
    return sum(r.method == "POST" for r in desk.fake.requests)


@pytest.mark.parametrize("lose", ["late", "garbage", "drop"])
async def test_a_lost_answer_sends_the_ack_and_the_page_once(night: Desk, lose: str) -> None:
    {
        "late": lambda: night.fake.answer_late_next(2, delay=30),
        "garbage": lambda: night.fake.answer_garbage_next(2, status=200),
        "drop": lambda: night.fake.drop_after_create_next(2),
    }[lose]()

    await night.voicemail(1)
    ack, page = outbox(night, "ack"), outbox(night, "page")
    assert (ack["state"], page["state"]) == ("unconfirmed", "unconfirmed")
    assert ack["unconfirmed"] == 1 and page["unconfirmed"] == 1
    assert night.query("SELECT kind FROM events WHERE kind LIKE '%-unconfirmed'")

    await run_for(night, 5)  # alice's step lasts 10 minutes

    assert len(night.sent_to(CUSTOMER)) == 1 and len(night.sent_to(ALICE)) == 1
    assert night.sent_to(BOB) == []  # a lost answer is not a failed page: no escalation
    assert posts(night) == 2 and [r.method for r in night.fake.requests[2:]] == ["GET"] * 2
    for purpose, number in (("ack", CUSTOMER), ("page", ALICE)):
        row = outbox(night, purpose)
        (message,) = night.fake.messages_to(number)
        assert row["state"] == "sent" and row["provider_id"] == message["sid"]
    (sent,) = night.query("SELECT detail FROM events WHERE kind = 'page-sent'")
    assert json.loads(sent["detail"])["confirmed"] == "reconciled"


async def test_a_message_twilio_never_created_is_sent_after_reconciling(night: Desk) -> None:
    night.fake.hang_next(2)  # no answer, and nothing created

    await night.voicemail(1)
    assert outbox(night, "page")["state"] == "unconfirmed"
    await run_for(night, 5)

    assert len(night.sent_to(CUSTOMER)) == 1 and len(night.sent_to(ALICE)) == 1
    assert outbox(night, "page")["state"] == "sent"


async def test_resends_per_key_are_capped_and_the_page_escalates(night: Desk) -> None:
    await night.voicemail(1)  # the acknowledgement goes out normally...
    night.fake.hang_next(2)  # ...then Twilio takes requests and neither creates nor answers

    night.clock.advance(timedelta(minutes=10, seconds=1))  # alice did not acknowledge
    await night.settle()
    await run_for(night, 2)  # bob's step would last 5 minutes

    (row,) = night.query("SELECT * FROM outbox WHERE purpose = 'page' AND recipient = ?", BOB)
    assert row["state"] == "failed" and row["unconfirmed"] == 2  # first send + one resend
    assert "not found at the provider after 2 sends" in row["last_error"]
    bob_posts = [r for r in night.fake.requests if r.method == "POST" and r.form["To"] == BOB]
    assert len(bob_posts) == 2 and night.sent_to(BOB) == []
    # The failed page escalates at once rather than waiting out bob's five minutes.
    assert len(night.sent_to(ALICE)) == 2


async def test_reconciling_waits_while_twilio_cannot_be_asked(night: Desk) -> None:
    night.fake.answer_normally_next(1)  # the page, sent before the ack (storm order)
    night.fake.answer_garbage_next(1)
    night.fake.fail_list_next(3, status=503)

    await night.voicemail(1)  # the ack's answer is lost; the page goes through
    await run_for(night, 9)

    assert len(night.sent_to(CUSTOMER)) == 1
    ack = outbox(night, "ack")
    assert ack["state"] == "sent" and ack["unconfirmed"] == 1
