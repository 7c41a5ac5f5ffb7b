"""The ticket service directly: opening, priority changes and what follows them, notices.

A real store on disk, the shipped policies and templates, and a hook that records what it
is told; no gateway, no transports.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import templates
from gateway.ack import CustomerNotices
from gateway.config import Settings
from gateway.hooks import PriorityChange
from gateway.policybook import PolicyBook
from gateway.store import Store
from gateway.store import outbox as outbox_sql
from gateway.store import tickets as sql
from gateway.store.connection import Connection
from gateway.store.records import Ticket
from gateway.ticketing import (
    Arrival,
    TicketService,
    UnknownPriority,
    default_decision,
    respond_by,
)
from gateway.triage import Decision
from policies import Policy

from .gateway_harness import DESK, SATURDAY_MORNING, make_settings

ROOT = Path(__file__).resolve().parents[2]
CUSTOMER = "pat@example.com"
PHONE = "+12025550123"
STATUS_URL = "https://intake.example.com/sms/status"


@dataclass
class RecordingHook:
    created: list[tuple[int, str]] = field(default_factory=list)
    changes: list[PriorityChange] = field(default_factory=list)

    async def ticket_created(
        self, db: Connection, ticket: Ticket, policy: Policy, first_line: str
    ) -> None:
        self.created.append((ticket.number, first_line))

    async def priority_changed(
        self, db: Connection, change: PriorityChange, policy: Policy
    ) -> None:
        self.changes.append(change)


@dataclass
class Desk:
    store: Store
    service: TicketService
    hook: RecordingHook
    settings: Settings

    @property
    def policy(self) -> Policy:
        return self.service.policies.get("threepbx")

    async def open(
        self,
        priority: str = "P4",
        *,
        received: datetime = SATURDAY_MORNING,
        customer: str = CUSTOMER,
        channel: str = "email",
    ) -> Ticket:
        decision = Decision(None, priority, priority, 0.5, ("stand-in",), None)
        arrival = Arrival(channel, customer, "Pat", DESK, "Phones are down", received)

        async def op(db: Connection) -> Ticket:
            return await self.service.open(
                db, arrival, self.policy, decision, received, actor=f"{channel}:{customer}"
            )

        return await self.store.write(op)

    async def acknowledge(self, ticket: Ticket, *, by_sms: bool = False) -> None:
        async def op(db: Connection) -> None:
            notices = self.service.notices
            if by_sms:
                notice = await notices.sms_ack(
                    db, ticket, self.policy, to=ticket.customer, now=SATURDAY_MORNING
                )
            else:
                notice = await notices.email_ack(
                    db,
                    ticket,
                    self.policy,
                    recipient=ticket.customer,
                    exempt=None,
                    inbox_id=1,
                    in_reply_to="original@example.com",
                    references=(),
                    now=SATURDAY_MORNING,
                )
            await self.service.tell_customer(db, ticket, notice, SATURDAY_MORNING)

        await self.store.write(op)

    async def change(
        self, ticket: Ticket, priority: str, *, at: datetime, reason: str = "checked"
    ) -> PriorityChange:
        async def op(db: Connection) -> PriorityChange:
            current = await sql.ticket_by_id(db, ticket.id)
            assert current is not None
            return await self.service.change_priority(
                db, current, priority, actor="cli:alice", reason=reason, now=at
            )

        return await self.store.write(op)

    async def outbox(self, ticket: Ticket) -> list[dict[str, object]]:
        rows = await self.store.read(lambda db: outbox_sql.outbox_of_ticket(db, ticket.id))
        return [
            {"purpose": r.purpose, "kind": r.kind, "to": r.recipient, "key": r.idempotency_key}
            | r.payload
            for r in rows
        ]

    async def events(self, ticket: Ticket, kind: str) -> list[dict[str, object]]:
        rows = await self.store.read(lambda db: sql.events_of(db, ticket.id))
        return [e.detail for e in rows if e.kind == kind]


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    settings = make_settings(tmp_path, public_url="https://intake.example.com")
    notices = CustomerNotices(settings, templates.environment(), sms_status_callback=STATUS_URL)
    hook = RecordingHook()
    service = TicketService(PolicyBook(settings), notices, hooks=(hook,))
    store = await Store.open(tmp_path / "intake.db")
    try:
        yield Desk(store, service, hook, settings)
    finally:
        await store.close()


# -- opening -----------------------------------------------------------------------------------


async def test_open_sets_the_deadline_from_the_arrival_and_records_who(desk: Desk) -> None:
    arrived = SATURDAY_MORNING - timedelta(minutes=20)
    ticket = await desk.open("P1", received=arrived)
    assert ticket.due_at == arrived + timedelta(hours=1)  # threepbx P1: one hour, calendar time
    assert ticket.due_at == respond_by(desk.policy, "P1", arrived)
    assert ticket.after_hours is False  # Saturday 09:40 in New York: threepbx is open
    (created,) = await desk.events(ticket, "created")
    assert created["by"] == f"email:{CUSTOMER}" and created["priority"] == "P1"


async def test_announce_runs_the_hooks_with_the_first_line(desk: Desk) -> None:
    ticket = await desk.open()

    async def op(db: Connection) -> None:
        await desk.service.announce(db, ticket, "")
        await desk.service.announce(db, ticket, "No dial tone")

    await desk.store.write(op)
    assert desk.hook.created == [
        (ticket.number, "Phones are down"),
        (ticket.number, "No dial tone"),
    ]


async def test_classify_sets_the_first_priority_without_consequences(desk: Desk) -> None:
    ticket = await desk.open()
    decision = Decision(None, "P1", "P1", 0.9, ("'outage'",), None)

    async def op(db: Connection) -> Ticket:
        pending = await desk.service.classify(
            db, ticket, default_decision(desk.policy, "pending"), SATURDAY_MORNING
        )
        assert pending.effective_priority == "P4"
        return await desk.service.classify(db, ticket, decision, SATURDAY_MORNING)

    classified = await desk.store.write(op)
    assert classified.effective_priority == "P1" and classified.reasons == ("'outage'",)
    assert classified.due_at == SATURDAY_MORNING + timedelta(hours=1)
    assert desk.hook.changes == [] and await desk.outbox(ticket) == []


# -- changing the priority ---------------------------------------------------------------------


async def test_a_change_recomputes_the_deadline_from_the_original_arrival(desk: Desk) -> None:
    ticket = await desk.open("P4")
    later = SATURDAY_MORNING + timedelta(hours=3)
    change = await desk.change(ticket, "P2", at=later)
    assert change.after.effective_priority == "P2"
    assert change.after.due_at == SATURDAY_MORNING + timedelta(hours=2)  # not later + 2 h
    assert change.after.due_at == respond_by(desk.policy, "P2", SATURDAY_MORNING)


async def test_a_change_is_an_event_with_who_and_why_and_reaches_the_hooks(desk: Desk) -> None:
    ticket = await desk.open("P4")
    at = SATURDAY_MORNING + timedelta(minutes=5)
    await desk.change(ticket, "P1", at=at, reason="whole site down")
    (event,) = await desk.events(ticket, "priority-changed")
    assert event["old"] == "P4" and event["new"] == "P1"
    assert event["by"] == "cli:alice" and event["reason"] == "whole site down"
    assert datetime.fromisoformat(str(event["due"])) == SATURDAY_MORNING + timedelta(hours=1)
    (seen,) = desk.hook.changes
    assert seen.before.effective_priority == "P4" and seen.after.effective_priority == "P1"
    assert (seen.actor, seen.reason, seen.at) == ("cli:alice", "whole site down", at)


async def test_an_unknown_priority_changes_nothing(desk: Desk) -> None:
    ticket = await desk.open("P4")
    with pytest.raises(UnknownPriority, match=r"no priority 'P9' \(known: P1, P2, P3, P4\)"):
        await desk.change(ticket, "P9", at=SATURDAY_MORNING)
    assert await desk.events(ticket, "priority-changed") == []
    assert desk.hook.changes == []


async def test_the_new_promise_is_emailed_once_in_the_thread(desk: Desk) -> None:
    ticket = await desk.open("P4")
    await desk.acknowledge(ticket)
    await desk.change(ticket, "P1", at=SATURDAY_MORNING + timedelta(minutes=5))
    await desk.change(ticket, "P1", at=SATURDAY_MORNING + timedelta(minutes=6))  # no news
    ack, promise = await desk.outbox(ticket)
    assert ack["purpose"] == "ack"
    assert promise["purpose"] == "promise" and promise["kind"] == "email"
    assert promise["to"] == CUSTOMER and promise["key"] == f"promise-{ticket.number}-1"
    sent = email.message_from_string(str(promise["message"]), policy=email.policy.default)
    assert sent["Subject"] == f"Re: [#{ticket.number}] Phones are down"
    assert sent["Auto-Submitted"] == "auto-generated"
    first = (await desk.store.read(lambda db: sql.thread(db, ticket.id)))[0]
    assert sent["In-Reply-To"] == f"<{first.message_id}>"  # the acknowledgement's (random) id
    body = sent.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "The priority of ticket" in text and "P1 System-wide Outage" in text
    assert "by Sat 21 Nov 2026, 11:00 EST" in text
    thread = await desk.store.read(lambda db: sql.thread(db, ticket.id))
    assert [m.meta.get("purpose") for m in thread] == ["ack", "promise"]
    # The thread shows what the customer was sent (issue 10.9: not an empty text).
    assert f"opened ticket #{ticket.number}" in thread[0].body_text
    assert "P1 System-wide Outage" in thread[-1].body_text


async def test_the_new_promise_is_texted_when_the_ack_was_a_text(desk: Desk) -> None:
    ticket = await desk.open("P4", customer=PHONE, channel="sms")
    await desk.acknowledge(ticket, by_sms=True)
    await desk.change(ticket, "P2", at=SATURDAY_MORNING)
    _, promise = await desk.outbox(ticket)
    assert promise["kind"] == "sms" and promise["to"] == PHONE
    assert promise["status_callback"] == STATUS_URL
    assert re.fullmatch(
        rf"Demo Support: ticket #{ticket.number} is now P2 Partial Outage\."
        r" We will respond by Sat 21 Nov 2026, 12:00 EST\.",
        str(promise["body"]),
    )


async def test_each_change_of_the_deadline_is_told(desk: Desk) -> None:
    ticket = await desk.open("P4", customer=PHONE, channel="sms")
    await desk.acknowledge(ticket, by_sms=True)
    for n, priority in enumerate(("P1", "P3", "P1")):
        await desk.change(ticket, priority, at=SATURDAY_MORNING + timedelta(minutes=n))
    keys = [row["key"] for row in await desk.outbox(ticket) if row["purpose"] == "promise"]
    assert keys == [f"promise-{ticket.number}-{n}" for n in (1, 2, 3)]


async def test_a_customer_never_acknowledged_is_not_told(desk: Desk) -> None:
    ticket = await desk.open("P4")
    await desk.change(ticket, "P1", at=SATURDAY_MORNING)
    assert await desk.outbox(ticket) == []
    (withheld,) = await desk.events(ticket, "promise-suppressed")
    assert withheld["reason"] == "the customer was not acknowledged"


# -- one owner -----------------------------------------------------------------------------


def test_the_deadline_of_a_ticket_is_computed_in_one_place() -> None:
    """Only the ticket service turns a ticket's priority into a deadline. `intake sla due`
    (gateway/cli/policies.py) asks the policy about a hypothetical message, no ticket."""
    callers = sorted(
        str(path.relative_to(ROOT))
        for package in ("gateway", "voice", "classifier")
        for path in (ROOT / package).rglob("*.py")
        if ".deadline(" in path.read_text(encoding="utf-8")
    )
    assert callers == ["gateway/cli/policies.py", "gateway/ticketing.py"]


def test_the_priority_of_a_ticket_is_set_in_one_place() -> None:
    callers = sorted(
        str(path.relative_to(ROOT))
        for package in ("gateway", "voice", "classifier")
        for path in (ROOT / package).rglob("*.py")
        if "sql.set_priority(" in path.read_text(encoding="utf-8")
    )
    assert callers == ["gateway/ticketing.py"]
