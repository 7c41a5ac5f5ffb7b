"""Loop protection: which messages must not be acknowledged automatically."""

from __future__ import annotations

import pytest

from gateway.parsing import automated_reason, parse_message

from .parsing_mail import mail, multipart, part

CUSTOMER = "jane@example.com"


def reason(raw: bytes, envelope: str | None = CUSTOMER, **kw: object) -> str | None:
    return automated_reason(parse_message(raw), envelope, **kw)  # type: ignore[arg-type]


def test_ordinary_customer_mail_is_acknowledged() -> None:
    assert reason(mail()) is None


@pytest.mark.parametrize("envelope", [None, "", "<>", " <> "])
def test_null_envelope_sender(envelope: str | None) -> None:
    assert reason(mail(), envelope) == "null envelope sender"


@pytest.mark.parametrize(
    "address",
    ["MAILER-DAEMON@mx.example.com", "postmaster@example.com", "mailer-daemon", "Postmaster"],
)
def test_mailer_daemon_and_postmaster(address: str) -> None:
    assert reason(mail(sender=address)) == "sender is MAILER-DAEMON/postmaster"
    assert reason(mail(), address) == "sender is MAILER-DAEMON/postmaster"


@pytest.mark.parametrize(
    "address",
    [
        "noreply@example.com",
        "no-reply@example.com",
        "no_reply@example.com",
        "do-not-reply@example.com",
        "donotreply@example.com",
        "jira-noreply@example.com",
        "bounce@example.com",
        "bounces+12345@mail.example.com",
    ],
)
def test_no_reply_addresses(address: str) -> None:
    assert reason(mail(sender=address)) == "sender is a no-reply address"


def test_noreply_lookalikes_are_people() -> None:
    assert reason(mail(sender="bouncer.bob@example.com")) is None
    assert reason(mail(sender="norep@example.com")) is None


def test_delivery_report() -> None:
    raw = multipart(
        "report", part("text/plain", "failed"), part("message/delivery-status", "Action: failed")
    )
    assert reason(raw) == "delivery report"


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        ("Auto-Submitted", "auto-replied", "Auto-Submitted: auto-replied"),
        ("Auto-Submitted", "auto-generated; owner-email=x@y", "Auto-Submitted: auto-generated; owner-email=x@y"),
        ("Auto-Submitted", "no", None),
        ("Auto-Submitted", "No ", None),
        ("Precedence", "bulk", "Precedence: bulk"),
        ("Precedence", "list", "Precedence: list"),
        ("Precedence", "junk", "Precedence: junk"),
        ("Precedence", "auto_reply", "Precedence: auto_reply"),
        ("Precedence", "first-class", None),
        ("X-Autoreply", "yes", "X-Autoreply/X-Autorespond header"),
        ("X-Autorespond", "Out of office", "X-Autoreply/X-Autorespond header"),
        ("X-Auto-Response-Suppress", "All", "X-Auto-Response-Suppress: All"),
        ("List-Id", "Support <support.lists.example.com>", "mailing list (List-Id)"),
        ("List-Unsubscribe", "<mailto:unsub@example.com>", "bulk mail (List-Unsubscribe)"),
        ("Return-Path", "<>", "null envelope sender"),
        ("Return-Path", "<jane@example.com>", None),
    ],
)  # fmt: skip
def test_automation_headers(header: str, value: str, expected: str | None) -> None:
    assert reason(mail(headers=[(header, value)])) == expected


def test_our_own_address() -> None:
    raw = mail(sender="Support <Support@Desk.Example>")
    assert reason(raw, own_addresses=["support@desk.example"]) == "our own message"
    assert reason(raw, own_addresses=["other@desk.example"]) is None


def test_our_own_message_id_domain() -> None:
    raw = mail(headers=[("Message-ID", "<ack.12.34@Intake.Desk.Example>")])
    assert reason(raw, own_message_id_domain="intake.desk.example") == "our own message"
    assert reason(raw, own_message_id_domain="other.example") is None


@pytest.mark.parametrize(
    "subject",
    ["Automatic reply: VPN", "Out of Office: back Monday", "Auto-Reply: away", "Autoreply"],
)
def test_auto_reply_subjects(subject: str) -> None:
    assert reason(mail(subject=subject)) == "auto-reply subject"
