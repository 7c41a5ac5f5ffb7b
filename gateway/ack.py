"""Acknowledgement emails: rendered from templates, threaded, marked as automatic replies."""

from __future__ import annotations

import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from jinja2 import Environment

from gateway.config import DeskSettings
from gateway.promise import Promise
from gateway.store.records import Ticket

_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|sv|antw)\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    message_id: str  # without angle brackets
    subject: str
    data: str  # the whole RFC 5322 message, 7-bit clean, CRLF line ends


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
    message.set_content(templates.get_template("ack_email.txt.j2").render(context))
    message.add_alternative(
        templates.get_template("ack_email.html.j2").render(context), subtype="html"
    )
    return RenderedEmail(message_id, subject, message.as_bytes().decode("ascii", "replace"))
