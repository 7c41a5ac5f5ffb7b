"""SQL for telling messages apart: copies, reused Message-IDs, re-sent text, loops, who is on a
ticket, and how many acknowledgements went out (see gateway/parsing/identity.py for the keys)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.store import counters
from gateway.store.connection import Connection
from gateway.store.records import iso


@dataclass(frozen=True, slots=True)
class StoredMail:
    """An inbound message already stored, as far as identity goes."""

    id: int
    ticket_id: int
    direction: str  # in | out (ours)
    sender: str
    fingerprint: str | None  # None for messages stored before fingerprints existed
    content_hash: str | None


_COLUMNS = "id, ticket_id, direction, sender, fingerprint, content_hash"


def _stored(row: Any) -> StoredMail:
    return StoredMail(
        id=row["id"],
        ticket_id=row["ticket_id"],
        direction=row["direction"],
        sender=row["sender"],
        fingerprint=row["fingerprint"],
        content_hash=row["content_hash"],
    )


async def copy_of(db: Connection, fingerprint: str) -> StoredMail | None:
    """The stored copy of the message with this fingerprint, if any."""
    async with db.execute(
        f"SELECT {_COLUMNS} FROM messages WHERE fingerprint = ? AND direction = 'in'"
        " ORDER BY id LIMIT 1",
        (fingerprint,),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else _stored(row)


async def holder_of(db: Connection, message_id: str) -> StoredMail | None:
    """The message stored under this Message-ID (the first to arrive with it), any direction."""
    async with db.execute(
        f"SELECT {_COLUMNS} FROM messages WHERE message_id = ?", (message_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else _stored(row)


@dataclass(slots=True)
class Known:
    """A batch's `copy_of` and `holder_of` answers, read in one query each before its first
    message is written. They hold only for keys no earlier message of the batch carried
    (that message may have been stored since): for those the caller asks the store again."""

    copies: dict[str, StoredMail]  # fingerprint -> the first stored copy
    holders: dict[str, StoredMail]  # Message-ID -> the message holding it
    seen: set[str]

    def answers(self, key: str) -> bool:
        return key not in self.seen

    def saw(self, fingerprint: str, message_id: str | None) -> None:
        """A message of the batch with these keys has been written (or placed)."""
        self.seen.add(fingerprint)
        if message_id:
            self.seen.add(message_id)


async def known_for(
    db: Connection, fingerprints: Sequence[str], message_ids: Sequence[str]
) -> Known:
    """What `copy_of` and `holder_of` would answer for each of a batch's keys, now."""
    copies: dict[str, StoredMail] = {}
    holders: dict[str, StoredMail] = {}
    if fingerprints:
        marks = ",".join("?" * len(fingerprints))
        rows = await db.execute_fetchall(
            f"SELECT {_COLUMNS} FROM messages WHERE fingerprint IN ({marks})"
            " AND direction = 'in' ORDER BY id",
            tuple(fingerprints),
        )
        for row in rows:  # the first stored copy, as `copy_of` answers
            copies.setdefault(row["fingerprint"], _stored(row))
    if message_ids:
        marks = ",".join("?" * len(message_ids))
        rows = await db.execute_fetchall(
            f"SELECT {_COLUMNS}, message_id FROM messages WHERE message_id IN ({marks})",
            tuple(message_ids),
        )
        holders = {row["message_id"]: _stored(row) for row in rows}
    return Known(copies, holders, set())


async def holders_of(db: Connection, message_ids: Sequence[str]) -> list[StoredMail]:
    """The stored messages named by any of these Message-IDs, newest first."""
    if not message_ids:
        return []
    marks = ",".join("?" * len(message_ids))
    async with db.execute(
        f"SELECT {_COLUMNS} FROM messages WHERE message_id IN ({marks}) ORDER BY id DESC",
        tuple(message_ids),
    ) as cursor:
        return [_stored(row) for row in await cursor.fetchall()]


async def same_text_from(
    db: Connection, sender: str, subject_stem: str, body_hash: str, since: datetime
) -> StoredMail | None:
    """The latest message with this subject stem and text from `sender` since `since`, on a
    ticket that is not closed."""
    async with db.execute(
        "SELECT m.id, m.ticket_id, m.direction, m.sender, m.fingerprint, m.content_hash"
        " FROM messages m"
        " JOIN tickets t ON t.id = m.ticket_id"
        " WHERE m.direction = 'in' AND m.body_hash = ? AND m.subject_stem = ?"
        " AND m.sender = ? AND m.created_at >= ? AND t.status != 'closed'"
        " ORDER BY m.id DESC LIMIT 1",
        (body_hash, subject_stem, sender, iso(since)),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else _stored(row)


async def same_text_senders(
    db: Connection, subject_stem: str, body_hash: str, since: datetime
) -> int:
    """How many different senders sent this subject stem and text since `since`."""
    async with db.execute(
        "SELECT COUNT(DISTINCT sender) AS n FROM messages"
        " WHERE direction = 'in' AND body_hash = ? AND subject_stem = ? AND created_at >= ?",
        (body_hash, subject_stem, iso(since)),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row["n"]) if row else 0


async def is_participant(db: Connection, ticket_id: int, address: str) -> bool:
    """Whether `address` is on the ticket: its customer, a sender of one of its messages, or
    someone we wrote to about it."""
    address = address.strip().lower()
    if not address:
        return False
    async with db.execute(
        "SELECT 1 FROM tickets WHERE id = ? AND lower(customer) = ?"
        " UNION ALL SELECT 1 FROM messages WHERE ticket_id = ? AND direction = 'in'"
        " AND lower(sender) = ?"
        " UNION ALL SELECT 1 FROM outbox WHERE ticket_id = ? AND lower(recipient) = ?"
        " LIMIT 1",
        (ticket_id, address, ticket_id, address, ticket_id, address),
    ) as cursor:
        return await cursor.fetchone() is not None


async def has_written(db: Connection, address: str) -> bool:
    """Whether mail from `address` has reached the desk before (it then is no stranger)."""
    async with db.execute(
        "SELECT 1 FROM messages WHERE direction = 'in' AND sender = ? LIMIT 1",
        (address.strip().lower(),),
    ) as cursor:
        return await cursor.fetchone() is not None


async def acks_from_desk(db: Connection, desk: str, since: datetime, *, up_to: int) -> int:
    """Acknowledgements queued for the desk's tickets since `since`, counted up to `up_to`
    (the budget: past it the exact number changes nothing, and counting on would cost more
    the bigger the storm).

    The count is the desk's turn until this transaction ends (`counters.wait_for_turn`): a
    second node deciding at the same moment counts after this one's acknowledgement is
    committed, so two nodes never both take the budget's last one. (A count and an insert in
    one statement would not do: under READ COMMITTED each transaction counts in its own
    snapshot, blind to the other's uncommitted row.)"""
    await counters.wait_for_turn(db, f"ack-budget:{desk}")
    async with db.execute(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM outbox"
        " WHERE purpose = 'ack' AND desk = ? AND created_at > ? LIMIT ?) AS recent",
        (desk, iso(since), up_to),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row["n"]) if row else 0
