"""TwiML documents for the voice and SMS webhooks. Pure builders: strings in, XML out.

All callback URLs are absolute, built from the configured public base URL, so they are the
same URLs the signature check later rebuilds.
"""

from __future__ import annotations

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from voice.paths import (
    VOICE_DIAL_COMPLETE,
    VOICE_RECORDED,
    VOICE_RECORDING_STATUS,
    VOICE_TRANSCRIPTION,
    absolute_url,
)

MAX_RECORDING_SECONDS = 120
DIAL_TIMEOUT_SECONDS = 20
# <Dial> outcomes after which the caller has spoken to someone: no voicemail then.
ANSWERED = frozenset({"completed", "answered"})
NOTHING_RECORDED = "We did not receive a message. Please call again. Goodbye."


def incoming_call(
    public_base_url: str,
    *,
    greeting: str,
    is_open: bool,
    desk_number: str | None = None,
    dial_timeout: int = DIAL_TIMEOUT_SECONDS,
    voice: str | None = None,
    language: str | None = None,
) -> str:
    """The answer to a new call.

    Open and the desk has a number: ring it for `dial_timeout` seconds; Twilio then calls
    the dial-complete URL, answered by `dial_fallback`. Otherwise (closed, or a desk without
    a number such as the demo desk): `greeting`, then voicemail.
    """
    response = VoiceResponse()
    if is_open and desk_number:
        response.dial(
            desk_number,
            action=absolute_url(public_base_url, VOICE_DIAL_COMPLETE),
            method="POST",
            timeout=dial_timeout,
            answer_on_bridge=True,
        )
        return str(response.to_xml())
    return voicemail(public_base_url, greeting=greeting, voice=voice, language=language)


def dial_fallback(
    public_base_url: str,
    *,
    dial_call_status: str,
    greeting: str,
    voice: str | None = None,
    language: str | None = None,
) -> str:
    """After <Dial>: hang up if someone answered, else take a voicemail.

    `dial_call_status` is Twilio's `DialCallStatus` (completed, answered, busy, no-answer,
    failed, canceled).
    """
    if dial_call_status in ANSWERED:
        return hangup()
    return voicemail(public_base_url, greeting=greeting, voice=voice, language=language)


def voicemail(
    public_base_url: str,
    *,
    greeting: str,
    max_length: int = MAX_RECORDING_SECONDS,
    voice: str | None = None,
    language: str | None = None,
) -> str:
    """Greet, record with transcription, and say goodbye if nothing was recorded.

    Twilio skips the `action` request when the recording is empty and goes on to the next
    verb, hence the closing <Say> and <Hangup>.
    """
    response = VoiceResponse()
    response.say(greeting, voice=voice, language=language)
    response.record(
        action=absolute_url(public_base_url, VOICE_RECORDED),
        method="POST",
        max_length=max_length,
        play_beep=True,
        transcribe=True,
        transcribe_callback=absolute_url(public_base_url, VOICE_TRANSCRIPTION),
        recording_status_callback=absolute_url(public_base_url, VOICE_RECORDING_STATUS),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
    )
    response.say(NOTHING_RECORDED, voice=voice, language=language)
    response.hangup()
    return str(response.to_xml())


def recorded(
    ticket_number: int | str, *, voice: str | None = None, language: str | None = None
) -> str:
    """Thank the caller, read the ticket number back digit by digit (twice), hang up."""
    spoken = spell_out(ticket_number)
    response = VoiceResponse()
    response.say(
        f"Thank you. Your message is ticket number {spoken}. Again, ticket {spoken}. Goodbye.",
        voice=voice,
        language=language,
    )
    response.hangup()
    return str(response.to_xml())


def hangup() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response.to_xml())


def sms_reply(text: str | None) -> str:
    """A reply to an inbound SMS; None answers with an empty <Response/> (no reply)."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response.to_xml())


def spell_out(ticket_number: int | str) -> str:
    """'4821' → '4, 8, 2, 1': text-to-speech then reads digits, not "four thousand..."."""
    return ", ".join(char for char in str(ticket_number) if char.isalnum())
