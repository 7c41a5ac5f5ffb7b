"""The store's group commit: concurrent writes share a commit, a failing op fails alone."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest

from gateway.store import Connection, Store, core
from gateway.store.connection import OpSuspended
from gateway.store.core import BACKGROUND_SLICE, URGENT_TRAFFIC_WINDOW
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


async def _record(db: Connection, order: list[str], name: str, seconds: float = 0.0) -> None:
    """An op that takes `seconds` on the writer thread (a worker's ticket transaction)."""
    time.sleep(seconds)
    order.append(name)
    await _insert(db, name)


async def test_an_urgent_write_is_committed_ahead_of_queued_background_ones(
    tmp_path: Path,
) -> None:
    """An SMTP `250` waits for the transaction on its way, not for a worker's whole batch."""
    store = await Store.open(tmp_path / "intake.db")
    order: list[str] = []
    try:
        running = asyncio.create_task(store.write(lambda db: _record(db, order, "first", 0.1)))
        await asyncio.sleep(0.02)  # the first transaction is on the writer now
        batch = [
            asyncio.create_task(store.write(lambda db, n=n: _record(db, order, f"bg{n}", 0.01)))
            for n in range(8)
        ]
        await asyncio.sleep(0)
        before = store.commits
        await store.write(lambda db: _record(db, order, "accept"), urgent=True)
        assert order[:2] == ["first", "accept"]
        assert store.commits - before <= 2  # the one on its way, then its own
        await asyncio.gather(running, *batch)
        assert order[2:] == [f"bg{n}" for n in range(8)]  # the background kept its order
    finally:
        await store.close()


async def test_background_writes_go_in_slices_while_urgent_ones_arrive(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "intake.db")
    order: list[str] = []
    try:
        await store.write(lambda db: _record(db, order, "accept"), urgent=True)
        before = store.commits
        await asyncio.gather(
            *(store.write(lambda db, n=n: _record(db, order, f"bg{n}")) for n in range(8))
        )
        assert store.commits - before == 8 // BACKGROUND_SLICE
        await asyncio.sleep(URGENT_TRAFFIC_WINDOW)
        before = store.commits
        await asyncio.gather(
            *(store.write(lambda db, n=n: _record(db, order, f"later{n}")) for n in range(8))
        )
        assert store.commits - before == 1  # quiet again: one group commit
    finally:
        await store.close()


async def test_a_stream_of_urgent_writes_never_starves_the_background(tmp_path: Path) -> None:
    """Sixteen sessions committing back to back (a burst): a worker's op still gets its turn
    after at most one urgent transaction, which `worker.max_defer` relies on."""
    store = await Store.open(tmp_path / "intake.db")
    order: list[str] = []
    stop = asyncio.Event()

    async def session(n: int) -> None:
        count = 0
        while not stop.is_set():
            name = f"s{n}-{count}"
            await store.write(lambda db, name=name: _record(db, order, name), urgent=True)
            count += 1

    try:
        sessions = [asyncio.create_task(session(n)) for n in range(16)]
        await asyncio.sleep(0.05)
        commits = store.commits
        await asyncio.wait_for(store.write(lambda db: _record(db, order, "worker")), 5)
        assert store.commits - commits <= 3  # the one on its way, one urgent, then ours
        stop.set()
        await asyncio.gather(*sessions)
    finally:
        await store.close()


async def test_the_wal_is_checkpointed_beside_the_writer_never_in_a_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's own checkpoint runs inside the commit that fills the WAL (50-170 ms measured
    in a burst, with every `250` queued behind it); ours runs on a connection of its own."""
    monkeypatch.setattr(core, "CHECKPOINT_EVERY", 5)
    store = await Store.open(tmp_path / "intake.db")
    try:
        for n in range(20):
            await store.write(lambda db, n=n: _insert(db, f"k{n}"))
        for _ in range(50):  # the fourth checkpoint runs on its own thread
            await asyncio.sleep(0.02)
            copy = tmp_path / "file-alone.db"  # the database file without its WAL
            shutil.copyfile(tmp_path / "intake.db", copy)
            with closing(sqlite3.connect(copy)) as db:
                (count,) = db.execute("SELECT COUNT(*) FROM inbox").fetchone()
            if count == 20:
                break
        assert count == 20
    finally:
        await store.close()
