"""Counters and turns shared by nodes (`gateway/store/counters.py`), on both backends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.store import Store, counters
from gateway.store.connection import Connection
from tests.pg_server import PASSWORD

pytestmark = pytest.mark.asyncio

START = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)


async def _open(url: str | None, path: Path) -> Store:
    return await Store.connect(url, default_path=path / "intake.db", password=PASSWORD)


async def test_counts_add_up_per_key_and_window(tmp_path: Path, store_url: str | None) -> None:
    store = await _open(store_url, tmp_path)
    try:
        later = START + timedelta(minutes=1)

        async def add(key: str, window: datetime, delta: int) -> int:
            return await store.write(
                lambda db: counters.add(
                    db, key, window, delta, expires_at=window + timedelta(minutes=2)
                )
            )

        assert await add("smtp:192.0.2.1", START, 3) == 3
        assert await add("smtp:192.0.2.1", START, 2) == 5
        assert await add("smtp:192.0.2.1", later, 1) == 1
        assert await add("smtp:192.0.2.2", START, 7) == 7
        # Concurrent additions (one group-commit batch, or two on PostgreSQL) lose nothing.
        totals = await asyncio.gather(*(add("smtp:192.0.2.3", START, 1) for _ in range(20)))
        assert sorted(totals) == list(range(1, 21))
        found = await store.read(
            lambda db: counters.counts(db, ["smtp:192.0.2.1", "smtp:192.0.2.3"], [START, later])
        )
        assert found == {
            ("smtp:192.0.2.1", START): 5,
            ("smtp:192.0.2.1", later): 1,
            ("smtp:192.0.2.3", START): 20,
        }
        swept = await store.write(
            lambda db: counters.forget_expired(db, START + timedelta(minutes=2, seconds=1))
        )
        assert swept == 3  # the first window's rows; the second one's expire a minute later
    finally:
        await store.close()


async def test_one_node_at_a_time_has_a_turn(tmp_path: Path, pg_url: str) -> None:
    node_a, node_b = await _open(pg_url, tmp_path), await _open(pg_url, tmp_path)
    holding = asyncio.Event()
    release = asyncio.Event()

    async def hold(db: Connection) -> bool:
        taken = await counters.take_turn(db, "sms:+12025550101")
        holding.set()
        await release.wait()  # PostgreSQL ops really await: keep the transaction open
        return taken

    try:
        first = asyncio.create_task(node_a.write(hold))
        await holding.wait()
        # Node b does not wait for node a: it is told the turn is taken, at once.
        async with asyncio.timeout(5):
            assert not await node_b.write(lambda db: counters.take_turn(db, "sms:+12025550101"))
            assert await node_b.write(lambda db: counters.take_turn(db, "sms:+12025550102"))
        release.set()
        assert await first
        assert await node_b.write(lambda db: counters.take_turn(db, "sms:+12025550101"))
    finally:
        release.set()
        await node_a.close()
        await node_b.close()
