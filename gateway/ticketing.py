"""The ticket service: the one owner of a ticket's life, for every channel and every caller.

Email, voicemail, SMS and the command line (and later the API and the browser) open tickets,
change their priority, correct them and add messages only through `TicketService`, so that
what follows from a change follows the same way whoever makes it:

- the response deadline is computed here and nowhere else (`respond_by`), always from the
  ticket's original arrival;
- every change is an event on the ticket naming who made it (`actor`, e.g. `cli:alice`,
  `classifier`, `customer`) and why;
- a priority change tells the customer the new promise once (when the deadline moved) and
  runs the ticket hooks, so paging starts, stops or re-words its chain.

Every method runs inside the caller's transaction (`Store.write`), so a change and all its
consequences commit together or not at all. Channel-specific work (parsing, threading,
transcripts) stays in the channels; they call in here when it touches a ticket.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.ack import CustomerNotices, Notice, Withheld
from gateway.config import Settings
from gateway.hooks import PriorityChange, TicketHook
from gateway.lifecycle import Lifecycle, TicketClosed, is_final
from gateway.policybook import PolicyBook
from gateway.replies import staff_reply
from gateway.sla.refresh import (
    message_moves_clocks,
    refresh_clocks,
    start_clocks,
    still_current,
)
from gateway.store import corrections as corrections_sql
from gateway.store import outbox as outbox_sql
from gateway.store import staff as staff_sql
from gateway.store import tickets as sql
from gateway.store.connection import Connection
from gateway.store.records import Ticket, iso
from gateway.store.staff import StaffMember
from gateway.store.tickets import NewMessage, NewTicket
from gateway.triage import Decision
from gateway.webhooks import Webhooks, ticket_payload
from policies import Policy
from policies.clocks import Fact

log = logging.getLogger(__name__)

# Actors for changes no person made.
CLASSIFIER = "classifier"
SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Arrival:
    """Who wrote or called, to which desk, about what, and when it arrived."""

    channel: str
    customer: str
    customer_name: str
    desk: str
    subject: str
    received_at: datetime


class UnknownPriority(ValueError):
    """The ticket's policy has no such priority; the message lists the ones it has."""


def default_decision(policy: Policy, reason: str) -> Decision:
    """The policy's default priority, for when there is nothing (yet) to classify."""
    default = policy.default_priority.id
    return Decision(
        declared=None,
        proposed=default,
        effective=default,
        confidence=0.0,
        reasons=(reason,),
        reclassified=None,
    )


def respond_by(policy: Policy, priority: str, received_at: datetime) -> datetime | None:
    """The response deadline of a ticket: the one place it is computed."""
    return policy.deadline(priority, received_at, "respond")


@dataclass(frozen=True, slots=True)
class Terms:
    """What a new ticket's policy makes of its arrival: its response deadline and whether it
    arrived after hours (`terms_of`)."""

    due_at: datetime | None
    after_hours: bool


def terms_of(policy: Policy, priority: str, received_at: datetime) -> Terms:
    return Terms(respond_by(policy, priority, received_at), policy.is_after_hours(received_at))


