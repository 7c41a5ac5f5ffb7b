"""The outbox worker: delivers queued messages with retries, exactly once per idempotency key.

Rows are claimed with a lease (see `store.outbox.claim_due`), handed to the transport for their
kind, and finished as `sent`, retried with exponential backoff on a temporary error, or
`failed` on a permanent one (or after `give_up_after`). Hooks let other parts react to a
permanent failure inside the same transaction — paging escalates at once, for example.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from gateway.clock import Clock
from gateway.config import OutboxSettings
from gateway.metrics import Metrics
from gateway.store import Store
from gateway.store import outbox as sql
from gateway.store.connection import Connection
from gateway.store.records import OutboxItem
from gateway.store.tickets import add_event, ticket_by_id
from gateway.transports import (
    EmailTransport,
    OutboundEmail,
    OutboundSms,
    SmsTransport,
    TransportError,
)
from gateway.worker import PollingWorker

log = logging.getLogger(__name__)

FailureHook = Callable[[Connection, OutboxItem, str], Awaitable[None]]
SentHook = Callable[[Connection, OutboxItem, str | None], Awaitable[None]]


def backoff(settings: OutboxSettings, item: OutboxItem) -> timedelta:
    """Exponential backoff with a fixed per-row jitter, so a burst of failures spreads out."""
    base = settings.backoff_initial * (2 ** max(0, item.attempts - 1))
    jitter = int(hashlib.sha256(item.idempotency_key.encode()).hexdigest()[:4], 16) / 0xFFFF
    return min(settings.backoff_max, base * (1 + 0.2 * jitter))


class OutboxWorker(PollingWorker):
    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: OutboxSettings,
        *,
        email: EmailTransport,
        sms: SmsTransport,
        metrics: Metrics,
    ) -> None:
        super().__init__()
        self._store = store
        self._clock = clock
        self._settings = settings
        self._email = email
        self._sms = sms
        self._metrics = metrics
        self._failure_hooks: dict[str, list[FailureHook]] = {}
        self._sent_hooks: dict[str, list[SentHook]] = {}
        store.on_commit(self.notify)

    def on_permanent_failure(self, purpose: str, hook: FailureHook) -> None:
        self._failure_hooks.setdefault(purpose, []).append(hook)

    def on_sent(self, purpose: str, hook: SentHook) -> None:
        self._sent_hooks.setdefault(purpose, []).append(hook)

    async def run_once(self) -> int:
        """Deliver every row due now; returns how many were attempted."""
        now = self._clock.now()
        # Look before claiming: a claim is a write, and every commit wakes this worker, so
        # claiming blindly would keep an idle gateway committing in a loop.
        due = await self._store.read(sql.next_due)
        if due is None or due > now:
            return 0
        lease_until = now + self._settings.send_timeout * 2
        items = await self._store.write(
            lambda db: sql.claim_due(db, now, lease_until, limit=self._settings.concurrency * 4)
        )
        if not items:
            return 0
        limit = asyncio.Semaphore(self._settings.concurrency)

        async def deliver_limited(item: OutboxItem) -> None:
            async with limit:
                await self.deliver(item)

        await asyncio.gather(*(deliver_limited(item) for item in items))
        return len(items)

    async def deliver(self, item: OutboxItem) -> None:
        try:
            # asyncio.timeout, not wait_for, which on Python 3.11 can swallow a cancellation.
            async with asyncio.timeout(self._settings.send_timeout.total_seconds()):
                provider_id = await self._send(item)
        except TransportError as exc:
            await self._failed_attempt(item, str(exc), permanent=exc.permanent)
        except TimeoutError:
            await self._failed_attempt(item, "timed out", permanent=False)
        except Exception as exc:  # a bug in a transport must not stop the worker
            log.exception("transport crashed on outbox row %d", item.id)
            await self._failed_attempt(item, f"internal error: {exc!r}", permanent=False)
        else:
            await self._store.write(lambda db: self._record_sent(db, item, provider_id))
            self._metrics.outbox_sent.labels(item.kind).inc()

    async def _send(self, item: OutboxItem) -> str | None:
        payload = item.payload
        if item.kind == "email":
            email = OutboundEmail(
                envelope_from=payload["envelope_from"],
                recipients=tuple(payload["recipients"]),
                message=payload["message"].encode("utf-8"),
            )
            return await self._email.send_email(email, item.idempotency_key)
        if item.kind == "sms":
            sms = OutboundSms(
                to=payload["to"],
                body=payload["body"],
                sender=payload.get("from"),
                validity_period=payload.get("validity_period"),
                status_callback=payload.get("status_callback"),
            )
            return await self._sms.send_sms(sms, item.idempotency_key)
        raise TransportError(f"no transport for kind {item.kind!r}", permanent=True)

    async def _record_sent(self, db: Connection, item: OutboxItem, provider_id: str | None) -> None:
        now = self._clock.now()
        await sql.mark_sent(db, item.id, provider_id, now)
        await add_event(db, item.ticket_id, now, f"{item.purpose}-sent", to=item.recipient)
        ticket = await ticket_by_id(db, item.ticket_id) if item.ticket_id is not None else None
        if ticket is not None:  # one line per acknowledgement or page; no address, no number
            log.info(
                "ticket %d: %s %s sent",
                ticket.number,
                item.purpose,
                item.kind,
                extra={"ticket": ticket.number, "event": f"{item.purpose}-sent"},
            )
        for hook in self._sent_hooks.get(item.purpose, []):
            await hook(db, item, provider_id)

    async def _failed_attempt(self, item: OutboxItem, error: str, *, permanent: bool) -> None:
        now = self._clock.now()
        expired = now - item.created_at >= self._settings.give_up_after
        if permanent or expired:
            reason = error if permanent else f"gave up after {item.attempts} attempts: {error}"
            log.warning("outbox row %d (%s) failed: %s", item.id, item.purpose, reason)
            await self._store.write(lambda db: self._record_failure(db, item, reason))
            self._metrics.outbox_failed.labels(item.kind).inc()
            return
        retry_at = now + backoff(self._settings, item)
        log.info("outbox row %d: %s; retrying at %s", item.id, error, retry_at.isoformat())
        await self._store.write(lambda db: sql.mark_retry(db, item.id, error, retry_at))

    async def _record_failure(self, db: Connection, item: OutboxItem, error: str) -> None:
        now = self._clock.now()
        await sql.mark_failed(db, item.id, error, now)
        await add_event(db, item.ticket_id, now, f"{item.purpose}-failed", error=error)
        for hook in self._failure_hooks.get(item.purpose, []):
            await hook(db, item, error)

    async def next_due(self) -> datetime | None:
        return await self._store.read(sql.next_due)
