"""A staff member's public reply, as the message that reaches the customer.

An email ticket is answered by email threaded under the customer's own mail (`In-Reply-To`
their latest message, `References` the whole thread, `[#N]` in the subject), from the desk's
address; a phone ticket (voicemail or SMS) by SMS from the desk's number. Nothing here writes:
`staff_reply` builds the outbox row and the thread message, the ticket service queues both.
The staff member's words are the body as given, plain text (7bit or quoted-printable, so
any language arrives intact); their name is in the From display name, through
`gateway.mailheaders` like every header value, never pasted into a header.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from gateway.ack import threaded_subject
from gateway.config import Settings
from gateway.mailheaders import (
    MAX_SUBJECT_CHARS,
    UnusableAddress,
    address_header,
    header_line,
    mailbox,
    message_id_refs,
    subject_text,
)
from gateway.outmail import TextPart, compose
from gateway.phone import normalize_e164
from gateway.store.records import Message, Ticket
from gateway.store.tickets import NewMessage

SMS_LIMIT = 1600  # Twilio's maximum body; longer replies are refused, not cut


class Unreachable(ValueError):
    """The customer cannot be answered on this ticket's channel (e.g. a withheld number)."""


@dataclass(frozen=True, slots=True)
class StaffReply:
    kind: str  # email | sms
    key: str  # outbox idempotency key
    recipient: str
    payload: dict[str, Any]
    message: NewMessage


def _one_line(text: str) -> str:
    return " ".join(text.split())


def staff_reply(
    settings: Settings,
    ticket: Ticket,
    thread: list[Message],
    body: str,
    *,
    author_name: str,
    now: datetime,
    token: str | None = None,
) -> StaffReply:
    """`token` makes the reply's outbox key and Message-ID (random when not given; a reply
    relayed from a staff member's own mail derives it from that mail, so it is sent once)."""
    desk = settings.desk_for(ticket.desk)
    desk_name = desk.name if desk else "Support"
    desk_address = desk.address if desk else ticket.desk
    token = token or secrets.token_hex(8)
    key = f"reply-{ticket.number}-{token}"
    if "@" in ticket.customer:
        return _email_reply(
            settings, ticket, thread, body, author_name, desk_name, desk_address, key, token, now
        )
    phone = normalize_e164(ticket.customer)
    if phone is None:
        raise Unreachable(f"ticket #{ticket.number} has no address or number to reply to")
    text = f"{desk_name} [#{ticket.number}]: {body}"
    if len(text) > SMS_LIMIT:
        raise Unreachable(f"an SMS reply can be at most {SMS_LIMIT - len(text) + len(body)} chars")
    sender = (desk.sms_from if desk else None) or settings.twilio.sms_from
    return StaffReply(
        kind="sms",
        key=key,
        recipient=phone,
        payload={"to": phone, "body": text, "from": sender},
        message=NewMessage(
            direction="out",
            channel="sms",
            message_id=None,
            content_hash=None,
            sender=sender or desk_address,
            subject="",
            body_text=text,
            latest_text=body,
            meta={"purpose": "reply", "to": phone, "by": author_name},
        ),
    )


def _email_reply(
    settings: Settings,
    ticket: Ticket,
    thread: list[Message],
    body: str,
    author_name: str,
    desk_name: str,
    desk_address: str,
    key: str,
    token: str,
    now: datetime,
) -> StaffReply:
    ids = [m.message_id for m in thread if m.message_id and "@" in m.message_id]
    customer_ids = [
        m.message_id for m in thread if m.direction == "in" and m.message_id and "@" in m.message_id
    ]
    in_reply_to = message_id_refs(customer_ids[-1:])
    message_id = f"intake.reply.{ticket.number}.{token}@{settings.smtp.hostname}"
    subject = subject_text(threaded_subject(ticket.number, ticket.subject))
    try:
        headers = [
            address_header("From", mailbox(f"{author_name} ({desk_name})", desk_address)),
            address_header("To", mailbox(ticket.customer_name, ticket.customer)),
        ]
    except UnusableAddress as exc:
        raise Unreachable(f"ticket #{ticket.number} cannot be answered by email: {exc}") from exc
    headers += [
        header_line("Subject", subject, MAX_SUBJECT_CHARS),
        f"Date: {format_datetime(now)}",
        f"Message-ID: <{message_id}>",
    ]
    if in_reply_to:
        headers.append(f"In-Reply-To: <{in_reply_to[0]}>")
    if refs := message_id_refs(ids):
        headers.append(address_header("References", " ".join(f"<{ref}>" for ref in refs)))
    headers.append(f"X-Intake-Ticket: {ticket.number}")
    data = compose(headers, [TextPart("plain", body)])
    return StaffReply(
        kind="email",
        key=key,
        recipient=ticket.customer,
        payload={"envelope_from": desk_address, "recipients": [ticket.customer], "message": data},
        message=NewMessage(
            direction="out",
            channel="email",
            message_id=message_id,
            content_hash=None,
            sender=desk_address,
            subject=subject,
            body_text=body,
            latest_text=body,
            meta={"purpose": "reply", "to": ticket.customer, "by": author_name},
        ),
    )
