"""Opening a ticket: the one place a triage decision becomes a priority, a deadline and a record.

Every channel (email, voicemail, SMS) opens its tickets here, so the committed deadline and
the after-hours flag are always computed the same way from the policy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from gateway.store.connection import Connection
from gateway.store.records import Ticket
from gateway.store.tickets import NewTicket, add_event, insert_ticket
from gateway.triage import Decision
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
