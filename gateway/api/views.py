"""Stored tickets as the API shows them, with the state of each SLA clock at `now`.

Only the respond clock exists so far: its due time is the ticket's committed deadline and it
is met by the first public staff reply (the earliest `replied` event).
"""

from __future__ import annotations

from datetime import datetime

from gateway.api.models import Clock, EventOut, MessageOut, TicketDetail, TicketOut
from gateway.store.listing import TicketRow
from gateway.store.records import Event, Message


def respond_clock(row: TicketRow, now: datetime) -> Clock:
    due, met_at = row.ticket.due_at, row.responded_at
    if met_at is not None:
        state = "met" if due is None or met_at <= due else "breached"
        return Clock(name="respond", due=due, state=state, remaining_seconds=None, met_at=met_at)
    if due is None:
        return Clock(name="respond", due=None, state="pending", remaining_seconds=None)
    remaining = int((due - now).total_seconds())
    state = "breached" if remaining < 0 else "pending"
    return Clock(name="respond", due=due, state=state, remaining_seconds=remaining)


def ticket_out(row: TicketRow, now: datetime) -> TicketOut:
    t = row.ticket
    return TicketOut(
        number=t.number,
        channel=t.channel,
        customer=t.customer,
        customer_name=t.customer_name,
        desk=t.desk,
        policy=t.policy,
        subject=t.subject,
        status=t.status,
        priority=t.effective_priority,
        declared_priority=t.declared_priority,
        proposed_priority=t.proposed_priority,
        confidence=t.confidence,
        after_hours=t.after_hours,
        assignee=row.assignee,
        received_at=t.received_at,
        due_at=t.due_at,
        updated_at=t.updated_at,
        clocks=[respond_clock(row, now)],
    )


def ticket_detail(
    row: TicketRow, messages: list[Message], events: list[Event], now: datetime
) -> TicketDetail:
    return TicketDetail(
        **ticket_out(row, now).model_dump(),
        reasons=list(row.ticket.reasons),
        messages=[
            MessageOut(
                direction="in" if m.direction == "in" else "out",
                channel=m.channel,
                sender=m.sender,
                subject=m.subject,
                at=m.created_at,
                text=m.latest_text or m.body_text,
                purpose=m.meta.get("purpose") if m.direction != "in" else None,
            )
            for m in messages
        ],
        events=[EventOut(at=e.at, kind=e.kind, detail=e.detail) for e in events],
    )
