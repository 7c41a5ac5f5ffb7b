"""The phone side's workers: the voice worker thinks about what the webhooks committed, the
escalation worker pages the next step of chains nobody acknowledged in time.

Both are driven by the injected clock; `run_once()` does what is due now (deterministic
tests drive it directly), `run()` repeats it at least every `poll_interval`. They do not wake
on every commit of the store: under a burst of webhooks that would mean several reads per
commit for nothing. The webhooks `notify()` the voice worker when they queue work for it;
escalations are due at times, which polling meets to within `poll_interval`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from functools import partial

from gateway.clock import Clock
from gateway.config import Settings
from gateway.metrics import Metrics
from gateway.policybook import PolicyBook
from gateway.store import Store
from gateway.store import inbox as inbox_sql
from gateway.store import paging as paging_sql
from gateway.store import tickets as tickets_sql
from gateway.store import voice as voice_sql
from gateway.store.connection import Connection
from gateway.store.paging import Chain
from gateway.store.records import InboxItem, Ticket
from gateway.store.voice import Voicemail
from gateway.triage import Decision, Proposer
from gateway.worker import PollingWorker
from policies import Policy
from voice.desks import DeskDirectory
from voice.paging import Paging
from voice.voicemail import PhoneIntake, Recording

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
ABSENT_REASONS = {"16101": "too short", "16102": "silent"}


class VoiceWorker(PollingWorker):
    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        *,
        policies: PolicyBook,
        proposer: Proposer,
        desks: DeskDirectory,
        phone: PhoneIntake,
    ) -> None:
        super().__init__()
        self._store = store
        self._clock = clock
        self._settings = settings
        self._policies = policies
        self._proposer = proposer
        self._desks = desks
        self._phone = phone

    async def run_once(self, limit: int = 100) -> int:
        done = 0
        for channel in ("voice", "sms"):
            now = self._clock.now()
            items = await self._store.write(
                partial(
                    inbox_sql.claim_pending,
                    channel=channel,
                    now=now,
                    lease_until=now + self._settings.worker.claim_lease,
                    limit=limit,
                )
            )
            for item in items:
                await self.process(item)
                done += 1
        return done + await self.sweep_transcripts()

    async def process(self, item: InboxItem) -> None:
        handlers = {
            "transcription": self._transcription,
            "recording-status": self._recording_status,
            "sms": self._text,
        }
        handler = handlers.get(item.kind)
        try:
            if handler is None:
                await self._store.write(
                    partial(self._finish, item, f"nothing to do for {item.kind}")
                )
            else:
                await handler(item)
        except Exception as exc:
            log.exception("processing %s inbox row %d failed", item.kind, item.id)
            error = f"{type(exc).__name__}: {exc}"
            give_up = item.attempts + 1 >= MAX_ATTEMPTS
            now = self._clock.now()
            await self._store.write(
                partial(
                    inbox_sql.record_inbox_failure,
                    inbox_id=item.id,
                    error=error,
                    give_up=give_up,
                    now=now,
                )
            )

    async def _finish(self, item: InboxItem, note: str, db: Connection) -> None:
        await inbox_sql.finish_inbox(db, item.id, self._clock.now(), note=note)

    # -- transcriptions ---------------------------------------------------------------------

    async def _transcription(self, item: InboxItem) -> None:
        form = item.meta
        status = form.get("TranscriptionStatus", "completed")
        text = (form.get("TranscriptionText") or "").strip() if status == "completed" else ""
        decision = None
        if text:  # classify outside the transaction: it is the slow part
            policy = await self._policy_of_recording(form)
            decision = self._proposer.decide(policy, "", text, ())

        async def op(db: Connection) -> None:
            voicemail, ticket = await self._voicemail(db, form)
            if voicemail.pending and text:
                ticket = await self._phone.settle(
                    db, voicemail, state="received", transcript=text, decision=decision
                )
            elif voicemail.pending:
                note = f"transcription {status}; the policy default applies"
                ticket = await self._phone.settle(db, voicemail, state="failed", note=note)
            elif text:
                ticket = await self._phone.late_transcript(db, voicemail, text, decision)
            await self._finish(item, f"ticket {ticket.number}", db)

        await self._store.write(op)

    async def _policy_of_recording(self, form: Mapping[str, str]) -> Policy:
        async def read(db: Connection) -> Ticket | None:
            voicemail = await voice_sql.voicemail_by_recording(db, form["RecordingSid"])
            return await tickets_sql.ticket_by_id(db, voicemail.ticket_id) if voicemail else None

        ticket = await self._store.read(read)
        name = ticket.policy if ticket else self._desks.for_number(form.get("To")).policy
        return self._policies.get(name)

    async def _voicemail(self, db: Connection, form: Mapping[str, str]) -> tuple[Voicemail, Ticket]:
        caller = await self._phone.caller_of(db, form)
        return await self._phone.voicemail(db, caller, Recording.from_form(form))

    # -- recording statuses -----------------------------------------------------------------

    async def _recording_status(self, item: InboxItem) -> None:
        form = item.meta
        status = form.get("RecordingStatus", "")
        code = form.get("ErrorCode") or None

        async def op(db: Connection) -> None:
            if status not in ("completed", "failed", "absent"):
                await self._finish(item, status, db)
                return
            voicemail = await voice_sql.voicemail_by_recording(db, form["RecordingSid"])
            if status in ("completed", "failed"):
                voicemail, _ = await self._voicemail(db, form)
            if voicemail is None:
                await self._finish(item, f"{status}: no message left", db)
                return
            recording = Recording.from_form(form)
            await voice_sql.set_recording(
                db, voicemail.id, status=status, url=recording.url, duration=recording.duration
            )
            now = self._clock.now()
            await tickets_sql.add_event(
                db,
                voicemail.ticket_id,
                now,
                "recording",
                status=status,
                error=code,
                duration=recording.duration,
            )
            if status in ("absent", "failed") and voicemail.pending:
                why = ABSENT_REASONS.get(code or "", "no audio") if status == "absent" else "failed"
                note = f"no recording ({why}); the policy default applies"
                await self._phone.settle(db, voicemail, state="none", note=note)
            await self._finish(item, status, db)

        await self._store.write(op)

    # -- texts ------------------------------------------------------------------------------

    async def _text(self, item: InboxItem) -> None:
        form = item.meta
        policy = self._policies.get(self._desks.for_number(form.get("To")).policy)
        decision: Decision = self._proposer.decide(policy, "", form.get("Body", ""), ())

        async def op(db: Connection) -> None:
            ticket = await self._phone.text(db, item.id, form, item.received_at, decision)
            await self._finish(item, f"ticket {ticket.number}", db)

        await self._store.write(op)

    # -- transcripts that never came --------------------------------------------------------

    async def sweep_transcripts(self) -> int:
        """Voicemails whose transcript is overdue go on with the policy default and a note."""
        now = self._clock.now()
        overdue = await self._store.read(partial(voice_sql.voicemails_overdue, now=now))
        timeout = self._settings.twilio.transcription_timeout
        note = f"no transcript within {timeout}; the policy default applies"
        for voicemail in overdue:
            await self._store.write(partial(self._timed_out, voicemail.recording_sid, note))
        return len(overdue)

    async def _timed_out(self, recording_sid: str, note: str, db: Connection) -> None:
        voicemail = await voice_sql.lock_voicemail(db, recording_sid)
        if voicemail is not None and voicemail.pending:
            await self._phone.settle(db, voicemail, state="timed-out", note=note)


class EscalationWorker(PollingWorker):
    """Pages what is due: queued pages whose recipient's rate limits now allow an SMS, the
    next step of chains nobody acknowledged in time, and the alarm (and escalation) for pages
    that waited past their validity."""

    def __init__(
        self, store: Store, clock: Clock, paging: Paging, *, validity: timedelta, metrics: Metrics
    ) -> None:
        super().__init__()
        self._store = store
        self._clock = clock
        self._paging = paging
        self._validity = validity
        self._metrics = metrics

    async def run_once(self) -> int:
        now = self._clock.now()
        done = 0
        for phone in await self._store.read(partial(paging_sql.phones_due, now=now)):
            done += await self._store.write(partial(self._dispatch, phone))
        overdue = await self._store.read(
            partial(paging_sql.overdue_pages, now=now, validity=self._validity)
        )
        for page in overdue:
            if await self._store.write(partial(self._paging.page_overdue, page_id=page.id)):
                self._metrics.pages_overdue.inc()
                done += 1
        due: list[Chain] = await self._store.read(partial(paging_sql.due_chains, now=now))
        for chain in due:
            done += await self._store.write(self._escalation(chain))
        return done

    async def _dispatch(self, phone: str, db: Connection) -> int:
        return int(await self._paging.dispatch(db, phone))

    def _escalation(self, chain: Chain) -> Callable[[Connection], Awaitable[int]]:
        async def op(db: Connection) -> int:
            return int(await self._paging.escalate_unacknowledged(db, chain))

        return op
