"""Windowed counters and turns shared by every node: what must hold desk-wide lives here.

A counter is a row per key and fixed window (`window_start`). Nodes add to it with one atomic
upsert (`INSERT … ON CONFLICT DO UPDATE … RETURNING`, the same statement on SQLite and
PostgreSQL) that returns the desk-wide total after the addition: two nodes adding at once
never lose an increment, and neither needs a lock of its own. Rows live until `expires_at`
(their window plus the next one, which still weighs them) and are then deleted by whichever
node sweeps first.

A turn is for a decision that reads what other nodes may be writing at the same moment (may
an SMS go to this number now, given the ones already sent?): the transaction that takes the
turn decides alone, and one that finds it taken leaves the work to the holder and to the next
round of its worker, rather than waiting (a wait could close a cycle with the holder's batch).
Two keys may share a lock number (32 bits of a hash): then they take turns together, which
costs a round of waiting, never a wrong decision.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from gateway.store.connection import Connection, dialect
from gateway.store.records import iso


async def add(
    db: Connection, key: str, window_start: datetime, delta: int, *, expires_at: datetime
) -> int:
    """Add `delta` to `key`'s count in the window starting at `window_start`; the new total."""
    async with db.execute(
        "INSERT INTO rate_counters (key, window_start, count, expires_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (key, window_start)"
        " DO UPDATE SET count = rate_counters.count + excluded.count"
        " RETURNING count",
        (key, iso(window_start), delta, iso(expires_at)),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0])


async def counts(
    db: Connection, keys: Sequence[str], windows: Sequence[datetime]
) -> dict[tuple[str, datetime], int]:
    """The totals of `keys` in `windows` (absent pairs have counted nothing yet)."""
    if not keys or not windows:
        return {}
    key_marks = ",".join("?" * len(keys))
    window_marks = ",".join("?" * len(windows))
    async with db.execute(
        "SELECT key, window_start, count FROM rate_counters"
        f" WHERE key IN ({key_marks}) AND window_start IN ({window_marks})",
        (*keys, *(iso(w) for w in windows)),
    ) as cursor:
        rows = await cursor.fetchall()
    return {
        (row["key"], datetime.fromisoformat(row["window_start"])): int(row["count"]) for row in rows
    }


async def forget_expired(db: Connection, now: datetime) -> int:
    cursor = await db.execute("DELETE FROM rate_counters WHERE expires_at < ?", (iso(now),))
    return int(cursor.rowcount)


async def take_turn(db: Connection, key: str) -> bool:
    """Hold `key` until this transaction ends; False if another node holds it right now.

    On PostgreSQL a transaction-level advisory lock tried without waiting (in the two-integer
    key space, apart from the migrations' lock): once it is ours, every later statement of
    the transaction sees what the previous holder committed. A row lock would not do: the
    first transaction to insert a key's row makes the others wait for its commit. SQLite has
    one writer, so the turn is always free.
    """
    if dialect(db) != "postgresql":
        return True
    rows = await db.execute_fetchall(
        "SELECT pg_try_advisory_xact_lock(?, ?) AS taken", (TURN_LOCKS, _key_number(key))
    )
    return bool(next(iter(rows))["taken"])


async def wait_for_turn(db: Connection, key: str) -> None:
    """Hold `key` until this transaction ends, waiting while another node holds it.

    For a check that must be exact across nodes and cannot be left to a later round (the
    desk's acknowledgement budget: count, then queue): the count that follows sees what the
    previous holder committed. The wait lasts one group commit of the holder; should it ever
    close a cycle with the holder's batch, PostgreSQL's deadlock detector fails one op, and
    its worker runs it again. SQLite has one writer: nothing to wait for.
    """
    if dialect(db) != "postgresql":
        return
    await db.execute_fetchall("SELECT pg_advisory_xact_lock(?, ?)", (TURN_LOCKS, _key_number(key)))


# pg_advisory_xact_lock's first key for turns: "turn" in ASCII.
TURN_LOCKS = 0x7475726E


def _key_number(key: str) -> int:
    """A stable signed 32-bit number for `key`, the same on every node (unlike hash())."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big", signed=True)
