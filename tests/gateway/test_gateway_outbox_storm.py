"""The outbox in a storm: pages before acknowledgements, acknowledgements after the inbox.

Runs on SQLite and PostgreSQL: the claim's lanes are written per dialect.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.config.settings import ConfigError
from gateway.store import inbox as inbox_sql
from gateway.store import outbox as outbox_sql
from gateway.store.connection import Connection

from .gateway_harness import DefaultProposer, make_settings, query

pytestmark = pytest.mark.asyncio


async def _gateway(
    tmp_path: Path, store_url: str | None, clock: ManualClock, **kw: object
) -> Gateway:
    settings = make_settings(tmp_path, store__url=store_url, **kw)
    gw = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gw.start()
    return gw


async def _enqueue(gw: Gateway, clock: ManualClock, acks: int, *, page: bool = True) -> None:
    """`acks` acknowledgements due a minute ago, then a page due now."""
    now = clock.now()

    async def op(db: Connection) -> None:
        for n in range(acks):
            await outbox_sql.enqueue(
                db,
                ticket_id=None,
                kind="sms",
                purpose="ack",
                key=f"ack-{n}",
                recipient=f"+1202555{n:04d}",
                payload={"to": f"+1202555{n:04d}", "body": f"ack {n}"},
                now=now - timedelta(minutes=1),
            )
        if page:
            await outbox_sql.enqueue(
                db,
                ticket_id=None,
                kind="sms",
                purpose="page",
                key="page-1",
                recipient="+12025550999",
                payload={"to": "+12025550999", "body": "P1 ticket"},
                now=now,
            )

    await gw.store.write(op)


async def _backlog(gw: Gateway, clock: ManualClock, messages: int) -> None:
    async def op(db: Connection) -> None:
        for n in range(messages):
            await inbox_sql.insert_inbox(
                db, channel="email", kind="smtp", received_at=clock.now(), meta={"n": n}, raw=b"x"
            )

    await gw.store.write(op)


def _states(gw: Gateway) -> dict[str, str]:
    rows = query(gw, "SELECT idempotency_key, state FROM outbox ORDER BY id")
    return {row["idempotency_key"]: row["state"] for row in rows}


async def test_a_page_behind_thousands_of_acknowledgements_is_claimed_first(
    tmp_path: Path, store_url: str | None, clock: ManualClock
) -> None:
    gw = await _gateway(tmp_path, store_url, clock)
    try:
        await _enqueue(gw, clock, 300)
        now = clock.now()
        claimed = await gw.store.write(
            lambda db: outbox_sql.claim_due(db, now, now + timedelta(minutes=5), limit=8)
        )
        # Due last, claimed first; the rest of the round is acknowledgements, oldest first.
        assert [item.idempotency_key for item in claimed] == ["page-1"] + [
            f"ack-{n}" for n in range(7)
        ]
    finally:
        await gw.stop()


async def test_in_a_storm_acknowledgements_wait_for_the_inbox_and_pages_do_not(
    tmp_path: Path, store_url: str | None, clock: ManualClock
) -> None:
    gw = await _gateway(
        tmp_path,
        store_url,
        clock,
        outbox__defer_backlog=5,
        outbox__defer_max="2m",
        outbox__defer_slice=2,
    )
    try:
        await _backlog(gw, clock, 5)
        await _enqueue(gw, clock, 5)
        assert await gw.outbox.run_once() == 1  # the page alone
        states = _states(gw)
        assert states.pop("page-1") == "sent"
        assert set(states.values()) == {"pending"}
        assert await gw.outbox.run_once() == 0  # nothing claimed: no commit, no busy loop
        (row,) = query(gw, "SELECT MAX(attempts) AS n FROM outbox WHERE purpose = 'ack'")
        assert row["n"] == 0

        # Due for `defer_max` (the first was due a minute before the page): a slice per round.
        clock.advance(timedelta(minutes=1))
        assert await gw.outbox.run_once() == 2
        assert list(_states(gw).values()).count("sent") == 3

        # The storm is over (the inbox drained): the rest go at once.
        async def drain(db: Connection) -> None:
            await db.execute("UPDATE inbox SET state = 'done'")

        await gw.store.write(drain)
        assert await gw.outbox.run_once() == 3
        assert set(_states(gw).values()) == {"sent"}
        sent = (gw.settings.data_dir / "sms-out.jsonl").read_text().splitlines()
        assert len(sent) == 6  # each key once
    finally:
        await gw.stop()


async def test_below_the_backlog_acknowledgements_are_not_deferred(
    tmp_path: Path, store_url: str | None, clock: ManualClock
) -> None:
    gw = await _gateway(tmp_path, store_url, clock, outbox__defer_backlog=5)
    try:
        await _backlog(gw, clock, 4)
        await _enqueue(gw, clock, 3, page=False)
        assert await gw.outbox.run_once() == 3
        assert set(_states(gw).values()) == {"sent"}
    finally:
        await gw.stop()


async def test_a_storm_slice_of_nothing_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"outbox\.defer_slice: Input should be greater than 0"):
        make_settings(tmp_path, outbox__defer_slice=0)


async def test_an_acknowledgement_whose_answer_was_lost_is_not_deferred(
    tmp_path: Path, store_url: str | None, clock: ManualClock
) -> None:
    """'Sent but answer unknown' keeps its own state and is worked on in a storm: it is
    neither failed nor held back with the acknowledgements never sent."""
    gw = await _gateway(tmp_path, store_url, clock, outbox__defer_backlog=5)
    try:
        await _backlog(gw, clock, 5)
        await _enqueue(gw, clock, 3, page=False)

        async def lose(db: Connection) -> None:
            await db.execute(
                "UPDATE outbox SET state = 'unconfirmed', unconfirmed = 1, attempts = 1"
                " WHERE idempotency_key = 'ack-1'"
            )

        await gw.store.write(lose)
        assert await gw.outbox.run_once() == 1
        assert _states(gw) == {"ack-0": "pending", "ack-1": "sent", "ack-2": "pending"}
        (row,) = query(
            gw, "SELECT unconfirmed, attempts FROM outbox WHERE idempotency_key = 'ack-1'"
        )
        assert (row["unconfirmed"], row["attempts"]) == (1, 2)
    finally:
        await gw.stop()
