"""The aiosmtpd handler: who we accept mail for, and the durable commit before `250`."""

from __future__ import annotations

import logging
from time import monotonic, perf_counter
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from gateway.activity import ListenerActivity
from gateway.clock import Clock
from gateway.config import Settings
from gateway.metrics import Metrics
from gateway.smtp import replies
from gateway.smtp.limits import ClientLimits
from gateway.smtp.limits_shared import SharedMessageRate
from gateway.smtp.spool import SpooledEnvelope
from gateway.store import Store
from gateway.store.inbox import insert_inbox

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 100


def client_address(session: Session) -> str:
    peer = session.peer
    return str(peer[0]) if isinstance(peer, tuple) and peer else str(peer)


class IntakeHandler:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        limits: ClientLimits,
        metrics: Metrics,
        activity: ListenerActivity,
    ) -> None:
        self.activity = activity
        self._store = store
        self._clock = clock
        self._settings = settings
        self._limits = limits
        self._metrics = metrics
        # The same per-client rate, held across every node sharing the database.
        self.desk_rate = SharedMessageRate(
            store, clock, settings.smtp.max_messages_per_client_per_minute
        )

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        client = client_address(session)
        if not self._limits.allow_message(client):
            self._metrics.messages_refused.labels("rate-limit").inc()
            return replies.RATE_LIMITED
        if not await self.desk_rate.allow(client):
            self._metrics.messages_refused.labels("rate-limit-desk").inc()
            return replies.RATE_LIMITED_DESK
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        if isinstance(envelope, SpooledEnvelope):
            envelope.begun_at = monotonic()
        return replies.SENDER_OK

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        # Never an open relay: only the desks' own addresses are accepted.
        if self._settings.desk_for(address) is None:
            self._metrics.messages_refused.labels("unknown-recipient").inc()
            return replies.UNKNOWN_RECIPIENT.format(address=address)
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return replies.TOO_MANY_RECIPIENTS
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return replies.RECIPIENT_OK

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        started = perf_counter()
        assert isinstance(envelope, SpooledEnvelope) and envelope.spool is not None
        spool = envelope.spool
        meta: dict[str, Any] = {
            "mail_from": envelope.mail_from or "",
            "rcpt_tos": list(envelope.rcpt_tos),
            "peer": client_address(session),
            "helo": session.host_name,
            "tls": session.ssl is not None,
        }
        try:
            # Urgent: the client waits on the line for this commit, so it goes ahead of the
            # workers' transactions (see Store.write).
            inbox_id, _ = await self._store.write(
                lambda db: insert_inbox(
                    db,
                    channel="email",
                    kind="message",
                    received_at=self._clock.now(),
                    meta=meta,
                    # Read on the writer thread, inside the commit: one message in memory at
                    # a time, however many sessions are delivering at once.
                    raw=spool.read(),
                ),
                urgent=True,
            )
        except Exception:
            log.exception("could not commit a message from %s", meta["peer"])
            self._metrics.messages_refused.labels("internal-error").inc()
            return replies.INTERNAL_ERROR
        self.activity.accepted()
        self._metrics.messages_received.labels("email").inc()
        self._metrics.accept_latency.observe(perf_counter() - started)
        return replies.QUEUED.format(id=inbox_id)

    async def handle_exception(self, error: Exception) -> str:
        # Never a 5xx, never a traceback on the wire: the client will simply try again.
        log.error("SMTP session error: %r", error, exc_info=error)
        return replies.INTERNAL_ERROR
