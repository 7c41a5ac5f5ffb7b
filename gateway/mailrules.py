"""Email's own rules: where an incoming message belongs, and whom (and whether) to acknowledge.

Where it belongs (`place`), in this order:

1. **A copy** of a stored message (same fingerprint: Message-ID, sender, Date, content) is a
   duplicate: recorded as an event, not stored again.
2. **A reused Message-ID** (held by a stored message with another fingerprint: an appliance's
   static id, a copied or forged one) is logged and recorded as an event; the message is
   processed like any other and stored without the id, which keeps naming the first message.
3. **A reply** joins the ticket of a message it names (In-Reply-To, References) or of its
   `[#N]` tag, if the sender may: any message naming one of *our* Message-IDs (random, so only
   someone who received our mail knows them), or a sender who is on the ticket (its customer,
   a sender of its messages, someone we wrote to). Anyone else opens a new ticket that
   references the one they named: a guessed id or a typed tag never appends to another
   customer's ticket.
4. **A machine answering our mail** (`automated`: an out-of-office reply, a delivery report
   returning our acknowledgement, found by its threading headers, the original a bounce
   carries, or its `[#N]` tag) is an `auto-reply` on the ticket it answers: noted there
   (`note_automated_answer`: a bounce says which of our messages was undeliverable to whom),
   stored in the thread if the ticket is not closed, never a new ticket, a reopening or an
   acknowledgement.
5. **The same request again** (same sender, subject stem and text, no reply headers, within
   `[email] followup_window`) is a follow-up on the open ticket: no second ticket, no second
   acknowledgement.
6. **An automated sender that keeps writing** (`[email] automated_tickets` tickets opened by
   its automated mail within `automated_window`: an auto-responder answering itself, a
   runaway script) adds to its latest open ticket (`automated-flood`): a loop opens a
   bounded number of tickets, and every message it sends stays visible. An alert that
   answers nothing of ours is a ticket source like any other until then.
7. Otherwise a **new ticket**.

Whom to acknowledge (`ack_recipient`): the Reply-To when it is in the author's own domain or
has written to the desk before; a third-party Reply-To (another domain, never seen) at most
once per `[ack] third_party_window`, then the From address; without From, the envelope sender.
The desk never becomes a relay that mails arbitrary third parties on a stranger's behalf.

Whether (`loop_reason`): the same subject stem and text from `[ack] loop_senders` different
senders within `[ack] loop_window` is a mail loop (an auto-responder answering from a new
address each time) and is not acknowledged. Header and subject markers of automatic mail are
`gateway.parsing.automated`; the per-sender limit and the desk's budget are `gateway.ack`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.config import AckSettings, DeskSettings, EmailSettings, Settings
from gateway.parsing import ParsedMessage, ticket_tag
from gateway.parsing.automated import answered_ids, undeliverable
from gateway.parsing.identity import body_hash, fingerprint, subject_stem
from gateway.policybook import PolicyBook
from gateway.store import dedup
from gateway.store import outbox as outbox_sql
from gateway.store import tickets as tickets_sql
from gateway.store.connection import Connection
from gateway.store.dedup import StoredMail
from gateway.store.records import Ticket, iso
from policies import Policy

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Keys:
    """The identity keys of one incoming message (see gateway/parsing/identity.py)."""

    sender: str  # From, else the envelope sender; lower case
    fingerprint: str
    subject_stem: str
    body_hash: str

    @classmethod
    def of(cls, parsed: ParsedMessage, envelope_sender: str) -> Keys:
        envelope = envelope_sender.strip().strip("<>").strip().lower()
        return cls(
            sender=parsed.from_addr or envelope,
            fingerprint=fingerprint(parsed, envelope),
            subject_stem=subject_stem(parsed.subject),
            body_hash=body_hash(parsed),
        )


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a message goes: `duplicate` (of `copy`), `reply`, `follow-up`, `auto-reply` or
    `automated-flood` (to `ticket`), or `new`. `reused` is the message already holding its
    Message-ID, if another one does; `referenced` a ticket the message named but its sender
    may not join."""

    kind: str
    ticket: Ticket | None = None
    copy: StoredMail | None = None
    reused: StoredMail | None = None
    referenced: Ticket | None = None


@dataclass(frozen=True, slots=True)
class Routing:
    """Which desk a mail came to, the policy it is handled under, and whose it is."""

    desk: DeskSettings
    policy: Policy
    customer: str


