"""Stored tickets as the API shows them, with every SLA clock at `now` (gateway/sla/views.py:
the same clocks `intake tickets show` and the workspace show)."""

from __future__ import annotations

from gateway.api.models import Clock, EventOut, MessageOut, TicketDetail, TicketOut
from gateway.sla.views import ClockView, TicketClocks
from gateway.store.listing import TicketRow
from gateway.store.records import Event, Message


def clock_out(clock: ClockView) -> Clock:
    return Clock(
        name=clock.name,
        cycle=clock.cycle,
        priority=clock.priority,
        target=clock.target,
        business=clock.business,
        started_at=clock.started_at,
        due=clock.due_at,
        state=clock.state,
        remaining_seconds=clock.remaining_seconds,
        paused_seconds=int(clock.paused.total_seconds()),
        at_risk=clock.at_risk,
        met_at=clock.met_at,
        breached_at=clock.breached_at,
    )


def ticket_out(row: TicketRow, clocks: TicketClocks) -> TicketOut:
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
        clocks=[clock_out(c) for c in clocks.clocks],
    )


def ticket_detail(
    row: TicketRow, clocks: TicketClocks, messages: list[Message], events: list[Event]
) -> TicketDetail:
    return TicketDetail(
        **ticket_out(row, clocks).model_dump(),
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
