"""Direct tests: page rate limits, staff commands, and fitting a page into one GSM-7 SMS."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from gateway.config.paging import GOALERT_SMS_LIMITS, RateLimit
from voice.commands import Command, parse_staff_text
from voice.ratelimit import earliest_send
from voice.smstext import SINGLE_SMS, fit, is_gsm7, septets, shorten, to_gsm7

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
        ("4821 A", Command("acknowledge", 4821)),
        ("4821a", Command("acknowledge", 4821)),
        ("  a ", Command("acknowledge")),
        ("ACK", Command("acknowledge")),
        ("A 4821", Command("acknowledge", 4821)),
        ("#4821 ack.", Command("acknowledge", 4821)),
        ("1001 C", Command("close", 1001)),
        ("1001c", Command("close", 1001)),
        ("close 1001", Command("close", 1001)),
        ("c", Command("close")),
        ("AA", Command("acknowledge-all")),
        (" aa! ", Command("acknowledge-all")),
        ("ack all", Command("acknowledge-all")),
        ("4821", None),
        ("call me", None),
        ("48 21 A", None),
        ("A lot of calls failing here too", None),
        ("aaa", None),
    ],
)
def test_staff_commands(text: str, expected: Command | None) -> None:
    assert parse_staff_text(text) == expected


def test_gsm7_keeps_its_own_accents_and_transliterates_the_rest() -> None:
    assert to_gsm7("Café déjà vu: Ça marche, reçu") == "Café déjà vu: Ça marche, recu"
    assert to_gsm7("“Quoted” — it’s down… •") == '"Quoted" - it\'s down... *'
    assert to_gsm7("Łódź 💥 server\tdown\r\nnow") == "Lodz server down now"
    assert to_gsm7("ｆｕｌｌ　ｗｉｄｔｈ™") == "full widthTM"
    assert is_gsm7(to_gsm7("Ærøskøbing ñandú 東京 Привет")) is True


def test_extension_characters_take_two_septets() -> None:
    assert septets("[/var] 95%") == 12
    assert septets("€5") == 3


def test_shorten_cuts_at_a_word_and_says_so() -> None:
    assert shorten("no dial tone on any phone", 100) == "no dial tone on any phone"
    assert shorten("no dial tone on any phone", 16) == "no dial tone..."
    assert septets(shorten("x" * 50, 10)) <= 10
    assert shorten("anything", 3) == ""


def test_fit_shortens_the_first_part_first_and_never_exceeds_160() -> None:
    def render(parts: Sequence[str]) -> str:
        return f"P1 #1001: email from {parts[1]}: {parts[0]} Reply 1001 A to ack."

    summary = "Complete outage “all sites” — " + "nothing works " * 20
    text = fit(render, [summary, "pat@example.com"])
    assert septets(text) <= SINGLE_SMS and is_gsm7(text)
    assert text.startswith('P1 #1001: email from pat@example.com: Complete outage "all sites"')
    assert text.endswith("... Reply 1001 A to ack.")
    long_sender = "a" * 200 + "@example.com"
    text = fit(render, [summary, long_sender])
    assert septets(text) <= SINGLE_SMS and text.endswith("Reply 1001 A to ack.")


def test_a_reserve_keeps_the_last_slot_of_wide_windows() -> None:
    earlier = [T0 - timedelta(minutes=m) for m in (2, 4, 6, 8)]
    assert earliest_send(earlier, GOALERT_SMS_LIMITS, T0) == T0  # the 5th of 15 minutes
    held = earliest_send(earlier, GOALERT_SMS_LIMITS, T0, reserve=1)
    assert held == T0 + timedelta(minutes=7)  # kept for an urgent page: wait for the oldest
    assert earliest_send([T0 - 30 * MINUTE / 60], GOALERT_SMS_LIMITS, T0, reserve=1) == T0 + (
        30 * MINUTE / 60
    )  # one a minute stays one a minute


def test_fit_keeps_a_floor_of_the_first_part_before_cutting_the_next() -> None:
    def render(parts: Sequence[str]) -> str:
        return f"{'x' * 100} {parts[0]} +2 more: {parts[1]}. Reply"

    text = fit(render, ["no dial tone on any phone at any site", "#1002 #1003"], floors=[12])
    assert septets(text) <= SINGLE_SMS
    assert "+2 more: #1002 #1003." in text and " no dial tone on any phone... " in text
    text = fit(render, ["no dial tone on any phone at any site", "#1002 #1003 " * 5], floors=[12])
    assert septets(text) <= SINGLE_SMS and " no dial..." in text and "+2 more: #1002" in text
