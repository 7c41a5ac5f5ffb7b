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


def found_by(seeded: list[Seeded], text: str, statuses: tuple[str, ...]) -> set[int]:
    """Text anywhere in the subject, customer or name: ASCII letters in any case."""

    def fold(value: str) -> str:
        return "".join(c.lower() if c.isascii() else c for c in value)

    return {
        t.number
        for t in seeded
        if (not statuses or t.status in statuses)
        and any(fold(text) in fold(v) for v in (t.subject, t.customer, t.customer_name))
    }


NEEDLES = (
    "fax",  # three letters: the trigram index
    "FAX LINE",  # any case, across a space
    "dial tone on",
    "customer3@",  # an address, as typed
    "CUSTOMER3@EXAMPLE.COM",
    "+442079",  # a phone number
    "Müller",  # not ASCII
    "2026-11 #1",
    "ll",  # too short for a trigram: every ticket is read, same answer
    "e",
    "%",  # text, never a pattern
    "_",
    "fax%line",
    '"',  # text, never FTS5 query syntax
    'dead" OR "hello',
    "Fax line dead #999",  # nothing
    "fax\x00line",  # nothing, and no error
)


async def test_search_finds_the_same_tickets_as_plain_substring_search(store: Store) -> None:
    try:
        seeded = await seed(store, 240)
        for text in NEEDLES:
            for statuses in (ACTIVE, ()):
                rows = await store.read(
                    partial(
                        due_first,
                        where=TicketFilter(),
                        statuses=statuses,
                        search=text,
                        limit=1000,
                        now=NOW,
                    )
                )
                got = [r.ticket.number for r in rows]
                assert set(got) == found_by(seeded, text, statuses), text
                # Ordered as the queue is: running clocks by deadline (equal ones newest
                # first), then the others newest first.
                matched = [t for t in seeded if t.number in set(got)]
                running = sorted((min(t.pending)[0], -t.number) for t in matched if t.pending)
                idle = sorted((t.number for t in matched if not t.pending), reverse=True)
                assert got == [-number for _, number in running] + idle, text
    finally:
        await store.close()


async def _search(store: Store, text: str) -> list[int]:
    rows = await store.read(
        partial(due_first, where=TicketFilter(), statuses=(), search=text, limit=100, now=NOW)
    )
    return [r.ticket.number for r in rows]


async def test_the_search_migration_indexes_the_tickets_already_there(
    tmp_path: Path, store_url: str | None
) -> None:
    from gateway.store.schema import MIGRATIONS, POSTGRES_ONLY, SQLITE_ONLY

    search = next(n for n, m in enumerate(MIGRATIONS, 1) if "ticket search by trigram" in m)
    store = await open_test_store(store_url, tmp_path)
    try:
        seeded = await seed(store, 30)

        async def before_the_migration(db: Connection) -> None:
            if store.dialect == "postgresql":
                await db.execute("DROP INDEX tickets_search")
                await db.execute("UPDATE intake_schema SET version = ?", (search - 1,))
            else:
                for trigger in ("insert", "delete", "update"):
                    await db.execute(f"DROP TRIGGER tickets_search_{trigger}")
                await db.execute("DROP TABLE tickets_search")
                await db.execute(f"PRAGMA user_version = {search - 1}")

        await store.write(before_the_migration)
    finally:
        await store.close()
    assert search in (POSTGRES_ONLY if store_url else SQLITE_ONLY)
    store = await open_test_store(store_url, tmp_path)  # migrates
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        assert set(await _search(store, "fax line")) == found_by(seeded, "fax line", ())

        # Kept in step with every change of a ticket's text: new, changed.
        async def change(db: Connection) -> None:
            await db.execute(
                "UPDATE tickets SET subject = 'Voicemail full', customer = 'ops@example.org'"
                " WHERE number = 1001"
            )

        await store.write(change)
        assert 1001 in await _search(store, "VOICEMAIL")
        assert 1001 in await _search(store, "ops@example.org")
        assert 1001 not in await _search(store, seeded[0].subject)
        assert 1001 not in await _search(store, seeded[0].customer)
    finally:
        await store.close()
