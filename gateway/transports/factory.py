"""Which transports the settings ask for: the relay or a file for email, Twilio or a file for SMS.

The application assembly (`gateway.app`) calls these once at start; everything else sees only
the `EmailTransport` / `SmsTransport` protocols.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from gateway.config import Settings
from gateway.transports.base import EmailTransport, SmsTransport
from gateway.transports.file_email import FileEmailTransport
from gateway.transports.file_sms import FileSmsTransport
from gateway.transports.relay import RelayEmailTransport
from gateway.transports.twilio_sms import TwilioSmsTransport


def email_transport_for(settings: Settings) -> EmailTransport:
    """The `[relay]` when configured, else `<data-dir>/mail-out` (the demo desk)."""
    if settings.relay is not None:
        return RelayEmailTransport(settings.relay, settings.smtp.hostname)
    return FileEmailTransport(settings.data_dir / "mail-out")


def sms_transport_for(settings: Settings, environ: Mapping[str, str] | None = None) -> SmsTransport:
    """Twilio when both credentials are in the environment, else `<data-dir>/sms-out.jsonl`."""
    environ = os.environ if environ is None else environ
    sid = environ.get(settings.twilio.account_sid_env)
    token = environ.get(settings.twilio.auth_token_env)
    if sid and token:
        return TwilioSmsTransport(
            sid, token, sender=settings.twilio.sms_from, api_base_url=settings.twilio.api_base_url
        )
    return FileSmsTransport(settings.data_dir / "sms-out.jsonl", sender=settings.twilio.sms_from)
