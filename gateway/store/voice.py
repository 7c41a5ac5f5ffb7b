"""SQL for the phone side: webhooks handled on arrival, voicemails, SMS delivery statuses."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.store.connection import Connection, for_update
from gateway.store.records import OutboxItem, from_iso, iso


@dataclass(frozen=True, slots=True)
class Voicemail:
    id: int
    recording_sid: str
    call_sid: str
    ticket_id: int
    message_id: int
    caller: str | None
    desk: str
    recording_url: str | None
    duration: int | None
    recording_status: str | None
    transcript_state: str
    transcript_due_at: datetime
    created_at: datetime
    settled_at: datetime | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Voicemail:
        return cls(
            id=row["id"],
            recording_sid=row["recording_sid"],
            call_sid=row["call_sid"],
            ticket_id=row["ticket_id"],
            message_id=row["message_id"],
            caller=row["caller"],
            desk=row["desk"],
            recording_url=row["recording_url"],
            duration=row["duration"],
            recording_status=row["recording_status"],
            transcript_state=row["transcript_state"],
            transcript_due_at=datetime.fromisoformat(row["transcript_due_at"]),
            created_at=datetime.fromisoformat(row["created_at"]),
            settled_at=from_iso(row["settled_at"]),
        )

    @property
    def pending(self) -> bool:
        return self.transcript_state == "pending"


@dataclass(frozen=True, slots=True)
class NewVoicemail:
    recording_sid: str
    call_sid: str
    ticket_id: int
    message_id: int
    caller: str | None
    desk: str
    recording_url: str | None
    duration: int | None
    transcript_due_at: datetime


# -- webhooks answered in their own transaction --------------------------------------------


async def record_webhook(
    db: Connection,
    *,
    channel: str,
    kind: str,
    received_at: datetime,
    meta: dict[str, Any],
    source_key: str,
    note: str | None = None,
) -> bool:
    """Store a webhook that is handled in this same transaction, as `done`, in one statement.

    False when `source_key` is already stored: a retry, whose effect has already happened.
    """
    cursor = await db.execute(
        "INSERT INTO inbox (channel, kind, received_at, source_key, meta, state, processed_at,"
        " error) VALUES (?, ?, ?, ?, ?, 'done', ?, ?) ON CONFLICT (source_key) DO NOTHING",
        (channel, kind, iso(received_at), source_key, json.dumps(meta), iso(received_at), note),
    )
    return cursor.rowcount == 1


@dataclass(frozen=True, slots=True)
class HandledWebhook:
    channel: str
    kind: str
    received_at: datetime
    meta: dict[str, Any]
    source_key: str
    note: str | None = None


async def record_webhooks(db: Connection, webhooks: Sequence[HandledWebhook]) -> set[str]:
    """`record_webhook` for many at once, in one statement; the source keys that were new."""
    if not webhooks:
        return set()
    rows = ", ".join(["(?, ?, ?, ?, ?, 'done', ?, ?)"] * len(webhooks))
    args: list[Any] = []
    for hook in webhooks:
        at = iso(hook.received_at)
        args += [hook.channel, hook.kind, at, hook.source_key, json.dumps(hook.meta), at, hook.note]
    created = await db.execute_fetchall(
        "INSERT INTO inbox (channel, kind, received_at, source_key, meta, state, processed_at,"
        f" error) VALUES {rows} ON CONFLICT (source_key) DO NOTHING RETURNING source_key",
        args,
    )
    return {row["source_key"] for row in created}


async def webhook_meta(db: Connection, source_key: str) -> dict[str, Any] | None:
    """The form of a stored webhook (e.g. `call:<CallSid>` for who called which number)."""
    async with db.execute("SELECT meta FROM inbox WHERE source_key = ?", (source_key,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else dict(json.loads(row["meta"]))


async def webhook_note(db: Connection, source_key: str) -> str | None:
    """The note stored with a handled webhook (e.g. the reply a staff text was given)."""
    rows = await db.execute_fetchall("SELECT error FROM inbox WHERE source_key = ?", (source_key,))
    return next((row["error"] for row in rows), None)


# -- voicemails ----------------------------------------------------------------------------


async def insert_voicemail(db: Connection, new: NewVoicemail, now: datetime) -> int:
    cursor = await db.execute(
        "INSERT INTO voicemails (recording_sid, call_sid, ticket_id, message_id, caller, desk,"
        " recording_url, duration, transcript_due_at, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            new.recording_sid,
            new.call_sid,
            new.ticket_id,
            new.message_id,
            new.caller,
            new.desk,
            new.recording_url,
            new.duration,
            iso(new.transcript_due_at),
            iso(now),
        ),
    )
    return int(cursor.lastrowid or 0)


async def voicemail_by_recording(db: Connection, recording_sid: str) -> Voicemail | None:
    async with db.execute(
        "SELECT * FROM voicemails WHERE recording_sid = ?", (recording_sid,)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else Voicemail.from_row(row)


async def lock_voicemail(db: Connection, recording_sid: str) -> Voicemail | None:
    """`voicemail_by_recording`, locked until commit: a node about to settle it goes first."""
    async with db.execute(
        "SELECT * FROM voicemails WHERE recording_sid = ?" + for_update(db), (recording_sid,)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else Voicemail.from_row(row)


async def voicemails_overdue(db: Connection, now: datetime, *, limit: int = 100) -> list[Voicemail]:
    """Voicemails still waiting for their transcript past `transcript_due_at`."""
    async with db.execute(
        "SELECT * FROM voicemails WHERE transcript_state = 'pending' AND transcript_due_at <= ?"
        " ORDER BY transcript_due_at, id LIMIT ?",
        (iso(now), limit),
    ) as cursor:
        return [Voicemail.from_row(row) for row in await cursor.fetchall()]


async def set_recording(
    db: Connection,
    voicemail_id: int,
    *,
    status: str,
    url: str | None,
    duration: int | None,
) -> None:
    await db.execute(
        "UPDATE voicemails SET recording_status = ?, recording_url = COALESCE(?, recording_url),"
        " duration = COALESCE(?, duration) WHERE id = ?",
        (status, url, duration, voicemail_id),
    )


async def settle_voicemail(
    db: Connection, voicemail_id: int, transcript_state: str, now: datetime
) -> bool:
    """Leave `pending` for `transcript_state`; False if someone settled it already."""
    cursor = await db.execute(
        "UPDATE voicemails SET transcript_state = ?, settled_at = ?"
        " WHERE id = ? AND transcript_state = 'pending'",
        (transcript_state, iso(now), voicemail_id),
    )
    return cursor.rowcount == 1


async def mark_late_transcript(db: Connection, voicemail_id: int) -> None:
    await db.execute(
        "UPDATE voicemails SET transcript_state = 'received' WHERE id = ?", (voicemail_id,)
    )


# -- SMS delivery statuses -----------------------------------------------------------------


async def advance_sms_status(
    db: Connection,
    message_sid: str,
    *,
    status: str,
    rank: int,
    error_code: str | None,
    now: datetime,
) -> bool:
    """Record `status` unless the message already has one of the same or a higher rank."""
    cursor = await db.execute(
        "INSERT INTO sms_status (message_sid, status, rank, error_code, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (message_sid) DO UPDATE SET"
        " status = excluded.status, rank = excluded.rank, error_code = excluded.error_code,"
        " updated_at = excluded.updated_at WHERE excluded.rank > sms_status.rank",
        (message_sid, status, rank, error_code, iso(now)),
    )
    return cursor.rowcount == 1


async def outbox_for_message(db: Connection, message_sid: str) -> OutboxItem | None:
    """The outbox row Twilio's MessageSid belongs to (one round trip: a hot path)."""
    rows = await db.execute_fetchall("SELECT * FROM outbox WHERE provider_id = ?", (message_sid,))
    return next((OutboxItem.from_row(row) for row in rows), None)


async def sms_status(db: Connection, message_sid: str) -> tuple[str, str | None] | None:
    """(status, error code) last recorded for a MessageSid."""
    async with db.execute(
        "SELECT status, error_code FROM sms_status WHERE message_sid = ?", (message_sid,)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else (row["status"], row["error_code"])
