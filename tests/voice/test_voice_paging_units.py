"""Direct tests: page rate limits and staff commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.config.paging import GOALERT_SMS_LIMITS, RateLimit
from voice.commands import Acknowledge, parse_staff_text
from voice.ratelimit import earliest_send

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
