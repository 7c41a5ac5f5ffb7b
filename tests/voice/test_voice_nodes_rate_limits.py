"""Per-recipient SMS limits on two nodes of one desk: the limit holds in total, not per node.

The limits are counted from the `pages` table, so they are the database's; this shows that
two nodes paging the same engineer at the same moment (each in its own transaction) still
send no more SMS in any window than one node would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.clock import ManualClock
from gateway.config.paging import GOALERT_SMS_LIMITS, RateLimit

from .fake_twilio import FakeTwilio
from .phone_harness import ALICE, NIGHT, OUTAGE, Desk, running_desk, sids

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:twilio")

CUSTOMERS = 12  # per node and per round
ROUNDS = 8


def customer(node: int, n: int) -> str:
    return f"+1202555{node}{n:03d}"


async def work_one(node: Desk) -> int:
    return await node.gw.voice.worker.run_once(limit=1)


def over_limit(times: Sequence[datetime], limits: Sequence[RateLimit]) -> list[str]:
    """Every window of every limit that holds more SMS than the limit allows."""
    found = []
    for limit in limits:
        for end in times:
            inside = [t for t in times if end - limit.per < t <= end]
            if len(inside) > limit.count:
                found.append(f"{len(inside)} SMS within {limit.per} up to {end.isoformat()}")
    return found


async def test_pages_flooding_through_two_nodes_keep_the_per_recipient_limits(
    tmp_path: Path,
    pg_url: str,
    oncall_table: dict[str, Any],
    fake_twilio: FakeTwilio,
    twilio_env: None,
) -> None:
    clock = ManualClock(NIGHT)
    fake_twilio.now = clock.now
    async with (
        running_desk(
            tmp_path / "a",
            oncall_table,
            fake_twilio,
            clock=clock,
            store__url=pg_url,
            ack__enabled=False,
        ) as node_a,
        running_desk(
            tmp_path / "b",
            oncall_table,
            fake_twilio,
            clock=clock,
            store__url=pg_url,
            ack__enabled=False,
        ) as node_b,
    ):
        nodes: tuple[Desk, Desk] = (node_a, node_b)
        sid = 0
        for round_ in range(ROUNDS):
            # Every customer texts an outage to one node or the other, all at once; each
            # ticket pages alice, and both nodes dispatch to her concurrently.
            texts = []
            for index, node in enumerate(nodes):
                for n in range(CUSTOMERS):
                    sid += 1
                    sender = customer(index, round_ * CUSTOMERS + n)
                    texts.append(node.phone.text(sender, f"{OUTAGE} #{sid}", sids("SM", sid)))
            assert {status for status, _ in await asyncio.gather(*texts)} == {200}
            # Both nodes take one text at a time, so their transactions overlap: each
            # opens a ticket and pages alice in its own, not knowing of the other's.
            while sum(await asyncio.gather(*(work_one(node) for node in nodes))):
                pass
            await asyncio.gather(*(node.settle() for node in nodes))
            clock.advance(timedelta(seconds=50))
        # Let every held page go out, on whichever node finds it due first.
        for _ in range(6 * 60):
            clock.advance(timedelta(seconds=30))
            await asyncio.gather(*(node.settle() for node in nodes))
            if not node_a.query("SELECT 1 FROM pages WHERE state = 'queued'"):
                break

        tickets = node_a.query("SELECT COUNT(*) AS n FROM tickets")
        assert tickets[0]["n"] == 2 * CUSTOMERS * ROUNDS
        first_pages = node_a.query(
            "SELECT COUNT(*) AS n FROM pages WHERE phone = ? AND step = 1", ALICE
        )
        assert first_pages[0]["n"] == tickets[0]["n"], "every ticket paged alice"
        phones = {row["phone"] for row in node_a.query("SELECT DISTINCT phone FROM pages")}
        assert ALICE in phones
        for phone in phones:
            sms = node_a.query(
                "SELECT MIN(send_at) AS at FROM pages WHERE phone = ? AND state = 'sent'"
                " GROUP BY sms_key ORDER BY at",
                phone,
            )
            times = [datetime.fromisoformat(row["at"]) for row in sms]
            assert len([m for m in fake_twilio.messages if m["to"] == phone]) == len(times)
            assert over_limit(times, GOALERT_SMS_LIMITS) == [], phone
