"""Opening a ticket: the one place a triage decision becomes a priority, a deadline and a record.

Every channel (email, voicemail, SMS) opens its tickets here, so the committed deadline and
the after-hours flag are always computed the same way from the policy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.config import Settings
from gateway.lifecycle import Lifecycle, TicketClosed
from gateway.policybook import PolicyBook
from gateway.replies import staff_reply
from gateway.store import outbox as outbox_sql
from gateway.store.connection import Connection
from gateway.store.records import Ticket
from gateway.store.staff import StaffMember, assign
from gateway.store.tickets import (
    NewTicket,
    add_event,
    insert_message,
    insert_ticket,
    set_priority,
    thread,
    ticket_by_id,
)
from gateway.triage import Decision
from gateway.webhooks import Webhooks, ticket_payload
from policies import Policy

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Arrival:
    """Who wrote or called, to which desk, about what, and when it arrived."""

    channel: str
    customer: str
    customer_name: str
    desk: str
    subject: str
    received_at: datetime


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


async def open_ticket(
    db: Connection, arrival: Arrival, policy: Policy, decision: Decision, now: datetime
) -> Ticket:
    received = arrival.received_at
    ticket = await insert_ticket(
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
            due_at=policy.deadline(decision.effective, received, "respond"),
            after_hours=policy.is_after_hours(received),
        ),
        now,
    )
    await add_event(
        db, ticket.id, now, "created", priority=decision.effective, reasons=list(decision.reasons)
    )
    if decision.reclassified:
        await add_event(db, ticket.id, now, "reclassified", reason=decision.reclassified)
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


class StaffActions:
    """What staff do to a ticket (API and, later, the browser): reply, note, status, assignee,
    priority. Each records an event naming who (`actor`) and runs in the caller's transaction,
    with its webhook notification queued in the same commit.

    Thin by design: the ticket lifecycle (statuses and their rules, clocks, reply threading
    and staff mail) grows these into the ticket service proper.
    """

    def __init__(self, settings: Settings, policies: PolicyBook, webhooks: Webhooks) -> None:
        self._settings = settings
        self._policies = policies
        self._webhooks = webhooks
        self.lifecycle = Lifecycle(policies, webhooks)

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
            await thread(db, ticket.id),
            body,
            author_name=author.name,
            now=now,
            token=token,
        )
        queued = await outbox_sql.enqueue(
            db,
            ticket_id=ticket.id,
            kind=reply.kind,
            purpose="reply",
            key=reply.key,
            recipient=reply.recipient,
            payload=reply.payload,
            now=now,
        )
        if queued is None:  # this very reply was queued before (a redelivered staff mail)
            return reply.kind
        await insert_message(db, ticket.id, reply.message, now)
        await add_event(db, ticket.id, now, "replied", public=True, by=actor, channel=reply.kind)
        after = await ticket_by_id(db, ticket.id)
        assert after is not None
        await self._webhooks.emit(
            db,
            "ticket.replied",
            ticket_payload(after, by=actor, channel=reply.kind, body=body),
            now,
            ticket_id=ticket.id,
        )
        return reply.kind

    async def add_note(
        self, db: Connection, ticket: Ticket, body: str, *, actor: str, now: datetime
    ) -> None:
        """An internal note: an event on the ticket, never a message to the customer."""
        await add_event(db, ticket.id, now, "note", by=actor, body=body)

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
        await self.lifecycle.set_status(db, ticket, status, actor=actor, now=now, reason=reason)

    async def assign(
        self,
        db: Connection,
        ticket: Ticket,
        assignee: StaffMember | None,
        *,
        actor: str,
        now: datetime,
    ) -> None:
        await assign(db, ticket.id, assignee.id if assignee else None, now)
        to = assignee.email if assignee else None
        await add_event(db, ticket.id, now, "assigned", to=to, by=actor)
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
        """A new priority; the respond deadline is recomputed from the original arrival."""
        policy = self._policies.get(ticket.policy)
        known = [p.id for p in policy.priorities]
        if priority not in known:
            raise ValueError(
                f"policy {policy.name} has no priority {priority!r} (known: {', '.join(known)})"
            )
        due = policy.deadline(priority, ticket.received_at, "respond")
        await set_priority(db, ticket.id, effective=priority, due_at=due, now=now)
        await add_event(
            db,
            ticket.id,
            now,
            "priority-changed",
            old=ticket.effective_priority,
            new=priority,
            due=due.isoformat() if due else None,
            by=actor,
            reason=reason,
        )
        change = {"old": ticket.effective_priority, "new": priority, "reason": reason}
        await self._updated(db, ticket.id, now, actor, priority=change)

    async def _updated(
        self, db: Connection, ticket_id: int, now: datetime, actor: str, **changes: Any
    ) -> None:
        after = await ticket_by_id(db, ticket_id)
        assert after is not None
        payload = ticket_payload(after, by=actor, changes=changes)
        await self._webhooks.emit(db, "ticket.updated", payload, now, ticket_id=ticket_id)
