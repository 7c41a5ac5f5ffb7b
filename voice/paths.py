"""The webhook paths Twilio calls, and the absolute URLs TwiML and the REST API hand it."""

from __future__ import annotations

VOICE_INCOMING = "/voice/incoming"
VOICE_DIAL_COMPLETE = "/voice/dial-complete"
VOICE_RECORDED = "/voice/recorded"
VOICE_RECORDING_STATUS = "/voice/recording-status"
VOICE_TRANSCRIPTION = "/voice/transcription"
SMS_INBOUND = "/sms/inbound"
SMS_STATUS = "/sms/status"


def absolute_url(public_base_url: str, path: str) -> str:
    """`path` under the configured public base URL (which may itself carry a path prefix)."""
    return public_base_url.rstrip("/") + path
