"""A client's message rate is the desk's, not each node's: two MX hosts on one database.

Connection shares (per client, per /24 or /64, the reserve of slots) are a listener's own
and stay per node; the message rate per client is counted in `rate_counters`, so a client
refused by one node is refused by the other too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import aiosmtplib
import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.smtp import replies
from gateway.smtp.limits_shared import SYNC_INTERVAL, SharedMessageRate, window_start
from gateway.store import Store
from tests.pg_server import PASSWORD

from .gateway_harness import DefaultProposer, mail, make_settings, send

pytestmark = pytest.mark.asyncio

LIMIT = 5


def _reply_text(reply: str) -> str:
    """What aiosmtplib reports as the message of an SMTP reply (without the code)."""
    return reply.split(" ", 1)[1]


@asynccontextmanager
async def _node(path: Path, url: str | None, clock: ManualClock) -> AsyncIterator[Gateway]:
    settings = make_settings(path, store__url=url, smtp__max_messages_per_client_per_minute=LIMIT)
    gw = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()


async def _counted(gw: Gateway) -> int:
    rows = await gw.store.read(
        lambda db: db.execute_fetchall("SELECT COALESCE(SUM(count), 0) AS n FROM rate_counters")
    )
    return int(next(iter(rows))[0])


async def test_a_client_over_its_rate_on_one_node_is_refused_on_the_other(
    tmp_path: Path, pg_url: str, clock: ManualClock
) -> None:
    async with (
        _node(tmp_path / "a", pg_url, clock) as node_a,
        _node(tmp_path / "b", pg_url, clock) as node_b,
    ):
        for _ in range(LIMIT):
            await send(node_a, mail())
        with pytest.raises(aiosmtplib.SMTPSenderRefused) as on_a:
            await send(node_a, mail())
        assert on_a.value.code == 451 and on_a.value.message.startswith("4.7.1")

        # Node a hands its count to the database within a sync interval, unprompted.
        counted: list[int] = []

        async def poll() -> None:
            while not counted or counted[-1] < LIMIT:
                counted.append(await _counted(node_a))
                await asyncio.sleep(0.05)

        await asyncio.wait_for(poll(), timeout=SYNC_INTERVAL + 5)

        with pytest.raises(aiosmtplib.SMTPSenderRefused) as on_b:
            await send(node_b, mail())
        assert on_b.value.code == 451
        assert on_b.value.message == _reply_text(replies.RATE_LIMITED_DESK)
        inbox = await node_b.store.read(
            lambda db: db.execute_fetchall("SELECT COUNT(*) AS n FROM inbox")
        )
        assert next(iter(inbox))[0] == LIMIT, "only what got 250 was stored"

        # Two minutes later the client's sliding minute is empty again, on both nodes.
        clock.advance(timedelta(minutes=2))
        await send(node_b, mail())


async def test_a_client_splitting_its_mail_between_nodes_gets_one_allowance(
    tmp_path: Path, pg_url: str, clock: ManualClock
) -> None:
    async with (
        _node(tmp_path / "a", pg_url, clock) as node_a,
        _node(tmp_path / "b", pg_url, clock) as node_b,
    ):
        accepted = 0
        refused: list[str] = []
        for n in range(LIMIT + 3):
            node = (node_a, node_b)[n % 2]
            try:
                await send(node, mail(subject=f"report {n}"))
                accepted += 1
            except aiosmtplib.SMTPSenderRefused as exc:
                refused.append(exc.message)
            # The other node learns of it within a sync interval; one node alone would
            # never have refused anything (each sees at most half the client's mail).
            await asyncio.sleep(SYNC_INTERVAL + 0.15)
        assert accepted <= LIMIT + 1, "each node gave the client its own allowance"
        assert accepted >= LIMIT
        assert _reply_text(replies.RATE_LIMITED_DESK) in refused


async def test_shared_rate_counts_across_instances_and_slides(
    tmp_path: Path, store_url: str | None, clock: ManualClock
) -> None:
    """Two rates on one database (two nodes) keep one sliding minute, on either backend."""
    password = PASSWORD if store_url else None
    store = await Store.connect(store_url, default_path=tmp_path / "intake.db", password=password)
    try:
        node_a = SharedMessageRate(store, clock, 10, sync_interval=60)
        node_b = SharedMessageRate(store, clock, 10, sync_interval=60)
        clock.set(window_start(clock.now()) + timedelta(seconds=30))
        assert all([await node_a.allow("192.0.2.7") for _ in range(6)])
        await node_a.flush()
        await node_b.sync(["192.0.2.7"])
        assert [await node_b.allow("192.0.2.7") for _ in range(5)] == [True] * 4 + [False]
        assert await node_b.allow("192.0.2.8"), "another client has its own allowance"
        await node_b.flush()
        await node_a.sync(["192.0.2.7"])
        assert not await node_a.allow("192.0.2.7")
        # 45 s into the next window, a quarter of the previous one's 10 still counts: 2.5,
        # room for 7 more.
        clock.advance(timedelta(seconds=75))
        await node_a.sync(["192.0.2.7"])
        assert [await node_a.allow("192.0.2.7") for _ in range(8)] == [True] * 7 + [False]
        await node_a.close()
        await node_b.close()
        # Windows nobody can weigh any more are deleted by the next sweep.
        clock.advance(timedelta(minutes=5))
        await node_a.sync(["192.0.2.7"])
        rows = await store.read(lambda db: db.execute_fetchall("SELECT * FROM rate_counters"))
        assert list(rows) == []
    finally:
        await store.close()
