"""The Twilio webhooks on the gateway's real HTTP server: signatures, replays, call routing,
recordings and transcriptions in any order, inbound texts."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.clock import ManualClock

from .fake_twilio import FakeTwilio
from .phone_harness import (
    ALICE,
    BOB,
    CUSTOMER,
    DAY,
    FORWARD_TO,
    OUTAGE,
    QUESTION,
    Desk,
    Phone,
    running_desk,
    sids,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:twilio")

ROUTES = [
    "/voice/incoming",
    "/voice/dial-complete",
    "/voice/recorded",
    "/voice/recording-status",
    "/voice/transcription",
    "/sms/inbound",
    "/sms/status",
]


# -- security -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ROUTES)
async def test_unsigned_and_forged_requests_are_refused(desk: Desk, path: str) -> None:
    form = {**Phone.call_form(sids("CA", 1)), "RecordingSid": sids("RE", 1)}

    assert (await desk.phone.post(path, form, token=None))[0] == 403
    assert (await desk.phone.post(path, form, token="not-the-token"))[0] == 403
    assert (await desk.phone.post(path, form, signature="bm90IGEgc2lnbmF0dXJl"))[0] == 403
    assert desk.query("SELECT * FROM inbox") == []  # nothing refused was stored


async def test_a_tampered_form_is_refused(desk: Desk) -> None:
    form = Phone.call_form(sids("CA", 1))
    from .phone_harness import PUBLIC, sign

    signature = sign(PUBLIC + "/voice/incoming", form)
    status, _ = await desk.phone.post(
        "/voice/incoming", {**form, "From": "+12025550999"}, signature=signature
    )
    assert status == 403


async def test_without_an_auth_token_every_twilio_route_refuses(
    tmp_path: Path,
    oncall_table: dict[str, Any],
    fake_twilio: FakeTwilio,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    async with running_desk(tmp_path, oncall_table, fake_twilio) as desk:
        for path in ROUTES:
            status, body = await desk.phone.post(path, Phone.call_form(sids("CA", 1)))
            assert (status, "no auth token" in body) == (403, True), path


async def test_an_oversized_request_is_refused(desk: Desk) -> None:
    form = {**Phone.call_form(sids("CA", 1)), "Padding": "x" * 70_000}
    status, _ = await desk.phone.post("/voice/incoming", form)
    assert status == 413


async def test_a_signed_request_missing_its_sid_is_a_bad_request(desk: Desk) -> None:
    form = Phone.call_form(sids("CA", 1))
    del form["CallSid"]
    assert (await desk.phone.post("/voice/incoming", form))[0] == 400


# -- routing calls --------------------------------------------------------------------------


async def test_in_business_hours_the_desk_line_is_rung_first(
    tmp_path: Path, oncall_table: dict[str, Any], fake_twilio: FakeTwilio, twilio_env: None
) -> None:
    async with running_desk(tmp_path, oncall_table, fake_twilio, clock=ManualClock(DAY)) as desk:
        call = sids("CA", 1)
        status, answer = await desk.phone.incoming(call)
        assert status == 200
        assert f">{FORWARD_TO}</Dial>" in answer and 'timeout="20"' in answer
        assert 'action="https://intake.example.com/voice/dial-complete"' in answer

        no_answer = {**Phone.call_form(call), "DialCallStatus": "no-answer"}
        status, answer = await desk.phone.post("/voice/dial-complete", no_answer)
        assert status == 200 and "<Record" in answer and "nobody at Acme Support" in answer

        answered = {**Phone.call_form(sids("CA", 2)), "DialCallStatus": "completed"}
        status, answer = await desk.phone.post("/voice/dial-complete", answered)
        assert status == 200 and "<Hangup" in answer and "<Record" not in answer

        # A voicemail in business hours: a ticket and an SMS acknowledgement, but no page.
        await desk.voicemail(3)
        assert desk.sent_to(CUSTOMER) and not desk.sent_to(ALICE)
        assert desk.query("SELECT * FROM page_chains") == []


async def test_the_demo_desk_without_a_number_always_takes_a_voicemail(
    tmp_path: Path, oncall_table: dict[str, Any], fake_twilio: FakeTwilio, twilio_env: None
) -> None:
    demo = [{"address": "support@localhost", "policy": "threepbx", "name": "Demo Support"}]
    async with running_desk(
        tmp_path, oncall_table, fake_twilio, clock=ManualClock(DAY), desks=demo
    ) as desk:
        status, answer = await desk.phone.incoming(sids("CA", 1))
        assert status == 200 and "<Record" in answer and "<Dial" not in answer
        await desk.voicemail(2)
        (ticket,) = desk.query("SELECT desk FROM tickets")
        assert ticket["desk"] == "support@localhost"


# -- recordings and transcriptions -----------------------------------------------------------


async def test_a_replayed_recording_speaks_the_same_ticket_number(desk: Desk) -> None:
    call, recording = sids("CA", 1), sids("RE", 1)
    first = await desk.phone.recorded(call, recording)
    again = await desk.phone.recorded(call, recording)
    assert first == again and "1, 0, 0, 1" in first[1]
    other = await desk.phone.recorded(sids("CA", 2), sids("RE", 2))
    assert "1, 0, 0, 2" in other[1]
    assert len(desk.query("SELECT * FROM tickets")) == 2


async def test_a_replayed_transcription_has_one_effect(desk: Desk) -> None:
    call, recording = sids("CA", 1), sids("RE", 1)
    await desk.phone.incoming(call)
    await desk.phone.recorded(call, recording)
    for _ in range(2):
        assert (await desk.phone.transcription(call, recording, OUTAGE))[0] == 204
    await desk.settle()
    assert len(desk.sent_to(CUSTOMER)) == 1 and len(desk.sent_to(ALICE)) == 1
    assert len(desk.events("classified")) == 1
    assert len(desk.query("SELECT * FROM inbox WHERE kind = 'transcription'")) == 1


async def test_without_a_transcript_the_ticket_goes_on_after_the_timeout(desk: Desk) -> None:
    number = await desk.voicemail(1, text=None)
    desk.clock.advance(timedelta(minutes=9))
    await desk.settle()
    assert desk.fake.messages == []
    desk.clock.advance(timedelta(minutes=1))
    await desk.settle()
    (ticket,) = desk.query("SELECT * FROM tickets")
    assert ticket["effective_priority"] == "P4"  # the policy default
    (missing,) = desk.events("transcript-missing")
    assert "no transcript within 0:10:00" in json.loads(missing["detail"])["note"]
    assert f"#{number} (P4 " in desk.sent_to(CUSTOMER)[0]
    # An after-hours voicemail pages whatever its priority (the `[paging] voicemail` default).
    (page,) = desk.sent_to(ALICE)
    assert page.startswith(f"P4 #{number}: voicemail from {CUSTOMER}: voicemail (no transcript")

    # A transcript that turns up later is attached, and may only raise the priority.
    await desk.phone.transcription(sids("CA", 1), sids("RE", 1), OUTAGE)
    await desk.settle()
    (ticket,) = desk.query("SELECT * FROM tickets")
    assert ticket["effective_priority"] == "P1"
    assert len(desk.events("transcript-late")) == 1
    assert len(desk.sent_to(ALICE)) == 1  # still one chain, no second page


async def test_voicemails_page_only_by_priority_when_configured(
    tmp_path: Path, oncall_table: dict[str, Any], fake_twilio: FakeTwilio, twilio_env: None
) -> None:
    async with running_desk(
        tmp_path, oncall_table, fake_twilio, paging__voicemail="priority"
    ) as desk:
        await desk.voicemail(1, QUESTION)
        assert desk.sent_to(ALICE) == [] and desk.sent_to(CUSTOMER)
        await desk.voicemail(2, OUTAGE)
        assert len(desk.sent_to(ALICE)) == 1


async def test_a_failed_transcription_goes_on_at_once(desk: Desk) -> None:
    call, recording = sids("CA", 1), sids("RE", 1)
    await desk.phone.recorded(call, recording)
    await desk.phone.transcription(call, recording, "", status="failed")
    await desk.settle()
    (missing,) = desk.events("transcript-missing")
    assert "transcription failed" in json.loads(missing["detail"])["note"]
    assert desk.sent_to(CUSTOMER)


async def test_an_absent_recording_settles_the_voicemail(desk: Desk) -> None:
    call, recording = sids("CA", 1), sids("RE", 1)
    await desk.phone.incoming(call)
    await desk.phone.recorded(call, recording)
    assert (await desk.phone.recording_status(call, recording, "absent", "16102"))[0] == 204
    await desk.settle()
    (voicemail,) = desk.query("SELECT * FROM voicemails")
    assert voicemail["recording_status"] == "absent" and voicemail["transcript_state"] == "none"
    (missing,) = desk.events("transcript-missing")
    assert "no recording (silent)" in json.loads(missing["detail"])["note"]


async def test_a_caller_who_hangs_up_before_the_tone_leaves_no_ticket(desk: Desk) -> None:
    call, recording = sids("CA", 1), sids("RE", 1)
    await desk.phone.incoming(call)
    await desk.phone.recording_status(call, recording, "absent", "16101")
    await desk.settle()
    assert desk.query("SELECT * FROM tickets") == []
    (row,) = desk.query("SELECT state, error FROM inbox WHERE kind = 'recording-status'")
    assert (row["state"], row["error"]) == ("done", "absent: no message left")


async def test_callbacks_in_any_order_make_one_ticket(desk: Desk) -> None:
    call, recording = sids("CA", 1), sids("RE", 1)
    await desk.phone.incoming(call)
    # The status callback (no From/To in it) and the transcription come before the action.
    await desk.phone.recording_status(call, recording, "completed")
    await desk.phone.transcription(call, recording, OUTAGE)
    await desk.settle()
    status, answer = await desk.phone.recorded(call, recording)
    assert status == 200 and "1, 0, 0, 1" in answer
    (ticket,) = desk.query("SELECT * FROM tickets")
    assert ticket["customer"] == CUSTOMER and ticket["effective_priority"] == "P1"
    (voicemail,) = desk.query("SELECT * FROM voicemails")
    assert voicemail["recording_status"] == "completed" and voicemail["duration"] == 42


# -- texts ----------------------------------------------------------------------------------


async def test_a_customer_text_opens_a_ticket_and_is_acknowledged(desk: Desk) -> None:
    status, reply = await desk.phone.text(CUSTOMER, QUESTION, sids("SM", 1))
    assert status == 200 and "<Message" not in reply
    await desk.settle()
    (ticket,) = desk.query("SELECT * FROM tickets")
    assert ticket["channel"] == "sms" and ticket["customer"] == CUSTOMER
    assert ticket["effective_priority"] == "P4"
    assert "ticket #1001" in desk.sent_to(CUSTOMER)[0]
    # A replay adds nothing; a new text joins the open ticket.
    await desk.phone.text(CUSTOMER, QUESTION, sids("SM", 1))
    await desk.phone.text(CUSTOMER, "It is for the sales line.", sids("SM", 2))
    await desk.settle()
    assert len(desk.query("SELECT * FROM tickets")) == 1
    texts = desk.query("SELECT body_text FROM messages WHERE direction = 'in' ORDER BY id")
    assert [t["body_text"] for t in texts] == [QUESTION, "It is for the sales line."]
    assert len(desk.sent_to(CUSTOMER)) == 1


async def test_staff_texts(desk: Desk) -> None:
    status, reply = await desk.phone.text(ALICE, "A", sids("SM", 1))
    assert status == 200 and "nothing to acknowledge" in reply
    number = await desk.voicemail(1)
    _, reply = await desk.phone.text(ALICE, "what is this?", sids("SM", 2))
    assert f'reply "{number} A"' in reply
    _, reply = await desk.phone.text(ALICE, "9999 A", sids("SM", 3))
    assert "no page for ticket 9999" in reply and f'"{number} A"' in reply
    _, reply = await desk.phone.text(ALICE, "a", sids("SM", 4))  # bare A: her latest page
    assert f"acknowledged ticket {number}" in reply
    _, replayed = await desk.phone.text(ALICE, "a", sids("SM", 4))
    assert replayed == reply
    _, reply = await desk.phone.text(BOB, f"{number} A", sids("SM", 5))
    assert "already acknowledged by Alice Example" in reply
    assert len(desk.events("page-acknowledged")) == 1
    assert desk.query("SELECT * FROM tickets WHERE channel = 'sms'") == []  # staff open none


async def test_carrier_keywords_open_no_ticket(desk: Desk) -> None:
    for n, word in enumerate(("STOP", "help", " Start ")):
        status, reply = await desk.phone.text(CUSTOMER, word, sids("SM", n))
        assert status == 200 and "<Message" not in reply
    await desk.settle()
    assert desk.query("SELECT * FROM tickets") == []
    assert len(desk.query("SELECT * FROM inbox WHERE kind = 'keyword' AND state = 'done'")) == 3
