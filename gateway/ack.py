"""What the customer is told about their ticket: acknowledgements and changed promises.

Both acknowledgement policies live here, email and SMS, with the one rule for when not to
acknowledge (`no_ack_reason`: disabled, the channel's own exemption, no address, the
per-recipient limit, the desk's budget). Who speaks is decided once (`speaker_for`): sender,
signature and after-hours wording all come from the ticket's contract. Every header value
goes through `gateway.mailheaders`; an address no header can carry withholds the
acknowledgement with that reason, never the ticket.

A changed promise (the ticket's priority and deadline moved) follows the acknowledgement: it
goes where the acknowledgement went, by the same channel, and only to a customer who was
acknowledged. Nothing here writes: each builds a `Notice` (or
says why not, `Withheld`) that the ticket service queues in the outbox and records in the
thread, in the caller's transaction.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from jinja2 import Environment
from markupsafe import escape

from gateway.config import AckSettings, DeskSettings, Settings
from gateway.mailheaders import (
    MAX_SUBJECT_CHARS,
    UnusableAddress,
    address_header,
    header_line,
    mail_address,
    mailbox,
    message_id_refs,
    new_message_id,
    subject_text,
)
from gateway.outmail import TextPart, compose
from gateway.promise import Promise, promise_for, promise_of
from gateway.store import dedup as dedup_sql
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
class Speaker:
    """Who a message to the customer speaks for: one contract, from sender to signature.

    The desk that serves the ticket's contract speaks for it: the desk the customer wrote to
    if that is its contract, else another desk configured for that contract. A customer
    mapped (`[[customers]]`) to a contract no desk serves hears from the contract itself: its
    title is the sender's name and the signature, at the address the customer wrote to (so
    replies come back). The after-hours wording is always the contract's, like the deadline.
    """

    name: str
    address: str
    title: str  # the contract's title under the name in the signature; "" when it is the name
    after_hours_note: str

    def template_context(self) -> dict[str, str]:
        return {
            "desk_name": self.name,
            "policy_title": self.title,
            "after_hours_note": self.after_hours_note,
        }


def speaker_for(settings: Settings, ticket: Ticket, policy: Policy) -> Speaker:
    return speaker_for_desk(settings, ticket.desk, policy)


def speaker_for_desk(settings: Settings, desk_address: str, policy: Policy) -> Speaker:
    """`speaker_for` a ticket written to `desk_address` under `policy`."""
    written_to = settings.desk_for(desk_address) or settings.desks[0]
    desk = next((d for d in (written_to, *settings.desks) if d.policy == policy.name), None)
    if desk is not None:
        return Speaker(desk.name, desk.address, policy.title, policy.after_hours_message)
    return Speaker(policy.title, written_to.address, "", policy.after_hours_message)


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
    desk: str,
    exempt: str | None = None,
) -> str | None:
    """Why not to acknowledge `recipient`, or None to go ahead; the same for every channel.

    `exempt` is the channel's own reason (an automated or imported email, a mail loop),
    checked after the desk-wide switch so the event names the most general cause. Last, the
    desk's budget: whatever a flood looks like (a loop through ever new addresses, a spam
    run), `desk` sends at most `desk_budget` acknowledgements per `desk_window`; its
    tickets and pages go on regardless.
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
    budget = settings.desk_budget
    spent = await dedup_sql.acks_from_desk(db, desk, now - settings.desk_window, up_to=budget)
    if spent >= budget:
        return f"desk acknowledgement budget spent: {spent} within {settings.desk_window}"
    return None


def threaded_subject(ticket_number: int, subject: str) -> str:
    tag = f"[#{ticket_number}]"
    bare = _REPLY_PREFIX.sub("", subject).strip() or "Your support request"
    return f"Re: {bare}" if tag in bare else f"Re: {tag} {bare}"


def render_ack_email(
    templates: Environment,
    *,
    ticket: Ticket,
    promise: Promise,
    speaker: Speaker,
    to_address: str,
    thread: list[str],
    message_id: str,
    now: datetime,
) -> RenderedEmail:
    """The acknowledgement; raises `UnusableAddress` for a recipient no header can carry."""
    draft = draft_ack_email(
        templates,
        customer_name=ticket.customer_name,
        subject=ticket.subject,
        promise=promise,
        speaker=speaker,
        to_address=to_address,
        thread=thread,
    )
    return draft.finish(ticket.number, message_id, now)


# Stands for the ticket's number in an acknowledgement drafted before the ticket exists (its
# number is handed out in the ticket's own transaction). Random (64 bits), so no customer text
# has it; letters and digits, which Jinja's escaping leaves alone, and short, so that a
# quoted-printable line seldom breaks it.
_NUMBER = f"No{secrets.token_hex(8)}"


