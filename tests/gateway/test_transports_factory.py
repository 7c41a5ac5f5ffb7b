"""Which transports the settings ask for (gateway/transports/factory.py)."""

from __future__ import annotations

from pathlib import Path

from gateway.config import RelaySettings, Settings
from gateway.transports.factory import email_transport_for, sms_transport_for
from gateway.transports.file_email import FileEmailTransport
from gateway.transports.file_sms import FileSmsTransport
from gateway.transports.relay import RelayEmailTransport
from gateway.transports.twilio_sms import TwilioSmsTransport


def test_email_goes_to_files_without_a_relay_and_to_the_relay_with_one(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert isinstance(email_transport_for(settings), FileEmailTransport)
    relayed = settings.model_copy(update={"relay": RelaySettings(host="smtp.example.com")})
    assert isinstance(email_transport_for(relayed), RelayEmailTransport)


async def test_sms_goes_to_twilio_only_with_both_credentials(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    only_sid = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32}
    file_sms = sms_transport_for(settings, environ=only_sid)
    assert isinstance(file_sms, FileSmsTransport)
    assert file_sms.path == tmp_path / "sms-out.jsonl"
    both = {**only_sid, "TWILIO_AUTH_TOKEN": "secret"}
    twilio = sms_transport_for(settings, environ=both)
    assert isinstance(twilio, TwilioSmsTransport)
    await twilio.aclose()
