"""TwiML builders: parse the XML and check verbs and attributes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from voice import twiml

BASE = "https://intake.example.com/"
GREETING = "Thank you for calling. We are closed; please leave a message after the tone."


def parse(xml: str) -> ET.Element:
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    return root


def assert_voicemail(root: ET.Element) -> None:
    say, record, goodbye, hangup = list(root)
    assert (say.tag, say.text) == ("Say", GREETING)
    assert record.tag == "Record"
    assert record.attrib == {
        "action": "https://intake.example.com/voice/recorded",
        "method": "POST",
        "maxLength": "120",
        "playBeep": "true",
        "transcribe": "true",
        "transcribeCallback": "https://intake.example.com/voice/transcription",
        "recordingStatusCallback": "https://intake.example.com/voice/recording-status",
        "recordingStatusCallbackMethod": "POST",
        "recordingStatusCallbackEvent": "completed absent",
    }
    assert goodbye.tag == "Say" and hangup.tag == "Hangup"


def test_open_desk_with_a_number_is_dialled_with_a_fallback_action() -> None:
    root = parse(
        twiml.incoming_call(BASE, greeting=GREETING, is_open=True, desk_number="+12025550100")
    )

    [dial] = list(root)
    assert dial.tag == "Dial" and dial.text == "+12025550100"
    assert dial.attrib == {
        "action": "https://intake.example.com/voice/dial-complete",
        "method": "POST",
        "timeout": "20",
        "answerOnBridge": "true",
    }


@pytest.mark.parametrize(("is_open", "desk_number"), [(False, "+12025550100"), (True, None)])
def test_closed_or_numberless_desk_goes_to_voicemail(
    is_open: bool, desk_number: str | None
) -> None:
    root = parse(
        twiml.incoming_call(BASE, greeting=GREETING, is_open=is_open, desk_number=desk_number)
    )

    assert_voicemail(root)


def test_voice_and_language_are_passed_to_say() -> None:
    root = parse(
        twiml.incoming_call(
            BASE, greeting=GREETING, is_open=False, voice="Polly.Joanna", language="en-US"
        )
    )

    assert root[0].attrib == {"voice": "Polly.Joanna", "language": "en-US"}


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed", "canceled"])
def test_an_unanswered_dial_falls_back_to_voicemail(status: str) -> None:
    assert_voicemail(parse(twiml.dial_fallback(BASE, dial_call_status=status, greeting=GREETING)))


@pytest.mark.parametrize("status", ["completed", "answered"])
def test_an_answered_dial_hangs_up(status: str) -> None:
    root = parse(twiml.dial_fallback(BASE, dial_call_status=status, greeting=GREETING))

    assert [child.tag for child in root] == ["Hangup"]


def test_recorded_reads_the_ticket_number_digit_by_digit_and_hangs_up() -> None:
    root = parse(twiml.recorded(4821))

    say, hangup = list(root)
    assert say.tag == "Say" and hangup.tag == "Hangup"
    assert say.text is not None and say.text.count("4, 8, 2, 1") == 2
    assert "4821" not in say.text


def test_spell_out() -> None:
    assert twiml.spell_out("T-107") == "T, 1, 0, 7"


def test_sms_reply() -> None:
    root = parse(twiml.sms_reply("Acknowledged ticket 4821 <P1> & thanks"))
    [message] = list(root)
    assert message.tag == "Message"
    assert message.text == "Acknowledged ticket 4821 <P1> & thanks"


def test_an_empty_sms_reply_sends_nothing() -> None:
    assert list(parse(twiml.sms_reply(None))) == []


def test_hangup() -> None:
    assert [child.tag for child in parse(twiml.hangup())] == ["Hangup"]