@dataclass(frozen=True, slots=True)
class SpeakerLines:
    """The header lines of a speaker's mail that do not depend on the ticket: the same for
    every acknowledgement a desk sends, so `CustomerNotices` keeps them per speaker."""

    sender: str  # From
    loop: tuple[str, ...]  # X-Auto-Response-Suppress, X-Loop

    @classmethod
    def of(cls, speaker: Speaker) -> SpeakerLines:
        sender = address_header("From", mailbox(speaker.name, speaker.address))
        return cls(sender, tuple(_loop_headers(speaker)))


@dataclass(frozen=True, slots=True)
class AckDraft:
    """An acknowledgement rendered but for its ticket's number, Message-ID and Date.

    The rendering (Jinja, the address headers) is most of an acknowledgement's cost: the
    intake drafts it on the event loop, from what it knows before writing (`AckTerms`), and
    the ticket's transaction only `finish`es it, which is substitution and concatenation.
    """

    speaker: Speaker
    subject: str  # the ticket's subject, untagged
    text: str  # the plain part, `_NUMBER` for the number
    html: str
    head: tuple[str, ...]  # From, To: before the Subject
    tail: tuple[str, ...]  # In-Reply-To, References, X-...: after the Message-ID
    # The MIME body (from `MIME-Version` on) when `_NUMBER` is in it as often as in the text
    # and HTML (7bit, or quoted-printable that did not break it): the number goes straight
    # in. None when the encoding split it: the body is then composed when finishing.
    body: str | None

    def finish(self, number: int, message_id: str, now: datetime) -> RenderedEmail:
        n = str(number)
        subject = subject_text(threaded_subject(number, self.subject))
        text = self.text.replace(_NUMBER, n)
        headers = [
            *self.head,
            header_line("Subject", subject, MAX_SUBJECT_CHARS),
            f"Date: {format_datetime(now)}",
            f"Message-ID: <{message_id}>",
            *self.tail,
            f"X-Intake-Ticket: {n}",
            "Auto-Submitted: auto-replied",  # RFC 3834: responders should not answer it
        ]
        if self.body is not None:
            # `compose(headers, parts)` is the headers, CRLF, then `compose([], parts)`.
            data = "\r\n".join(headers) + "\r\n" + self.body.replace(_NUMBER, n)
        else:
            html = self.html.replace(_NUMBER, n)
            data = compose(headers, [TextPart("plain", text), TextPart("html", html)])
        return RenderedEmail(message_id, subject, data, text)


def draft_ack_email(
    templates: Environment,
    *,
    customer_name: str,
    subject: str,
    promise: Promise,
    speaker: Speaker,
    to_address: str,
    thread: list[str],
    speaker_lines: SpeakerLines | None = None,
    bodies: tuple[str, str] | None = None,
) -> AckDraft:
    """The acknowledgement of a ticket with this name, subject and promise, but for its number
    (`AckDraft.finish`); raises `UnusableAddress` for a recipient no header can carry.
    `speaker_lines`: the speaker's header lines, `bodies` the text and HTML (from
    `AckBodies`), when the caller keeps them."""
    lines = speaker_lines or SpeakerLines.of(speaker)
    head = (lines.sender, address_header("To", mailbox("", to_address)))
    if bodies is None:
        bodies = _ack_bodies(templates, customer_name, subject, promise, speaker)
    text, html = bodies
    tail = (*_thread_headers(thread), *lines.loop)
    body = compose([], [TextPart("plain", text), TextPart("html", html)])
    whole = body.count(_NUMBER) == text.count(_NUMBER) + html.count(_NUMBER)
    return AckDraft(speaker, subject, text, html, head, tail, body if whole else None)


def _ack_bodies(
    templates: Environment, customer_name: str, subject: str, promise: Promise, speaker: Speaker
) -> tuple[str, str]:
    context = {
        "ticket_number": _NUMBER,
        "customer_name": customer_name,
        "subject": subject,
        **promise.template_context(),
        **speaker.template_context(),
    }
    text = templates.get_template("ack_email.txt.j2").render(context)
    html = templates.get_template("ack_email.html.j2").render(context)
    return text, html


# Stand for the customer's name and subject in bodies rendered once per shape (`AckBodies`).
_NAME = f"Nm{secrets.token_hex(8)}"
_SUBJECT = f"Sj{secrets.token_hex(8)}"


