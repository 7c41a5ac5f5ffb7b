"""A gateway with a phone desk and an on-call rota, and Twilio's side of its webhooks.

`Phone` posts forms the way Twilio does: to the gateway's real HTTP server on loopback,
signed by twilio's RequestValidator for the configured public URL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from twilio.request_validator import RequestValidator

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.config import Settings, load_settings
from gateway.transports.twilio_sms import TwilioSmsTransport
from gateway.triage import Decision, Proposer
from policies import Policy

from ..gateway.gateway_harness import query, settle
from .fake_twilio import FakeTwilio
from .twilio_account import ACCOUNT_SID, AUTH_TOKEN

PUBLIC = "https://intake.example.com"
DESK_ADDRESS = "support@acme.test"
DESK_NUMBER = "+12025550100"  # the Twilio number customers call and text
FORWARD_TO = "+12025550111"  # the staffed line rung in business hours
SENDER = "+12025550199"  # the default SMS sender
CUSTOMER = "+12025550123"
ALICE, BOB, CAROL, DANA = "+12025550101", "+12025550102", "+12025550103", "+442079460000"
# Saturday 03:00 in New York: ThreePBX is closed (08:00-19:00) and alice is on call.
NIGHT = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
# Friday 10:00 in New York: open.
DAY = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
OUTAGE = "Hi, this is Pat at Example Corp. None of our phones have a dial tone, complete outage."
QUESTION = "Hello, how do I change the voicemail greeting for a new user?"


class KeywordProposer:
    """Triage stand-in: P1 for outage words, else the declared priority or the default."""

    def decide(
        self, policy: Policy, subject: str, body: str, declared_hints: Sequence[str]
    ) -> Decision:
        declared = policy.match_declared(declared_hints)
        if "outage" in f"{subject} {body}".lower():
            return Decision(declared, "P1", "P1", 0.9, ("'outage' (stand-in)",), None)
        default = policy.default_priority.id
        return Decision(declared, default, declared or default, 0.0, ("no clear signal",), None)


def phone_settings(data_dir: Path, oncall: Mapping[str, Any], **extra: Any) -> Settings:
    overrides: dict[tuple[str, ...], Any] = {
        ("data_dir",): str(data_dir),
        ("public_url",): PUBLIC,
        ("smtp", "port"): 0,
        ("http", "port"): 0,
        ("desks",): [
            {
                "address": DESK_ADDRESS,
                "policy": "threepbx",
                "name": "Acme Support",
                "phone": DESK_NUMBER,
                "forward_to": FORWARD_TO,
            }
        ],
        ("twilio", "sms_from"): SENDER,
        ("oncall",): dict(oncall),
    }
    for key, value in extra.items():
        overrides[tuple(key.split("__"))] = value
    return load_settings(None, environ={}, overrides=overrides)


def events(gw: Gateway, kind: str | None = None) -> list[sqlite3.Row]:
    if kind is None:
        return query(gw, "SELECT * FROM events ORDER BY id")
    return query(gw, "SELECT * FROM events WHERE kind = ? ORDER BY id", kind)


def sign(url: str, form: Mapping[str, str], token: str = AUTH_TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, dict(form)))


class Phone:
    """Twilio calling our webhooks."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self.base_url = base_url
        self.session = session

    async def post(
        self,
        path: str,
        form: Mapping[str, str],
        *,
        token: str | None = AUTH_TOKEN,
        signature: str | None = None,
    ) -> tuple[int, str]:
        headers = {}
        if signature is None and token is not None:
            signature = sign(PUBLIC + path, form, token)
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        async with self.session.post(self.base_url + path, data=dict(form), headers=headers) as r:
            return r.status, await r.text()

    # -- the forms Twilio sends ---------------------------------------------------------------

    @staticmethod
    def call_form(call_sid: str, caller: str = CUSTOMER, to: str = DESK_NUMBER) -> dict[str, str]:
        return {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "CallSid": call_sid,
            "CallStatus": "in-progress",
            "Direction": "inbound",
            "From": caller,
            "To": to,
            "Caller": caller,
            "Called": to,
        }

    async def incoming(
        self, call_sid: str, caller: str = CUSTOMER, to: str = DESK_NUMBER
    ) -> tuple[int, str]:
        form = {**self.call_form(call_sid, caller, to), "CallStatus": "ringing"}
        return await self.post("/voice/incoming", form)

    async def recorded(
        self, call_sid: str, recording_sid: str, caller: str = CUSTOMER, duration: int = 42
    ) -> tuple[int, str]:
        form = {
            **self.call_form(call_sid, caller),
            "RecordingSid": recording_sid,
            "RecordingUrl": f"https://api.twilio.com/Recordings/{recording_sid}",
            "RecordingDuration": str(duration),
            "Digits": "hangup",
        }
        return await self.post("/voice/recorded", form)

    async def transcription(
        self,
        call_sid: str,
        recording_sid: str,
        text: str,
        *,
        sid: str | None = None,
        status: str = "completed",
        caller: str = CUSTOMER,
    ) -> tuple[int, str]:
        form = {
            **self.call_form(call_sid, caller),
            "RecordingSid": recording_sid,
            "RecordingUrl": f"https://api.twilio.com/Recordings/{recording_sid}",
            "TranscriptionSid": sid or "TR" + recording_sid[2:],
            "TranscriptionStatus": status,
            "TranscriptionText": text,
            "TranscriptionUrl": "https://api.twilio.com/Transcriptions/x",
        }
        return await self.post("/voice/transcription", form)

    async def recording_status(
        self, call_sid: str, recording_sid: str, status: str, error: str | None = None
    ) -> tuple[int, str]:
        form = {
            "AccountSid": ACCOUNT_SID,
            "CallSid": call_sid,
            "RecordingSid": recording_sid,
            "RecordingStatus": status,
            "RecordingUrl": f"https://api.twilio.com/Recordings/{recording_sid}",
            "RecordingDuration": "0" if status == "absent" else "42",
            "RecordingChannels": "1",
            "RecordingSource": "RecordVerb",
        }
        if error:
            form["ErrorCode"] = error
        return await self.post("/voice/recording-status", form)

    async def text(
        self, sender: str, body: str, sid: str, to: str = DESK_NUMBER
    ) -> tuple[int, str]:
        form = {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "MessageSid": sid,
            "SmsSid": sid,
            "From": sender,
            "To": to,
            "Body": body,
            "NumMedia": "0",
        }
        return await self.post("/sms/inbound", form)

    async def status(
        self, message_sid: str, status: str, error: str | None = None, to: str = ALICE
    ) -> tuple[int, str]:
        form = {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "MessageSid": message_sid,
            "SmsSid": message_sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "From": SENDER,
            "To": to,
        }
        if error:
            form["ErrorCode"] = error
        return await self.post("/sms/status", form)


