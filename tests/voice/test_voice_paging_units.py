"""Direct tests: page rate limits, staff commands, batched webhook records."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from gateway.store import Store
from gateway.store.voice import HandledWebhook
from voice.batch import WebhookLog
from voice.commands import Acknowledge, parse_staff_text
from voice.ratelimit import earliest_send
from voice.settings import GOALERT_SMS_LIMITS, RateLimit

T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_a_first_page_goes_at_once() -> None:
    assert earliest_send([], GOALERT_SMS_LIMITS, T0) == T0


def test_one_page_a_minute_per_number() -> None:
    assert earliest_send([T0 - 30 * timedelta(seconds=1)], GOALERT_SMS_LIMITS, T0) == T0 + 30 * (
        MINUTE / 60
    )
    assert earliest_send([T0 - MINUTE], GOALERT_SMS_LIMITS, T0) == T0


def test_five_per_fifteen_minutes() -> None:
    earlier = [T0 - timedelta(minutes=m) for m in (2, 4, 6, 8, 10)]
    assert earliest_send(earlier, GOALERT_SMS_LIMITS, T0) == T0 + timedelta(minutes=5)


def test_held_pages_keep_their_order() -> None:
    limits = (RateLimit(count=1, per=MINUTE),)
    later = earliest_send([T0, T0 + MINUTE], limits, T0)
    assert later == T0 + 2 * MINUTE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4821 A", Acknowledge(4821)),
        ("4821a", Acknowledge(4821)),
        ("  a ", Acknowledge(None)),
        ("ACK", Acknowledge(None)),
        ("A 4821", Acknowledge(4821)),
        ("#4821 ack.", Acknowledge(4821)),
        ("4821", None),
        ("call me", None),
        ("48 21 A", None),
    ],
)
def test_staff_commands(text: str, expected: Acknowledge | None) -> None:
    assert parse_staff_text(text) == expected


def record(key: str) -> HandledWebhook:
    return HandledWebhook("sms", "status", T0, {"k": key}, key)


async def test_concurrent_records_share_a_commit_and_repeats_are_noticed(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "intake.db")
    log = WebhookLog(store)
    seen: list[tuple[str, bool]] = []

    def follow(key: str):  # type: ignore[no-untyped-def]
        async def then(db: aiosqlite.Connection, new: bool) -> None:
            seen.append((key, new))

        return then

    try:
        before = store.commits
        results = await asyncio.gather(
            *(log.record(record(f"k{n % 40}"), follow(f"k{n % 40}")) for n in range(50))
        )
        assert results.count(True) == 40 and results.count(False) == 10
        assert store.commits - before <= 2  # the first alone, the rest together
        assert sorted(k for k, new in seen if new) == sorted(f"k{n}" for n in range(40))
        assert await log.record(record("k1")) is False
    finally:
        await store.close()


async def test_a_failing_follow_up_fails_alone(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "intake.db")
    log = WebhookLog(store)

    async def broken(db: aiosqlite.Connection, new: bool) -> None:
        raise RuntimeError("boom")

    try:
        good = [log.record(record(f"ok{n}")) for n in range(5)]
        bad = log.record(record("bad"), broken)
        *results, failure = await asyncio.gather(*good, bad, return_exceptions=True)
        assert results == [True] * 5
        assert isinstance(failure, RuntimeError)
        rows = await store.read(lambda db: db.execute_fetchall("SELECT source_key FROM inbox"))
        assert sorted(r["source_key"] for r in rows) == sorted(f"ok{n}" for n in range(5))
    finally:
        await store.close()
