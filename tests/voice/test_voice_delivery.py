"""Pages through a misbehaving Twilio: retries, permanent failures, delivery status callbacks
in any order, rate limits, and pages for email tickets."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest

from .fake_twilio import FakeTwilio
from .phone_harness import ALICE, BOB, DESK_ADDRESS, Desk, running_desk

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:twilio")


@pytest.fixture
async def quiet(
    tmp_path: Path, oncall_table: dict[str, Any], fake_twilio: FakeTwilio, twilio_env: None
) -> AsyncIterator[Desk]:
    """The night desk without SMS acknowledgements: every SMS to Twilio is a page."""
    async with running_desk(tmp_path, oncall_table, fake_twilio, ack__enabled=False) as desk:
        yield desk


def page_rows(desk: Desk) -> list[Any]:
    return desk.query("SELECT * FROM outbox WHERE purpose = 'page' ORDER BY id")


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_a_page_twilio_refuses_for_now_is_retried_with_backoff(
    quiet: Desk, status: int
) -> None:
    quiet.fake.fail_next(1, status)
    await quiet.voicemail(1)
    (row,) = page_rows(quiet)
    assert row["state"] == "pending" and row["attempts"] == 1 and str(status) in row["last_error"]
    assert quiet.fake.messages == []
    quiet.clock.advance(timedelta(seconds=40))  # backoff_initial is 30 s (+ jitter)
    await quiet.settle()
    (row,) = page_rows(quiet)
    assert row["state"] == "sent" and row["provider_id"].startswith("SM")
    assert len(quiet.fake.requests) == 2 and len(quiet.sent_to(ALICE)) == 1
    assert quiet.sent_to(BOB) == []  # a retry is not an escalation


async def test_an_invalid_number_escalates_at_once(quiet: Desk) -> None:
    quiet.fake.fail_next(1, 400, 21211, "The 'To' number is not a valid phone number.")
    await quiet.voicemail(1)
    first, second = page_rows(quiet)
    assert (first["recipient"], first["state"]) == (ALICE, "failed")
    assert "21211" in first["last_error"]
    assert (second["recipient"], second["state"]) == (BOB, "sent")  # no ten-minute wait
    (escalated,) = quiet.events("page-escalated")
    assert "page 1 to alice failed" in json.loads(escalated["detail"])["reason"]


async def test_a_permanent_delivery_failure_escalates_at_once(quiet: Desk) -> None:
    await quiet.voicemail(1)
    (row,) = page_rows(quiet)
    assert (await quiet.phone.status(row["provider_id"], "failed", "30003"))[0] == 204
    await quiet.settle()
    assert len(quiet.sent_to(BOB)) == 1
    (failed,) = quiet.events("page-failed")
    assert json.loads(failed["detail"])["error"] == "30003"


async def test_a_temporary_delivery_failure_is_sent_again(quiet: Desk) -> None:
    await quiet.voicemail(1)
    (row,) = page_rows(quiet)
    await quiet.phone.status(row["provider_id"], "undelivered", "30008")
    await quiet.settle()
    assert quiet.sent_to(BOB) == [] and len(quiet.sent_to(ALICE)) == 1
    quiet.clock.advance(timedelta(seconds=31))
    await quiet.settle()
    assert len(quiet.sent_to(ALICE)) == 2 and quiet.sent_to(BOB) == []
    resend = page_rows(quiet)[1]
    assert resend["idempotency_key"] == row["idempotency_key"] + "~1"


async def test_status_callbacks_never_move_backwards(quiet: Desk) -> None:
    await quiet.voicemail(1)
    (row,) = page_rows(quiet)
    sid = row["provider_id"]
    for status in ("delivered", "sent", "queued", "sending", "delivered"):
        assert (await quiet.phone.status(sid, status))[0] == 204
    # A late failure after delivery changes nothing either: no escalation.
    await quiet.phone.status(sid, "failed", "30003")
    await quiet.settle()
    (state,) = quiet.query("SELECT status FROM sms_status WHERE message_sid = ?", sid)
    assert state["status"] == "delivered"
    assert len(quiet.events("page-delivered")) == 1
    assert quiet.sent_to(BOB) == []


async def test_a_status_before_the_send_is_recorded_is_applied_when_it_is(quiet: Desk) -> None:
    async def fail_at_once(resource: dict[str, Any]) -> None:
        quiet.fake.before_answer = None
        status, _ = await quiet.phone.status(resource["sid"], "failed", "21614")
        assert status == 204
        (row,) = page_rows(quiet)
        assert row["provider_id"] is None  # the send is not recorded yet

    quiet.fake.before_answer = fail_at_once
    await quiet.voicemail(1)
    first, second = page_rows(quiet)
    assert first["state"] == "sent" and second["recipient"] == BOB
    assert len(quiet.sent_to(BOB)) == 1


async def test_an_acknowledged_page_is_not_escalated_by_a_late_failure(quiet: Desk) -> None:
    await quiet.voicemail(1)
    (row,) = page_rows(quiet)
    await quiet.phone.text(ALICE, "A", "SM" + "f" * 32)
    await quiet.phone.status(row["provider_id"], "undelivered", "30005")
    await quiet.settle()
    assert quiet.sent_to(BOB) == []


async def test_pages_to_one_person_are_rate_limited(quiet: Desk) -> None:
    await quiet.voicemail(1)
    await quiet.voicemail(2, caller="+12025550124")
    assert len(quiet.sent_to(ALICE)) == 1  # one SMS a minute to a number
    (held,) = quiet.events("page-held")
    assert json.loads(held["detail"])["reason"] == "per-recipient rate limit"
    quiet.clock.advance(timedelta(seconds=61))
    await quiet.settle()
    assert len(quiet.sent_to(ALICE)) == 2


async def test_an_after_hours_p1_email_pages(quiet: Desk) -> None:
    host, port = quiet.gw.smtp.address
    for subject in ("[P1] Outage: no dial tone anywhere", "How do I add a user?"):
        message = EmailMessage()
        message["From"] = "pat@example.com"
        message["To"] = DESK_ADDRESS
        message["Subject"] = subject
        message.set_content("Details inside.")
        await aiosmtplib.send(message, hostname=host, port=port)
    await quiet.settle()
    tickets = quiet.query("SELECT number, effective_priority FROM tickets ORDER BY id")
    assert [t["effective_priority"] for t in tickets] == ["P1", "P4"]
    (page,) = quiet.sent_to(ALICE)
    assert page.startswith(f"P1 #{tickets[0]['number']}: email from pat@example.com: Details")
    (chain,) = quiet.query("SELECT reason FROM page_chains")
    assert chain["reason"] == "P1 pages after hours"
