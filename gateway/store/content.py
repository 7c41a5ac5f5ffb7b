"""SQL for what a ticket page shows beside the thread's text: attachments, the raw mail a
message was parsed from (for its HTML and inline images), and voicemails.

Reads only. Every lookup names the ticket too, so a URL that pairs one ticket's number with
another ticket's attachment or message finds nothing.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from gateway.store.connection import Connection
from gateway.store.voice import Voicemail


@dataclass(frozen=True, slots=True)
class StoredAttachment:
    id: int
    message_id: int
    filename: str
    content_type: str
    size: int
    stored: bool  # False when it was over the size limit: only its name and size were kept

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> StoredAttachment:
        return cls(
            id=row["id"],
            message_id=row["message_id"],
            filename=row["filename"],
            content_type=row["content_type"],
            size=row["size"],
            stored=bool(row["stored"]),
        )


_ATTACHMENT = (
    "SELECT a.id, a.message_id, a.filename, a.content_type, a.size,"
    " CASE WHEN a.content IS NULL THEN 0 ELSE 1 END AS stored"
    " FROM attachments a JOIN messages m ON m.id = a.message_id"
)


async def attachments_of_ticket(db: Connection, ticket_id: int) -> list[StoredAttachment]:
    """Every attachment of the ticket's messages, without their bytes."""
    async with db.execute(
        f"{_ATTACHMENT} WHERE m.ticket_id = ? ORDER BY a.id", (ticket_id,)
    ) as cursor:
        return [StoredAttachment.from_row(row) for row in await cursor.fetchall()]


async def attachment_content(
    db: Connection, ticket_id: int, attachment_id: int
) -> tuple[StoredAttachment, bytes | None] | None:
    """One attachment of the ticket with its bytes (None when they were not stored)."""
    async with db.execute(
        f"{_ATTACHMENT.replace('SELECT ', 'SELECT a.content, ', 1)}"
        " WHERE m.ticket_id = ? AND a.id = ?",
        (ticket_id, attachment_id),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    content = row["content"]
    return StoredAttachment.from_row(row), None if content is None else bytes(content)


async def raw_message(db: Connection, ticket_id: int, message_id: int) -> bytes | None:
    """The bytes a message of the ticket was parsed from, when the inbox still holds them."""
    async with db.execute(
        "SELECT i.raw FROM messages m JOIN inbox i ON i.id = m.inbox_id"
        " WHERE m.ticket_id = ? AND m.id = ? AND m.channel = 'email'",
        (ticket_id, message_id),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None or row["raw"] is None else bytes(row["raw"])


async def voicemails_of_ticket(db: Connection, ticket_id: int) -> dict[int, Voicemail]:
    """The ticket's voicemails by the id of the message each one is."""
    async with db.execute(
        "SELECT * FROM voicemails WHERE ticket_id = ? ORDER BY id", (ticket_id,)
    ) as cursor:
        return {v.message_id: v for v in map(Voicemail.from_row, await cursor.fetchall())}
