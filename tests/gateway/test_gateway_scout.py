"""The urgent lane: during a backlog the scout's reading puts the most urgent mail first in the
claim, without ever letting a reply or a sender's later mail in a thread overtake what it
follows; below the threshold nothing changes; two PostgreSQL nodes still never share a row."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.config import Settings
from gateway.scout import HEAD_BYTES, LANE_TOP, SLICE, glance
from gateway.store import Store
from gateway.store import inbox as inbox_sql
from gateway.store.inbox import Urgency
from gateway.triage import Decision
from policies import Policy
from tests.pg_server import open_test_store

from .gateway_harness import (
    DESK,
    SATURDAY_MORNING,
    DefaultProposer,
    mail,
    make_settings,
    query,
    send,
)

pytestmark = pytest.mark.asyncio

BACKLOG = 4  # worker.scout_backlog in these tests
LANE = (
    "SELECT l.urgency, l.thread_key FROM inbox i LEFT JOIN inbox_lane l ON l.inbox_id = i.id"
    " ORDER BY i.id"
)


class WordProposer(DefaultProposer):
    """The first level named in the subject, else in the text ("P1 ..."); else the default.
    Counts what it was asked, to show the scout asks it."""

    def __init__(self) -> None:
        self.asked = 0

    def decide(
        self, policy: Policy, subject: str, body: str, declared_hints: Sequence[str]
    ) -> Decision:
        self.asked += 1
        words = f"{subject} {body}".split()
        level = next((w for w in words if w in {"P1", "P2", "P3", "P4"}), None)
        if level is None:
            return super().decide(policy, subject, body, declared_hints)
        return Decision(None, level, level, 0.9, ("named in the mail",), None)


@pytest.fixture
def proposer() -> WordProposer:
    return WordProposer()


@pytest.fixture
def settings(tmp_path: Path, store_url: str | None) -> Settings:
    return make_settings(tmp_path, store__url=store_url, worker__scout_backlog=BACKLOG)


@pytest.fixture
async def gateway(
    settings: Settings, clock: ManualClock, proposer: WordProposer
) -> AsyncIterator[Gateway]:
    gw = Gateway(settings, clock=clock, proposer=proposer, workers=False)
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()


async def _process_one_at_a_time(gw: Gateway) -> list[str]:
    """Subjects in the order the worker took them, one claim of one message at a time (each
    stores its message, so message ids are that order)."""
    while await gw.intake.run_once(limit=1):
        pass
    rows = query(gw, "SELECT subject FROM messages WHERE direction = 'in' ORDER BY id")
    return [row["subject"] for row in rows]


async def _scout_all(gw: Gateway) -> int:
    scouted = 0
    while done := await gw.scout.run_once():
        scouted += done
    return scouted


async def test_a_backlog_with_a_p1_at_the_end_is_processed_p1_first(
    gateway: Gateway, proposer: WordProposer
) -> None:
    for n in range(6):
        await send(gateway, mail(subject=f"P4 question {n}", sender=f"c{n}@example.com"))
    await send(gateway, mail(subject="Everything is down", body="P1 no dial tone anywhere"))
    assert await _scout_all(gateway) == 7
    assert proposer.asked == 7
    rows = query(gateway, LANE)
    assert [r["urgency"] for r in rows] == [0] * 6 + [LANE_TOP]  # P4 is the default: 0
    order = await _process_one_at_a_time(gateway)
    assert order == ["Everything is down"] + [f"P4 question {n}" for n in range(6)]
    # Only the order: the pipeline decided the level.
    tickets = query(gateway, "SELECT effective_priority FROM tickets ORDER BY number")
    assert [t["effective_priority"] for t in tickets] == ["P1"] + ["P4"] * 6
    assert query(gateway, "SELECT COUNT(*) AS n FROM inbox_lane")[0]["n"] == 0  # only waiting


async def test_a_reply_to_a_pending_mail_is_not_processed_before_it(gateway: Gateway) -> None:
    await send(gateway, mail(subject="Phones slow", body="P4 a bit slow", Message_ID="<o@x.org>"))
    await send(gateway, mail(subject="Billing", sender="b@example.com"))
    reply = mail(subject="Re: Phones slow", body="P1 now all of them are down")
    reply["In-Reply-To"] = "<o@x.org>"
    await send(gateway, reply)
    # The same sender again on the same subject, now urgent: it follows the first.
    await send(gateway, mail(subject="Phones slow", body="P1 worse: no calls at all"))
    await send(gateway, mail(subject="Site down", body="P1 outage", sender="z@example.com"))
    assert await _scout_all(gateway) == 5
    rows = query(gateway, LANE)
    assert [r["urgency"] for r in rows] == [0, 0, 0, 0, LANE_TOP]
    assert rows[0]["thread_key"] == rows[3]["thread_key"] != rows[1]["thread_key"]
    order = await _process_one_at_a_time(gateway)
    assert order == ["Site down", "Phones slow", "Billing", "Re: Phones slow", "Phones slow"]
    messages = query(
        gateway, "SELECT ticket_id FROM messages WHERE direction = 'in' ORDER BY inbox_id"
    )
    assert messages[2]["ticket_id"] == messages[0]["ticket_id"]  # the reply joined its original


async def test_a_later_mail_in_a_thread_may_share_its_lane_but_never_pass_it(
    gateway: Gateway,
) -> None:
    await send(gateway, mail(subject="Trunk lost", body="P2 half the trunks are gone"))
    await send(gateway, mail(subject="Other", sender="o@example.com"))
    await send(gateway, mail(subject="Trunk lost", body="P1 now all of them"))
    await send(gateway, mail(subject="Another", sender="a@example.com"))
    await _scout_all(gateway)
    rows = query(gateway, LANE)
    assert [r["urgency"] for r in rows] == [LANE_TOP - 1, 0, LANE_TOP - 1, 0]
    order = await _process_one_at_a_time(gateway)
    assert order == ["Trunk lost", "Trunk lost", "Other", "Another"]


async def test_below_the_threshold_the_order_is_unchanged(
    gateway: Gateway, proposer: WordProposer
) -> None:
    for n in range(BACKLOG - 2):
        await send(gateway, mail(subject=f"P4 question {n}", sender=f"c{n}@example.com"))
    await send(gateway, mail(subject="Everything is down", body="P1 no dial tone anywhere"))
    assert await gateway.scout.run_once() == 0
    assert proposer.asked == 0
    order = await _process_one_at_a_time(gateway)
    assert order == ["P4 question 0", "P4 question 1", "Everything is down"]


async def test_the_scout_reads_only_the_head_and_knows_a_threaded_mail() -> None:
    big = mail(subject="[#1234] Still broken", body="first line\n" + "x" * 100_000)
    seen = glance(big.as_bytes()[:HEAD_BYTES])
    assert seen.threaded and seen.subject == "[#1234] Still broken"
    assert seen.text.startswith("first line")
    reply = mail(subject="=?utf-8?q?R=C3=BCckfrage?=", References="<a@b> <c@d>")
    assert glance(reply.as_bytes()).threaded
    plain = glance(mail(subject="Priority 1: down", sender="Pat <PAT@Example.com>").as_bytes())
    assert (plain.threaded, plain.sender) == (False, "pat@example.com")
    assert not glance(b"\xff\x00 not a mail at all").subject  # never raises


async def test_the_scout_decodes_the_text_as_the_intake_does() -> None:
    # Charsets missing or labelled as mailers label them: the words the classifier is asked
    # about are the words the worker will read (before, undeclared UTF-8 came out as U+FFFD
    # and an alias like "cp-1252" as UTF-8 replacement characters).
    undeclared = (
        b"From: a@example.com\r\nSubject: down\r\nContent-Type: text/plain\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\nSt\xc3\xb6rung: kein Freizeichen\r\n"
    )
    assert glance(undeclared).text.startswith("St\u00f6rung: kein Freizeichen")
    aliased = (
        b"From: a@example.com\r\nSubject: down\r\n"
        b"Content-Type: text/plain; charset=cp-1252\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\nSt\xf6rung \x96 kein Freizeichen\r\n"
    )
    assert glance(aliased).text.startswith("St\u00f6rung \u2013 kein Freizeichen")


async def _urgent_backlog(store: Store, count: int) -> None:
    for n in range(count):
        await store.write(
            lambda db, n=n: inbox_sql.insert_inbox(
                db,
                channel="email",
                kind="message",
                received_at=SATURDAY_MORNING,
                meta={"n": n},
                raw=b"x",
            )
        )
    # Every tenth row urgent, as the scout would mark it.
    marks = [
        Urgency(n, LANE_TOP if n % 10 == 0 else 0, f"t{n}", False) for n in range(1, count + 1)
    ]
    await store.write(lambda db: inbox_sql.mark_urgency(db, marks))


async def test_two_postgresql_nodes_claim_the_urgent_lane_first_and_never_the_same_row(
    pg_url: str, tmp_path: Path
) -> None:
    first, second = await asyncio.gather(
        open_test_store(pg_url, tmp_path), open_test_store(pg_url, tmp_path)
    )
    lease = SATURDAY_MORNING + timedelta(seconds=30)
    try:
        await _urgent_backlog(first, 200)

        async def claim_all(store: Store) -> list[int]:
            taken: list[int] = []
            while batch := await store.write(
                lambda db: inbox_sql.claim_pending(db, "email", SATURDAY_MORNING, lease, limit=3)
            ):
                taken += [item.id for item in batch]
            return taken

        a, b = await asyncio.gather(claim_all(first), claim_all(second))
        assert not set(a) & set(b)
        assert sorted(a + b) == list(range(1, 201))
        assert a and b  # both did some of the work
        urgent = {n for n in range(1, 201) if n % 10 == 0}
        for taken in (a, b):  # each node took its urgent rows before any other
            mine = [n in urgent for n in taken]
            assert mine == sorted(mine, reverse=True)
    finally:
        await asyncio.gather(first.close(), second.close())


async def test_the_claim_takes_the_lane_then_arrival_order(
    store_url: str | None, tmp_path: Path
) -> None:
    store = await open_test_store(store_url, tmp_path)
    lease = SATURDAY_MORNING + timedelta(seconds=30)
    try:
        await _urgent_backlog(store, 25)
        items = await store.write(
            lambda db: inbox_sql.claim_pending(db, "email", SATURDAY_MORNING, lease, limit=5)
        )
        assert [item.id for item in items] == [10, 20, 1, 2, 3]
    finally:
        await store.close()


async def test_the_scout_reads_in_slices_and_rests_while_the_listener_is_busy(
    gateway: Gateway,
) -> None:
    raw = mail(subject="P2 question").as_bytes()
    for n in range(SLICE + 1):
        await gateway.store.write(
            lambda db, n=n: inbox_sql.insert_inbox(
                db,
                channel="email",
                kind="message",
                received_at=SATURDAY_MORNING,
                meta={"mail_from": f"c{n}@example.com", "rcpt_tos": [DESK]},
                raw=raw,
            )
        )
    gateway.activity.quiet_after = 3600.0  # busy for this test, however slow the machine
    gateway.activity.accepted()  # a mail was just accepted: the listener is busy
    assert await gateway.scout.run_once() == SLICE
    assert await gateway.scout.hold_back() > 0  # twice the slice's CPU
    assert await gateway.scout.hold_back() == 0  # once per slice
    gateway.activity.quiet_after = 0.0  # the listener is quiet
    assert await gateway.scout.run_once() == 1
    # Caught up: it waits for mail to gather into a slice, busy listener or not.
    assert await gateway.scout.hold_back() == gateway.scout.poll_interval
    assert await gateway.scout.run_once() == 0
    assert await gateway.scout.hold_back() == 0
