"""The queue's SQL (`gateway.store.listing.due_first`) against a plain Python reading of the
same tickets, on both stores: every filter and page size gives the same tickets in the same
order, and search finds the same ones.

Tickets here have up to three running clocks each, deadlines shared between tickets and
between one ticket's clocks, so a page of deadlines holds repeats and the walk must go on
from where it stopped.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from gateway.store import Connection, Store
from gateway.store.listing import TicketFilter, due_first
from tests.pg_server import open_test_store

pytestmark = pytest.mark.asyncio

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
POLICIES = ("msp", "threepbx", "jelastic")
PRIORITIES = ("P1", "P2", "P3")
STATUSES = ("open", "pending", "resolved")
ACTIVE = ("open", "pending")


@dataclass
class Seeded:
    number: int
    policy: str
    priority: str
    status: str
    customer: str
    customer_name: str
    subject: str
    pending: list[tuple[str, int]]  # (due_at, clock id) of the running clocks


def iso(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


async def seed(store: Store, count: int) -> list[Seeded]:
    rng = random.Random(3)
    seeded: list[Seeded] = []
    clock_id = 0
    for i in range(count):
        seeded.append(
            Seeded(
                number=1001 + i,
                policy=rng.choice(POLICIES),
                priority=rng.choice(PRIORITIES),
                status=rng.choice(STATUSES),
                customer=f"customer{i % 7}@example.com" if i % 5 else f"+4420794600{i:02d}",
                customer_name=rng.choice(("Ana Müller", "Bob", "")),
                subject=rng.choice(
                    ("Fax line dead", "No dial tone on desk phones", "Invoice 2026-11", "Hello")
                )
                + f" #{i}",
                pending=[],
            )
        )
    clocks = []
    for index, ticket in enumerate(seeded):
        for name in ("respond", "ongoing", "resolve")[: rng.randint(0, 3)]:
            clock_id += 1
            due = iso(NOW + timedelta(hours=rng.randint(-5, 5)))  # shared deadlines
            state = "pending" if ticket.status != "resolved" and rng.random() < 0.8 else "met"
            if state == "pending":
                ticket.pending.append((due, clock_id))
            clocks.append((clock_id, index + 1, name, ticket.policy, ticket.priority, due, state))

    async def write(db: Connection) -> None:
        for index, t in enumerate(seeded):
            await db.execute(
                "INSERT INTO tickets (id, number, channel, customer, customer_name, desk, policy,"
                " subject, effective_priority, received_at, status, created_at, updated_at)"
                " VALUES (?, ?, 'email', ?, ?, 'support@localhost', ?, ?, ?, ?, ?, ?, ?)",
                (
                    index + 1,
                    t.number,
                    t.customer,
                    t.customer_name,
                    t.policy,
                    t.subject,
                    t.priority,
                    iso(NOW),
                    t.status,
                    iso(NOW),
                    iso(NOW),
                ),
            )
        for clock in clocks:
            await db.execute(
                "INSERT INTO sla_clocks (id, ticket_id, clock, cycle, policy, priority, business,"
                " started_at, due_at, state, watch, updated_at)"
                " VALUES (?, ?, ?, 0, ?, ?, 0, ?, ?, ?, 0, ?)",
                (*clock[:5], iso(NOW), *clock[5:], iso(NOW)),
            )

    await store.write(write)
    return seeded


def expected(
    seeded: list[Seeded], where: TicketFilter, statuses: tuple[str, ...], limit: int
) -> list[int]:
    """The queue's order read plainly: running clocks by (deadline, clock), then newest."""
    matching = [
        t
        for t in seeded
        if (where.policy is None or t.policy == where.policy)
        and (where.priority is None or t.priority == where.priority)
        and (not statuses or t.status in statuses)
    ]
    running = sorted((min(t.pending), t.number) for t in matching if t.pending)
    idle = sorted((t.number for t in matching if not t.pending), reverse=True)
    return ([number for _, number in running] + idle)[:limit]


@pytest.fixture
async def store(tmp_path: Path, store_url: str | None) -> Store:
    return await open_test_store(store_url, tmp_path)


async def test_due_first_matches_the_plain_order_for_every_filter(store: Store) -> None:
    try:
        seeded = await seed(store, 240)
        filters = [
            TicketFilter(),
            TicketFilter(policy="msp"),
            TicketFilter(priority="P1", policy="msp"),
            TicketFilter(priority="P3"),
        ]
        for where in filters:
            for statuses in (ACTIVE, ()):
                for limit in (1, 2, 7, 50, 500):
                    rows = await store.read(
                        partial(
                            due_first,
                            where=where,
                            statuses=statuses,
                            search="",
                            limit=limit,
                            now=NOW,
                        )
                    )
                    got = [r.ticket.number for r in rows]
                    assert got == expected(seeded, where, statuses, limit), (where, limit)
    finally:
        await store.close()
