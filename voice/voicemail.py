"""The phone flows: voicemails (opened at once, completed by their transcript) and texts.

A voicemail's ticket is opened as soon as Twilio tells us about the recording, whichever of
its callbacks comes first (the `<Record>` action, the recording status or the transcription):
the caller hears the ticket number before hanging up. It starts at the policy's default
priority with a note that the transcript is pending; the transcript (or its absence, after
`twilio.transcription_timeout`) then "settles" it: classification, priority and deadline, the
caller's SMS acknowledgement, and the ticket hooks (paging) — all in one transaction. A
transcript that comes after that may only raise the priority, as any priority change does,
through the ticket service.

A text from a customer joins their latest open ticket, or opens one (classified, acknowledged
and paged like any other) when they have none.

What touches a ticket (opening, priority, subject, messages, acknowledgements) is the ticket
service's (`gateway.ticketing`); this module knows calls, recordings and texts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.clock import Clock
from gateway.config import DeskSettings, Settings
from gateway.metrics import Metrics
from gateway.phone import normalize_e164
from gateway.store import tickets as sql
from gateway.store import voice as voice_sql
from gateway.store.connection import Connection
from gateway.store.records import Ticket
from gateway.store.voice import NewVoicemail, Voicemail
from gateway.ticketing import CLASSIFIER, Arrival, TicketService, default_decision
from gateway.triage import Decision
from voice.desks import DeskDirectory
from voice.paging import summarize

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


class PhoneIntake:
    def __init__(
        self,
        clock: Clock,
        settings: Settings,
        tickets: TicketService,
        desks: DeskDirectory,
        metrics: Metrics,
    ) -> None:
        self._clock = clock
        self._settings = settings
        self._tickets = tickets
        self._desks = desks
        self._metrics = metrics

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
        policy = self._tickets.policies.get(desk.policy)
        arrival = Arrival(
            channel="voice",
            customer=caller.number or "anonymous",
            customer_name=caller.name,
            desk=desk.address,
            subject=f"Voicemail from {caller.label}",
            received_at=now,
        )
        pending = default_decision(policy, "transcript pending")
        ticket = await self._tickets.open(
            db, arrival, policy, pending, now, actor=f"voice:{caller.label}"
        )
        meta: dict[str, Any] = {
            "call_sid": caller.call_sid,
            "recording_sid": recording.sid,
            "recording_url": recording.url,
            "duration": recording.duration,
            "called": caller.called,
        }
        message_id = await self._tickets.append_message(
            db,
            ticket,
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
        if transcript:
            await self._attach_transcript(db, ticket, voicemail, transcript, now)
        if decision is not None and await sql.count_events(db, ticket.id, "priority-changed"):
            # Someone set the priority while the transcript was pending: theirs stands.
            await sql.add_event(
                db,
                ticket.id,
                now,
                "classification-not-applied",
                proposed=decision.effective,
                reason="the priority was set while the transcript was pending",
            )
        elif decision is not None:
            ticket = await self._tickets.classify(db, ticket, decision, now)
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
        await self._acknowledge_by_sms(db, ticket, now)
        summary = first_line(transcript) or f"voicemail ({note or 'no transcript'})"
        await self._tickets.announce(db, ticket, summary)
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
        policy = self._tickets.policy_of(ticket)
        await voice_sql.mark_late_transcript(db, voicemail.id)
        await self._attach_transcript(db, ticket, voicemail, transcript, now)
        await sql.add_event(db, ticket.id, now, "transcript-late")
        order = [p.id for p in policy.priorities]
        if decision is not None and order.index(decision.effective) < order.index(
            ticket.effective_priority
        ):
            ticket = await self._reload(db, ticket.id)
            change = await self._tickets.change_priority(
                db,
                ticket,
                decision.effective,
                actor=CLASSIFIER,
                reason="late voicemail transcript",
                now=now,
                decision=decision,
            )
            ticket = change.after
        return ticket

    async def _attach_transcript(
        self,
        db: Connection,
        ticket: Ticket,
        voicemail: Voicemail,
        transcript: str,
        now: datetime,
    ) -> None:
        await sql.set_message_text(db, voicemail.message_id, transcript)
        caller = voicemail.caller or "a withheld number"
        subject = f"Voicemail from {caller}: {summarize(transcript)[:SUBJECT_WORDS]}"
        await self._tickets.set_subject(db, ticket, subject, actor=CLASSIFIER, now=now)
        await sql.add_event(db, ticket.id, now, "transcript", chars=len(transcript))

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
            await self._tickets.append_message(db, ticket, message, now)
            await sql.add_event(db, ticket.id, now, "reply", sender=sender, channel="sms")
            self._metrics.replies_threaded.labels("sms").inc()
            return ticket
        desk = self._desks.for_number(form.get("To"))
        policy = self._tickets.policies.get(desk.policy)
        arrival = Arrival(
            channel="sms",
            customer=sender,
            customer_name="",
            desk=desk.address,
            subject=f"SMS from {sender}: {summarize(body)[:SUBJECT_WORDS]}",
            received_at=received_at,
        )
        closed = await sql.latest_ticket_for(db, sender)  # none open: closed, if any
        ticket = await self._tickets.open(db, arrival, policy, decision, now, actor=f"sms:{sender}")
        if closed is not None:  # closed is final: the new ticket links it
            ticket = await self._tickets.lifecycle.link(
                db, ticket, closed, actor=f"sms:{sender}", now=now
            )
        await self._tickets.append_message(db, ticket, message, now)
        self._metrics.tickets_created.labels("sms", policy.name).inc()
        await self._acknowledge_by_sms(db, ticket, now)
        await self._tickets.announce(db, ticket, first_line(body))
        return ticket

    # -- shared -----------------------------------------------------------------------------

    async def _acknowledge_by_sms(self, db: Connection, ticket: Ticket, now: datetime) -> None:
        policy = self._tickets.policy_of(ticket)
        to = normalize_e164(ticket.customer)
        notice = await self._tickets.notices.sms_ack(db, ticket, policy, to=to, now=now)
        await self._tickets.tell_customer(db, ticket, notice, now)

    async def _reload(self, db: Connection, ticket_id: int) -> Ticket:
        ticket = await sql.ticket_by_id(db, ticket_id)
        assert ticket is not None
        return ticket
