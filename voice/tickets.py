"""Tickets from the phone: voicemails (opened at once, completed by their transcript) and texts.

A voicemail's ticket is opened as soon as Twilio tells us about the recording, whichever of
its callbacks comes first (the `<Record>` action, the recording status or the transcription):
the caller hears the ticket number before hanging up. It starts at the policy's default
priority with a note that the transcript is pending; the transcript (or its absence, after
`twilio.transcription_timeout`) then "settles" it: classification, priority and deadline, the
caller's SMS acknowledgement, and the ticket hooks (paging) — all in one transaction.

A text from a customer joins their latest open ticket, or opens one (classified, acknowledged
and paged like any other) when they have none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment

from gateway.clock import Clock
from gateway.config import DeskSettings, Settings
from gateway.hooks import TicketHook
from gateway.metrics import Metrics
from gateway.phone import normalize_e164
from gateway.policybook import PolicyBook
from gateway.promise import promise_for
from gateway.store import outbox as outbox_sql
from gateway.store import tickets as sql
from gateway.store import voice as voice_sql
from gateway.store.connection import Connection
from gateway.store.records import Ticket
from gateway.store.voice import NewVoicemail, Voicemail
from gateway.ticketing import Arrival, default_decision, open_ticket
from gateway.triage import Decision
from policies import Policy
from voice.desks import DeskDirectory
from voice.paging import summarize
from voice.paths import SMS_STATUS, absolute_url

SUBJECT_WORDS = 60


@dataclass(frozen=True, slots=True)
class Caller:
    call_sid: str
    number: str | None  # E.164; None when withheld or not a phone number
    name: str
    called: str
    desk: DeskSettings

    @property
    def label(self) -> str:
        return self.number or "a withheld number"


@dataclass(frozen=True, slots=True)
class Recording:
    sid: str
    url: str | None
    duration: int | None

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> Recording:
        duration = form.get("RecordingDuration", "")
        return cls(
            sid=form["RecordingSid"],
            url=form.get("RecordingUrl") or None,
            duration=int(duration) if duration.isdigit() else None,
        )


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


class PhoneTickets:
    def __init__(
        self,
        clock: Clock,
        settings: Settings,
        policies: PolicyBook,
        templates: Environment,
        desks: DeskDirectory,
        metrics: Metrics,
        hooks: Sequence[TicketHook] = (),
        paging: TicketHook | None = None,
    ) -> None:
        """`hooks` run when a ticket is complete (priority known); `paging` (one of them) runs
        again when a late transcript raises the priority."""
        self._clock = clock
        self._settings = settings
        self._policies = policies
        self._templates = templates
        self._desks = desks
        self._metrics = metrics
        self.hooks = tuple(hooks)
        self._paging = paging

    # -- callers ----------------------------------------------------------------------------

    def caller_from_form(self, form: Mapping[str, str]) -> Caller:
        called = form.get("To", "")
        return Caller(
            call_sid=form.get("CallSid", ""),
            number=normalize_e164(form.get("From", "")),
            name=form.get("CallerName", ""),
            called=called,
            desk=self._desks.for_number(called),
        )

    async def caller_of(self, db: Connection, form: Mapping[str, str]) -> Caller:
        """Who called: from the form, or (status callbacks carry no From/To) from the call."""
        if form.get("From") or form.get("To"):
            return self.caller_from_form(form)
        call = await voice_sql.webhook_meta(db, f"call:{form.get('CallSid', '')}")
        return self.caller_from_form({**(call or {}), "CallSid": form.get("CallSid", "")})

    # -- voicemails -------------------------------------------------------------------------

    async def voicemail(
        self, db: Connection, caller: Caller, recording: Recording
    ) -> tuple[Voicemail, Ticket]:
        """The voicemail (and its ticket) for this recording, opened now if it is new."""
        existing = await voice_sql.voicemail_by_recording(db, recording.sid)
        if existing is not None:
            ticket = await sql.ticket_by_id(db, existing.ticket_id)
            assert ticket is not None
            return existing, ticket
        now = self._clock.now()
        desk = caller.desk
        policy = self._policies.get(desk.policy)
        arrival = Arrival(
            channel="voice",
            customer=caller.number or "anonymous",
            customer_name=caller.name,
            desk=desk.address,
            subject=f"Voicemail from {caller.label}",
            received_at=now,
        )
        pending = default_decision(policy, "transcript pending")
        ticket = await open_ticket(db, arrival, policy, pending, now)
        meta: dict[str, Any] = {
            "call_sid": caller.call_sid,
            "recording_sid": recording.sid,
            "recording_url": recording.url,
            "duration": recording.duration,
            "called": caller.called,
        }
        message_id = await sql.insert_message(
            db,
            ticket.id,
            sql.NewMessage(
                direction="in",
                channel="voice",
                message_id=f"twilio-recording:{recording.sid}",
                content_hash=None,
                sender=caller.number or "anonymous",
                subject=ticket.subject,
                body_text="",
                latest_text="",
                meta=meta,
            ),
            now,
        )
        voicemail_id = await voice_sql.insert_voicemail(
            db,
            NewVoicemail(
                recording_sid=recording.sid,
                call_sid=caller.call_sid,
                ticket_id=ticket.id,
                message_id=message_id,
                caller=caller.number,
                desk=desk.address,
                recording_url=recording.url,
                duration=recording.duration,
                transcript_due_at=now + self._settings.twilio.transcription_timeout,
            ),
            now,
        )
        self._metrics.tickets_created.labels("voice", policy.name).inc()
        created = await voice_sql.voicemail_by_recording(db, recording.sid)
        assert created is not None and created.id == voicemail_id
        return created, ticket

    async def settle(
        self,
        db: Connection,
        voicemail: Voicemail,
        *,
        state: str,
        transcript: str = "",
        decision: Decision | None = None,
        note: str | None = None,
    ) -> Ticket:
        """Finish a voicemail's ticket: priority, deadline, the caller's SMS, hooks (paging).

        `state` is how the wait for the transcript ended (received, failed, timed-out, none);
        without a `decision` the ticket keeps the policy default and `note` says why.
        """
        now = self._clock.now()
        ticket = await sql.ticket_by_id(db, voicemail.ticket_id)
        assert ticket is not None
        if not await voice_sql.settle_voicemail(db, voicemail.id, state, now):
            return ticket  # settled already (a late or repeated callback)
        policy = self._policies.get(ticket.policy)
        if transcript:
            await self._attach_transcript(db, ticket, voicemail, transcript, now)
        if decision is not None:
            await self._prioritise(db, ticket, policy, decision, now)
        else:
            await sql.add_event(
                db,
                ticket.id,
                now,
                "transcript-missing",
                note=note,
                priority=ticket.effective_priority,
            )
        ticket = await self._reload(db, ticket.id)
        desk = self._desks.by_address(self._settings, ticket.desk)
        await self._acknowledge_by_sms(db, ticket, desk, policy, now)
        summary = first_line(transcript) or f"voicemail ({note or 'no transcript'})"
        await self._run_hooks(db, ticket, policy, summary)
        return ticket

    async def late_transcript(
        self,
        db: Connection,
        voicemail: Voicemail,
        transcript: str,
        decision: Decision | None,
    ) -> Ticket:
        """A transcript after the ticket went on without one: attach it; raise, never lower."""
        now = self._clock.now()
        ticket = await self._reload(db, voicemail.ticket_id)
        policy = self._policies.get(ticket.policy)
        await voice_sql.mark_late_transcript(db, voicemail.id)
        await self._attach_transcript(db, ticket, voicemail, transcript, now)
        await sql.add_event(db, ticket.id, now, "transcript-late")
        order = [p.id for p in policy.priorities]
        if decision is not None and order.index(decision.effective) < order.index(
            ticket.effective_priority
        ):
            await self._prioritise(db, ticket, policy, decision, now)
            ticket = await self._reload(db, ticket.id)
            # Only paging cares about a priority raised after the fact; one chain per ticket.
            if self._paging is not None:
                await self._paging.ticket_created(db, ticket, policy, first_line(transcript))
        return ticket

    async def _attach_transcript(
        self,
        db: Connection,
        ticket: Ticket,
        voicemail: Voicemail,
        transcript: str,
        now: datetime,
    ) -> None:
        await voice_sql.set_message_text(db, voicemail.message_id, transcript)
        caller = voicemail.caller or "a withheld number"
        await voice_sql.set_ticket_subject(
            db, ticket.id, f"Voicemail from {caller}: {summarize(transcript)[:SUBJECT_WORDS]}", now
        )
        await sql.add_event(db, ticket.id, now, "transcript", chars=len(transcript))

    async def _prioritise(
        self,
        db: Connection,
        ticket: Ticket,
        policy: Policy,
        decision: Decision,
        now: datetime,
    ) -> None:
        await sql.set_priority(
            db,
            ticket.id,
            effective=decision.effective,
            due_at=policy.deadline(decision.effective, ticket.received_at, "respond"),
            now=now,
            proposed=decision.proposed,
            confidence=decision.confidence,
            reasons=decision.reasons,
        )
        await sql.add_event(
            db,
            ticket.id,
            now,
            "classified",
            priority=decision.effective,
            reasons=list(decision.reasons),
        )
        if decision.reclassified:
            await sql.add_event(db, ticket.id, now, "reclassified", reason=decision.reclassified)

    # -- texts from customers ---------------------------------------------------------------

    async def text(
        self,
        db: Connection,
        inbox_id: int,
        form: Mapping[str, str],
        received_at: datetime,
        decision: Decision,
    ) -> Ticket:
        """A customer's text: joins their open ticket, or opens one."""
        now = self._clock.now()
        sender = normalize_e164(form.get("From", "")) or form.get("From", "") or "unknown"
        body = form.get("Body", "")
        message = sql.NewMessage(
            direction="in",
            channel="sms",
            message_id=f"twilio-sms:{form.get('MessageSid', inbox_id)}",
            content_hash=None,
            sender=sender,
            subject="",
            body_text=body,
            latest_text=body,
            meta={k: v for k, v in form.items() if k.startswith(("MediaUrl", "NumMedia", "To"))},
            inbox_id=inbox_id,
        )
        ticket = await sql.latest_open_ticket_for(db, sender)
        if ticket is not None:
            await sql.insert_message(db, ticket.id, message, now)
            await sql.add_event(db, ticket.id, now, "reply", sender=sender, channel="sms")
            self._metrics.replies_threaded.labels("sms").inc()
            return ticket
        desk = self._desks.for_number(form.get("To"))
        policy = self._policies.get(desk.policy)
        arrival = Arrival(
            channel="sms",
            customer=sender,
            customer_name="",
            desk=desk.address,
            subject=f"SMS from {sender}: {summarize(body)[:SUBJECT_WORDS]}",
            received_at=received_at,
        )
        ticket = await open_ticket(db, arrival, policy, decision, now)
        await sql.insert_message(db, ticket.id, message, now)
        self._metrics.tickets_created.labels("sms", policy.name).inc()
        await self._acknowledge_by_sms(db, ticket, desk, policy, now)
        await self._run_hooks(db, ticket, policy, first_line(body) or ticket.subject)
        return ticket

    # -- shared -----------------------------------------------------------------------------

    async def _acknowledge_by_sms(
        self,
        db: Connection,
        ticket: Ticket,
        desk: DeskSettings,
        policy: Policy,
        now: datetime,
    ) -> None:
        to = normalize_e164(ticket.customer)
        reason = await self._no_ack_reason(db, to, now)
        if reason or to is None:
            await sql.add_event(db, ticket.id, now, "ack-suppressed", reason=reason)
            return
        promise = promise_for(policy, ticket.effective_priority, ticket.received_at)
        body = self._templates.get_template("ack_sms.txt.j2").render(
            desk_name=desk.name, ticket_number=ticket.number, **promise.template_context()
        )
        body = " ".join(body.split())
        await outbox_sql.enqueue(
            db,
            ticket_id=ticket.id,
            kind="sms",
            purpose="ack",
            key=f"ack-{ticket.number}-sms",
            recipient=to,
            payload={
                "to": to,
                "body": body,
                "from": desk.sms_from or self._settings.twilio.sms_from,
                "validity_period": None,
                "status_callback": absolute_url(self._settings.public_url, SMS_STATUS),
            },
            now=now,
        )
        await sql.insert_message(
            db,
            ticket.id,
            sql.NewMessage(
                direction="out",
                channel="sms",
                message_id=None,
                content_hash=None,
                sender=desk.sms_from or self._settings.twilio.sms_from or desk.address,
                subject="",
                body_text=body,
                latest_text=body,
                meta={"purpose": "ack", "to": to},
            ),
            now,
        )

    async def _no_ack_reason(self, db: Connection, to: str | None, now: datetime) -> str | None:
        ack = self._settings.ack
        if not ack.enabled:
            return "acknowledgements are disabled"
        if to is None:
            return "no number to text"
        sent = await outbox_sql.count_recent(db, to, "ack", now - ack.window)
        if sent >= ack.max_per_sender:
            return f"rate limit: {sent} acknowledgements within {ack.window}"
        return None

    async def _run_hooks(self, db: Connection, ticket: Ticket, policy: Policy, line: str) -> None:
        for hook in self.hooks:
            await hook.ticket_created(db, ticket, policy, line)

    async def _reload(self, db: Connection, ticket_id: int) -> Ticket:
        ticket = await sql.ticket_by_id(db, ticket_id)
        assert ticket is not None
        return ticket
