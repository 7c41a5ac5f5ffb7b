"""What the customer is told about their ticket: acknowledgements and changed promises.

Both acknowledgement policies live here, email and SMS, with the one rule for when not to
acknowledge (`no_ack_reason`). A changed promise (the ticket's priority and deadline moved)
follows the acknowledgement: it goes where the acknowledgement went, by the same channel, and
only to a customer who was acknowledged. Nothing here writes: each builds a `Notice` (or
says why not, `Withheld`) that the ticket service queues in the outbox and records in the
thread, in the caller's transaction.
"""

from __future__ import annotations

import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

from jinja2 import Environment

from gateway.config import AckSettings, DeskSettings, Settings
from gateway.promise import Promise, promise_for
from gateway.store import outbox as outbox_sql
from gateway.store import tickets as tickets_sql
from gateway.store.connection import Connection
from gateway.store.records import Ticket
from gateway.store.tickets import NewMessage
from policies import Policy

_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|sv|antw)\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    message_id: str  # without angle brackets
    subject: str
    data: str  # the whole RFC 5322 message, 7-bit clean, CRLF line ends
    text: str  # its plain-text part, as the thread shows it


@dataclass(frozen=True, slots=True)
class Notice:
    """A message to the customer: what the outbox sends and what the ticket's thread shows."""

    kind: str  # email | sms
    purpose: str  # ack | promise | reply
    key: str  # the outbox idempotency key
    recipient: str
    payload: dict[str, Any]
    message: NewMessage


@dataclass(frozen=True, slots=True)
class Withheld:
    """Why the customer is not told (recorded as an event on the ticket)."""

    purpose: str  # ack | promise
    reason: str


async def no_ack_reason(
    db: Connection,
    settings: AckSettings,
    recipient: str | None,
    now: datetime,
    *,
    exempt: str | None = None,
) -> str | None:
    """Why not to acknowledge `recipient`, or None to go ahead; the same for every channel.

    `exempt` is the channel's own reason (an automated or imported email), checked after
    the desk-wide switch so the event names the most general cause.
    """
    if not settings.enabled:
        return "acknowledgements are disabled"
    if exempt:
        return exempt
    if not recipient:
        return "no address to answer"
    sent = await outbox_sql.count_recent(db, recipient, "ack", now - settings.window)
    if sent >= settings.max_per_sender:
        return f"rate limit: {sent} acknowledgements within {settings.window}"
    return None


def ack_message_id(ticket_number: int, inbox_id: int, hostname: str) -> str:
    """Stable for a given intake, so a re-render after a crash names the same message."""
    return f"intake.ack.{ticket_number}.{inbox_id}@{hostname}"


def threaded_subject(ticket_number: int, subject: str) -> str:
    tag = f"[#{ticket_number}]"
    bare = _REPLY_PREFIX.sub("", subject).strip() or "Your support request"
    return f"Re: {bare}" if tag in bare else f"Re: {tag} {bare}"


def render_ack_email(
    templates: Environment,
    *,
    ticket: Ticket,
    promise: Promise,
    desk: DeskSettings,
    policy_title: str,
    to_address: str,
    in_reply_to: str | None,
    references: tuple[str, ...],
    message_id: str,
    now: datetime,
) -> RenderedEmail:
    context = {
        "ticket_number": ticket.number,
        "customer_name": ticket.customer_name,
        "desk_name": desk.name,
        "policy_title": policy_title,
        "subject": ticket.subject,
        **promise.template_context(),
    }
    message = EmailMessage(policy=email.policy.SMTP)
    subject = threaded_subject(ticket.number, ticket.subject)
    message["From"] = formataddr((desk.name, desk.address))
    message["To"] = to_address
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
    chain = [*references, *([in_reply_to] if in_reply_to else [])]
    if chain:
        message["References"] = " ".join(f"<{ref}>" for ref in dict.fromkeys(chain))
    # RFC 3834: mark it automatic so well-behaved responders do not answer it.
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"
    message["X-Intake-Ticket"] = str(ticket.number)
    text = templates.get_template("ack_email.txt.j2").render(context)
    message.set_content(text)
    message.add_alternative(
        templates.get_template("ack_email.html.j2").render(context), subtype="html"
    )
    return RenderedEmail(message_id, subject, message.as_bytes().decode("ascii", "replace"), text)


def one_line(text: str) -> str:
    return " ".join(text.split())


