"""Raw hints of a customer-declared priority."""

from __future__ import annotations

import pytest

from gateway.parsing import declared_hints, parse_message

from .parsing_mail import mail


def hints(subject: str = "", body: str = "", **headers: str) -> tuple[str, ...]:
    return declared_hints(subject, body, {k.replace("_", "-"): v for k, v in headers.items()})


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("[P1] Site down", ("P1",)),
        ("Re: [Sev 2] slow queries", ("Sev 2", "2")),
        ("[L1] question", ("L1",)),
        ("[ P2 ] spaced", ("P2",)),
        ("[Urgent] help", ("Urgent",)),
        ("[#123] Re: printer", ()),
        ("[EXTERNAL] invoice", ()),
        ("[SUSPECTED SPAM] x", ()),
        ("[Project Phoenix 2024 rollout] status", ()),
        ("Priority: 2 - printer", ("2",)),
        ("Severity: 1 outage", ("1",)),
        ("Sev1 outage", ("1",)),
        ("Level 2 support request", ("2",)),
        ("Priority 1: database", ("1",)),
        ("Priority: high - VPN", ("high",)),
        ("priority=low", ("low",)),
        ("Priority: P1", ("P1",)),
        ("P1: payments failing", ("P1",)),
        ("URGENT: payments failing", ("urgent",)),
        ("Emergency - site down, ASAP please", ("emergency", "asap")),
        ("Critical bug", ("critical",)),
        ("Not urgent: question about invoices", ()),
        ("non-critical warning in logs", ()),
        ("Insurgent? no.", ()),
        ("Printer on level two", ()),
        ("[P1][#12] Re: URGENT", ("P1", "urgent")),
        ("HP1 toner", ()),
    ],
)
def test_subject_hints(subject: str, expected: tuple[str, ...]) -> None:
    assert hints(subject) == expected


def test_body_labels_in_the_first_lines() -> None:
    body = "Hello,\n\nPriority: 1\nSeverity: high\nThe site is down.\n"
    assert hints("Site down", body) == ("1", "high")


def test_body_labels_after_five_lines_are_ignored() -> None:
    body = "one\ntwo\nthree\n\nfour\nfive\nPriority: 1\n"
    assert hints("x", body) == ()


def test_body_words_alone_are_not_hints() -> None:
    assert hints("x", "This is urgent and critical!") == ()


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x_priority": "1 (Highest)"}, ("x-priority:1",)),
        ({"x_priority": "3"}, ("x-priority:3",)),
        ({"x_priority": "high"}, ()),
        ({"importance": "High"}, ("importance:high",)),
        ({"priority": "urgent"}, ("priority:urgent",)),
        ({"x_msmail_priority": "High"}, ("x-msmail-priority:high",)),
    ],
)
def test_header_hints(headers: dict[str, str], expected: tuple[str, ...]) -> None:
    assert hints("x", **headers) == expected


def test_order_subject_tags_then_labels_then_body_then_words_then_headers() -> None:
    assert hints(
        "URGENT [P2] Priority: 3",
        "Severity: 1",
        x_priority="1",
        importance="high",
    ) == ("P2", "3", "1", "urgent", "x-priority:1", "importance:high")


def test_duplicates_are_dropped() -> None:
    assert hints("[Urgent] urgent URGENT") == ("Urgent",)


def test_parse_message_fills_declared_hints_from_the_latest_reply() -> None:
    raw = mail(
        "Priority: 2\n\nThe VPN is down.\n\nOn Mon, 4 Mar 2024, Desk <d@x> wrote:\n> Priority: 4\n",
        subject="[P1] VPN",
        headers=[("X-Priority", "1 (Highest)"), ("Importance", "high")],
    )
    assert parse_message(raw).declared_hints == ("P1", "2", "x-priority:1", "importance:high")
