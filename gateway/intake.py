"""The email intake worker: turns accepted raw messages into tickets, replies and acknowledgements.

Runs after the `250`: each inbox row is parsed and classified, then one transaction places it
(`gateway.mailrules.place`: a copy, a reply, a follow-up or a new ticket), records the
acknowledgement in the outbox (unless loop protection says no) and marks the row done. A
crash anywhere leaves the row `new`, so it is processed again from scratch, exactly once in
effect. Acknowledging cannot undo processing: the acknowledgement is built in a savepoint,
and if building it fails only the acknowledgement is held back, with the reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from gateway.ack import AckTerms, DraftedAck, Notice, Withheld
from gateway.activity import ListenerActivity
from gateway.clock import Clock
from gateway.config import Settings
from gateway.lifecycle import is_final
from gateway.mailrules import (
    Keys,
    Placement,
    Routing,
    ack_recipient,
    loop_reason,
    note_automated_answer,
    place,
    route,
)
from gateway.metrics import Metrics
from gateway.parsing import ParsedMessage, automated_reason, parse_message, ticket_tag
from gateway.policybook import PolicyBook
from gateway.staffauth import vouched_for
from gateway.store import Store
from gateway.store import dedup as dedup_sql
from gateway.store import inbox as inbox_sql
from gateway.store import tickets as sql
from gateway.store.connection import Connection
from gateway.store.records import InboxItem, Ticket
from gateway.store.staff import staff_by_email, staff_emails
from gateway.ticketing import (
    SYSTEM,
    Arrival,
    StaffActions,
    Terms,
    TicketService,
    default_decision,
    terms_of,
)
from gateway.triage import Decision, Proposer, decide_many
from gateway.worker import PollingWorker
from policies import Policy

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# Raw bytes one batch may hold in memory: past it, the batch is cut short (one message always).
BATCH_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class _Mail:
    """One accepted message as the worker writes it: the inbox row, parsed, with its keys,
    where it goes and how urgent it is."""

    item: InboxItem
    parsed: ParsedMessage
    keys: Keys
    exempt: str | None  # email's own reason not to acknowledge it (`EmailIntake._exempt`)
    routing: Routing
    decision: Decision
    ack: DraftedAck | None  # its acknowledgement, drafted on the loop (`EmailIntake._draft_ack`)
    terms: Terms | None  # what the policy makes of it as a new ticket, if worked out already


# What writing a message did, counted in the metrics once its transaction has committed.
_DUPLICATE, _STAFF, _THREADED = "duplicate", "staff", "threaded"
_NOTED = "noted"  # a machine's answer to our mail, recorded on its closed ticket
_CREATED, _ACKNOWLEDGED = "created", "acknowledged"  # a new ticket; answered, or not


class _Prepared(NamedTuple):
    """A message parsed and routed, waiting for its classification."""

    item: InboxItem
    parsed: ParsedMessage
    routing: Routing


def _in_order(decided: list[tuple[_Prepared, Decision]]) -> list[tuple[_Prepared, Decision]]:
    """New messages first, the most urgent first (inbox order among equals); then messages
    that name another one, in inbox order, after anything they might answer."""

    def threaded(prepared: _Prepared) -> bool:
        parsed = prepared.parsed
        return bool(parsed.referenced_ids) or ticket_tag(parsed.subject) is not None

    def key(entry: tuple[_Prepared, Decision]) -> tuple[int, int, int]:
        prepared, decision = entry
        if threaded(prepared):
            return (1, 0, prepared.item.id)
        return (0, _rank(prepared.routing.policy, decision.effective), prepared.item.id)

    return sorted(decided, key=key)


def _rank(policy: Policy, priority: str) -> int:
    try:
        return policy.priority(priority).rank
    except (KeyError, ValueError):
        return len(policy.priorities)


class EmailIntake(PollingWorker):
    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        *,
        policies: PolicyBook,
        proposer: Proposer,
        tickets: TicketService,
        staff_actions: StaffActions,
        metrics: Metrics,
        activity: ListenerActivity | None = None,
    ) -> None:
        super().__init__()
        self._activity = activity or ListenerActivity()
        self._store = store
        self._clock = clock
        self._settings = settings
        self._policies = policies
        self._proposer = proposer
        self._tickets = tickets
        self._staff_actions = staff_actions
        self._metrics = metrics
        # Desks whose last new ticket was not acknowledged (its budget spent, most likely):
        # drafting their acknowledgements on the loop would be wasted until one is sent.
        self._unanswered: set[str] = set()
        store.on_commit(self.notify)

    async def hold_back(self) -> float:
        """Yield to the listener during a burst, unless the backlog is older than max_defer."""
        if not self._activity.busy():
            return 0.0
        oldest = await self._store.read(lambda db: inbox_sql.oldest_pending(db, "email"))
        if oldest is not None and self._clock.now() - oldest >= self._settings.worker.max_defer:
            return 0.0
        return self._activity.quiet_after

    async def run_once(self, limit: int | None = None) -> int:
        """Process up to `limit` (default: the configured batch) pending messages.

        The claim stops at `BATCH_BYTES` of raw messages, so a batch of large mails is never
        all in memory at once.
        """
        batch = limit or self._settings.worker.batch
        now = self._clock.now()
        lease_until = now + self._settings.worker.claim_lease
        # Look before claiming: a claim is a write, every commit wakes this worker, and
        # claiming blindly kept an idle gateway committing hundreds of times a second.
        if not await self._store.read(lambda db: inbox_sql.claimable(db, "email", now)):
            return 0
        items = await self._store.write(
            lambda db: inbox_sql.claim_pending(
                db, "email", now, lease_until, limit=batch, max_bytes=BATCH_BYTES
            )
        )
        await self.process_many(items)
        return len(items)

    async def process(self, item: InboxItem) -> None:
        await self.process_many([item])

    async def process_many(self, items: Sequence[InboxItem]) -> None:
        """Parse the batch, classify it in one pass per policy, then hand every message's
        transaction to the store at once, so they share one group commit.

        The most urgent new tickets are opened (and paged) first; a message that names
        another (In-Reply-To, References, a ticket tag) comes after every new one, in inbox
        order, so a reply always finds the original it answers even within one batch. One
        message failing, anywhere, fails alone.
        """
        ready: list[_Prepared] = []
        for item in items:
            try:
                parsed = parse_message(
                    item.raw or b"", max_attachment_bytes=self._settings.smtp.max_attachment_size
                )
                ready.append(_Prepared(item, parsed, self._route(item, parsed)))
            except Exception as exc:
                await self._failed(item, exc)
            await asyncio.sleep(0)  # parsing is CPU: let the listener answer in between
        decided = await self._decide(ready)
        mails: list[_Mail] = []
        for prepared, decision in _in_order(decided):
            try:
                mails.append(self._mail(prepared, decision))
            except Exception as exc:
                await self._failed(prepared.item, exc)
        await self._write(mails)

    async def _decide(self, ready: list[_Prepared]) -> list[tuple[_Prepared, Decision]]:
        by_policy: dict[str, list[_Prepared]] = {}
        for prepared in ready:
            by_policy.setdefault(prepared.routing.policy.name, []).append(prepared)
        decided: list[tuple[_Prepared, Decision]] = []
        for group in by_policy.values():
            policy = group[0].routing.policy
            questions = [
                (p.parsed.subject, p.parsed.latest_text, p.parsed.declared_hints) for p in group
            ]
            try:
                decisions = decide_many(self._proposer, policy, questions)
            except Exception:  # one at a time, so the message that fails fails alone
                for prepared, (subject, body, hints) in zip(group, questions, strict=True):
                    try:
                        decision = self._proposer.decide(policy, subject, body, hints)
                    except Exception as exc:
                        await self._failed(prepared.item, exc)
                        continue
                    decided.append((prepared, decision))
            else:
                decided.extend(zip(group, decisions, strict=True))
            await asyncio.sleep(0)
        return decided

    def _mail(self, prepared: _Prepared, decision: Decision) -> _Mail:
        item, parsed, routing = prepared
        keys = Keys.of(parsed, str(item.meta.get("mail_from") or ""))
        exempt = self._exempt(item, parsed)
        drafting = not exempt and routing.desk.address not in self._unanswered
        ack = self._draft_ack(item, parsed, routing, decision) if drafting else None
        terms = Terms(ack.terms.due_at, ack.terms.after_hours) if ack else None
        return _Mail(item, parsed, keys, exempt, routing, decision, ack, terms)

    def _draft_ack(
        self, item: InboxItem, parsed: ParsedMessage, routing: Routing, decision: Decision
    ) -> DraftedAck | None:
        """The acknowledgement of a message that will most likely open a ticket answered at
        its author's address, rendered here on the loop rather than in the writer's
        transaction, which then only puts the ticket's number in (`CustomerNotices.email_ack`
        checks that every term still holds). None for anything else: then the transaction
        renders it, as it does when the terms turn out different."""
        if not self._settings.ack.enabled or parsed.referenced_ids:
            return None  # a reply, most likely
        if ticket_tag(parsed.subject) is not None:
            return None
        envelope = str(item.meta.get("mail_from") or "")
        author = parsed.from_addr or envelope.strip().strip("<>").strip().lower()
        reply_to = (parsed.reply_to or "").strip().lower()
        if not author or (reply_to and reply_to != author):
            return None  # whom to answer depends on what the store knows (`ack_recipient`)
        policy, received = routing.policy, item.received_at
        ticket = terms_of(policy, decision.effective, received)
        terms = AckTerms(
            recipient=author,
            desk=routing.desk.address,
            policy=policy.name,
            customer_name=parsed.from_name,
            subject=parsed.subject or "(no subject)",
            priority=decision.effective,
            due_at=ticket.due_at,
            received_at=received,
            after_hours=ticket.after_hours,
            thread=(*parsed.references, *([parsed.message_id] if parsed.message_id else [])),
        )
        try:
            return self._tickets.notices.draft_email_ack(policy, terms)
        except Exception:  # the transaction renders it again, and holds it back with the reason
            return None

    async def _write(self, mails: list[_Mail]) -> None:
        """The whole batch as one op of the group commit, in order.

        No savepoint per message, and what the batch needs to look up is read once for all
        of it (`_apply_all`). If anything in the batch fails, none of it was kept, and its
        messages are written again one op each, so the one that fails fails alone (and the
        rest are processed as if nothing had happened; their metrics count after a commit).
        """
        if len(mails) == 1:
            await self._write_one(mails[0])
            return
        if not mails:
            return
        try:
            done = await self._store.write(lambda db: self._apply_all(db, mails))
        except Exception:
            log.warning("a batch of %d messages failed; writing them one by one", len(mails))
            await asyncio.gather(*(self._write_one(mail) for mail in mails))
            return
        for mail, outcome in zip(mails, done, strict=True):
            self._count(mail, outcome)

    async def _write_one(self, mail: _Mail) -> None:
        try:
            outcome = await self._store.write(lambda db: self._apply(db, mail))
        except Exception as exc:
            await self._failed(mail.item, exc)
        else:
            self._count(mail, outcome)

    async def _apply_all(self, db: Connection, mails: list[_Mail]) -> list[str]:
        staff = await staff_emails(db)  # once for the batch: staff mail is rare
        known = await dedup_sql.known_for(
            db,
            [mail.keys.fingerprint for mail in mails],
            [mail.parsed.message_id for mail in mails if mail.parsed.message_id],
        )
        done = []
        for mail in mails:
            done.append(await self._apply(db, mail, staff, known))
            known.saw(mail.keys.fingerprint, mail.parsed.message_id)
        return done

    def _count(self, mail: _Mail, outcome: str) -> None:
        if outcome == _DUPLICATE:
            self._metrics.duplicates.labels("email").inc()
        elif outcome == _THREADED:
            self._metrics.replies_threaded.labels("email").inc()
        elif outcome in (_CREATED, _ACKNOWLEDGED):
            self._metrics.tickets_created.labels("email", mail.routing.policy.name).inc()
        desk = mail.routing.desk.address
        if outcome == _ACKNOWLEDGED:
            self._unanswered.discard(desk)
        elif outcome == _CREATED and not mail.exempt:
            self._unanswered.add(desk)

    async def _failed(self, item: InboxItem, exc: Exception) -> None:
        log.error("processing inbox row %d failed", item.id, exc_info=exc)
        await self._record_failure(item, exc)

    def _route(self, item: InboxItem, parsed: ParsedMessage) -> Routing:
        return route(self._settings, self._policies, item.meta, parsed.from_addr)

    async def _apply(
        self,
        db: Connection,
        mail: _Mail,
        staff: frozenset[str] | None = None,
        known: dedup_sql.Known | None = None,
    ) -> str:
        """Place and write one message; returns what it did (`_CREATED`, ...). `staff` and
        `known`: what the caller has read for the whole batch (staff addresses; copies and
        Message-ID holders)."""
        now = self._clock.now()
        item, routing = mail.item, mail.routing
        machine = None if item.meta.get("imported") else mail.exempt  # a machine's, not ours
        placement = await place(
            db, mail.parsed, mail.keys, self._settings.email, now, known, automated=machine
        )
        if placement.copy is not None:
            copy = placement.copy
            await sql.add_event(
                db, copy.ticket_id, now, "duplicate", inbox=item.id, message=copy.id
            )
            await inbox_sql.finish_inbox(db, item.id, now, note=f"duplicate of message {copy.id}")
            return _DUPLICATE
        if (note := await self._staff_reply(db, mail, now, staff)) is not None:
            await inbox_sql.finish_inbox(db, item.id, now, note=note)
            return _STAFF
        ticket, previous = placement.ticket, None
        if placement.kind == "auto-reply" and ticket is not None:  # a machine answering us
            closed = is_final(ticket)
            await note_automated_answer(
                db,
                ticket,
                mail.parsed,
                sender=mail.keys.sender,
                inbox_id=item.id,
                reason=machine or "",
                stored=not closed,
                now=now,
            )
            if closed:  # noted on the closed ticket: nothing opens, reopens or answers
                await inbox_sql.finish_inbox(db, item.id, now, note=f"ticket {ticket.number}")
                return _NOTED
        if ticket is not None and is_final(ticket):  # a closed ticket: a new one links it
            previous, ticket = ticket, None
        if ticket is not None:  # a reply or a follow-up
            await self._store_message(db, ticket, mail, placement, now)
            await sql.add_event(
                db, ticket.id, now, placement.kind, sender=mail.keys.sender, inbox=item.id
            )
            outcome = _THREADED
        else:
            ticket, acknowledged = await self._open(db, mail, placement, now)
            if previous is not None:
                await self._tickets.lifecycle.link(
                    db, ticket, previous, actor=f"email:{routing.customer}", now=now
                )
            outcome = _ACKNOWLEDGED if acknowledged else _CREATED
        await inbox_sql.finish_inbox(db, item.id, now, note=f"ticket {ticket.number}")
        return outcome

    async def _staff_reply(
        self, db: Connection, mail: _Mail, now: datetime, staff: frozenset[str] | None
    ) -> str | None:
        """A staff member answering from their own mail client, relayed as their public reply.

        It goes to the customer from the desk's address, never as a customer message, and the
        inbox note it returns says so; None when the mail is not that. (On a ticket a staff
        member opened themselves, they are its customer.)
        """
        parsed, item = mail.parsed, mail.item
        address = parsed.from_addr.lower()
        if staff is not None and address not in staff:
            return None
        author = await staff_by_email(db, address)
        if author is None or not author.active:
            return None
        ticket = await sql.ticket_for_message_ids(db, (*parsed.in_reply_to, *parsed.references))
        if ticket is None and (number := ticket_tag(parsed.subject)) is not None:
            ticket = await sql.ticket_by_number(db, number)
        if ticket is None or author.email == ticket.customer.lower():
            return None
        if not await vouched_for(db, ticket, parsed, item.meta, self._settings.email, now):
            return None  # an ordinary message then, never relayed; the ticket notes why
        return await self._staff_actions.reply_by_mail(
            db,
            ticket,
            parsed.latest_text,
            author=author,
            mail_key=parsed.message_id or parsed.content_hash,
            deliver=not item.meta.get("imported"),
            inbox=item.id,
            now=now,
        )

    async def _open(
        self, db: Connection, mail: _Mail, placement: Placement, now: datetime
    ) -> tuple[Ticket, bool]:
        """The new ticket, and whether its customer was acknowledged."""
        parsed, routing, decision = mail.parsed, mail.routing, mail.decision
        arrival = Arrival(
            channel="email",
            customer=routing.customer,
            customer_name=parsed.from_name,
            desk=routing.desk.address,
            subject=parsed.subject or "(no subject)",
            received_at=mail.item.received_at,
        )
        ticket = await self._tickets.open(
            db,
            arrival,
            routing.policy,
            decision,
            now,
            actor=f"email:{routing.customer}",
            terms=mail.terms,
        )
        await self._store_message(db, ticket, mail, placement, now, just_opened=True)
        if (named := placement.referenced) is not None:
            # The message named a ticket its sender is not on: it stands on its own, and each
            # ticket says where to look.
            await sql.add_event(db, ticket.id, now, "references", ticket=named.number)
            await sql.add_event(db, named.id, now, "referenced", by_ticket=ticket.number)
            log.info(
                "ticket %d names ticket %d, whose thread its sender is not on",
                ticket.number,
                named.number,
                extra={"ticket": ticket.number, "event": "ticket-referenced"},
            )
        acknowledged = await self._acknowledge(db, ticket, mail, routing.policy, now)
        first_line = next((ln.strip() for ln in parsed.latest_text.splitlines() if ln.strip()), "")
        await self._tickets.announce(db, ticket, first_line)
        return ticket, acknowledged

    async def _store_message(
        self,
        db: Connection,
        ticket: Ticket,
        mail: _Mail,
        placement: Placement,
        now: datetime,
        *,
        just_opened: bool = False,
    ) -> None:
        parsed, item = mail.parsed, mail.item
        meta: dict[str, Any] = {"problems": list(parsed.problems), "to": list(parsed.to)}
        if parsed.date:
            meta["date"] = parsed.date.isoformat()
        if machine := mail.exempt:  # an auto-reply reopens nothing
            meta["automated"] = machine
        message_id = parsed.message_id
        if placement.reused is not None:
            # Another message holds this id: keep it in meta; the id keeps naming the first.
            meta["message_id"] = message_id
            message_id = None
        row = await self._tickets.append_message(
            db,
            ticket,
            sql.NewMessage(
                direction="in",
                channel="email",
                message_id=message_id,
                content_hash=parsed.content_hash,
                sender=parsed.from_addr,
                subject=parsed.subject,
                body_text=parsed.body_text,
                latest_text=parsed.latest_text,
                meta=meta,
                inbox_id=item.id,
                fingerprint=mail.keys.fingerprint,
                subject_stem=mail.keys.subject_stem,
                body_hash=mail.keys.body_hash,
            ),
            # When it reached us, not when a worker got to it: a backfilled message keeps its Date.
            item.received_at,
            just_opened=just_opened,
        )
        if (holder := placement.reused) is not None:
            log.warning(
                "inbox row %d reuses the Message-ID of message %d with different content or "
                "sender; stored as a message of its own",
                item.id,
                holder.id,
                extra={"ticket": ticket.number, "event": "message-id-reused"},
            )
            await sql.add_event(
                db,
                ticket.id,
                now,
                "message-id-reused",
                message_id=parsed.message_id,
                held_by_message=holder.id,
                held_by_ticket=holder.ticket_id,
                inbox=item.id,
            )
        for attachment in parsed.attachments:
            await sql.insert_attachment(
                db,
                row,
                filename=attachment.filename,
                content_type=attachment.content_type,
                size=attachment.size,
                content=attachment.content,
            )

    async def _acknowledge(
        self, db: Connection, ticket: Ticket, mail: _Mail, policy: Policy, now: datetime
    ) -> bool:
        """Queue the acknowledgement (True), or record why not; never fails the message itself.

        Building it (who to answer, whether to, the rendering) only reads, so when it fails
        there is nothing to roll back: only the acknowledgement is held back, with the reason.
        """
        try:
            notice = await self._ack_notice(db, ticket, mail, policy, now)
        except Exception as exc:
            log.exception(
                "acknowledgement of ticket %d could not be built",
                ticket.number,
                extra={"ticket": ticket.number, "event": "ack-failed"},
            )
            reason = f"the acknowledgement could not be built: {type(exc).__name__}: {exc}"
            await sql.add_event(db, ticket.id, now, "ack-suppressed", reason=reason[:500])
            return False
        return await self._tickets.tell_customer(db, ticket, notice, now, just_opened=True)

    async def _ack_notice(
        self, db: Connection, ticket: Ticket, mail: _Mail, policy: Policy, now: datetime
    ) -> Notice | Withheld:
        parsed, item = mail.parsed, mail.item
        envelope = str(item.meta.get("mail_from") or "")
        recipient = await ack_recipient(db, parsed, envelope, self._settings.ack, now)
        exempt = mail.exempt or await loop_reason(db, mail.keys, self._settings.ack, now)
        return await self._tickets.notices.email_ack(
            db,
            ticket,
            policy,
            recipient=recipient,
            exempt=exempt,
            inbox_id=item.id,
            in_reply_to=parsed.message_id,
            references=parsed.references,
            now=now,
            drafted=mail.ack,
        )

    def _exempt(self, item: InboxItem, parsed: ParsedMessage) -> str | None:
        """Email's own reasons not to acknowledge: an import, or mail from a machine."""
        if item.meta.get("imported"):
            return "imported message"
        return automated_reason(
            parsed,
            item.meta.get("mail_from"),
            own_addresses=[d.address for d in self._settings.desks],
            own_message_id_domain=self._settings.smtp.hostname,
        )

    async def _record_failure(self, item: InboxItem, exc: Exception) -> None:
        """The raw message is kept whatever happens; after the last attempt it becomes a ticket."""
        now = self._clock.now()
        error = f"{type(exc).__name__}: {exc}"
        give_up = item.attempts + 1 >= MAX_ATTEMPTS
        await self._store.write(
            lambda db: inbox_sql.record_inbox_failure(db, item.id, error, give_up=give_up, now=now)
        )
        if give_up:
            try:
                await self._store.write(lambda db: self._open_unprocessable(db, item, error, now))
            except Exception:  # the row stays `failed`, raw bytes kept, visible in /healthz
                log.exception("could not open a ticket for unprocessable inbox row %d", item.id)

    async def _open_unprocessable(
        self, db: Connection, item: InboxItem, error: str, now: datetime
    ) -> None:
        desk = self._settings.desks[0]
        for rcpt in item.meta.get("rcpt_tos", []):
            desk = self._settings.desk_for(str(rcpt)) or desk
        policy = self._policies.get(desk.policy)
        arrival = Arrival(
            channel="email",
            customer=str(item.meta.get("mail_from") or "unknown"),
            customer_name="",
            desk=desk.address,
            subject="(message could not be processed)",
            received_at=item.received_at,
        )
        decision = default_decision(policy, f"processing failed: {error}")
        ticket = await self._tickets.open(db, arrival, policy, decision, now, actor=SYSTEM)
        await sql.add_event(db, ticket.id, now, "unprocessable", inbox=item.id, error=error)
        await inbox_sql.finish_inbox(
            db, item.id, now, note=f"unprocessable; ticket {ticket.number}"
        )