class TicketService:
    def __init__(
        self,
        policies: PolicyBook,
        notices: CustomerNotices,
        hooks: Sequence[TicketHook] = (),
        webhooks: Webhooks | None = None,
    ) -> None:
        self.policies = policies
        self.notices = notices
        self._hooks = tuple(hooks)
        # Statuses and their rules (gateway/lifecycle.py), applied through this service.
        self.lifecycle = Lifecycle(self, webhooks)

    def policy_of(self, ticket: Ticket) -> Policy:
        return self.policies.get(ticket.policy)

    # -- opening ---------------------------------------------------------------------------

    async def open(
        self,
        db: Connection,
        arrival: Arrival,
        policy: Policy,
        decision: Decision,
        now: datetime,
        *,
        actor: str,
        terms: Terms | None = None,
    ) -> Ticket:
        """Record a new ticket with its priority and deadline; `announce` it once complete.
        `terms`: `terms_of` the policy, the decision's priority and the arrival, when the
        caller has worked them out already (a long business-hours deadline costs)."""
        received = arrival.received_at
        if terms is None:
            terms = terms_of(policy, decision.effective, received)
        ticket = await sql.insert_ticket(
            db,
            NewTicket(
                channel=arrival.channel,
                customer=arrival.customer,
                customer_name=arrival.customer_name,
                desk=arrival.desk,
                policy=policy.name,
                subject=arrival.subject,
                declared_priority=decision.declared,
                proposed_priority=decision.proposed,
                effective_priority=decision.effective,
                confidence=decision.confidence,
                reasons=decision.reasons,
                received_at=received,
                due_at=terms.due_at,
                after_hours=terms.after_hours,
            ),
            now,
        )
        await sql.add_event(
            db,
            ticket.id,
            now,
            "created",
            by=actor,
            priority=decision.effective,
            reasons=list(decision.reasons),
        )
        if decision.reclassified:
            await sql.add_event(db, ticket.id, now, "reclassified", reason=decision.reclassified)
        # Its timeline so far is the `created` event just written: its clocks start from it.
        at = datetime.fromisoformat(iso(now))  # as the timeline reads it back
        created = [Fact(at, "priority", decision.effective, actor)] if decision.effective else []
        await start_clocks(db, policy, ticket, created, now)
        log.info(
            "ticket %d opened: %s, %s under %s%s",
            ticket.number,
            ticket.channel,
            ticket.effective_priority,
            policy.name,
            ", after hours" if ticket.after_hours else "",
            extra={"ticket": ticket.number, "event": "ticket-opened"},
        )
        return ticket

    async def classify(
        self, db: Connection, ticket: Ticket, decision: Decision, now: datetime
    ) -> Ticket:
        """The first real priority of a ticket opened before it could be classified (a
        voicemail awaiting its transcript). Nobody has been told anything yet, so nothing
        else follows: the channel acknowledges and `announce`s the ticket afterwards."""
        policy = self.policy_of(ticket)
        await sql.set_priority(
            db,
            ticket.id,
            effective=decision.effective,
            due_at=respond_by(policy, decision.effective, ticket.received_at),
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
            by=CLASSIFIER,
            priority=decision.effective,
            reasons=list(decision.reasons),
        )
        if decision.reclassified:
            await sql.add_event(db, ticket.id, now, "reclassified", reason=decision.reclassified)
        await refresh_clocks(db, policy, ticket.id, now)
        return await self._reload(db, ticket.id)

    async def announce(self, db: Connection, ticket: Ticket, first_line: str) -> None:
        """The ticket is complete and its customer answered: the hooks (paging) may act."""
        policy = self.policy_of(ticket)
        for hook in self._hooks:
            await hook.ticket_created(db, ticket, policy, first_line or ticket.subject)

    # -- changing --------------------------------------------------------------------------

    async def change_priority(
        self,
        db: Connection,
        ticket: Ticket,
        priority: str,
        *,
        actor: str,
        reason: str,
        now: datetime,
        decision: Decision | None = None,
        notify_customer: bool = True,
    ) -> PriorityChange:
        """Set the priority of an announced ticket, with everything that follows from it.

        The deadline is recomputed from the original arrival; the customer is told the new
        promise when the deadline moved; the hooks see the change (paging starts a chain
        when the new priority pages now, stops or re-words one when it does not). With a
        `decision` (a late transcript) the classifier's proposal and reasons are kept too.
        Without `notify_customer` (a lifecycle step the policy prescribes, such as ThreePBX's
        P4 on resolution) the customer is sent no new promise.
        """
        policy = self.policy_of(ticket)
        known = [p.id for p in policy.priorities]
        if priority not in known:
            raise UnknownPriority(
                f"policy {policy.name} has no priority {priority!r} (known: {', '.join(known)})"
            )
        due = respond_by(policy, priority, ticket.received_at)
        await sql.set_priority(
            db,
            ticket.id,
            effective=priority,
            due_at=due,
            now=now,
            proposed=decision.proposed if decision else None,
            confidence=decision.confidence if decision else None,
            reasons=decision.reasons if decision else None,
        )
        detail: dict[str, object] = {
            "old": ticket.effective_priority,
            "new": priority,
            "due": due.isoformat() if due else None,
            "by": actor,
            "reason": reason,
        }
        if decision is not None:
            detail["reasons"] = list(decision.reasons)
        await sql.add_event(db, ticket.id, now, "priority-changed", **detail)
        await refresh_clocks(db, policy, ticket.id, now)  # every clock, from the arrival
        after = await self._reload(db, ticket.id)
        if notify_customer and due != ticket.due_at:
            change = await sql.count_events(db, ticket.id, "priority-changed")
            notice = await self.notices.new_promise(db, after, policy, change=change, now=now)
            await self.tell_customer(db, after, notice, now)
        change_ = PriorityChange(before=ticket, after=after, actor=actor, reason=reason, at=now)
        for hook in self._hooks:
            await hook.priority_changed(db, change_, policy)
        log.info(
            "ticket %d: priority %s -> %s by %s",
            ticket.number,
            ticket.effective_priority,
            priority,
            actor,
            extra={"ticket": ticket.number, "event": "priority-changed"},
        )
        return change_

    async def correct_priority(
        self,
        db: Connection,
        ticket: Ticket,
        priority: str,
        *,
        actor: str,
        reason: str,
        now: datetime,
    ) -> PriorityChange:
        """A person overruling the priority (CLI, API, browser): the change, and a correction
        the classifier learns from (`corrections`, read by `intake classifier train`).

        Priority changes that are not a person's judgement of the message (a late transcript,
        a step the policy prescribes) call `change_priority` and teach the classifier nothing.
        """
        change = await self.change_priority(
            db, ticket, priority, actor=actor, reason=reason, now=now
        )
        first = await sql.first_message(db, ticket.id, "in")
        await corrections_sql.insert_correction(
            db,
            ticket_number=ticket.number,
            policy=ticket.policy,
            subject=ticket.subject,
            body=first.latest_text if first else "",
            old_priority=ticket.effective_priority,
            new_priority=priority,
            reason=reason,
            now=now,
        )
        return change

    async def set_subject(
        self, db: Connection, ticket: Ticket, subject: str, *, actor: str, now: datetime
    ) -> None:
        """Correct the ticket's subject (a voicemail's, once its transcript is known)."""
        await sql.set_subject(db, ticket.id, subject, now)
        await sql.add_event(db, ticket.id, now, "subject-changed", by=actor)

    async def record_rfo(
        self, db: Connection, ticket: Ticket, *, actor: str, now: datetime
    ) -> None:
        """The reason for outage was given to the customer: it meets the rfo clock."""
        await sql.add_event(db, ticket.id, now, "rfo-sent", by=actor)
        await refresh_clocks(db, self.policy_of(ticket), ticket.id, now)

    # -- messages --------------------------------------------------------------------------

    async def append_message(
        self,
        db: Connection,
        ticket: Ticket,
        message: NewMessage,
        now: datetime,
        *,
        just_opened: bool = False,
    ) -> int:
        """Add a message to the ticket's thread. A customer's (inbound) message reopens a
        pending or resolved ticket, unless the channel marked it `automated` (an auto-reply);
        a closed ticket is final (TicketClosed: the channel opens a new ticket and `link`s
        it, see `Lifecycle.link`).

        `just_opened`: the ticket was opened in this transaction (`open`), so its row and its
        clocks were written moments ago and need no touching (unless the message moves them).
        """
        if message.direction == "in" and ticket.status == "closed":
            raise TicketClosed(f"ticket #{ticket.number} is closed; a new ticket must be opened")
        message_id = await sql.insert_message(
            db, ticket.id, message, now, touch_ticket=not just_opened
        )
        if message.direction == "in":
            sender = message.sender or ticket.customer
            await self.lifecycle.customer_wrote(
                db,
                ticket,
                actor=f"{message.channel}:{sender}",
                now=now,
                automated=message.meta.get("automated"),
            )
        policy = self.policy_of(ticket)
        if message_moves_clocks(policy, ticket.effective_priority, message.direction, message.meta):
            await refresh_clocks(db, policy, ticket.id, now)
        elif not just_opened:
            await still_current(db, ticket.id, now)
        return message_id

    async def tell_customer(
        self,
        db: Connection,
        ticket: Ticket,
        notice: Notice | Withheld,
        now: datetime,
        *,
        just_opened: bool = False,
    ) -> bool:
        """Queue a notice for the customer in the outbox and record it in the thread, or
        record why they are not told. False when nothing new was queued (withheld, or the
        same notice, by its key, was queued before)."""
        if isinstance(notice, Withheld):
            await sql.add_event(
                db, ticket.id, now, f"{notice.purpose}-suppressed", reason=notice.reason
            )
            return False
        queued = await outbox_sql.enqueue(
            db,
            ticket_id=ticket.id,
            kind=notice.kind,
            purpose=notice.purpose,
            key=notice.key,
            recipient=notice.recipient,
            payload=notice.payload,
            now=now,
        )
        if queued is None:  # told already (the same notice, queued before)
            return False
        await self.append_message(db, ticket, notice.message, now, just_opened=just_opened)
        return True

    async def _reload(self, db: Connection, ticket_id: int) -> Ticket:
        ticket = await sql.ticket_by_id(db, ticket_id)
        assert ticket is not None
        return ticket


