"""A client's message rate across every node of the desk, counted in the database.

`ClientLimits` paces a client on one listener; a desk with two MX hosts would let a client
send twice its allowance, once to each. Here each node counts the messages it accepts from a
client and adds them, in batches, to that client's row of the current minute in
`rate_counters` (`store/counters.py`, an atomic upsert that returns the desk-wide total). The
rate is a sliding window estimated from two fixed ones (the current minute, plus the previous
one weighted by how much of it the sliding minute still covers), so no node needs the others'
individual send times.

No database round trip per SMTP command: MAIL FROM is answered from what the node last
learnt. The node reads a client's totals the first time it sees the client, and syncs (adds
what it accepted, reads what the others did) in the background at most `sync_interval` after
accepting, or before answering a client whose figures are older than that. A client is
therefore held to the limit desk-wide up to what the other nodes accepted from it within the
last `sync_interval`; on one node the count is exact.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from time import monotonic

from gateway.clock import Clock
from gateway.store import Store
from gateway.store import counters as counters_sql
from gateway.store.connection import Connection

log = logging.getLogger(__name__)

WINDOW = timedelta(minutes=1)
SYNC_INTERVAL = 1.0  # seconds
KEY_PREFIX = "smtp:"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def window_start(at: datetime) -> datetime:
    """The start of the fixed window `at` falls in; the same on every node (UTC minutes)."""
    return _EPOCH + ((at - _EPOCH) // WINDOW) * WINDOW


@dataclass
class _Client:
    totals: dict[datetime, int] = field(default_factory=dict)  # desk-wide, at the last sync
    pending: Counter[datetime] = field(default_factory=Counter)  # accepted here, not yet added
    synced_at: float = 0.0  # monotonic time of the last sync


class SharedMessageRate:
    """At most `per_minute` messages from one client address across every node."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        per_minute: int,
        *,
        sync_interval: float = SYNC_INTERVAL,
    ) -> None:
        self._store = store
        self._clock = clock
        self._limit = per_minute
        self._sync_interval = sync_interval
        self._clients: dict[str, _Client] = {}
        self._dirty: set[str] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._syncing: set[str] = set()
        self._swept: datetime | None = None

    async def allow(self, client: str) -> bool:
        """Count one message from `client` if the desk-wide rate leaves room for it."""
        entry = self._clients.get(client)
        stale = entry is None or monotonic() - entry.synced_at > self._sync_interval
        if stale and client not in self._syncing:
            await self.sync([client])
            entry = self._clients.get(client)
        if entry is None:  # the database could not be asked: count here until it can
            entry = self._clients.setdefault(client, _Client())
        now = self._clock.now()
        if self.estimate(entry, now) + 1 > self._limit:
            return False
        entry.pending[window_start(now)] += 1
        self._dirty.add(client)
        self._schedule()
        return True

    def estimate(self, entry: _Client, now: datetime) -> float:
        current = window_start(now)
        previous = current - WINDOW
        covered = 1.0 - (now - current) / WINDOW  # of the previous window, in the last minute
        in_current = entry.totals.get(current, 0) + entry.pending[current]
        in_previous = entry.totals.get(previous, 0) + entry.pending[previous]
        return in_current + in_previous * covered

    def _schedule(self) -> None:
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self._sync_interval, self._sync_dirty)

    def _sync_dirty(self) -> None:
        self._timer = None
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.flush())
        else:  # one sync at a time; look again shortly
            self._schedule()

    async def flush(self) -> None:
        """Add everything accepted here to the desk-wide counts, and learn the others'."""
        # A client being synced right now stays dirty: its counts go with the next sync.
        dirty = sorted(self._dirty - self._syncing)
        self._dirty.difference_update(dirty)
        if dirty:
            await self.sync(dirty)
        if self._dirty:
            self._schedule()

    async def sync(self, clients: list[str]) -> None:
        """One transaction: add the pending counts of `clients`, read their totals."""
        now = self._clock.now()
        current = window_start(now)
        windows = [current - WINDOW, current]
        deltas = {
            client: {w: n for w, n in entry.pending.items() if n}
            for client in clients
            if (entry := self._clients.get(client)) is not None
        }
        sweep = self._swept != current
        self._syncing.update(clients)

        async def op(db: Connection) -> dict[tuple[str, datetime], int]:
            totals: dict[tuple[str, datetime], int] = {}
            # Keys in one order on every node, so two nodes' upserts never wait on each other
            # in a cycle.
            for client in sorted(deltas):
                for window, delta in sorted(deltas[client].items()):
                    totals[(client, window)] = await counters_sql.add(
                        db,
                        KEY_PREFIX + client,
                        window,
                        delta,
                        expires_at=window + 2 * WINDOW,
                    )
            keys = [KEY_PREFIX + c for c in clients]
            for (key, window), count in (await counters_sql.counts(db, keys, windows)).items():
                totals.setdefault((key.removeprefix(KEY_PREFIX), window), count)
            if sweep:
                await counters_sql.forget_expired(db, now)
            return totals

        try:
            if any(deltas.values()) or sweep:
                totals = await self._store.write(op)
            else:
                totals = await self._store.read(op)
        except Exception as exc:  # the counts stay pending here and go with the next sync
            log.warning("could not sync client message rates: %s", exc)
            self._dirty.update(c for c in clients if c in self._clients)
            return
        finally:
            self._syncing.difference_update(clients)
        if sweep:
            self._swept = current
        synced_at = monotonic()
        for client in clients:
            entry = self._clients.setdefault(client, _Client())
            for window, delta in deltas.get(client, {}).items():
                entry.pending[window] -= delta
            entry.totals = {w: totals.get((client, w), 0) for w in windows}
            entry.pending = Counter({w: n for w, n in entry.pending.items() if n > 0})
            entry.synced_at = synced_at
        self._forget_idle(synced_at)

    def _forget_idle(self, now: float) -> None:
        """Clients not heard from for two windows are forgotten: memory stays bounded."""
        horizon = 2 * WINDOW.total_seconds()
        for client, entry in list(self._clients.items()):
            if not entry.pending and now - entry.synced_at > horizon and client not in self._dirty:
                del self._clients[client]

    async def close(self) -> None:
        """Hand the last counts to the database before the node stops."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
