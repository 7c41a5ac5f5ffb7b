"""Machines answering our mail, and machines that do not stop: a bounce or an out-of-office
reply to an acknowledgement lands on its ticket as an event (never a new ticket, never a
reopening, never an acknowledgement); an automated sender that keeps writing opens a bounded
number of tickets, and everything it sends stays visible."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock

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


def _ack(gw: Gateway) -> EmailMessage:
    (path,) = outgoing_mail(gw)
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _events(gw: Gateway, kind: str) -> list[dict[str, Any]]:
    rows = query(gw, "SELECT detail FROM events WHERE kind = ? ORDER BY id", kind)
    return [json.loads(row["detail"]) for row in rows]


def _bounce(ack: EmailMessage, *, headers_only: bool) -> bytes:
    """A Postfix-style delivery status notification returning `ack` to us."""
    original = (
        f"From: {ack['From']}\r\nTo: {ack['To']}\r\nSubject: {ack['Subject']}\r\n"
        f"Message-ID: {ack['Message-ID']}\r\nAuto-Submitted: auto-replied\r\n"
    )
    returned = (
        "Content-Type: text/rfc822-headers\r\n\r\n" + original
        if headers_only
        else "Content-Type: message/rfc822\r\n\r\n" + original + "\r\nThe text we sent.\r\n"
    )
    return (
        "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\r\n"
        f"To: {DESK}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your "
        "message could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\n"
        "Final-Recipient: rfc822; pat@example.com\r\nOriginal-Recipient: rfc822;pat@example.com"
        "\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <pat@example.com>: Recipient address rejected\r\n\r\n"
        f"--b\r\n{returned}--b--\r\n"
    ).encode()


@pytest.mark.parametrize("headers_only", [True, False], ids=["rfc822-headers", "rfc822"])
async def test_a_bounced_acknowledgement_is_an_event_on_its_ticket(
    gateway: Gateway, headers_only: bool
) -> None:
    await send(gateway, mail())
    await settle(gateway)
    ack = _ack(gateway)
    await send(gateway, _bounce(ack, headers_only=headers_only), sender="")
    await settle(gateway)
    (ticket,) = query(gateway, "SELECT id, number, status FROM tickets")
    assert ticket["status"] == "open"
    (event,) = _events(gateway, "undeliverable")
    assert event["text"] == "acknowledgement undeliverable to pat@example.com"
    assert "5.1.1" in event["status"]
    assert event["inbox"] == 2 and event["sender"] == "mailer-daemon@mx.example.com"
    assert len(outgoing_mail(gateway)) == 1, "no acknowledgement of the bounce"
    (inbox,) = query(gateway, "SELECT state, error FROM inbox WHERE id = 2")
    assert inbox["state"] == "done" and inbox["error"] == f"ticket {ticket['number']}"


async def test_an_out_of_office_reply_on_a_closed_ticket_opens_nothing(
    gateway: Gateway,
) -> None:
    await send(gateway, mail())
    await settle(gateway)
    ack = _ack(gateway)
    (ticket,) = query(gateway, "SELECT id, number FROM tickets")
    await gateway.store.write(
        lambda db: db.execute("UPDATE tickets SET status = 'closed' WHERE id = ?", (ticket["id"],))
    )
    reply = mail(
        subject=f"Automatic reply: {ack['Subject']}",
        body="I am out of the office until Monday.",
        Auto_Submitted="auto-replied",
        In_Reply_To=str(ack["Message-ID"]),
    )
    await send(gateway, reply)
    await settle(gateway)
    (only,) = query(gateway, "SELECT number, status FROM tickets")
    assert only["status"] == "closed"
    (event,) = _events(gateway, "auto-reply")
    assert event["sender"] == "pat@example.com" and event["inbox"] == 2
    assert event["reason"] == "Auto-Submitted: auto-replied"
    assert event["subject"].startswith("Automatic reply:")
    assert len(outgoing_mail(gateway)) == 1


async def test_an_automated_sender_that_keeps_writing_opens_a_bounded_number_of_tickets(
    tmp_path: Path, clock: ManualClock, store_url: str | None
) -> None:
    settings = make_settings(
        tmp_path,
        store__url=store_url,
        email__automated_tickets=3,
        email__automated_window="1h",
    )
    gw = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gw.start()
    try:
        for n in range(12):  # an auto-responder answering itself, a new text every time
            await send(
                gw,
                mail(
                    subject=f"Re: Re: Your message {n}",
                    body=f"This mailbox is unattended (reply {n}).",
                    sender="robot@example.net",
                    Auto_Submitted="auto-replied",
                ),
                sender="robot@example.net",
            )
            await settle(gw)
            clock.advance(timedelta(minutes=1))
        tickets = query(gw, "SELECT id, number FROM tickets ORDER BY id")
        assert len(tickets) == 3
        assert outgoing_mail(gw) == []
        # Nothing is lost: the rest are messages on the sender's latest ticket, each noted.
        kept = query(gw, "SELECT ticket_id FROM messages WHERE direction = 'in'")
        assert len(kept) == 12
        assert {row["ticket_id"] for row in kept[3:]} == {tickets[-1]["id"]}
        noted = _events(gw, "automated-flood")
        assert len(noted) == 9 and noted[0]["sender"] == "robot@example.net"
        # A window later, the sender opens tickets again (a monitoring system's next alert).
        clock.advance(timedelta(hours=1))
        await send(
            gw,
            mail(
                subject="PROBLEM: pbx1 down",
                sender="robot@example.net",
                Auto_Submitted="auto-generated",
            ),
            sender="robot@example.net",
        )
        await settle(gw)
        assert len(query(gw, "SELECT id FROM tickets")) == 4
    finally:
        await gw.stop()


async def test_monitoring_alerts_from_one_system_still_open_their_tickets(
    gateway: Gateway,
) -> None:
    for host in ("pbx1", "pbx2", "sbc1"):
        await send(
            gateway,
            mail(
                subject=f"PROBLEM: {host} is DOWN",
                sender="nagios@example.com",
                Auto_Submitted="auto-generated",
            ),
            sender="nagios@example.com",
        )
    await settle(gateway)
    assert len(query(gateway, "SELECT id FROM tickets")) == 3
    assert outgoing_mail(gateway) == []


async def test_an_import_of_a_senders_history_is_not_a_mail_loop(
    tmp_path: Path, clock: ManualClock
) -> None:
    """`intake backfill` hands old mail to intake marked imported: each is the ticket it was,
    however many one sender wrote, and none counts towards a machine's bound."""
    from gateway.store import inbox as inbox_sql

    settings = make_settings(tmp_path, email__automated_tickets=3)
    gw = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gw.start()
    try:
        for n in range(6):
            raw = mail(subject=f"old problem {n}", body=f"text {n}", sender="pat@example.com")
            meta = {"mail_from": "pat@example.com", "rcpt_tos": [DESK], "imported": True}
            await gw.store.write(
                lambda db, raw=raw, meta=meta: inbox_sql.insert_inbox(
                    db, channel="email", kind="message", received_at=clock.now(), meta=meta,
                    raw=raw.as_bytes(),
                )
            )  # fmt: skip
        await settle(gw)
        assert len(query(gw, "SELECT id FROM tickets")) == 6
        assert _events(gw, "automated-flood") == []
        robot = mail(
            subject="Auto: pat is away", sender="pat@example.com", Auto_Submitted="auto-replied"
        )
        await send(gw, robot, sender="pat@example.com")
        await settle(gw)
        assert len(query(gw, "SELECT id FROM tickets")) == 7
    finally:
        await gw.stop()