def sids(prefix: str, n: int) -> str:
    return prefix + f"{n:032x}"


@dataclass
class Desk:
    """A running gateway with the phone desk, Twilio's side of it, and the clock."""

    gw: Gateway
    phone: Phone
    fake: FakeTwilio
    clock: ManualClock

    async def settle(self) -> None:
        await settle(self.gw)

    def sent_to(self, number: str) -> list[str]:
        """Bodies of the SMS the fake Twilio accepted for `number`, in order."""
        return [m["body"] for m in self.fake.messages if m["to"] == number]

    def events(self, kind: str | None = None) -> list[sqlite3.Row]:
        return events(self.gw, kind)

    def query(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        return query(self.gw, sql, *args)

    async def voicemail(self, n: int, text: str | None = OUTAGE, caller: str = CUSTOMER) -> int:
        """A whole call: incoming, recorded, transcribed (unless `text` is None); its ticket."""
        call, recording = sids("CA", n), sids("RE", n)
        assert (await self.phone.incoming(call, caller))[0] == 200
        status, twiml = await self.phone.recorded(call, recording, caller)
        assert status == 200, twiml
        if text is not None:
            assert (await self.phone.transcription(call, recording, text, caller=caller))[0] == 204
        await self.settle()
        (row,) = self.query(
            "SELECT t.number FROM voicemails v JOIN tickets t ON t.id = v.ticket_id"
            " WHERE v.recording_sid = ?",
            recording,
        )
        return int(row["number"])


@asynccontextmanager
async def running_desk(
    data_dir: Path,
    oncall: Mapping[str, Any],
    fake: FakeTwilio,
    *,
    clock: ManualClock | None = None,
    proposer: Proposer | None = None,
    **settings: Any,
) -> AsyncIterator[Desk]:
    clock = clock or ManualClock(NIGHT)
    transport = TwilioSmsTransport(
        ACCOUNT_SID, AUTH_TOKEN, sender=SENDER, api_base_url=fake.base_url, timeout=2
    )
    gw = Gateway(
        phone_settings(data_dir, oncall, **settings),
        clock=clock,
        proposer=proposer or KeywordProposer(),
        sms_transport=transport,
        workers=False,
    )
    await gw.start()
    host, port = gw.http_address
    try:
        async with aiohttp.ClientSession() as session:
            yield Desk(gw, Phone(f"http://{host}:{port}", session), fake, clock)
    finally:
        await gw.stop()
