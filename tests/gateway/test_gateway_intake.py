"""From SMTP session to ticket and acknowledgement: threading, dedup, loop protection, charsets."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.config import Settings

from .gateway_harness import (
    DESK,
    DefaultProposer,
    mail,
    make_settings,
    outgoing_mail,
    query,
    send,
    settle,
)

pytestmark = pytest.mark.asyncio


def _read(path: Path) -> EmailMessage:
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def test_mail_becomes_ticket_and_dated_acknowledgement(gateway: Gateway) -> None:
    await send(gateway, mail(Message_ID="<first@example.com>"))
    await settle(gateway)
    (ticket,) = query(gateway, "SELECT * FROM tickets")
    assert ticket["channel"] == "email" and ticket["customer"] == "pat@example.com"
    assert ticket["policy"] == "threepbx" and ticket["status"] == "open"
    assert ticket["effective_priority"] == "P4"  # the stand-in proposer gives the default
    assert ticket["due_at"] is not None
    (ack_file,) = outgoing_mail(gateway)
    ack = _read(ack_file)
    number = ticket["number"]
    assert f"[#{number}]" in ack["Subject"]
    assert ack["In-Reply-To"] == "<first@example.com>"
    assert "<first@example.com>" in ack["References"]
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["To"] == "pat@example.com"
    body = _text(ack)
    assert f"ticket #{number}" in body and "P4" in body
    assert "2026" in body and ("EST" in body or "EDT" in body)  # the dated, zoned promise
    html = ack.get_body(preferencelist=("html",))
    assert html is not None and f"#{number}" in str(html.get_content())
    (outbox,) = query(gateway, "SELECT * FROM outbox")
    assert outbox["state"] == "sent" and outbox["purpose"] == "ack"


async def test_reply_to_acknowledgement_joins_the_ticket(gateway: Gateway) -> None:
    await send(gateway, mail(Message_ID="<first@example.com>"))
    await settle(gateway)
    ack = _read(outgoing_mail(gateway)[0])
    reply = mail(subject="Re: " + ack["Subject"].removeprefix("Re: "), body="Still down.")
    reply["In-Reply-To"] = ack["Message-ID"]
    reply["References"] = f"<first@example.com> {ack['Message-ID']}"
    await send(gateway, reply)
    await settle(gateway)
    assert len(query(gateway, "SELECT * FROM tickets")) == 1
    inbound = query(gateway, "SELECT * FROM messages WHERE direction = 'in' ORDER BY id")
    assert [m["latest_text"].strip() for m in inbound][1] == "Still down."
    assert len(outgoing_mail(gateway)) == 1  # no second "ticket created" acknowledgement


async def test_subject_tag_threads_without_headers(gateway: Gateway) -> None:
    await send(gateway, mail())
    await settle(gateway)
    (ticket,) = query(gateway, "SELECT number FROM tickets")
    await send(gateway, mail(subject=f"More logs for [#{ticket['number']}]", body="attached"))
    await settle(gateway)
    assert len(query(gateway, "SELECT * FROM tickets")) == 1
    assert len(query(gateway, "SELECT * FROM messages WHERE direction = 'in'")) == 2


async def test_same_message_id_twice_is_stored_once(gateway: Gateway) -> None:
    message = mail(Message_ID="<dup@example.com>")
    await send(gateway, message)
    await send(gateway, message)
    await settle(gateway)
    assert len(query(gateway, "SELECT * FROM tickets")) == 1
    assert len(query(gateway, "SELECT * FROM messages WHERE direction = 'in'")) == 1
    assert len(outgoing_mail(gateway)) == 1


async def test_same_bytes_without_message_id_are_stored_once(gateway: Gateway) -> None:
    raw = b"From: pat@example.com\r\nTo: support@localhost\r\nSubject: no id\r\n\r\nhello\r\n"
    await send(gateway, raw)
    await send(gateway, raw)
    await settle(gateway)
    assert len(query(gateway, "SELECT * FROM tickets")) == 1


LOOP_CASES = {
    "null sender": ({}, ""),
    "mailer-daemon": ({"From": "MAILER-DAEMON@example.com"}, "MAILER-DAEMON@example.com"),
    "postmaster": ({"From": "postmaster@example.com"}, "postmaster@example.com"),
    "auto-submitted": ({"Auto-Submitted": "auto-replied"}, "pat@example.com"),
    "precedence bulk": ({"Precedence": "bulk"}, "pat@example.com"),
    "precedence list": ({"Precedence": "list"}, "pat@example.com"),
    "precedence junk": ({"Precedence": "junk"}, "pat@example.com"),
    "x-autoreply": ({"X-Autoreply": "yes"}, "pat@example.com"),
    "x-auto-response-suppress": ({"X-Auto-Response-Suppress": "All"}, "pat@example.com"),
    "list-id": ({"List-Id": "<users.lists.example.com>"}, "pat@example.com"),
    "our own": ({"From": DESK}, DESK),
}


@pytest.mark.parametrize("case", sorted(LOOP_CASES))
async def test_no_acknowledgement_to_automatic_mail(gateway: Gateway, case: str) -> None:
    headers, envelope_sender = LOOP_CASES[case]
    message = mail()
    for name, value in headers.items():
        del message[name]
        message[name] = value
    await send(gateway, message, sender=envelope_sender)
    await settle(gateway)
    assert len(query(gateway, "SELECT * FROM tickets")) == 1, "the ticket is still created"
    assert outgoing_mail(gateway) == []
    (event,) = query(gateway, "SELECT detail FROM events WHERE kind = 'ack-suppressed'")
    assert event["detail"]


async def test_no_acknowledgement_to_delivery_report(gateway: Gateway) -> None:
    report = (
        b"From: MAILER-DAEMON@mx.example.com\r\nTo: support@localhost\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        b"Final-Recipient: rfc822; x@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--b--\r\n"
    )
    await send(gateway, report, sender="")
    await settle(gateway)
    assert len(query(gateway, "SELECT * FROM tickets")) == 1
    assert outgoing_mail(gateway) == []


async def test_acknowledgements_per_sender_are_rate_limited(
    tmp_path: Path, clock: ManualClock
) -> None:
    settings = make_settings(tmp_path, ack__max_per_sender=3, ack__window="1h")
    gw = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gw.start()
    try:
        for n in range(5):
            await send(gw, mail(subject=f"problem {n}"))
        await settle(gw)
        assert len(query(gw, "SELECT * FROM tickets")) == 5
        assert len(outgoing_mail(gw)) == 3
        from datetime import timedelta

        clock.advance(timedelta(hours=2))
        await send(gw, mail(subject="later problem"))
        await settle(gw)
        assert len(outgoing_mail(gw)) == 4
    finally:
        await gw.stop()


async def test_declared_priority_is_recorded_and_used(gateway: Gateway) -> None:
    await send(gateway, mail(subject="[P1] everything is down"))
    await settle(gateway)
    (ticket,) = query(gateway, "SELECT * FROM tickets")
    assert ticket["declared_priority"] == "P1"
    assert ticket["effective_priority"] == "P1"


CHARSET_CASES = [
    ("iso-8859-1", "Café: Störung im Büro".encode("iso-8859-1"), "Störung"),
    ("windows-1252", "Smart “quotes” — dash".encode("windows-1252"), "“quotes”"),
    ("koi8-r", "Телефоны не работают".encode("koi8-r"), "Телефоны"),
    ("shift_jis", "電話が使えません".encode("shift_jis"), "電話"),
    ("utf-8", "Ünïcödé ✓".encode(), "✓"),
]


@pytest.mark.parametrize(("charset", "body", "expected"), CHARSET_CASES)
async def test_body_in_any_charset_is_decoded(
    gateway: Gateway, charset: str, body: bytes, expected: str
) -> None:
    raw = (
        b"From: pat@example.com\r\nTo: support@localhost\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"
        b"MIME-Version: 1.0\r\nContent-Transfer-Encoding: 8bit\r\n"
        + f"Content-Type: text/plain; charset={charset}\r\n\r\n".encode()
        + body
        + b"\r\n"
    )
    await send(gateway, raw)
    await settle(gateway)
    (message,) = query(gateway, "SELECT subject, body_text FROM messages WHERE direction = 'in'")
    assert message["subject"] == "Grüße"
    assert expected in message["body_text"]


async def test_wrong_charset_declaration_is_survived(gateway: Gateway) -> None:
    raw = (
        b"From: pat@example.com\r\nTo: support@localhost\r\nSubject: wrong\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "Le téléphone ne fonctionne pas du tout depuis ce matin.".encode("iso-8859-1")
        + b"\r\n"
    )
    await send(gateway, raw)
    await settle(gateway)
    (message,) = query(gateway, "SELECT body_text FROM messages WHERE direction = 'in'")
    assert "téléphone" in message["body_text"]


async def test_html_only_mail_becomes_readable_text(gateway: Gateway) -> None:
    message = EmailMessage()
    message["From"] = "pat@example.com"
    message["To"] = DESK
    message["Subject"] = "html only"
    message.set_content(
        "<html><head><style>p{color:red}</style></head><body><p>Calls drop after"
        " <b>30&nbsp;seconds</b>.</p><ul><li>Site A</li><li>Site B</li></ul></body></html>",
        subtype="html",
    )
    await send(gateway, message)
    await settle(gateway)
    (row,) = query(gateway, "SELECT body_text FROM messages WHERE direction = 'in'")
    text = row["body_text"]
    assert "Calls drop after 30" in text and "Site A" in text and "color:red" not in text
    assert "<p>" not in text


async def test_malformed_mime_still_becomes_a_ticket(gateway: Gateway) -> None:
    raw = (
        b"From: pat@example.com\r\nTo: support@localhost\r\nSubject: broken\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n'
        b"--never-closed\r\nContent-Type: text/plain; charset=x-unknown\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n%%%not base64%%%\r\n\xff\xfe\x00garbage"
    )
    await send(gateway, raw)
    await settle(gateway)
    (ticket,) = query(gateway, "SELECT * FROM tickets")
    assert ticket["subject"] == "broken"
    (inbox,) = query(gateway, "SELECT raw, state FROM inbox")
    assert inbox["state"] == "done" and inbox["raw"].endswith(b"garbage\r\n")


async def test_attachments_are_stored_with_name_type_and_size(gateway: Gateway) -> None:
    message = mail()
    message.add_attachment(
        b"\x00" * 2048, maintype="application", subtype="octet-stream", filename="trace.pcap"
    )
    await send(gateway, message)
    await settle(gateway)
    (att,) = query(
        gateway, "SELECT filename, content_type, size, length(content) AS n FROM attachments"
    )
    assert (att["filename"], att["content_type"], att["size"], att["n"]) == (
        "trace.pcap",
        "application/octet-stream",
        2048,
        2048,
    )


async def test_after_hours_acknowledgement_says_so(gateway: Gateway, clock: ManualClock) -> None:
    from datetime import UTC, datetime

    from policies import load_policy

    clock.set(datetime(2026, 11, 22, 3, 0, tzinfo=UTC))  # 22:00 in New York: after 19:00
    await send(gateway, mail())
    await settle(gateway)
    (ticket,) = query(gateway, "SELECT after_hours FROM tickets")
    assert ticket["after_hours"] == 1
    body = _text(_read(outgoing_mail(gateway)[0]))
    note = load_policy("threepbx").after_hours_message.split()[:6]
    assert " ".join(note) in " ".join(body.split())


async def test_within_hours_acknowledgement_has_no_after_hours_note(gateway: Gateway) -> None:
    from policies import load_policy

    await send(gateway, mail())
    await settle(gateway)
    body = _text(_read(outgoing_mail(gateway)[0]))
    note = load_policy("threepbx").after_hours_message.split()[:6]
    assert " ".join(note) not in " ".join(body.split())


async def test_customer_contract_overrides_the_desk_policy(
    tmp_path: Path, clock: ManualClock
) -> None:
    from gateway.config import load_settings

    config = tmp_path / "intake.toml"
    config.write_text(
        '[[desks]]\naddress = "support@localhost"\npolicy = "threepbx"\n'
        '[[customers]]\nmatch = "bigcorp.example"\npolicy = "restcomm-premium"\n'
        '[[customers]]\nmatch = "vip@other.example"\npolicy = "msp"\n'
    )
    settings = load_settings(
        config,
        environ={},
        overrides={("data_dir",): str(tmp_path), ("smtp", "port"): 0, ("http", "port"): 0},
    )
    gw = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gw.start()
    try:
        await send(
            gw, mail(sender="a@eu.bigcorp.example", subject="one"), sender="a@eu.bigcorp.example"
        )
        await send(gw, mail(sender="vip@other.example", subject="two"), sender="vip@other.example")
        await send(gw, mail(sender="x@other.example", subject="three"), sender="x@other.example")
        await settle(gw)
        rows = query(gw, "SELECT customer, policy FROM tickets ORDER BY number")
        assert [(r["customer"], r["policy"]) for r in rows] == [
            ("a@eu.bigcorp.example", "restcomm-premium"),
            ("vip@other.example", "msp"),
            ("x@other.example", "threepbx"),
        ]
    finally:
        await gw.stop()


class BrokenProposer:
    def decide(self, *args: object) -> object:
        raise RuntimeError("classifier exploded")


async def test_mail_that_cannot_be_processed_still_becomes_a_ticket(
    settings: Settings, clock: ManualClock
) -> None:
    gw = Gateway(settings, clock=clock, proposer=BrokenProposer(), workers=False)  # type: ignore[arg-type]
    await gw.start()
    try:
        await send(gw, mail())
        for _ in range(3):  # each attempt fails; the last one gives up and opens a ticket
            assert query(gw, "SELECT COUNT(*) AS n FROM tickets")[0]["n"] == 0
            await gw.intake.run_once()
        (ticket,) = query(gw, "SELECT * FROM tickets")
        assert ticket["subject"] == "(message could not be processed)"
        assert ticket["effective_priority"] == "P4" and ticket["due_at"] is not None
        assert "classifier exploded" in ticket["reasons"]
        (inbox,) = query(gw, "SELECT state, attempts, raw FROM inbox")
        assert inbox["state"] == "done" and inbox["attempts"] == 3 and b"dial tone" in inbox["raw"]
    finally:
        await gw.stop()
