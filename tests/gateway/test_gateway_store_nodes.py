"""Several nodes on one PostgreSQL: claims never overlap, a dead node's claims run out, ticket
numbers and migrations hold when nodes race."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.store import Connection, Store
from gateway.store import inbox as inbox_sql
from gateway.store import outbox as outbox_sql
from gateway.store import tickets as tickets_sql
from gateway.store.schema import MIGRATIONS
from gateway.store.tickets import NewTicket
from tests.pg_server import PASSWORD, open_test_store

pytestmark = pytest.mark.asyncio

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
LEASE = NOW + timedelta(seconds=30)


async def _nodes(url: str, tmp_path: Path, n: int = 2) -> list[Store]:
    return list(await asyncio.gather(*(open_test_store(url, tmp_path) for _ in range(n))))


async def _fill_inbox(store: Store, count: int) -> None:
    for n in range(count):
        await store.write(
            lambda db, n=n: inbox_sql.insert_inbox(
                db, channel="email", kind="message", received_at=NOW, meta={"n": n}, raw=b"x"
            )
        )


async def test_two_nodes_never_claim_the_same_inbox_row(pg_url: str, tmp_path: Path) -> None:
    first, second = await _nodes(pg_url, tmp_path)
    try:
        await _fill_inbox(first, 200)

        async def claim_all(store: Store) -> list[int]:
            taken: list[int] = []
            while batch := await store.write(
                lambda db: inbox_sql.claim_pending(db, "email", NOW, LEASE, limit=7)
            ):
                taken += [item.id for item in batch]
            return taken

        a, b = await asyncio.gather(claim_all(first), claim_all(second))
        assert not set(a) & set(b)
        assert len(a) + len(b) == 200
        assert a and b  # both did some of the work
    finally:
        await asyncio.gather(first.close(), second.close())


async def test_a_dead_nodes_claims_run_out_after_the_lease(pg_url: str, tmp_path: Path) -> None:
    first, second = await _nodes(pg_url, tmp_path)
    try:
        await _fill_inbox(first, 3)
        claimed = await first.write(
            lambda db: inbox_sql.claim_pending(db, "email", NOW, LEASE, limit=10)
        )
        await first.close()  # the node dies with three rows claimed
        assert len(claimed) == 3
        early = NOW + timedelta(seconds=29)
        assert not await second.write(
            lambda db: inbox_sql.claim_pending(db, "email", early, early + timedelta(seconds=30))
        )
        late = NOW + timedelta(seconds=30)
        again = await second.write(
            lambda db: inbox_sql.claim_pending(db, "email", late, late + timedelta(seconds=30))
        )
        assert [item.id for item in again] == [item.id for item in claimed]
    finally:
        await second.close()


async def test_a_failed_row_is_released_at_once(store_url: str | None, tmp_path: Path) -> None:
    store = await open_test_store(store_url, tmp_path)
    try:
        await _fill_inbox(store, 1)
        (item,) = await store.write(lambda db: inbox_sql.claim_pending(db, "email", NOW, LEASE))
        await store.write(
            lambda db: inbox_sql.record_inbox_failure(db, item.id, "boom", give_up=False, now=NOW)
        )
        (again,) = await store.write(lambda db: inbox_sql.claim_pending(db, "email", NOW, LEASE))
        assert again.id == item.id and again.attempts == 1
    finally:
        await store.close()


async def test_two_nodes_never_claim_the_same_outbox_row(pg_url: str, tmp_path: Path) -> None:
    first, second = await _nodes(pg_url, tmp_path)
    try:
        for n in range(100):
            await first.write(
                lambda db, n=n: outbox_sql.enqueue(
                    db,
                    ticket_id=None,
                    kind="email",
                    purpose="ack",
                    key=f"k{n}",
                    recipient="pat@example.com",
                    payload={},
                    now=NOW,
                )
            )

        async def claim_all(store: Store) -> list[int]:
            taken: list[int] = []
            while batch := await store.write(
                lambda db: outbox_sql.claim_due(db, NOW, LEASE, limit=5)
            ):
                taken += [item.id for item in batch]
            return taken

        a, b = await asyncio.gather(claim_all(first), claim_all(second))
        assert not set(a) & set(b)
        assert len(a) + len(b) == 100
    finally:
        await asyncio.gather(first.close(), second.close())


def _ticket(n: int) -> NewTicket:
    return NewTicket(
        channel="email",
        customer=f"c{n}@example.com",
        customer_name="",
        desk="support@localhost",
        policy="threepbx",
        subject="s",
        declared_priority=None,
        proposed_priority=None,
        effective_priority="P3",
        confidence=0.5,
        reasons=(),
        received_at=NOW,
        due_at=None,
        after_hours=False,
    )


async def test_ticket_numbers_from_two_nodes_are_unique_and_start_at_1001(
    pg_url: str, tmp_path: Path
) -> None:
    first, second = await _nodes(pg_url, tmp_path)

    async def open_tickets(store: Store, base: int) -> list[int]:
        tickets = await asyncio.gather(
            *(
                store.write(lambda db, n=n: tickets_sql.insert_ticket(db, _ticket(base + n), NOW))
                for n in range(40)
            )
        )
        return [t.number for t in tickets]

    try:
        a, b = await asyncio.gather(open_tickets(first, 0), open_tickets(second, 100))
        assert sorted(a + b) == list(range(1001, 1081))
    finally:
        await asyncio.gather(first.close(), second.close())


async def test_nodes_starting_at_once_migrate_once(pg_server: object, tmp_path: Path) -> None:
    from tests.pg_server import PgServer

    assert isinstance(pg_server, PgServer)
    url = pg_server.create_database("intake_race")
    try:
        stores = await asyncio.gather(
            *(Store.connect(url, default_path=tmp_path, password=PASSWORD) for _ in range(4))
        )
        versions = {await store.schema_version() for store in stores}
        await asyncio.gather(*(store.close() for store in stores))
        assert versions == {len(MIGRATIONS)}
    finally:
        pg_server.drop_database("intake_race")


async def test_a_statement_error_fails_its_op_alone_on_postgresql(
    pg_url: str, tmp_path: Path
) -> None:
    store = await open_test_store(pg_url, tmp_path)

    async def bad(db: Connection) -> None:
        await db.execute("SELECT no_such_column FROM inbox")

    try:
        results = await asyncio.gather(
            store.write(bad),
            *(
                store.write(
                    lambda db, n=n: inbox_sql.insert_inbox(
                        db, channel="sms", kind="x", received_at=NOW, meta={}, source_key=f"s{n}"
                    )
                )
                for n in range(5)
            ),
            return_exceptions=True,
        )
        assert isinstance(results[0], Exception)
        assert [created for _, created in results[1:]] == [True] * 5  # type: ignore[misc]
    finally:
        await store.close()
