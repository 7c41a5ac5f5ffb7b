"""The after-hours story, end to end in one process with a movable clock and the real twilio
client against the fake Twilio REST server:

call → recording → transcription → P1 ticket → page → no acknowledgement → escalation →
"A" reply → escalation stops, and the caller has their SMS acknowledgement.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.triage import ClassifierProposer

from .fake_twilio import FakeTwilio
from .phone_harness import (
    ALICE,
    BOB,
    CUSTOMER,
    DANA,
    DESK_NUMBER,
    OUTAGE,
    SENDER,
    Desk,
    running_desk,
    sids,
)

# twilio's async client still passes aiohttp's deprecated `auth=BasicAuth(...)`: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:twilio")


async def test_the_after_hours_story(desk: Desk) -> None:
    call, recording = sids("CA", 1), sids("RE", 1)

    # The call: after hours, so straight to voicemail with the policy's after-hours wording.
    status, answer = await desk.phone.incoming(call)
    assert status == 200
    assert "<Record" in answer and 'maxLength="120"' in answer and 'transcribe="true"' in answer
    assert 'action="https://intake.example.com/voice/recorded"' in answer
    assert 'transcribeCallback="https://intake.example.com/voice/transcription"' in answer
    assert 'recordingStatusCallback="https://intake.example.com/voice/recording-status"' in answer
    assert "Calls after 7:00 PM Eastern" in answer and "<Dial" not in answer

    # The recording: the ticket exists now, and the caller hears its number.
    status, answer = await desk.phone.recorded(call, recording)
    assert status == 200
    assert "ticket number 1, 0, 0, 1" in answer and "<Hangup" in answer
    (ticket,) = desk.query("SELECT * FROM tickets")
    assert ticket["number"] == 1001 and ticket["channel"] == "voice"
    assert ticket["customer"] == CUSTOMER and ticket["effective_priority"] == "P4"
    assert ticket["after_hours"] == 1
    assert json.loads(ticket["reasons"]) == ["transcript pending"]
    await desk.settle()
    assert desk.fake.messages == []  # nothing is sent before the transcript settles it

    # The transcription: classified P1, deadline set, the caller texted, alice paged.
    assert (await desk.phone.transcription(call, recording, OUTAGE))[0] == 204
    await desk.settle()
    (ticket,) = desk.query("SELECT * FROM tickets")
    assert ticket["effective_priority"] == "P1"
    assert ticket["due_at"].startswith("2026-11-21T09:00")  # one hour, calendar time
    assert ticket["subject"].startswith(f"Voicemail from {CUSTOMER}: Hi, this is Pat")
    (message,) = desk.query("SELECT * FROM messages WHERE direction = 'in'")
    assert message["body_text"] == OUTAGE
    assert json.loads(message["meta"])["recording_url"].endswith(recording)

    (ack,) = desk.sent_to(CUSTOMER)
    assert "ticket #1001 (P1 System-wide Outage)" in ack
    assert "We will respond by Sat 21 Nov 2026, 04:00 EST" in ack
    (page,) = desk.sent_to(ALICE)
    assert page.startswith("P1 #1001: voicemail from +12025550123: Hi, this is Pat")
    assert "Due Sat 04:00 EST. https://intake.example.com/t/1001 " in page and page.endswith(
        "Reply 1001 A to ack."
    )
    page_request = next(r for r in desk.fake.requests if r.form["To"] == ALICE)
    assert page_request.form["From"] == SENDER
    assert page_request.form["ValidityPeriod"] == "1800"
    assert page_request.form["StatusCallback"] == "https://intake.example.com/sms/status"

    # Nobody acknowledges within the first step's ten minutes: bob (the secondary) is paged.
    desk.clock.advance(timedelta(minutes=9))
    await desk.settle()
    assert desk.sent_to(BOB) == []
    desk.clock.advance(timedelta(minutes=1, seconds=1))
    await desk.settle()
    (escalated,) = desk.sent_to(BOB)
    assert escalated.startswith("P1 #1001 (escalated, page 2):")

    # Bob acknowledges; escalation stops.
    status, reply = await desk.phone.text(BOB, "1001 a", sids("SM", 900))
    assert status == 200
    assert "acknowledged ticket 1001 (P1), escalation stopped" in reply
    desk.clock.advance(timedelta(hours=2))
    await desk.settle()
    assert len(desk.fake.messages) == 3  # ack, alice, bob: nothing more
    (chain,) = desk.query("SELECT * FROM page_chains")
    assert chain["state"] == "acknowledged" and chain["acked_by"] == "bob"
    kinds = [e["kind"] for e in desk.events()]
    for expected in ("created", "classified", "page-chain-started", "paged", "page-escalated"):
        assert expected in kinds
    (ack_event,) = desk.events("page-acknowledged")
    assert json.loads(ack_event["detail"])["staff"] == "bob"


async def test_the_story_with_the_real_classifier(
    tmp_path: Path, oncall_table: dict[str, Any], fake_twilio: FakeTwilio, twilio_env: None
) -> None:
    async with running_desk(
        tmp_path, oncall_table, fake_twilio, proposer=ClassifierProposer.load()
    ) as desk:
        number = await desk.voicemail(1, OUTAGE)
        (ticket,) = desk.query("SELECT * FROM tickets")
        assert ticket["effective_priority"] == "P1" and ticket["confidence"] > 0.5
        assert f"#{number}" in desk.sent_to(ALICE)[0]
        assert desk.sent_to(CUSTOMER)


async def test_the_chain_runs_out_at_the_fallback(desk: Desk) -> None:
    await desk.voicemail(1)
    for _ in range(6):
        desk.clock.advance(timedelta(minutes=10, seconds=1))
        await desk.settle()
    pages = [r.form["To"] for r in desk.fake.requests if r.form["To"] != CUSTOMER]
    assert pages == [ALICE, BOB, ALICE, BOB, DANA]
    (chain,) = desk.query("SELECT * FROM page_chains")
    assert chain["state"] == "exhausted"
    assert len(desk.events("page-chain-exhausted")) == 1
    assert desk.query("SELECT COUNT(*) AS n FROM pages")[0]["n"] == 5


async def test_a_second_message_on_a_paged_ticket_starts_no_second_chain(desk: Desk) -> None:
    await desk.voicemail(1)
    status, _ = await desk.phone.text(CUSTOMER, "Still down, outage everywhere", sids("SM", 1))
    assert status == 200
    await desk.settle()
    assert len(desk.query("SELECT * FROM tickets")) == 1
    assert len(desk.query("SELECT * FROM page_chains")) == 1
    assert len(desk.sent_to(ALICE)) == 1
    texts = desk.query("SELECT body_text FROM messages WHERE channel = 'sms' AND direction = 'in'")
    assert [t["body_text"] for t in texts] == ["Still down, outage everywhere"]


async def test_the_desk_number_selects_the_desk(desk: Desk) -> None:
    await desk.voicemail(1)
    (ticket,) = desk.query("SELECT desk, policy FROM tickets")
    assert (ticket["desk"], ticket["policy"]) == ("support@acme.test", "threepbx")
    assert desk.query("SELECT meta FROM inbox WHERE kind = 'call'")[0]["meta"].count(DESK_NUMBER)
