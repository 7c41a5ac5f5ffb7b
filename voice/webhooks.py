"""The Twilio webhooks: voice calls, recordings, transcriptions, inbound SMS, delivery statuses.

Every request is signature-checked against the configured public URL (403 otherwise; with no
auth token configured, every request is refused), then committed before it is answered:
accept, persist, then think. Each is stored under a key made of its Twilio SID, so Twilio's
retries have exactly one effect.

- Answered in the same transaction (they need the result, or it is cheap): the incoming call
  (recorded so a later callback without From/To can still be traced to the caller),
  `<Dial>` completion, the `<Record>` action (opens the ticket whose number is spoken back),
  staff texts (acknowledgements, answered with TwiML) and delivery statuses.
- Left to the voice worker (`voice.worker`): recording statuses, transcriptions (classified
  there) and customer texts.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from aiohttp import web
from twilio.request_validator import RequestValidator

from gateway.clock import Clock
from gateway.config import DeskSettings, Settings
from gateway.metrics import Metrics
from gateway.phone import mask, normalize_e164
from gateway.policybook import PolicyBook
from gateway.store import Store, StoreClosed
from gateway.store import inbox as inbox_sql
from gateway.store import voice as sql
from gateway.store.connection import Connection
from gateway.store.voice import HandledWebhook
from voice import paths, twiml
from voice.delivery import Delivery
from voice.desks import DeskDirectory
from voice.oncall import OnCallSchedule
from voice.paging import Paging
from voice.signature import verify_twilio_request
from voice.voicemail import PhoneIntake, Recording

log = logging.getLogger(__name__)

# Run after a webhook's record, in the same transaction; `new` is False for a Twilio retry.
FollowUp = Callable[[Connection, bool], Awaitable[None]]

T = TypeVar("T")

LEAVE_A_MESSAGE = (
    "Please leave your name, your number and a description of the problem after the tone."
)


# Twilio's own opt-out / opt-in / help keywords for long codes.
CARRIER_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "START", "YES", "UNSTOP"}
    | {"HELP", "INFO"}
)


def _twiml(xml: str) -> web.Response:
    return web.Response(text=xml, content_type="text/xml")


def _required(form: Mapping[str, str], *names: str) -> None:
    missing = [name for name in names if not form.get(name)]
    if missing:
        raise web.HTTPBadRequest(text=f"missing {', '.join(missing)}")


class TwilioWebhooks:
    def __init__(
        self,
        *,
        store: Store,
        clock: Clock,
        settings: Settings,
        policies: PolicyBook,
        desks: DeskDirectory,
        phone: PhoneIntake,
        paging: Paging,
        delivery: Delivery,
        schedule: OnCallSchedule | None,
        validator: RequestValidator | None,
        metrics: Metrics,
        queued: Callable[[], None] = lambda: None,
    ) -> None:
        """`queued` is called after work for the voice worker was committed."""
        self._store = store
        self._queued = queued
        self._clock = clock
        self._settings = settings
        self._policies = policies
        self._desks = desks
        self._phone = phone
        self._paging = paging
        self._delivery = delivery
        self._schedule = schedule
        self._validator = validator
        self._metrics = metrics
        self._public = settings.public_url
        self._answers: dict[tuple[str, bool], str] = {}

    def add_routes(self, app: web.Application) -> None:
        routes = {
            paths.VOICE_INCOMING: self.incoming,
            paths.VOICE_DIAL_COMPLETE: self.dial_complete,
            paths.VOICE_RECORDED: self.recorded,
            paths.VOICE_RECORDING_STATUS: self.recording_status,
            paths.VOICE_TRANSCRIPTION: self.transcription,
            paths.SMS_INBOUND: self.sms_inbound,
            paths.SMS_STATUS: self.sms_status,
        }
        for path, handler in routes.items():
            app.router.add_post(path, handler)

    async def _form(self, request: web.Request) -> dict[str, str]:
        return await verify_twilio_request(
            request, self._validator, self._public, max_body=self._settings.http.max_body
        )

    async def _write(self, op: Callable[[Connection], Awaitable[T]]) -> T:
        try:
            return await self._store.write(op)
        except StoreClosed:
            raise web.HTTPServiceUnavailable(text="shutting down") from None

    async def _record(self, record: HandledWebhook, then: FollowUp | None = None) -> bool:
        """Commit a webhook handled on arrival (and `then`); False for a Twilio retry.

        Webhooks arriving together share the store's group commit.
        """

        async def op(db: Connection) -> bool:
            new = record.source_key in await sql.record_webhooks(db, [record])
            if then is not None:
                await then(db, new)
            return new

        return await self._write(op)

    # -- voice -------------------------------------------------------------------------------

    async def incoming(self, request: web.Request) -> web.Response:
        form = await self._form(request)
        _required(form, "CallSid")
        now = self._clock.now()
        desk = self._desks.for_number(form.get("To"))
        is_open = self._policies.get(desk.policy).is_open(now)
        dial = bool(is_open and desk.forward_to)
        answer = self._incoming_answer(desk, is_open)
        await self._record(
            HandledWebhook(
                channel="voice",
                kind="call",
                received_at=now,
                meta=form,
                source_key=f"call:{form['CallSid']}",
                note="dial" if dial else "voicemail",
            )
        )
        self._metrics.messages_received.labels("voice").inc()
        return _twiml(answer)

    def _incoming_answer(self, desk: DeskSettings, is_open: bool) -> str:
        # The answer only depends on the desk and whether it is open: built once each.
        key = (desk.address, is_open)
        if key not in self._answers:
            self._answers[key] = twiml.incoming_call(
                self._public,
                greeting=self._greeting(desk, is_open),
                is_open=is_open,
                desk_number=desk.forward_to,
            )
        return self._answers[key]

    def _greeting(self, desk: DeskSettings, is_open: bool) -> str:
        if is_open:
            return f"Thank you for calling {desk.name}. {LEAVE_A_MESSAGE}"
        policy = self._policies.get(desk.policy)
        return f"Thank you for calling {desk.name}. {policy.after_hours_message} {LEAVE_A_MESSAGE}"

    async def dial_complete(self, request: web.Request) -> web.Response:
        form = await self._form(request)
        _required(form, "CallSid")
        status = form.get("DialCallStatus", "")
        await self._record(
            HandledWebhook(
                channel="voice",
                kind="dial-complete",
                received_at=self._clock.now(),
                meta=form,
                source_key=f"dial:{form['CallSid']}",
                note=status,
            )
        )
        desk = self._desks.for_number(form.get("To"))
        greeting = f"Sorry, nobody at {desk.name} could take your call. {LEAVE_A_MESSAGE}"
        return _twiml(twiml.dial_fallback(self._public, dial_call_status=status, greeting=greeting))

    async def recorded(self, request: web.Request) -> web.Response:
        """The `<Record>` action: the ticket exists once this returns, and its number is spoken."""
        form = await self._form(request)
        _required(form, "CallSid", "RecordingSid")
        caller = self._phone.caller_from_form(form)
        recording = Recording.from_form(form)

        async def op(db: Connection) -> int:
            await sql.record_webhook(
                db,
                channel="voice",
                kind="recorded",
                received_at=self._clock.now(),
                meta=form,
                source_key=f"recorded:{recording.sid}",
            )
            _, ticket = await self._phone.voicemail(db, caller, recording)
            return ticket.number

        number = await self._write(op)
        log.info("voicemail %s from %s is ticket %d", recording.sid, mask(caller.label), number)
        return _twiml(twiml.recorded(number))

    async def recording_status(self, request: web.Request) -> web.Response:
        form = await self._form(request)
        _required(form, "RecordingSid", "RecordingStatus")
        key = f"recording-status:{form['RecordingSid']}:{form['RecordingStatus']}"
        await self._queue("voice", "recording-status", form, key)
        return web.Response(status=204)

    async def transcription(self, request: web.Request) -> web.Response:
        form = await self._form(request)
        _required(form, "RecordingSid")
        sid = (
            form.get("TranscriptionSid")
            or f"{form['RecordingSid']}:{form.get('TranscriptionStatus')}"
        )
        await self._queue("voice", "transcription", form, f"transcription:{sid}")
        return web.Response(status=204)

    async def _queue(self, channel: str, kind: str, form: dict[str, str], key: str) -> None:
        """Commit the request for the voice worker (a retry finds its key and adds nothing)."""
        now = self._clock.now()
        await self._write(
            lambda db: inbox_sql.insert_inbox(
                db, channel=channel, kind=kind, received_at=now, meta=form, source_key=key
            )
        )
        self._queued()

    # -- SMS ---------------------------------------------------------------------------------

    async def sms_inbound(self, request: web.Request) -> web.Response:
        form = await self._form(request)
        _required(form, "MessageSid", "From")
        self._metrics.messages_received.labels("sms").inc()
        sender = normalize_e164(form["From"])
        staff = self._schedule.staff_by_phone(sender) if self._schedule and sender else None
        key = f"sms:{form['MessageSid']}"
        if staff is None and form.get("Body", "").strip().upper() in CARRIER_KEYWORDS:
            # Twilio answers these itself (opt-out, opt-in, help): not a support request.
            note = "carrier keyword, answered by Twilio"
            await self._record(HandledWebhook("sms", "keyword", self._clock.now(), form, key, note))
            return _twiml(twiml.sms_reply(None))
        if staff is None:
            await self._queue("sms", "sms", form, key)
            return _twiml(twiml.sms_reply(None))

        async def op(db: Connection) -> str:
            # A retry gets the reply the first request computed, and changes nothing.
            earlier = await sql.webhook_note(db, key)
            if earlier is not None:
                return earlier
            reply = await self._paging.staff_text(db, staff, form.get("Body", ""))
            await sql.record_webhook(
                db,
                channel="sms",
                kind="staff-sms",
                received_at=self._clock.now(),
                meta=form,
                source_key=key,
                note=reply,
            )
            return reply

        return _twiml(twiml.sms_reply(await self._write(op)))

    async def sms_status(self, request: web.Request) -> web.Response:
        form = await self._form(request)
        status = form.get("MessageStatus") or form.get("SmsStatus") or ""
        sid = form.get("MessageSid") or form.get("SmsSid") or ""
        if not sid or not status:
            raise web.HTTPBadRequest(text="missing MessageSid or MessageStatus")
        error_code = form.get("ErrorCode") or None

        async def then(db: Connection, new: bool) -> None:
            if new:  # a retry of a callback already applied changes nothing
                await self._delivery.status_callback(db, sid, status, error_code)

        record = HandledWebhook(
            channel="sms",
            kind="status",
            received_at=self._clock.now(),
            meta=form,
            source_key=f"status:{sid}:{status}",
        )
        await self._record(record, then)
        return web.Response(status=204)
