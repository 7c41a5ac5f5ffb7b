"""Header values we generate: one line, visible characters, a sane length, usable addresses."""

from __future__ import annotations

import email.policy
from email.message import EmailMessage

import pytest

from gateway.mailheaders import (
    MAX_SUBJECT_CHARS,
    UnusableAddress,
    header_text,
    mail_address,
    new_message_id,
    subject_text,
)

HOSTILE = [
    "line\u2028separator",
    "para\u2029separator",
    "next\x85line",
    "encoded\nline feed",
    "carriage\rreturn",
    "nul\x00byte",
    "bidi \u202eevil\u202c override",
    "zero\u200bwidth",
    "form\x0cfeed",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_text_becomes_one_line_a_mail_header_accepts(value: str) -> None:
    text = header_text(value)
    assert all(ch.isprintable() for ch in text), repr(text)
    message = EmailMessage(policy=email.policy.SMTP)
    message["Subject"] = text  # would raise ValueError with the raw value
    message.set_content("x")
    assert b"\r\n\r\n" in message.as_bytes()


def test_a_huge_subject_is_capped_with_an_ellipsis() -> None:
    text = subject_text("Phones down " * 24_000)  # 288,000 characters
    assert len(text) <= MAX_SUBJECT_CHARS and len(text) > MAX_SUBJECT_CHARS - 10
    assert text.endswith("…")
    assert text.startswith("Phones down Phones down")


def test_short_text_is_kept_with_blanks_collapsed() -> None:
    assert header_text("  Phones   down \t now ") == "Phones down now"
    assert subject_text("Réponse: 電話が使えない") == "Réponse: 電話が使えない"


def test_internationalised_domains_are_idna_encoded() -> None:
    assert mail_address("Pat@Exämple.DE") == "Pat@xn--exmple-cua.de"
    assert mail_address("<pat@example.com>") == "pat@example.com"


@pytest.mark.parametrize(
    "value", ["jörg@example.de", "pat", "a b@example.com", "pat@example.com\nBcc: x@y", "@x.y"]
)
def test_addresses_that_cannot_be_written_are_refused_with_a_reason(value: str) -> None:
    with pytest.raises(UnusableAddress) as caught:
        mail_address(value)
    assert str(caught.value)


def test_our_message_ids_cannot_be_predicted() -> None:
    first = new_message_id("ack", 1002, "desk.example")
    second = new_message_id("ack", 1002, "desk.example")
    assert first != second
    assert first.startswith("intake.ack.1002.") and first.endswith("@desk.example")
    assert len(first.split(".")[3].split("@")[0]) >= 24  # 96 random bits, hex


@pytest.mark.parametrize(
    "value",
    ["Phones dropping calls", "tab\there", "nul\x00 and del\x7f", "line\r\nbreak", "x" * 5000],
)
def test_header_text_ascii_fast_path_equals_the_per_character_rule(value: str) -> None:
    import unicodedata

    from gateway.mailheaders import _UNSAFE_CATEGORIES

    cleaned = "".join(
        " " if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch for ch in value[:3600]
    )
    expected = " ".join(cleaned.split())
    expected = expected if len(expected) <= 900 else expected[:899].rstrip() + "…"
    assert header_text(value) == expected


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("Printable ASCII stays as it is: [#1001] <x> (y) ~", None),
        ("tab\tand\r\nline ends", "tab and line ends"),
        ("delete\x7fand nul\x00", "delete and nul"),
        ("Bcc\x0b: vertical tab", "Bcc : vertical tab"),
        ("  leading and   inner blanks  ", "leading and inner blanks"),
    ],
)
def test_header_text_of_ascii_skips_no_control_character(value: str, text: str | None) -> None:
    # Printable ASCII takes a shortcut past the per-character check; every ASCII control
    # character must still become a blank.
    assert header_text(value) == (value if text is None else text)
