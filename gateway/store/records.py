"""Typed rows handed out by the store, and the one place times are encoded for it."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def iso(at: datetime) -> str:
    """Stored form of an instant: UTC, fixed width, so text order is time order."""
    if at.tzinfo is UTC:  # most instants are UTC already: ~20 of them per new ticket
        return at.isoformat(timespec="microseconds")
    if at.tzinfo is None:
        raise ValueError("refusing to store a naive datetime")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class InboxItem:
    id: int
    channel: str
    kind: str
    received_at: datetime
    source_key: str | None
    meta: dict[str, Any]
    raw: bytes | None
    state: str
    attempts: int
    error: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> InboxItem:
        return cls(
            id=row["id"],
            channel=row["channel"],
            kind=row["kind"],
            received_at=_instant(row["received_at"]),
            source_key=row["source_key"],
            meta=json.loads(row["meta"]),
            raw=row["raw"],
            state=row["state"],
            attempts=row["attempts"],
            error=row["error"],
        )


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    number: int
    channel: str
    customer: str
    customer_name: str
    desk: str
    policy: str
    subject: str
    declared_priority: str | None
    proposed_priority: str | None
    effective_priority: str
    confidence: float | None
    reasons: tuple[str, ...]
    received_at: datetime
    due_at: datetime | None
    after_hours: bool
    status: str
    created_at: datetime
    updated_at: datetime
    # The lifecycle (migrations 6 and 7): see gateway/lifecycle.py.
    assignee_id: int | None = None
    resolved_at: datetime | None = None
    auto_close_at: datetime | None = None
    monitoring: bool = False
    previous_ticket_id: int | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Ticket:
        return cls(
            id=row["id"],
            number=row["number"],
            channel=row["channel"],
            customer=row["customer"],
            customer_name=row["customer_name"],
            desk=row["desk"],
            policy=row["policy"],
            subject=row["subject"],
            declared_priority=row["declared_priority"],
            proposed_priority=row["proposed_priority"],
            effective_priority=row["effective_priority"],
            confidence=row["confidence"],
            reasons=tuple(json.loads(row["reasons"])),
            received_at=_instant(row["received_at"]),
            due_at=from_iso(row["due_at"]),
            after_hours=bool(row["after_hours"]),
            status=row["status"],
            created_at=_instant(row["created_at"]),
            updated_at=_instant(row["updated_at"]),
            assignee_id=row["assignee_id"],
            resolved_at=from_iso(row["resolved_at"]),
            auto_close_at=from_iso(row["auto_close_at"]),
            monitoring=bool(row["monitoring"]),
            previous_ticket_id=row["previous_ticket_id"],
        )


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    ticket_id: int
    direction: str
    channel: str
    message_id: str | None
    sender: str
    subject: str
    body_text: str
    latest_text: str
    meta: dict[str, Any]
    created_at: datetime

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Message:
        return cls(
            id=row["id"],
            ticket_id=row["ticket_id"],
            direction=row["direction"],
            channel=row["channel"],
            message_id=row["message_id"],
            sender=row["sender"],
            subject=row["subject"],
            body_text=row["body_text"],
            latest_text=row["latest_text"],
            meta=json.loads(row["meta"]),
            created_at=_instant(row["created_at"]),
        )


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    ticket_id: int | None
    kind: str
    purpose: str
    idempotency_key: str
    recipient: str
    payload: dict[str, Any]
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    provider_id: str | None
    created_at: datetime
    sent_at: datetime | None
    unconfirmed: int = 0  # attempts whose answer was lost
    attempt_started_at: datetime | None = None  # set while an attempt is in flight

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> OutboxItem:
        return cls(
            id=row["id"],
            ticket_id=row["ticket_id"],
            kind=row["kind"],
            purpose=row["purpose"],
            idempotency_key=row["idempotency_key"],
            recipient=row["recipient"],
            payload=json.loads(row["payload"]),
            state=row["state"],
            attempts=row["attempts"],
            next_attempt_at=_instant(row["next_attempt_at"]),
            last_error=row["last_error"],
            provider_id=row["provider_id"],
            created_at=_instant(row["created_at"]),
            sent_at=from_iso(row["sent_at"]),
            unconfirmed=row["unconfirmed"],
            attempt_started_at=from_iso(row["attempt_started_at"]),
        )


@dataclass(frozen=True, slots=True)
class Event:
    ticket_id: int | None
    at: datetime
    kind: str
    detail: dict[str, Any]

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Event:
        return cls(row["ticket_id"], _instant(row["at"]), row["kind"], json.loads(row["detail"]))
