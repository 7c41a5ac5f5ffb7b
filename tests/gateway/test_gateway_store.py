"""The store's group commit: concurrent writes share a commit, a failing op fails alone."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gateway.store import Connection, Store
from gateway.store.connection import OpSuspended
from tests.pg_server import open_test_store

pytestmark = pytest.mark.asyncio


async def _insert(db: Connection, key: str) -> bool:
    cursor = await db.execute(
        "INSERT INTO inbox (channel, kind, received_at, source_key, meta)"
        " VALUES ('sms', 'status', '2026-11-21T00:00:00+00:00', ?, '{}')"
        " ON CONFLICT (source_key) DO NOTHING",
        (key,),
    )
    return cursor.rowcount == 1


async def test_concurrent_writes_share_a_commit_and_repeats_are_noticed(
    tmp_path: Path, store_url: str | None
) -> None:
    store = await open_test_store(store_url, tmp_path)
    try:
        before = store.commits
        results = await asyncio.gather(
            *(store.write(lambda db, n=n: _insert(db, f"k{n % 40}")) for n in range(50))
        )
        assert results.count(True) == 40 and results.count(False) == 10
        assert store.commits - before <= 2  # the first alone, the rest together
    finally:
        await store.close()


async def test_a_failing_op_fails_alone(tmp_path: Path, store_url: str | None) -> None:
    store = await open_test_store(store_url, tmp_path)

    async def half_then_boom(db: Connection) -> None:
        await _insert(db, "half")
        raise RuntimeError("boom")

    try:
        good = [store.write(lambda db, n=n: _insert(db, f"ok{n}")) for n in range(5)]
        *results, failure = await asyncio.gather(
            *good, store.write(half_then_boom), return_exceptions=True
        )
        assert results == [True] * 5
        assert isinstance(failure, RuntimeError)
        rows = await store.read(lambda db: db.execute_fetchall("SELECT source_key FROM inbox"))
        assert sorted(r["source_key"] for r in rows) == sorted(f"ok{n}" for n in range(5))
    finally:
        await store.close()


async def test_an_op_that_awaits_anything_but_the_database_is_refused(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "intake.db")

    async def sleeps(db: Connection) -> None:
        await asyncio.sleep(0.01)

    try:
        # On the writer thread there is no event loop: the op fails (alone) either way.
        with pytest.raises((OpSuspended, RuntimeError)):
            await store.write(sleeps)
    finally:
        await store.close()