class StaffActions:
    """What staff do to a ticket (the API, the CLI, staff mail and, later, the browser):
    reply, note, status, assignee, priority. Each records an event naming who (`actor`) and
    runs in the caller's transaction, its webhook notification queued in the same commit.

    A reply reaches the customer through the service's `tell_customer`; a status change is the
    service's lifecycle (`TicketService.lifecycle`: its rules, events and webhook); a priority
    change is the service's own (`TicketService.change_priority`: the customer's new promise,
    paging, the `ticket.updated` webhook through its hooks).
    """

    def __init__(self, tickets: TicketService, settings: Settings, webhooks: Webhooks) -> None:
        self.tickets = tickets
        self._settings = settings
        self._webhooks = webhooks

    async def reply(
        self,
        db: Connection,
        ticket: Ticket,
        body: str,
        *,
        author: StaffMember,
        actor: str,
        now: datetime,
        token: str | None = None,
    ) -> str:
        """Send a public reply to the customer through the outbox; returns email or sms.

        Recorded as an outbound message and a `replied` event (`public`, `by`, `channel`),
        which the SLA clocks read: it meets the respond clock and restarts the ongoing one.
        A closed ticket is final (TicketClosed). With a `token` already used on this ticket,
        nothing is sent or recorded again."""
        if ticket.status == "closed":
            raise TicketClosed(
                f"ticket #{ticket.number} is closed, which is final; a new message from the"
                " customer opens a new ticket"
            )
        reply = staff_reply(
            self._settings,
            ticket,
            await sql.thread(db, ticket.id),
            body,
            author_name=author.name,
            now=now,
            token=token,
        )
        notice = Notice(
            kind=reply.kind,
            purpose="reply",
            key=reply.key,
            recipient=reply.recipient,
            payload=reply.payload,
            message=reply.message,
        )
        if not await self.tickets.tell_customer(db, ticket, notice, now):
            return reply.kind  # this very reply was queued before (a redelivered staff mail)
        await sql.add_event(
            db, ticket.id, now, "replied", public=True, by=actor, channel=reply.kind
        )
        after = await sql.ticket_by_id(db, ticket.id)
        assert after is not None
        await self._webhooks.emit(
            db,
            "ticket.replied",
            ticket_payload(after, by=actor, channel=reply.kind, body=body),
            now,
            ticket_id=ticket.id,
        )
        log.info(
            "ticket %d: replied by %s (%s)",
            ticket.number,
            actor,
            reply.kind,
            extra={"ticket": ticket.number, "event": "replied"},
        )
        return reply.kind

    async def reply_by_mail(
        self,
        db: Connection,
        ticket: Ticket,
        body: str,
        *,
        author: StaffMember,
        mail_key: str,
        deliver: bool,
        inbox: int,
        now: datetime,
    ) -> str:
        """A staff member's own mail to the desk about this ticket: their public reply,
        relayed to the customer from the desk's address (the staff address is never shown to
        the customer). `mail_key` (the mail's Message-ID, else its content hash) makes a
        redelivered copy a no-op. An imported mail (`deliver` false) is history: recorded
        as the reply it was, never sent. Returns the inbox row's note."""
        actor = f"email:{author.email}"
        if is_final(ticket) or not body.strip():
            why = "the ticket is closed" if is_final(ticket) else "the mail has no new text"
            await sql.add_event(
                db, ticket.id, now, "staff-mail-ignored", by=actor, inbox=inbox, reason=why
            )
            return f"staff mail on ticket {ticket.number} not relayed: {why}"
        token = hashlib.sha256(mail_key.encode()).hexdigest()[:16]
        if not deliver:
            await self.tickets.append_message(
                db,
                ticket,
                NewMessage(
                    direction="out",
                    channel="email",
                    message_id=None,
                    content_hash=None,
                    sender=author.email,
                    subject=ticket.subject,
                    body_text=body,
                    latest_text=body,
                    meta={"purpose": "reply", "by": author.name, "imported": True},
                ),
                now,
            )
            await sql.add_event(
                db, ticket.id, now, "replied", public=True, by=actor, channel="email", imported=True
            )
            return f"imported staff reply on ticket {ticket.number}"
        kind = await self.reply(
            db, ticket, body, author=author, actor=actor, now=now, token=f"mail-{token}"
        )
        return f"staff reply on ticket {ticket.number}, relayed by {kind}"

    async def add_note(
        self, db: Connection, ticket: Ticket, body: str, *, actor: str, now: datetime
    ) -> None:
        """An internal note: an event on the ticket, never a message to the customer."""
        await sql.add_event(db, ticket.id, now, "note", by=actor, body=body)

    async def set_status(
        self,
        db: Connection,
        ticket: Ticket,
        status: str,
        *,
        actor: str,
        now: datetime,
        reason: str = "",
    ) -> None:
        """By the lifecycle's rules (gateway/lifecycle.py); LifecycleError if not allowed."""
        await self.tickets.lifecycle.set_status(
            db, ticket, status, actor=actor, now=now, reason=reason
        )

    async def assign(
        self,
        db: Connection,
        ticket: Ticket,
        assignee: StaffMember | None,
        *,
        actor: str,
        now: datetime,
    ) -> None:
        await staff_sql.assign(db, ticket.id, assignee.id if assignee else None, now)
        to = assignee.email if assignee else None
        await sql.add_event(db, ticket.id, now, "assigned", to=to, by=actor)
        await self._updated(db, ticket.id, now, actor, assignee={"new": to})

    async def change_priority(
        self,
        db: Connection,
        ticket: Ticket,
        priority: str,
        *,
        actor: str,
        reason: str,
        now: datetime,
    ) -> None:
        """A staff correction: the classifier learns from it (`TicketService.correct_priority`)."""
        await self.tickets.correct_priority(
            db, ticket, priority, actor=actor, reason=reason, now=now
        )

    async def _updated(
        self, db: Connection, ticket_id: int, now: datetime, actor: str, **changes: Any
    ) -> None:
        after = await sql.ticket_by_id(db, ticket_id)
        assert after is not None
        payload = ticket_payload(after, by=actor, changes=changes)
        await self._webhooks.emit(db, "ticket.updated", payload, now, ticket_id=ticket_id)
