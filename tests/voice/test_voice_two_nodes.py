"""Two nodes of one phone desk on one PostgreSQL: an escalation step is taken once however
many nodes find it due, and it goes on on the node that survives."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.clock import ManualClock

from .fake_twilio import FakeTwilio
from .phone_harness import ALICE, BOB, CUSTOMER, NIGHT, OUTAGE, running_desk, sids

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:twilio")


async def test_escalation_is_taken_once_and_continues_on_the_survivor(
    tmp_path: Path,
    pg_url: str,
    oncall_table: dict[str, Any],
    fake_twilio: FakeTwilio,
    twilio_env: None,
) -> None:
    clock = ManualClock(NIGHT)
    async with running_desk(
        tmp_path / "b", oncall_table, fake_twilio, clock=clock, store__url=pg_url
    ) as node_b:
        async with running_desk(
            tmp_path / "a", oncall_table, fake_twilio, clock=clock, store__url=pg_url
        ) as node_a:
            number = await node_a.voicemail(1)
            assert len(node_a.sent_to(ALICE)) == 1

            # Alice does not answer: both nodes find step 2 due at the same moment.
            clock.advance(timedelta(minutes=10, seconds=1))
            taken = await asyncio.gather(
                node_a.gw.voice.escalation.run_once(), node_b.gw.voice.escalation.run_once()
            )
            assert sorted(taken) == [0, 1]
            await asyncio.gather(node_a.settle(), node_b.settle())
            assert len(node_a.sent_to(BOB)) == 1
        # Node a is gone; bob does not answer either: node b takes the next step alone.
        clock.advance(timedelta(minutes=5, seconds=1))
        await node_b.settle()
        steps = node_b.query(
            "SELECT p.step, p.phone FROM pages p JOIN page_chains c ON c.id = p.chain_id"
            " JOIN tickets t ON t.id = c.ticket_id WHERE t.number = ? ORDER BY p.step",
            number,
        )
        assert [row["step"] for row in steps] == [1, 2, 3]
        assert [row["phone"] for row in steps][:2] == [ALICE, BOB]
        sent = [(m["to"], m["body"]) for m in fake_twilio.messages]
        assert len(sent) == len(set(sent)), "an SMS was sent twice"


async def test_a_text_delivered_to_both_nodes_is_one_ticket_and_one_reply(
    tmp_path: Path,
    pg_url: str,
    oncall_table: dict[str, Any],
    fake_twilio: FakeTwilio,
    twilio_env: None,
) -> None:
    # Twilio retries a webhook it got no answer for, to the fallback URL: the other node.
    clock = ManualClock(NIGHT)
    async with (
        running_desk(
            tmp_path / "a", oncall_table, fake_twilio, clock=clock, store__url=pg_url
        ) as node_a,
        running_desk(
            tmp_path / "b", oncall_table, fake_twilio, clock=clock, store__url=pg_url
        ) as node_b,
    ):
        texts = [
            node.phone.text(CUSTOMER, f"{OUTAGE} ({n})", sids("SM", n))
            for n in range(20)
            for node in (node_a, node_b)
        ]
        answers = await asyncio.gather(*texts)
        assert {status for status, _ in answers} == {200}
        await asyncio.gather(node_a.settle(), node_b.settle())
        await asyncio.gather(node_a.settle(), node_b.settle())
        inbox = node_a.query("SELECT source_key FROM inbox WHERE channel = 'sms'")
        assert len(inbox) == 20
        tickets = node_a.query("SELECT number FROM tickets")
        messages = node_a.query("SELECT COUNT(*) AS n FROM messages WHERE direction = 'in'")
        assert len(tickets) == 1 and messages[0]["n"] == 20  # one customer, one thread
        sent = [(m["to"], m["body"]) for m in fake_twilio.messages]
        assert len(sent) == len(set(sent)), "an SMS was sent twice"
        assert len(node_a.sent_to(CUSTOMER)) == 1  # one acknowledgement for the ticket
