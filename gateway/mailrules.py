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
4. **The same request again** (same sender, subject stem and text, no reply headers, within
   `[email] followup_window`) is a follow-up on the open ticket: no second ticket, no second
   acknowledgement.
5. Otherwise a **new ticket**.

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

import logging
from dataclasses import dataclass
from datetime import datetime

from gateway.config import AckSettings, EmailSettings
from gateway.parsing import ParsedMessage, ticket_tag
from gateway.parsing.identity import body_hash, fingerprint, subject_stem
from gateway.store import dedup
from gateway.store import outbox as outbox_sql
from gateway.store import tickets as tickets_sql
from gateway.store.connection import Connection
from gateway.store.dedup import StoredMail
from gateway.store.records import Ticket

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
    """Where a message goes: `duplicate` (of `copy`), `reply` or `follow-up` (to `ticket`), or
    `new`. `reused` is the message already holding its Message-ID, if another one does;
    `referenced` a ticket the message named but its sender may not join."""

    kind: str
    ticket: Ticket | None = None
    copy: StoredMail | None = None
    reused: StoredMail | None = None
    referenced: Ticket | None = None


async def place(
    db: Connection,
    parsed: ParsedMessage,
    keys: Keys,
    settings: EmailSettings,
    now: datetime,
    known: dedup.Known | None = None,
) -> Placement:
    """Where the message goes (module docstring). `known`: its batch's copies and Message-ID
    holders, read in one query each (`dedup.known_for`)."""
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
    ticket, referenced = await _named_ticket(db, parsed, keys.sender)
    if ticket is not None:
        return Placement("reply", ticket=ticket, reused=reused)
    if referenced is None and not parsed.referenced_ids:
        earlier = await dedup.same_text_from(
            db, keys.sender, keys.subject_stem, keys.body_hash, now - settings.followup_window
        )
        if earlier is not None:
            same = await tickets_sql.ticket_by_id(db, earlier.ticket_id)
            return Placement("follow-up", ticket=same, reused=reused)
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
