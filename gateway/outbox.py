"""The outbox worker: delivers queued messages with retries, exactly once per idempotency key.

Rows are claimed with a lease (see `store.outbox.claim_due`; pages and every other urgent row
before acknowledgements, which wait while the inbox has a storm's backlog: `_plan`), handed
to the transport for their kind, and finished as `sent`, retried with exponential backoff on
a temporary error, or `failed` on a permanent one (or after `give_up_after`). Hooks let other
parts react to a permanent failure inside the same transaction — paging escalates at once,
for example.

An attempt whose answer was lost after the message may have been taken (`DeliveryUnconfirmed`,
cut off by `send_timeout` / `sms_send_timeout`, or in flight when the process stopped) is
neither: the row becomes `unconfirmed`. An SMS is then reconciled — the transport looks for it
at the provider — and sent again only if the provider has none; an email (SMTP cannot be asked)
is sent again with the same Message-ID at most `unconfirmed_resends` times, after which the row
settles as `unconfirmed`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from gateway.clock import Clock
from gateway.config import OutboxSettings
from gateway.metrics import Metrics
from gateway.store import Store
from gateway.store import outbox as sql
from gateway.store.connection import Connection
from gateway.store.records import OutboxItem
from gateway.store.tickets import add_event
from gateway.transports import (
    DeliveryUnconfirmed,
    EmailTransport,
    IdempotentTransport,
    LocalTransport,
    OutboundEmail,
    OutboundSms,
    SmsReconciler,
    SmsTransport,
    TransportError,
)
from gateway.transports.webhook import OutboundWebhook, WebhookTransport
from gateway.worker import PollingWorker

log = logging.getLogger(__name__)

LEASE_MARGIN = timedelta(minutes=1)
# Deliveries in flight when both transports write locally (the demo desk's files): they
# batch what is sent together, so a larger round costs less per message, and no provider
# sees more connections. Remote transports keep `outbox.concurrency`.
LOCAL_SLICE = 64

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
        webhook: WebhookTransport | None = None,
    ) -> None:
        super().__init__()
        self._store = store
        self._clock = clock
        self._settings = settings
        self._email = email
        self._sms = sms
        self._webhook = webhook
        self._metrics = metrics
        self._failure_hooks: dict[str, list[FailureHook]] = {}
        self._sent_hooks: dict[str, list[SentHook]] = {}
        self._in_flight: set[asyncio.Task[None]] = set()
        local = isinstance(email, LocalTransport) and isinstance(sms, LocalTransport)
        self._limit = max(settings.concurrency, LOCAL_SLICE) if local else settings.concurrency
        self._news = asyncio.Event()  # set by every commit: maybe something new is due
        store.on_commit(self.notify)

    def on_permanent_failure(self, purpose: str, hook: FailureHook) -> None:
        self._failure_hooks.setdefault(purpose, []).append(hook)

    def on_sent(self, purpose: str, hook: SentHook) -> None:
        self._sent_hooks.setdefault(purpose, []).append(hook)

    def notify(self) -> None:
        super().notify()
        self._news.set()

    async def run(self) -> None:
        try:
            await super().run()
        finally:  # a delivery cut off here stays in flight: the next start treats it as
            # unconfirmed (see `deliver`), exactly as after a crash
            for task in self._in_flight:
                task.cancel()
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def run_once(self) -> int:
        """Start every row due now (up to the in-flight limit: `concurrency`, or `LOCAL_SLICE`
        with the file transports; urgent rows first, see `_plan`), then wait until all
        deliveries in flight have ended or new work is due; returns how many were started.

        One slow delivery (a relay may take 10 minutes to answer DATA) must not hold back a
        page enqueued meanwhile, so deliveries run as tasks and a due row is started as
        soon as there is room, not after the slowest of the previous round.
        """
        started = await self._start_due()
        while self._in_flight:
            self._news.clear()
            everything = asyncio.ensure_future(
                asyncio.wait(set(self._in_flight), return_when=asyncio.ALL_COMPLETED)
            )
            news = asyncio.ensure_future(self._news.wait())
            try:
                await asyncio.wait({everything, news}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                everything.cancel()
                news.cancel()
            if self._in_flight and await self._room_and_due():
                break
        return started

    async def _room_and_due(self) -> bool:
        if len(self._in_flight) >= self._limit:
            return False
        return await self._plan(self._clock.now()) is not None

    async def _plan(self, now: datetime) -> int | None:
        """How many acknowledgements and promises this round may start, or None when no row
        it may start is due (so nothing is claimed: a claim is a commit, and every commit
        wakes this worker).

        Storm order: while the inbox holds `defer_backlog` messages or more, the intake
        worker's tickets and pages come first and acknowledgements wait (0), until one has
        been due for `defer_max`; then they go `defer_slice` per round, between the pages.
        """
        settings = self._settings

        async def look(db: Connection) -> tuple[datetime | None, datetime | None, bool]:
            urgent = await sql.next_due(db, lane="urgent")
            deferred = await sql.next_due(db, lane="deferred")
            storm = deferred is not None and deferred <= now
            if storm:
                storm = await sql.inbox_backlog_reaches(db, settings.defer_backlog)
            return urgent, deferred, storm

        urgent, deferred, storm = await self._store.read(look)
        acks = self._limit  # as many as there is room for
        if storm and deferred is not None:
            acks = settings.defer_slice if now - deferred >= settings.defer_max else 0
        if urgent is not None and urgent <= now:
            return acks
        if deferred is not None and deferred <= now and acks != 0:
            return acks
        return None

    async def _start_due(self) -> int:
        room = self._limit - len(self._in_flight)
        now = self._clock.now()
        # Look before claiming: a claim is a write, and every commit wakes this worker, so
        # claiming blindly would keep an idle gateway committing in a loop.
        if room <= 0:
            return 0
        acks = await self._plan(now)
        if acks is None:
            return 0
        # Longer than any attempt can take: the row is due again only if this process died.
        lease = now + self._settings.send_timeout + LEASE_MARGIN
        sms_lease = now + self._settings.sms_send_timeout + LEASE_MARGIN
        items = await self._store.write(
            lambda db: sql.claim_due(
                db, now, lease, limit=room, sms_lease_until=sms_lease, deferrable=acks
            )
        )
        for item in items:
            task = asyncio.create_task(self.deliver(item))
            self._in_flight.add(task)
            task.add_done_callback(self._delivery_ended)
        return len(items)

    def _delivery_ended(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # Recording the result failed (the store, most likely): the row stays leased
            # and in flight, and is treated as unconfirmed when its lease ends.
            log.error("outbox delivery failed", exc_info=task.exception())

    async def deliver(self, item: OutboxItem) -> None:
        if item.attempt_started_at is not None and self._resend_is_safe(item):
            # Cut off in flight (the process stopped), by a transport that never delivers a
            # key twice: making the attempt again is all there is to do.
            await self._attempt(item)
            return
        if item.attempt_started_at is not None and (
            item.state == "pending" or self._reconciler(item) is None
        ):
            # Its lease ran out in flight: the process stopped while sending, maybe after
            # the message left. That attempt's answer is lost, like any other.
            started = item.attempt_started_at.isoformat()
            await self._unconfirmed_attempt(item, f"the attempt started {started} never ended")
            return
        if item.state == "unconfirmed":
            await self._follow_up(item)
        else:
            await self._attempt(item)

    def _time_limit(self, item: OutboxItem) -> timedelta:
        settings = self._settings
        return settings.sms_send_timeout if item.kind == "sms" else settings.send_timeout

    async def _attempt(self, item: OutboxItem) -> None:
        timeout = self._time_limit(item)
        try:
            # asyncio.timeout, not wait_for, which on Python 3.11 can swallow a cancellation.
            async with asyncio.timeout(timeout.total_seconds()):
                provider_id = await self._send(item)
        except DeliveryUnconfirmed as exc:
            await self._unconfirmed_attempt(item, str(exc))
        except TransportError as exc:
            await self._failed_attempt(item, str(exc), permanent=exc.permanent)
        except TimeoutError:  # the transport may have handed it over before we cut it off
            await self._unconfirmed_attempt(item, f"no answer within {timeout}")
        except Exception as exc:  # a bug in a transport must not stop the worker
            log.exception("transport crashed on outbox row %d", item.id)
            await self._failed_attempt(item, f"internal error: {exc!r}", permanent=False)
        else:
            await self._store.write(lambda db: self._record_sent(db, item, provider_id))
            self._metrics.outbox_sent.labels(item.kind).inc()

    def _resend_is_safe(self, item: OutboxItem) -> bool:
        transport = self._sms if item.kind == "sms" else self._email
        return isinstance(transport, IdempotentTransport)

    def _reconciler(self, item: OutboxItem) -> SmsReconciler | None:
        if item.kind == "sms" and isinstance(self._sms, SmsReconciler):
            return self._sms
        return None

    async def _follow_up(self, item: OutboxItem) -> None:
        """An earlier attempt's answer was lost: ask the provider, or resend within the cap."""
        reconciler = self._reconciler(item)
        if reconciler is None:
            await self._attempt(item)  # scheduled as one of the capped resends
            return
        timeout = self._time_limit(item).total_seconds()
        try:
            others = await self._store.read(
                lambda db: sql.provider_ids_to(db, item.recipient, besides=item.id)
            )
            provider_id = await asyncio.wait_for(
                reconciler.find_sent_sms(
                    _sms(item.payload), item.idempotency_key, item.created_at, others
                ),
                timeout,
            )
        except (TransportError, TimeoutError) as exc:
            await self._reconcile_later(item, str(exc) or "no answer")
            return
        if provider_id is not None:
            log.info("outbox row %d found at the provider as %s", item.id, provider_id)
            await self._store.write(
                lambda db: self._record_sent(db, item, provider_id, confirmed="reconciled")
            )
            self._metrics.outbox_sent.labels(item.kind).inc()
            return
        if item.unconfirmed > self._settings.unconfirmed_resends:
            reason = (
                f"not found at the provider after {item.unconfirmed} sends whose answer was lost"
            )
            await self._store.write(lambda db: self._record_failure(db, item, reason))
            self._metrics.outbox_failed.labels(item.kind).inc()
            return
        await self._attempt(item)  # the provider has none: sending is safe

    async def _unconfirmed_attempt(self, item: OutboxItem, error: str) -> None:
        now = self._clock.now()
        lost = item.unconfirmed + 1
        self._metrics.outbox_unconfirmed.labels(item.kind).inc()
        if self._reconciler(item) is not None:
            next_at, plan = now + self._settings.reconcile_after, "reconcile"
        elif lost <= self._settings.unconfirmed_resends:
            next_at, plan = now + backoff(self._settings, item), "resend"
        else:
            next_at, plan = now, "settled"
        log.warning("outbox row %d (%s) unconfirmed: %s (%s)", item.id, item.purpose, error, plan)

        async def record(db: Connection) -> None:
            await sql.mark_unconfirmed(db, item.id, error, next_at)
            if plan == "settled":
                await sql.settle_unconfirmed(db, item.id, error, now)
            detail: dict[str, object] = {"to": item.recipient, "error": error, "then": plan}
            if plan != "settled":
                detail["next"] = next_at.isoformat()
            await add_event(db, item.ticket_id, now, f"{item.purpose}-unconfirmed", **detail)

        await self._store.write(record)

    async def _reconcile_later(self, item: OutboxItem, error: str) -> None:
        now = self._clock.now()
        if now - item.created_at >= self._settings.give_up_after:
            await self._settle_unconfirmed(item, f"gave up asking the provider: {error}")
            return
        retry_at = now + backoff(self._settings, item)
        log.info("outbox row %d: cannot reconcile (%s); again at %s", item.id, error, retry_at)
        await self._store.write(
            lambda db: sql.reschedule(db, item.id, f"reconciling: {error}", retry_at)
        )

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
            return await self._sms.send_sms(_sms(payload), item.idempotency_key)
        if item.kind == "webhook" and self._webhook is not None:
            hook = OutboundWebhook(
                url=payload["url"],
                event=payload["event"],
                body=payload["body"].encode("utf-8"),
                secret_env=payload["secret_env"],
                timeout=payload["timeout"],
            )
            return await self._webhook.send_webhook(hook, item.idempotency_key)
        raise TransportError(f"no transport for kind {item.kind!r}", permanent=True)

    async def _record_sent(
        self,
        db: Connection,
        item: OutboxItem,
        provider_id: str | None,
        *,
        confirmed: str = "answered",
    ) -> None:
        now = self._clock.now()
        await sql.mark_sent(db, item.id, provider_id, now)
        detail: dict[str, object] = {"to": item.recipient}
        if item.unconfirmed:  # say how it became certain, and how many sends it took
            detail.update(confirmed=confirmed, unconfirmed_before=item.unconfirmed)
        await add_event(db, item.ticket_id, now, f"{item.purpose}-sent", **detail)
        number = None  # read only for the log line: one per acknowledgement or page
        if item.ticket_id is not None and log.isEnabledFor(logging.INFO):
            number = (await sql.ticket_numbers(db, {item.ticket_id})).get(item.ticket_id)
        if number is not None:  # the ticket's number only: no address, no phone number
            log.info(
                "ticket %d: %s %s sent",
                number,
                item.purpose,
                item.kind,
                extra={"ticket": number, "event": f"{item.purpose}-sent"},
            )
        for hook in self._sent_hooks.get(item.purpose, []):
            await hook(db, item, provider_id)

    async def _failed_attempt(self, item: OutboxItem, error: str, *, permanent: bool) -> None:
        now = self._clock.now()
        expired = now - item.created_at >= self._settings.give_up_after
        if expired and not permanent and item.unconfirmed:
            # An earlier attempt may have delivered it: giving up is "unknown", not "failed".
            await self._settle_unconfirmed(item, f"gave up after {item.attempts} attempts: {error}")
            return
        if permanent or expired:
            reason = error if permanent else f"gave up after {item.attempts} attempts: {error}"
            log.warning("outbox row %d (%s) failed: %s", item.id, item.purpose, reason)
            await self._store.write(lambda db: self._record_failure(db, item, reason))
            self._metrics.outbox_failed.labels(item.kind).inc()
            return
        retry_at = now + backoff(self._settings, item)
        log.info("outbox row %d: %s; retrying at %s", item.id, error, retry_at.isoformat())
        await self._store.write(lambda db: sql.mark_retry(db, item.id, error, retry_at))

    async def _settle_unconfirmed(self, item: OutboxItem, reason: str) -> None:
        now = self._clock.now()
        log.warning("outbox row %d (%s) settled unconfirmed: %s", item.id, item.purpose, reason)

        async def settle(db: Connection) -> None:
            await sql.settle_unconfirmed(db, item.id, reason, now)
            await add_event(
                db, item.ticket_id, now, f"{item.purpose}-unconfirmed", error=reason, then="settled"
            )

        await self._store.write(settle)

    async def _record_failure(self, db: Connection, item: OutboxItem, error: str) -> None:
        now = self._clock.now()
        await sql.mark_failed(db, item.id, error, now)
        await add_event(db, item.ticket_id, now, f"{item.purpose}-failed", error=error)
        for hook in self._failure_hooks.get(item.purpose, []):
            await hook(db, item, error)

    async def next_due(self) -> datetime | None:
        return await self._store.read(sql.next_due)


def _sms(payload: dict[str, Any]) -> OutboundSms:
    return OutboundSms(
        to=payload["to"],
        body=payload["body"],
        sender=payload.get("from"),
        validity_period=payload.get("validity_period"),
        status_callback=payload.get("status_callback"),
    )
