"""The intake worker's batches: order within a batch, isolation of failures, bounded memory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.config import Settings
from gateway.store import inbox as inbox_sql
from gateway.store import tickets as tickets_sql
from gateway.store.tickets import NewTicket
from gateway.triage import Decision
from policies import Policy

from .gateway_harness import DefaultProposer, mail, query, send, settle

pytestmark = pytest.mark.asyncio


class SubjectProposer(DefaultProposer):
    """The priority a subject names ("P1 ..."); a subject with BOOM cannot be classified.
    Counts the batches it was asked, to show the worker classifies a batch in one pass."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def decide(
        self, policy: Policy, subject: str, body: str, declared_hints: Sequence[str]
    ) -> Decision:
        if "BOOM" in subject:
            raise RuntimeError("the classifier choked")
        level = next((w for w in subject.split() if w in {"P1", "P2", "P3", "P4"}), None)
        base = super().decide(policy, subject, body, declared_hints)
        if level is None:
            return base
        return Decision(None, level, level, 0.9, ("named in the subject",), None)

    def decide_many(
        self, policy: Policy, questions: Sequence[tuple[str, str, Sequence[str]]]
    ) -> list[Decision]:
        self.batches.append(len(questions))
        return [self.decide(policy, *question) for question in questions]


@pytest.fixture
def proposer() -> SubjectProposer:
    return SubjectProposer()


@pytest.fixture
async def gateway(
    settings: Settings, clock: ManualClock, proposer: SubjectProposer
) -> AsyncIterator[Gateway]:
    gw = Gateway(settings, clock=clock, proposer=proposer, workers=False)
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()


async def test_a_batch_is_classified_in_one_pass_and_the_most_urgent_opens_first(
    gateway: Gateway, proposer: SubjectProposer
) -> None:
    for n, level in enumerate(["P4", "P3", "P1", "P4", "P2"]):
        await send(gateway, mail(subject=f"{level} issue {n}", Message_ID=f"<m{n}@example.com>"))
    assert await gateway.intake.run_once() == 5
    assert proposer.batches == [5]
    tickets = query(gateway, "SELECT subject, effective_priority FROM tickets ORDER BY number")
    # By urgency, then in the order they arrived.
    assert [t["subject"] for t in tickets] == [
        "P1 issue 2",
        "P2 issue 4",
        "P3 issue 1",
        "P4 issue 0",
        "P4 issue 3",
    ]


async def test_a_reply_in_the_same_batch_joins_its_original_even_when_more_urgent(
    gateway: Gateway,
) -> None:
    await send(gateway, mail(subject="P4 phones are slow", Message_ID="<orig@example.com>"))
    reply = mail(subject="P1 now they are all down", Message_ID="<reply@example.com>")
    reply["In-Reply-To"] = "<orig@example.com>"
    await send(gateway, reply)
    await send(gateway, mail(subject="P2 another customer", Message_ID="<other@example.com>"))
    assert await gateway.intake.run_once() == 3
    tickets = query(gateway, "SELECT id, subject FROM tickets ORDER BY number")
    assert [t["subject"] for t in tickets] == ["P2 another customer", "P4 phones are slow"]
    inbound = query(
        gateway, "SELECT ticket_id, message_id FROM messages WHERE direction = 'in' ORDER BY id"
    )
    original = tickets[1]["id"]
    assert [(m["ticket_id"], m["message_id"]) for m in inbound][1:] == [
        (original, "orig@example.com"),
        (original, "reply@example.com"),
    ]


async def test_a_message_that_fails_in_a_batch_fails_alone(gateway: Gateway) -> None:
    await send(gateway, mail(subject="P3 first", Message_ID="<a@example.com>"))
    await send(gateway, mail(subject="BOOM second", Message_ID="<b@example.com>"))
    await send(gateway, mail(subject="P2 third", Message_ID="<c@example.com>"))
    assert await gateway.intake.run_once() == 3
    subjects = {t["subject"] for t in query(gateway, "SELECT subject FROM tickets")}
    assert subjects == {"P3 first", "P2 third"}
    rows = query(gateway, "SELECT state, attempts, error FROM inbox ORDER BY id")
    assert [r["state"] for r in rows] == ["done", "new", "done"]
    assert rows[1]["attempts"] == 1 and "the classifier choked" in rows[1]["error"]
    # Retried until it gives up, then it is a ticket of its own: nothing accepted is lost.
    await settle(gateway)
    await settle(gateway)
    rows = query(gateway, "SELECT state, error FROM inbox ORDER BY id")
    assert [r["state"] for r in rows] == ["done", "done", "done"]
    assert rows[1]["error"].startswith("unprocessable; ticket")
    assert len(query(gateway, "SELECT * FROM tickets")) == 3


async def test_a_claim_is_bounded_by_bytes_but_always_takes_one(
    gateway: Gateway, clock: ManualClock
) -> None:
    big = "x" * 70 + "\n"
    for n in range(4):
        await send(gateway, mail(subject=f"P4 big {n}", body=big * 400))  # ~29 KB each
    now = clock.now()
    lease = now + timedelta(seconds=30)

    async def claim(max_bytes: int) -> list[int]:
        items = await gateway.store.write(
            lambda db: inbox_sql.claim_pending(
                db, "email", now, lease, limit=10, max_bytes=max_bytes
            )
        )
        return [len(item.raw or b"") for item in items]

    sizes = await claim(70_000)
    assert len(sizes) == 2 and sum(sizes) <= 70_000
    assert len(await claim(1_000)) == 1  # larger than the bound: taken alone
    assert len(await claim(10_000_000)) == 1  # the one left unclaimed
    assert await claim(10_000_000) == []