class AckBodies:
    """The text and HTML of acknowledgements rendered once per shape: the same speaker and
    promise (a storm's mail shares the contract, the priority and the minute of its
    deadline), with stand-ins for the customer's name and subject that each mail replaces
    (escaped for the HTML, as Jinja's autoescape does). Kept per `CustomerNotices`; the
    shapes of the last few minutes at most."""

    LIMIT = 256

    def __init__(self, templates: Environment) -> None:
        self._templates = templates
        self._shapes: dict[tuple[Speaker, Promise, bool, bool], tuple[str, str]] = {}

    def of(
        self, customer_name: str, subject: str, promise: Promise, speaker: Speaker
    ) -> tuple[str, str]:
        shape = (speaker, promise, bool(customer_name), bool(subject))
        bodies = self._shapes.get(shape)
        if bodies is None:
            if len(self._shapes) >= self.LIMIT:
                self._shapes.clear()
            name, about = _NAME if customer_name else "", _SUBJECT if subject else ""
            bodies = self._shapes[shape] = _ack_bodies(
                self._templates, name, about, promise, speaker
            )
        text, html = bodies
        text = text.replace(_NAME, customer_name).replace(_SUBJECT, subject)
        html = html.replace(_NAME, str(escape(customer_name))).replace(
            _SUBJECT, str(escape(subject))
        )
        return text, html


@dataclass(frozen=True, slots=True)
class AckTerms:
    """What an acknowledgement drafted before its ticket was written took for granted; the
    draft is used only when the ticket and the recipient turn out to be exactly these."""

    recipient: str
    desk: str
    policy: str
    customer_name: str
    subject: str
    priority: str
    due_at: datetime | None
    received_at: datetime
    after_hours: bool
    thread: tuple[str, ...]

    @classmethod
    def of(cls, ticket: Ticket, recipient: str, thread: tuple[str, ...]) -> AckTerms:
        return cls(
            recipient=recipient,
            desk=ticket.desk,
            policy=ticket.policy,
            customer_name=ticket.customer_name,
            subject=ticket.subject,
            priority=ticket.effective_priority,
            due_at=ticket.due_at,
            received_at=ticket.received_at,
            after_hours=ticket.after_hours,
            thread=thread,
        )


@dataclass(frozen=True, slots=True)
class DraftedAck:
    terms: AckTerms
    to: str  # the recipient as a header and the envelope carry it
    draft: AckDraft


def _subject(ticket: Ticket) -> str:
    return subject_text(threaded_subject(ticket.number, ticket.subject))


def _headers(
    speaker: Speaker,
    to_address: str,
    subject: str,
    ticket: Ticket,
    thread: list[str],
    message_id: str,
    now: datetime,
    auto_submitted: str,
) -> list[str]:
    """The headers of every email to a customer, each value through gateway.mailheaders."""
    return [
        address_header("From", mailbox(speaker.name, speaker.address)),
        address_header("To", mailbox("", to_address)),
        header_line("Subject", subject, MAX_SUBJECT_CHARS),
        f"Date: {format_datetime(now)}",
        f"Message-ID: <{message_id}>",
        *_thread_headers(thread),
        *_loop_headers(speaker),
        f"X-Intake-Ticket: {ticket.number}",
        f"Auto-Submitted: {auto_submitted}",
    ]


def _thread_headers(thread: list[str]) -> list[str]:
    refs = message_id_refs(thread)
    if not refs:
        return []
    return [
        f"In-Reply-To: <{refs[-1]}>",
        address_header("References", " ".join(f"<{ref}>" for ref in refs)),
    ]