def route(
    settings: Settings, policies: PolicyBook, meta: Mapping[str, Any], sender: str
) -> Routing:
    """The desk of the first recipient that is a desk (else the first desk), and the
    customer's own contract if it has one, else that desk's policy. One rule for the intake
    worker and the scout that orders a backlog, so both read a mail under the same contract."""
    rcpts = meta.get("rcpt_tos", [])
    desk = next(
        (d for d in (settings.desk_for(str(r).lower()) for r in rcpts) if d), settings.desks[0]
    )
    customer = sender or str(meta.get("mail_from") or "") or "unknown"
    name = settings.policy_for_customer(customer) or desk.policy
    return Routing(desk, policies.get(name), customer)


async def place(
    db: Connection,
    parsed: ParsedMessage,
    keys: Keys,
    settings: EmailSettings,
    now: datetime,
    known: dedup.Known | None = None,
    *,
    automated: str | None = None,
) -> Placement:
    """Where the message goes (module docstring). `known`: its batch's copies and Message-ID
    holders, read in one query each (`dedup.known_for`); `automated` is why it looks
    machine-sent (`gateway.parsing.automated_reason`), None for a person's mail."""
    copy = await _copy_of(db, keys.fingerprint, known)
    reused = None
    if parsed.message_id and copy is None:
        holder = await _holder_of(db, parsed.message_id, known)
        if holder is not None and holder.fingerprint is None and holder.direction == "in":
            # Stored before fingerprints: the same bytes are the same message.
            if holder.content_hash == parsed.content_hash:
                copy = holder
            else:
                reused = holder
        elif holder is not None:
            reused = holder
    if copy is not None:
        return Placement("duplicate", copy=copy)
    if automated and (answered := await _answered_ticket(db, parsed)) is not None:
        return Placement("auto-reply", ticket=answered, reused=reused)
    ticket, referenced = await _named_ticket(db, parsed, keys.sender)
    if ticket is not None:
        return Placement("auto-reply" if automated else "reply", ticket=ticket, reused=reused)
    if referenced is None and not parsed.referenced_ids:
        earlier = await dedup.same_text_from(
            db, keys.sender, keys.subject_stem, keys.body_hash, now - settings.followup_window
        )
        if earlier is not None:
            same = await tickets_sql.ticket_by_id(db, earlier.ticket_id)
            return Placement("follow-up", ticket=same, reused=reused)
    if automated and (latest := await _flooded(db, keys.sender, settings, now)) is not None:
        return Placement("automated-flood", ticket=latest, reused=reused, referenced=referenced)
    return Placement("new", reused=reused, referenced=referenced)


async def _copy_of(
    db: Connection, fingerprint: str, known: dedup.Known | None
) -> StoredMail | None:
    if known is not None and known.answers(fingerprint):
        return known.copies.get(fingerprint)
    return await dedup.copy_of(db, fingerprint)


async def _holder_of(
    db: Connection, message_id: str, known: dedup.Known | None
) -> StoredMail | None:
    if known is not None and known.answers(message_id):
        return known.holders.get(message_id)
    return await dedup.holder_of(db, message_id)


async def _answered_ticket(db: Connection, parsed: ParsedMessage) -> Ticket | None:
    """The ticket of our own message that a machine's message answers or returns, if any."""
    for named in await dedup.holders_of(db, answered_ids(parsed)):
        if named.direction == "out":
            return await tickets_sql.ticket_by_id(db, named.ticket_id)
    return None


async def _flooded(
    db: Connection, sender: str, settings: EmailSettings, now: datetime
) -> Ticket | None:
    """The sender's latest open ticket if its automated mail has opened
    `automated_tickets` tickets within `automated_window`; else None (a new ticket)."""
    if not sender:
        return None
    # The sender's tickets of the window (few: the bound keeps them few) whose first inbound
    # message intake marked `automated` (`meta.automated`): the ones its machine opened (an
    # import, marked "imported message", is history, not a machine writing now).
    async with db.execute(
        "SELECT t.id, t.status FROM tickets t"
        " WHERE t.customer = ? AND t.created_at >= ? AND EXISTS (SELECT 1 FROM messages m"
        " WHERE m.id = (SELECT MIN(first.id) FROM messages first"
        " WHERE first.ticket_id = t.id AND first.direction = 'in')"
        " AND m.meta LIKE '%\"automated\":%'"
        ' AND m.meta NOT LIKE \'%"automated": "imported message"%\')'
        " ORDER BY t.id DESC",
        (sender, iso(now - settings.automated_window)),
    ) as cursor:
        opened = await cursor.fetchall()
    if len(opened) < settings.automated_tickets:
        return None
    for row in opened:
        if row["status"] != "closed":
            return await tickets_sql.ticket_by_id(db, row["id"])
    return None


