"""What Twilio tells us about the SMS we sent: delivery status callbacks and send failures.

Statuses only move forward (queued < sending < sent < delivered; failed and undelivered are
final), whatever order the callbacks arrive in. A message that failed with a temporary error
(30001 queue overflow, 30008 unknown) is sent again through the outbox with backoff, a few
times; any other failure is permanent, and a permanent failure of an SMS of pages escalates
every page it carried at once.
A status can arrive before the outbox has recorded the MessageSid it belongs to: it is kept,
and applied when the send is recorded (`on_sent`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from gateway.clock import Clock
from gateway.config import Settings
from gateway.store import outbox as outbox_sql
from gateway.store import paging as paging_sql
from gateway.store import voice as sql
from gateway.store.connection import Connection
from gateway.store.records import OutboxItem
from gateway.store.tickets import add_event
from gateway.transports.twilio_sms import TEMPORARY_CODES
from voice.paging import Paging

log = logging.getLogger(__name__)

STATUS_RANK = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "canceled": 4,
    "read": 5,
}
FAILED = frozenset({"failed", "undelivered"})
REPORTED = frozenset({"delivered", *FAILED})  # worth an event on the ticket


def rank(status: str) -> int:
    return STATUS_RANK.get(status, 0)


def is_temporary(error_code: str | None) -> bool:
    return error_code is not None and error_code.isdigit() and int(error_code) in TEMPORARY_CODES


class Delivery:
    def __init__(self, clock: Clock, settings: Settings, paging: Paging) -> None:
        self._clock = clock
        self._settings = settings
        self._paging = paging

    async def status_callback(
        self, db: Connection, message_sid: str, status: str, error_code: str | None
    ) -> None:
        """Record a status callback (already stored as a webhook); act on it if it is news."""
        now = self._clock.now()
        moved = await sql.advance_sms_status(
            db, message_sid, status=status, rank=rank(status), error_code=error_code, now=now
        )
        if not moved or status not in REPORTED:
            return  # late, repeated or out of order (never backwards), or nothing to act on
        item = await sql.outbox_for_message(db, message_sid)
        if item is not None:
            await self._apply(db, item, status, error_code, now)

    async def on_sent(self, db: Connection, item: OutboxItem, provider_id: str | None) -> None:
        """Outbox hook: a status that arrived before the send was recorded is applied now."""
        if provider_id is None:
            return
        known = await sql.sms_status(db, provider_id)
        if known is not None and known[0] in REPORTED:
            await self._apply(db, item, known[0], known[1], self._clock.now())

    async def on_permanent_failure(self, db: Connection, item: OutboxItem, error: str) -> None:
        """Outbox hook: Twilio refused the page for good (e.g. 21211 invalid number)."""
        await self._page_failed(db, item, error)

    async def _apply(
        self,
        db: Connection,
        item: OutboxItem,
        status: str,
        error_code: str | None,
        now: datetime,
    ) -> None:
        if status in REPORTED:
            detail = {"to": item.recipient, "sid": item.provider_id}
            if error_code:
                detail["error"] = error_code
            await add_event(db, item.ticket_id, now, f"{item.purpose}-{status}", **detail)
        if status not in FAILED:
            return
        if is_temporary(error_code) and await self._resend(db, item, error_code, now):
            return
        await self._page_failed(db, item, f"{status} (error {error_code or 'none'})")

    async def _resend(
        self, db: Connection, item: OutboxItem, error_code: str | None, now: datetime
    ) -> bool:
        attempt = int(item.payload.get("resend", 0)) + 1
        if attempt > self._settings.paging.sms_resends:
            return False
        if item.purpose == "page" and not await self._chain_active(db, item):
            return True  # acknowledged meanwhile: nothing to resend, nothing to escalate
        base = item.idempotency_key.partition("~")[0]
        delay = self._settings.outbox.backoff_initial * (2 ** (attempt - 1))
        await outbox_sql.enqueue(
            db,
            ticket_id=item.ticket_id,
            kind=item.kind,
            purpose=item.purpose,
            key=f"{base}~{attempt}",
            recipient=item.recipient,
            payload={**item.payload, "resend": attempt},
            now=now,
            not_before=now + min(delay, self._settings.outbox.backoff_max),
        )
        await add_event(
            db,
            item.ticket_id,
            now,
            f"{item.purpose}-resend",
            to=item.recipient,
            error=error_code,
            attempt=attempt,
        )
        return True

    async def _chain_active(self, db: Connection, item: OutboxItem) -> bool:
        """Whether any page this SMS carries still belongs to a chain being paged."""
        for page in await paging_sql.pages_in_sms(db, item.idempotency_key.partition("~")[0]):
            chain = await paging_sql.chain_by_id(db, page.chain_id)
            if chain is not None and chain.state == "active":
                return True
        return False

    async def _page_failed(self, db: Connection, item: OutboxItem, error: str) -> None:
        if item.purpose == "page":
            await self._paging.sms_failed(db, item.idempotency_key, error)