def _loop_headers(speaker: Speaker) -> list[str]:
    # Other helpdesks' responders recognise these and stay quiet; our own X-Loop tells us
    # when our mail comes back.
    return ["X-Auto-Response-Suppress: All", f"X-Loop: {mail_address(speaker.address)}"]


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
        # Per speaker (a desk and contract: a handful), filled as acknowledgements are drafted.
        self._speaker_lines: dict[Speaker, SpeakerLines] = {}
        self._bodies = AckBodies(templates)

    def _desk(self, ticket: Ticket) -> DeskSettings:
        return self._settings.desk_for(ticket.desk) or self._settings.desks[0]

    def _message_id(self, purpose: str, ticket: Ticket) -> str:
        return new_message_id(purpose, ticket.number, self._settings.smtp.hostname)

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
        drafted: DraftedAck | None = None,
    ) -> Notice | Withheld:
        """The acknowledgement, or why not; finished from `drafted` when its terms hold."""
        reason = await no_ack_reason(
            db, self._settings.ack, recipient, now, desk=ticket.desk, exempt=exempt
        )
        if reason:
            return Withheld("ack", reason)
        thread = (*references, *([in_reply_to] if in_reply_to else []))
        key = f"ack-{ticket.number}-{inbox_id}"
        message_id = self._message_id("ack", ticket)
        if drafted is not None and drafted.terms == AckTerms.of(ticket, recipient, thread):
            rendered = drafted.draft.finish(ticket.number, message_id, now)
            return self._email_notice("ack", key, drafted.draft.speaker, drafted.to, rendered)
        speaker = speaker_for(self._settings, ticket, policy)
        try:
            to = mail_address(recipient)
            rendered = render_ack_email(
                self._templates,
                ticket=ticket,
                promise=promise_for(policy, ticket),
                speaker=speaker,
                to_address=to,
                thread=list(thread),
                message_id=message_id,
                now=now,
            )
        except UnusableAddress as exc:
            return Withheld("ack", f"cannot write to this address: {exc}")
        return self._email_notice("ack", key, speaker, to, rendered)

    def draft_email_ack(self, policy: Policy, terms: AckTerms) -> DraftedAck:
        """The email acknowledgement of a ticket about to be opened on these terms, but for
        its number (`email_ack` finishes it if the terms hold). Raises what rendering raises
        (`UnusableAddress`, ...): then `email_ack` renders it and says why not."""
        speaker = speaker_for_desk(self._settings, terms.desk, policy)
        lines = self._speaker_lines.get(speaker)
        if lines is None:
            lines = self._speaker_lines[speaker] = SpeakerLines.of(speaker)
        to = mail_address(terms.recipient)
        promise = promise_of(
            policy, terms.priority, terms.due_at, terms.received_at, terms.after_hours
        )
        draft = draft_ack_email(
            self._templates,
            customer_name=terms.customer_name,
            subject=terms.subject,
            promise=promise,
            speaker=speaker,
            to_address=to,
            thread=list(terms.thread),
            speaker_lines=lines,
            bodies=self._bodies.of(terms.customer_name, terms.subject, promise, speaker),
        )
        return DraftedAck(terms, to, draft)

    async def sms_ack(
        self, db: Connection, ticket: Ticket, policy: Policy, *, to: str | None, now: datetime
    ) -> Notice | Withheld:
        exempt = None if to else "no number to text"  # withheld, or not a phone number
        reason = await no_ack_reason(
            db, self._settings.ack, to, now, desk=ticket.desk, exempt=exempt
        )
        if reason or to is None:
            return Withheld("ack", reason or exempt or "")
        desk = self._desk(ticket)
        body = one_line(
            self._templates.get_template("ack_sms.txt.j2").render(
                {
                    "ticket_number": ticket.number,
                    **promise_for(policy, ticket).template_context(),
                    **speaker_for(self._settings, ticket, policy).template_context(),
                }
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
        speaker = speaker_for(self._settings, ticket, policy)
        context = {
            "ticket_number": ticket.number,
            "customer_name": ticket.customer_name,
            **promise_for(policy, ticket).template_context(),
            **speaker.template_context(),
        }
        key = f"promise-{ticket.number}-{change}"
        if ack.kind == "sms":
            body = one_line(self._templates.get_template("promise_sms.txt.j2").render(context))
            return self._sms_notice("promise", key, self._desk(ticket), ack.recipient, body)
        text = self._templates.get_template("promise_email.txt.j2").render(context)
        rendered = await self._promise_email(db, ticket, speaker, ack.recipient, text, now)
        return self._email_notice("promise", key, speaker, ack.recipient, rendered)

    async def _promise_email(
        self,
        db: Connection,
        ticket: Ticket,
        speaker: Speaker,
        recipient: str,
        text: str,
        now: datetime,
    ) -> RenderedEmail:
        thread = [
            m.message_id
            for m in await tickets_sql.thread(db, ticket.id)
            if m.message_id and m.channel == "email"
        ]
        message_id = self._message_id("promise", ticket)
        subject = _subject(ticket)
        headers = _headers(
            speaker, recipient, subject, ticket, thread, message_id, now, "auto-generated"
        )
        data = compose(headers, [TextPart("plain", text)])
        return RenderedEmail(message_id, subject, data, text)

    # -- shared ----------------------------------------------------------------------------

    def _email_notice(
        self,
        purpose: str,
        key: str,
        speaker: Speaker,
        recipient: str,
        rendered: RenderedEmail,
    ) -> Notice:
        return Notice(
            kind="email",
            purpose=purpose,
            key=key,
            recipient=recipient,
            payload={
                "envelope_from": mail_address(speaker.address),
                "recipients": [recipient],
                "message": rendered.data,
            },
            # Our message is part of the thread: a reply to it lands on this ticket.
            message=NewMessage(
                direction="out",
                channel="email",
                message_id=rendered.message_id,
                content_hash=None,
                sender=speaker.address,
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
