"""Two `intake serve` nodes on one PostgreSQL, as two MX hosts of one desk: one is SIGKILLed
mid-burst and restarted; nothing that got `250` is lost, nothing is stored or sent twice."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.pg_server import query_sync

from .test_gateway_serve import _blast, _wait, intake_serve

pytestmark = pytest.mark.asyncio


def _config(path: Path, url: str) -> Path:
    # Short leases and retries, so that the dead node's claims pass to the other within the
    # test (an outbox row in flight when its node died is due again a minute after its send
    # timeout, and then follows the unconfirmed-send rules: resent under the same key).
    path.write_text(
        f'[store]\nurl = "{url}"\n\n[worker]\nclaim_lease = "3s"\n\n'
        '[outbox]\nsend_timeout = "2s"\nbackoff_initial = "1s"\n'
    )
    return path


def _count(url: str, sql: str) -> int:
    return int(query_sync(url, sql)[0][0])


async def test_two_nodes_one_killed_mid_burst_lose_nothing_and_send_once(
    pg_url: str, tmp_path: Path
) -> None:
    # Both nodes share the directory their file transports write to: it stands in for the
    # relay, and like the relay it is idempotent on the outbox key (a row a node sent just
    # before it was killed is sent again by the other, under the same key).
    config = _config(tmp_path / "intake.toml", pg_url)
    accepted_a: list[str] = []
    accepted_b: list[str] = []
    with intake_serve(tmp_path, "--config", str(config)) as node_b:
        with intake_serve(tmp_path, "--config", str(config)) as node_a:
            load_a = asyncio.create_task(_blast(node_a, 200, accepted_a, prefix="a"))
            load_b = asyncio.create_task(_blast(node_b, 200, accepted_b, prefix="b"))
            await _wait(lambda: len(accepted_a) >= 60)
            node_a.process.send_signal(signal.SIGKILL)
            node_a.process.wait(timeout=10)
            await load_a
        assert len(accepted_a) < 200, "the kill should interrupt the load on node a"
        with intake_serve(tmp_path, "--config", str(config)) as node_a:
            await load_b
            more: list[str] = []
            await _blast(node_a, 30, more, prefix="c")
            assert len(more) == 30

            def drained() -> bool:
                new = _count(pg_url, "SELECT COUNT(*) FROM inbox WHERE state = 'new'")
                pending = _count(
                    pg_url,
                    "SELECT COUNT(*) FROM outbox WHERE state = 'pending'"
                    " OR (state = 'unconfirmed' AND sent_at IS NULL)",
                )
                return new == 0 and pending == 0

            await _wait(drained, timeout=180)
            accepted = accepted_a + accepted_b + more
            node_a.process.send_signal(signal.SIGTERM)
            node_a.process.wait(timeout=30)
        node_b.process.send_signal(signal.SIGTERM)
        node_b.process.wait(timeout=30)

    stored = [
        row["message_id"]
        for row in query_sync(
            pg_url,
            "SELECT message_id FROM messages WHERE direction = 'in' AND message_id LIKE 'load-%'",
        )
    ]
    assert len(stored) == len(set(stored)), "a message was stored twice"
    assert set(accepted) <= set(stored), "a message that got 250 was lost"
    assert _count(pg_url, "SELECT COUNT(*) FROM tickets") == len(stored)
    numbers = [row[0] for row in query_sync(pg_url, "SELECT number FROM tickets")]
    assert len(numbers) == len(set(numbers))
    acks = query_sync(pg_url, "SELECT idempotency_key, state FROM outbox WHERE purpose = 'ack'")
    assert {a["state"] for a in acks} == {"sent"}
    assert len(acks) == len(stored), "one acknowledgement per ticket"
    files = sorted(p.stem for p in (tmp_path / "mail-out").glob("*.eml"))
    assert files == sorted(a["idempotency_key"] for a in acks), "acknowledgements not once each"
