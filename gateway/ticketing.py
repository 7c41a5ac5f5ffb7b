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

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from gateway.ack import CustomerNotices, Notice, Withheld
from gateway.hooks import PriorityChange, TicketHook
from gateway.policybook import PolicyBook
from gateway.sla.refresh import message_moves_clocks, refresh_clocks, still_current
from gateway.store import outbox as outbox_sql
from gateway.store import tickets as sql
from gateway.store.connection import Connection
from gateway.store.records import Ticket
from gateway.store.tickets import NewMessage, NewTicket
from gateway.triage import Decision
from policies import Policy

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


class TicketService:
    def __init__(
        self,
        policies: PolicyBook,
        notices: CustomerNotices,
        hooks: Sequence[TicketHook] = (),
    ) -> None:
        self.policies = policies
        self.notices = notices
        self._hooks = tuple(hooks)

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
    ) -> Ticket:
        """Record a new ticket with its priority and deadline; `announce` it once complete."""
        received = arrival.received_at
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
                due_at=respond_by(policy, decision.effective, received),
                after_hours=policy.is_after_hours(received),
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
        await refresh_clocks(db, policy, ticket.id, now)
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
    ) -> PriorityChange:
        """Set the priority of an announced ticket, with everything that follows from it.

        The deadline is recomputed from the original arrival; the customer is told the new
        promise when the deadline moved; the hooks see the change (paging starts a chain
        when the new priority pages now, stops or re-words one when it does not). With a
        `decision` (a late transcript) the classifier's proposal and reasons are kept too.
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
        if due != ticket.due_at:
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
        self, db: Connection, ticket: Ticket, message: NewMessage, now: datetime
    ) -> int:
        """Add a message to the ticket's thread (an inbound one reopens a closed ticket)."""
        message_id = await sql.insert_message(db, ticket.id, message, now)
        policy = self.policy_of(ticket)
        if message_moves_clocks(policy, ticket.effective_priority, message.direction, message.meta):
            await refresh_clocks(db, policy, ticket.id, now)
        else:
            await still_current(db, ticket.id, now)
        return message_id

    async def tell_customer(
        self, db: Connection, ticket: Ticket, notice: Notice | Withheld, now: datetime
    ) -> None:
        """Queue a notice for the customer in the outbox and record it in the thread, or
        record why they are not told."""
        if isinstance(notice, Withheld):
            await sql.add_event(
                db, ticket.id, now, f"{notice.purpose}-suppressed", reason=notice.reason
            )
            return
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
        if queued is not None:  # else told already (the same notice, queued before)
            await self.append_message(db, ticket, notice.message, now)

    async def _reload(self, db: Connection, ticket_id: int) -> Ticket:
        ticket = await sql.ticket_by_id(db, ticket_id)
        assert ticket is not None
        return ticket