class CustomerNotices:
    """Builds acknowledgements (email and SMS) and changed-promise notices for a desk's tickets.

    `sms_status_callback` is the URL Twilio reports delivery to (the phone channel's webhook).
    """

    def __init__(
        self, settings: Settings, templates: Environment, *, sms_status_callback: str | None
    ) -> None:
        self._settings = settings
        self._templates = templates
        self._sms_status_callback = sms_status_callback

    def _desk(self, ticket: Ticket) -> DeskSettings:
        return self._settings.desk_for(ticket.desk) or self._settings.desks[0]

    def _sms_from(self, desk: DeskSettings) -> str | None:
        return desk.sms_from or self._settings.twilio.sms_from

    # -- acknowledgements ------------------------------------------------------------------

    async def email_ack(
        self,
        db: Connection,
        ticket: Ticket,
        policy: Policy,
        *,
        recipient: str,
        exempt: str | None,
        inbox_id: int,
        in_reply_to: str | None,
        references: tuple[str, ...],
        now: datetime,
    ) -> Notice | Withheld:
        reason = await no_ack_reason(db, self._settings.ack, recipient, now, exempt=exempt)
        if reason:
            return Withheld("ack", reason)
        desk = self._desk(ticket)
        message_id = ack_message_id(ticket.number, inbox_id, self._settings.smtp.hostname)
        rendered = render_ack_email(
            self._templates,
            ticket=ticket,
            promise=promise_for(policy, ticket),
            desk=desk,
            policy_title=policy.title,
            to_address=recipient,
            in_reply_to=in_reply_to,
            references=references,
            message_id=message_id,
            now=now,
        )
        key = f"ack-{ticket.number}-{inbox_id}"
        return self._email_notice("ack", key, desk, recipient, rendered)

    async def sms_ack(
        self, db: Connection, ticket: Ticket, policy: Policy, *, to: str | None, now: datetime
    ) -> Notice | Withheld:
        exempt = None if to else "no number to text"  # withheld, or not a phone number
        reason = await no_ack_reason(db, self._settings.ack, to, now, exempt=exempt)
        if reason or to is None:
            return Withheld("ack", reason or exempt or "")
        desk = self._desk(ticket)
        body = one_line(
            self._templates.get_template("ack_sms.txt.j2").render(
                desk_name=desk.name,
                ticket_number=ticket.number,
                **promise_for(policy, ticket).template_context(),
            )
        )
        return self._sms_notice("ack", f"ack-{ticket.number}-sms", desk, to, body)

    # -- changed promises ------------------------------------------------------------------

    async def new_promise(
        self, db: Connection, ticket: Ticket, policy: Policy, *, change: int, now: datetime
    ) -> Notice | Withheld:
        """Tell the customer the ticket's new promise, where its acknowledgement went.

        `change` numbers the ticket's priority changes, so each change is told once even if
        the caller's transaction is retried.
        """
        if not self._settings.ack.enabled:
            return Withheld("promise", "acknowledgements are disabled")
        outbox = await outbox_sql.outbox_of_ticket(db, ticket.id)
        ack = next((o for o in outbox if o.purpose == "ack"), None)
        if ack is None:
            return Withheld("promise", "the customer was not acknowledged")
        desk = self._desk(ticket)
        context = {
            "desk_name": desk.name,
            "ticket_number": ticket.number,
            "customer_name": ticket.customer_name,
            "policy_title": policy.title,
            **promise_for(policy, ticket).template_context(),
        }
        key = f"promise-{ticket.number}-{change}"
        if ack.kind == "sms":
            body = one_line(self._templates.get_template("promise_sms.txt.j2").render(context))
            return self._sms_notice("promise", key, desk, ack.recipient, body)
        text = self._templates.get_template("promise_email.txt.j2").render(context)
        rendered = await self._promise_email(db, ticket, desk, ack.recipient, text, change, now)
        return self._email_notice("promise", key, desk, ack.recipient, rendered)

    async def _promise_email(
        self,
        db: Connection,
        ticket: Ticket,
        desk: DeskSettings,
        recipient: str,
        text: str,
        change: int,
        now: datetime,
    ) -> RenderedEmail:
        thread = [
            m.message_id
            for m in await tickets_sql.thread(db, ticket.id)
            if m.message_id and m.channel == "email"
        ]
        hostname = self._settings.smtp.hostname
        message_id = f"intake.promise.{ticket.number}.{change}@{hostname}"
        message = EmailMessage(policy=email.policy.SMTP)
        subject = threaded_subject(ticket.number, ticket.subject)
        message["From"] = formataddr((desk.name, desk.address))
        message["To"] = recipient
        message["Subject"] = subject
        message["Date"] = format_datetime(now)
        message["Message-ID"] = f"<{message_id}>"
        if thread:
            message["In-Reply-To"] = f"<{thread[-1]}>"
            message["References"] = " ".join(f"<{ref}>" for ref in dict.fromkeys(thread))
        message["Auto-Submitted"] = "auto-generated"
        message["X-Auto-Response-Suppress"] = "All"
        message["X-Intake-Ticket"] = str(ticket.number)
        message.set_content(text)
        return RenderedEmail(
            message_id, subject, message.as_bytes().decode("ascii", "replace"), text
        )

    # -- shared ----------------------------------------------------------------------------

    def _email_notice(
        self,
        purpose: str,
        key: str,
        desk: DeskSettings,
        recipient: str,
        rendered: RenderedEmail,
    ) -> Notice:
        return Notice(
            kind="email",
            purpose=purpose,
            key=key,
            recipient=recipient,
            payload={
                "envelope_from": desk.address,
                "recipients": [recipient],
                "message": rendered.data,
            },
            # Our message is part of the thread: a reply to it lands on this ticket.
            message=NewMessage(
                direction="out",
                channel="email",
                message_id=rendered.message_id,
                content_hash=None,
                sender=desk.address,
                subject=rendered.subject,
                body_text=rendered.text,
                latest_text=rendered.text,
                meta={"purpose": purpose, "to": recipient},
            ),
        )

    def _sms_notice(self, purpose: str, key: str, desk: DeskSettings, to: str, body: str) -> Notice:
        sender = self._sms_from(desk)
        return Notice(
            kind="sms",
            purpose=purpose,
            key=key,
            recipient=to,
            payload={
                "to": to,
                "body": body,
                "from": sender,
                "validity_period": None,
                "status_callback": self._sms_status_callback,
            },
            message=NewMessage(
                direction="out",
                channel="sms",
                message_id=None,
                content_hash=None,
                sender=sender or desk.address,
                subject="",
                body_text=body,
                latest_text=body,
                meta={"purpose": purpose, "to": to},
            ),
        )
