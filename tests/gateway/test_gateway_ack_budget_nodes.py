"""The desk's acknowledgement budget holds across nodes: two nodes deciding at the same moment
on one PostgreSQL never send one acknowledgement more than the budget allows."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.ack import no_ack_reason
from gateway.config import AckSettings
from gateway.store import Connection, Store
from gateway.store import outbox as outbox_sql
from gateway.store import tickets as tickets_sql
from gateway.store.tickets import NewTicket
from tests.pg_server import open_test_store

pytestmark = pytest.mark.asyncio

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
DESK = "support@localhost"
BUDGET = AckSettings(desk_budget=2, desk_window=timedelta(hours=1))


async def _ticket(db: Connection) -> int:
    new = NewTicket(
        channel="email",
        customer="pat@example.com",
        customer_name="",
        desk=DESK,
        policy="threepbx",
        subject="phones down",
        declared_priority=None,
        proposed_priority="P4",
        effective_priority="P4",
        confidence=None,
        reasons=(),
        received_at=NOW,
        due_at=None,
        after_hours=False,
    )
    return (await tickets_sql.insert_ticket(db, new, NOW)).id


async def _ack(db: Connection, ticket_id: int, recipient: str) -> None:
    await outbox_sql.enqueue(
        db,
        ticket_id=ticket_id,
        kind="email",
        purpose="ack",
        key=f"ack-{recipient}",
        recipient=recipient,
        payload={},
        now=NOW,
    )


async def test_two_nodes_at_once_stay_within_the_desks_budget(pg_url: str, tmp_path: Path) -> None:
    first: Store = await open_test_store(pg_url, tmp_path)
    second: Store = await open_test_store(pg_url, tmp_path)
    try:
        ticket = await first.write(_ticket)
        await first.write(lambda db: _ack(db, ticket, "one@example.com"))  # one of two spent
        decided = asyncio.Event()

        async def node(store: Store, recipient: str, *, leads: bool) -> str | None:
            async def op(db: Connection) -> str | None:
                if not leads:
                    await decided.wait()  # the other node has decided, not yet committed
                reason = await no_ack_reason(db, BUDGET, recipient, NOW, desk=DESK)
                if leads:
                    decided.set()
                    await asyncio.sleep(0.3)  # hold the transaction open while the other decides
                if reason is None:
                    await _ack(db, ticket, recipient)
                return reason

            return await store.write(op)

        reasons = await asyncio.gather(
            node(first, "two@example.com", leads=True),
            node(second, "three@example.com", leads=False),
        )
        queued = await first.read(
            lambda db: db.execute_fetchall("SELECT recipient FROM outbox WHERE purpose = 'ack'")
        )
        assert len(queued) == BUDGET.desk_budget, [r["recipient"] for r in queued]
        assert reasons[0] is None
        assert reasons[1] is not None and "budget spent" in reasons[1]
    finally:
        await asyncio.gather(first.close(), second.close())