# What a returned message of ours was, by its purpose (`gateway.ack`'s notices).
_PURPOSES = {"ack": "acknowledgement", "promise": "updated promise", "reply": "reply"}


async def note_automated_answer(
    db: Connection,
    ticket: Ticket,
    parsed: ParsedMessage,
    *,
    sender: str,
    inbox_id: int,
    reason: str,
    stored: bool,
    now: datetime,
) -> None:
    """Record on `ticket` what a machine answered to our mail: for each recipient a delivery
    report names, "<our message> undeliverable to <address>" (`undeliverable`); and, when
    the message is not `stored` in the thread (a closed ticket), the answer itself
    (`auto-reply`, naming the inbox row that keeps its bytes)."""
    failed = undeliverable(parsed)
    if failed:
        purpose = await _returned_purpose(db, parsed, ticket.id)
        for address, status in failed:
            await tickets_sql.add_event(
                db,
                ticket.id,
                now,
                "undeliverable",
                text=f"{purpose} undeliverable to {address}",
                to=address,
                status=status,
                sender=sender,
                inbox=inbox_id,
            )
            log.info(
                "ticket %d: %s undeliverable to %s",
                ticket.number,
                purpose,
                address,
                extra={"ticket": ticket.number, "event": "undeliverable"},
            )
    if not stored:
        await tickets_sql.add_event(
            db,
            ticket.id,
            now,
            "auto-reply",
            sender=sender,
            subject=parsed.subject[:200],
            reason=reason,
            inbox=inbox_id,
        )


async def _returned_purpose(db: Connection, parsed: ParsedMessage, ticket_id: int) -> str:
    for named in await dedup.holders_of(db, answered_ids(parsed)):
        if named.direction == "out" and named.ticket_id == ticket_id:
            async with db.execute("SELECT meta FROM messages WHERE id = ?", (named.id,)) as cur:
                row = await cur.fetchone()
            purpose = json.loads(row["meta"] or "{}").get("purpose") if row else None
            return _PURPOSES.get(str(purpose), "our message")
    return "our message"


async def _named_ticket(
    db: Connection, parsed: ParsedMessage, sender: str
) -> tuple[Ticket | None, Ticket | None]:
    """(the ticket the message may join, a ticket it named but may not join)."""
    refused: Ticket | None = None
    for named in await dedup.holders_of(db, parsed.referenced_ids):
        if named.direction == "out" or await dedup.is_participant(db, named.ticket_id, sender):
            return await tickets_sql.ticket_by_id(db, named.ticket_id), None
        refused = refused or await tickets_sql.ticket_by_id(db, named.ticket_id)
    number = ticket_tag(parsed.subject)
    if number is not None:
        tagged = await tickets_sql.ticket_by_number(db, number)
        if tagged is not None:
            if await dedup.is_participant(db, tagged.id, sender):
                return tagged, None
            refused = refused or tagged
    return None, refused


async def ack_recipient(
    db: Connection,
    parsed: ParsedMessage,
    envelope_sender: str,
    settings: AckSettings,
    now: datetime,
) -> str:
    """The address to acknowledge (module docstring: the Reply-To rule); "" if none."""
    author = parsed.from_addr or envelope_sender.strip().strip("<>").strip().lower()
    reply_to = (parsed.reply_to or "").strip().lower()
    if not reply_to or reply_to == author:
        return author
    if not author or _domain(reply_to) == _domain(author) or await dedup.has_written(db, reply_to):
        return reply_to
    since = now - settings.third_party_window
    if await outbox_sql.count_recent(db, reply_to, "ack", since) == 0:
        return reply_to
    return author


async def loop_reason(
    db: Connection, keys: Keys, settings: AckSettings, now: datetime
) -> str | None:
    """Why this message looks like one round of a mail loop, or None. Counts the message
    itself, which is stored (with its keys) before it is acknowledged."""
    senders = await dedup.same_text_senders(
        db, keys.subject_stem, keys.body_hash, now - settings.loop_window
    )
    if senders >= settings.loop_senders:
        return (
            f"mail loop suspected: the same subject and text from {senders} senders "
            f"within {settings.loop_window}"
        )
    return None


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower()