async def test_a_busy_listener_defers_processing_but_never_past_max_defer(
    gateway: Gateway, clock: ManualClock, settings: Settings
) -> None:
    await send(gateway, mail(subject="P2 during a burst", Message_ID="<burst@example.com>"))
    gateway.activity.accepted()  # the listener is in the middle of a burst
    assert await gateway.intake.hold_back() == gateway.activity.quiet_after
    clock.advance(settings.worker.max_defer)
    gateway.activity.accepted()
    assert await gateway.intake.hold_back() == 0.0  # the oldest mail waited long enough


async def test_the_default_batch_holds_a_burst_of_ordinary_mail_in_one_round(
    gateway: Gateway, proposer: SubjectProposer, settings: Settings
) -> None:
    count = settings.worker.batch
    for n in range(count + 1):
        await send(gateway, mail(subject=f"P{1 + n % 4} site {n}", Message_ID=f"<d{n}@x.org>"))
    assert await gateway.intake.run_once() == count
    assert proposer.batches == [count]
    opened = query(gateway, "SELECT effective_priority FROM tickets ORDER BY number")
    assert [t["effective_priority"] for t in opened] == sorted(
        t["effective_priority"] for t in opened
    )
    assert await gateway.intake.run_once() == 1


async def test_a_new_ticket_is_the_row_as_stored(gateway: Gateway) -> None:
    await send(gateway, mail(subject="P3 returned row", Message_ID="<row@example.com>"))
    await gateway.intake.run_once()
    [row] = query(gateway, "SELECT id FROM tickets")
    stored = await gateway.store.read(lambda db: tickets_sql.ticket_by_id(db, row["id"]))
    assert stored is not None
    new = NewTicket(
        channel="email",
        customer="x@example.com",
        customer_name="X",
        desk=stored.desk,
        policy=stored.policy,
        subject="s",
        declared_priority=None,
        proposed_priority="P3",
        effective_priority="P3",
        confidence=0.5,
        reasons=("r",),
        received_at=stored.received_at,
        due_at=stored.due_at,
        after_hours=False,
    )
    inserted = await gateway.store.write(
        lambda db: tickets_sql.insert_ticket(db, new, stored.received_at)
    )
    again = await gateway.store.read(lambda db: tickets_sql.ticket_by_id(db, inserted.id))
    assert inserted == again


async def test_a_message_whose_write_fails_fails_alone_and_the_rest_count_once(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch is written as one op; when one message's write fails, nothing of the batch
    was kept, and each message is written again on its own: the others are processed once
    (one ticket each, counted once), the failing one is retried later."""
    from gateway import intake

    placed = intake.place

    async def place(db: Any, parsed: Any, *args: Any, **kwargs: Any) -> Any:
        if "WRITE-FAIL" in parsed.subject:
            raise RuntimeError("the disk said no")
        return await placed(db, parsed, *args, **kwargs)

    monkeypatch.setattr(intake, "place", place)
    for n, subject in enumerate(["P3 first", "P1 WRITE-FAIL second", "P2 third"]):
        await send(gateway, mail(subject=subject, Message_ID=f"<w{n}@example.com>"))
    commits = gateway.store.commits
    assert await gateway.intake.run_once() == 3
    tickets = query(gateway, "SELECT subject FROM tickets ORDER BY number")
    assert [t["subject"] for t in tickets] == ["P2 third", "P3 first"]
    rows = query(gateway, "SELECT state, attempts, error FROM inbox ORDER BY id")
    assert [r["state"] for r in rows] == ["done", "new", "done"]
    assert rows[1]["attempts"] == 1 and "the disk said no" in rows[1]["error"]
    created = gateway.metrics.registry.get_sample_value(
        "intake_tickets_created_total", {"channel": "email", "policy": "threepbx"}
    )
    assert created == 2.0
    assert gateway.store.commits > commits


async def test_a_batch_of_new_tickets_is_written_in_one_op(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway import intake

    for n in range(5):
        await send(gateway, mail(subject=f"P2 issue {n}", Message_ID=f"<o{n}@example.com>"))
    batches: list[int] = []
    alone: list[object] = []
    apply_all, write_one = intake.EmailIntake._apply_all, intake.EmailIntake._write_one

    async def counting_all(self: Any, db: Any, mails: Any) -> Any:
        batches.append(len(mails))
        return await apply_all(self, db, mails)

    async def counting_one(self: Any, mail: Any) -> Any:
        alone.append(mail)
        return await write_one(self, mail)

    monkeypatch.setattr(intake.EmailIntake, "_apply_all", counting_all)
    monkeypatch.setattr(intake.EmailIntake, "_write_one", counting_one)
    assert await gateway.intake.run_once() == 5
    assert batches == [5] and alone == []
    assert len(query(gateway, "SELECT * FROM tickets")) == 5
    assert len(query(gateway, "SELECT * FROM outbox WHERE purpose = 'ack'")) == 5
