"""The email intake worker: turns accepted raw messages into tickets, replies and acknowledgements.

Runs after the `250`: each inbox row is parsed and classified, then one transaction deduplicates
it, threads it onto its ticket or opens a new one, records the acknowledgement in the outbox
(unless loop protection says no) and marks the row done. A crash anywhere leaves the row `new`,
so it is processed again from scratch, exactly once in effect.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment

from gateway.ack import ack_message_id, render_ack_email
from gateway.activity import ListenerActivity
from gateway.clock import Clock
from gateway.config import DeskSettings, Settings
from gateway.hooks import TicketHook
from gateway.metrics import Metrics
from gateway.parsing import ParsedMessage, automated_reason, parse_message, ticket_tag
from gateway.policybook import PolicyBook
from gateway.promise import promise_for
from gateway.store import Store
from gateway.store import inbox as inbox_sql
from gateway.store import outbox as outbox_sql
from gateway.store import tickets as sql
from gateway.store.connection import Connection
from gateway.store.records import InboxItem, Ticket
from gateway.ticketing import Arrival, default_decision, open_ticket
from gateway.triage import Decision, Proposer
from gateway.worker import PollingWorker
from policies import Policy

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Routing:
    desk: DeskSettings
    policy: Policy
    customer: str


class EmailIntake(PollingWorker):
    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        *,
        policies: PolicyBook,
        proposer: Proposer,
        templates: Environment,
        metrics: Metrics,
        hooks: tuple[TicketHook, ...] = (),
        activity: ListenerActivity | None = None,
    ) -> None:
        super().__init__()
        self._activity = activity or ListenerActivity()
        self._store = store
        self._clock = clock
        self._settings = settings
        self._policies = policies
        self._proposer = proposer
        self._templates = templates
        self._metrics = metrics
        self._hooks = hooks
        store.on_commit(self.notify)

    async def hold_back(self) -> float:
        """Yield to the listener during a burst, unless the backlog is older than max_defer."""
        if not self._activity.busy():
            return 0.0
        oldest = await self._store.read(lambda db: inbox_sql.oldest_pending(db, "email"))
        if oldest is not None and self._clock.now() - oldest >= self._settings.worker.max_defer:
            return 0.0
        return self._activity.quiet_after

    async def run_once(self, limit: int | None = None) -> int:
        """Process up to `limit` (default: the configured batch) pending messages.

        Each message is parsed and classified before its first `await`, so the transactions
        reach the store in inbox order (a reply after its original) and share one group commit.
        """
        batch = limit or self._settings.worker.batch
        now = self._clock.now()
        lease_until = now + self._settings.worker.claim_lease
        items = await self._store.write(
            lambda db: inbox_sql.claim_pending(db, "email", now, lease_until, limit=batch)
        )
        await asyncio.gather(*(self.process(item) for item in items))
        return len(items)

    async def process(self, item: InboxItem) -> None:
        try:
            parsed = parse_message(
                item.raw or b"", max_attachment_bytes=self._settings.smtp.max_attachment_size
            )
            routing = self._route(item, parsed)
            decision = self._proposer.decide(
                routing.policy, parsed.subject, parsed.latest_text, parsed.declared_hints
            )
            await self._store.write(lambda db: self._apply(db, item, parsed, routing, decision))
        except Exception as exc:
            log.exception("processing inbox row %d failed", item.id)
            await self._record_failure(item, exc)

    def _route(self, item: InboxItem, parsed: ParsedMessage) -> Routing:
        rcpts = [str(r).lower() for r in item.meta.get("rcpt_tos", [])]
        desk = next(
            (d for d in (self._settings.desk_for(r) for r in rcpts) if d), self._settings.desks[0]
        )
        customer = parsed.from_addr or str(item.meta.get("mail_from") or "") or "unknown"
        name = self._settings.policy_for_customer(customer) or desk.policy
        return Routing(desk, self._policies.get(name), customer)

    async def _apply(
        self,
        db: Connection,
        item: InboxItem,
        parsed: ParsedMessage,
        routing: Routing,
        decision: Decision,
    ) -> None:
        now = self._clock.now()
        duplicate = await sql.stored_message(db, parsed.message_id, parsed.content_hash)
        if duplicate is not None:
            await sql.add_event(db, duplicate.ticket_id, now, "duplicate", inbox=item.id)
            await inbox_sql.finish_inbox(
                db, item.id, now, note=f"duplicate of message {duplicate.id}"
            )
            self._metrics.duplicates.labels("email").inc()
            return
        ticket = await self._thread_of(db, parsed)
        if ticket is not None:
            await self._append(db, ticket, item, parsed, now)
            self._metrics.replies_threaded.labels("email").inc()
        else:
            ticket = await self._open(db, item, parsed, routing, decision, now)
            self._metrics.tickets_created.labels("email", routing.policy.name).inc()
        await inbox_sql.finish_inbox(db, item.id, now, note=f"ticket {ticket.number}")

    async def _thread_of(self, db: Connection, parsed: ParsedMessage) -> Ticket | None:
        ticket = await sql.ticket_for_message_ids(db, (*parsed.in_reply_to, *parsed.references))
        if ticket is None and (number := ticket_tag(parsed.subject)) is not None:
            ticket = await sql.ticket_by_number(db, number)
        return ticket

    async def _append(
        self,
        db: Connection,
        ticket: Ticket,
        item: InboxItem,
        parsed: ParsedMessage,
        now: datetime,
    ) -> None:
        await self._store_message(db, ticket.id, item, parsed, now)
        await sql.add_event(db, ticket.id, now, "reply", sender=parsed.from_addr, inbox=item.id)

    async def _open(
        self,
        db: Connection,
        item: InboxItem,
        parsed: ParsedMessage,
        routing: Routing,
        decision: Decision,
        now: datetime,
    ) -> Ticket:
        arrival = Arrival(
            channel="email",
            customer=routing.customer,
            customer_name=parsed.from_name,
            desk=routing.desk.address,
            subject=parsed.subject or "(no subject)",
            received_at=item.received_at,
        )
        ticket = await open_ticket(db, arrival, routing.policy, decision, now)
        await self._store_message(db, ticket.id, item, parsed, now)
        await self._acknowledge(db, ticket, item, parsed, routing, now)
        policy = routing.policy
        first_line = next((ln.strip() for ln in parsed.latest_text.splitlines() if ln.strip()), "")
        for hook in self._hooks:
            await hook.ticket_created(db, ticket, policy, first_line or ticket.subject)
        return ticket

    async def _store_message(
        self,
        db: Connection,
        ticket_id: int,
        item: InboxItem,
        parsed: ParsedMessage,
        now: datetime,
    ) -> None:
        meta: dict[str, Any] = {"problems": list(parsed.problems), "to": list(parsed.to)}
        if parsed.date:
            meta["date"] = parsed.date.isoformat()
        message_id = await sql.insert_message(
            db,
            ticket_id,
            sql.NewMessage(
                direction="in",
                channel="email",
                message_id=parsed.message_id,
                content_hash=parsed.content_hash,
                sender=parsed.from_addr,
                subject=parsed.subject,
                body_text=parsed.body_text,
                latest_text=parsed.latest_text,
                meta=meta,
                inbox_id=item.id,
            ),
            # When it reached us, not when a worker got to it: a backfilled message keeps its Date.
            item.received_at,
        )
        for attachment in parsed.attachments:
            await sql.insert_attachment(
                db,
                message_id,
                filename=attachment.filename,
                content_type=attachment.content_type,
                size=attachment.size,
                content=attachment.content,
            )

    async def _acknowledge(
        self,
        db: Connection,
        ticket: Ticket,
        item: InboxItem,
        parsed: ParsedMessage,
        routing: Routing,
        now: datetime,
    ) -> None:
        recipient = parsed.reply_to or parsed.from_addr or str(item.meta.get("mail_from") or "")
        reason = await self._no_ack_reason(db, item, parsed, recipient, now)
        if reason:
            await sql.add_event(db, ticket.id, now, "ack-suppressed", reason=reason)
            return
        policy = routing.policy
        message_id = ack_message_id(ticket.number, item.id, self._settings.smtp.hostname)
        rendered = render_ack_email(
            self._templates,
            ticket=ticket,
            promise=promise_for(policy, ticket.effective_priority, ticket.received_at),
            desk=routing.desk,
            policy_title=policy.title,
            to_address=recipient,
            in_reply_to=parsed.message_id,
            references=parsed.references,
            message_id=message_id,
            now=now,
        )
        await outbox_sql.enqueue(
            db,
            ticket_id=ticket.id,
            kind="email",
            purpose="ack",
            key=f"ack-{ticket.number}-{item.id}",
            recipient=recipient,
            payload={
                "envelope_from": routing.desk.address,
                "recipients": [recipient],
                "message": rendered.data,
            },
            now=now,
        )
        # Our acknowledgement is part of the thread: a reply to it lands on this ticket.
        await sql.insert_message(
            db,
            ticket.id,
            sql.NewMessage(
                direction="out",
                channel="email",
                message_id=rendered.message_id,
                content_hash=None,
                sender=routing.desk.address,
                subject=rendered.subject,
                body_text="",
                latest_text="",
                meta={"purpose": "ack", "to": recipient},
            ),
            now,
        )

    async def _no_ack_reason(
        self,
        db: Connection,
        item: InboxItem,
        parsed: ParsedMessage,
        recipient: str,
        now: datetime,
    ) -> str | None:
        if not self._settings.ack.enabled:
            return "acknowledgements are disabled"
        if item.meta.get("imported"):
            return "imported message"
        reason = automated_reason(
            parsed,
            item.meta.get("mail_from"),
            own_addresses=[d.address for d in self._settings.desks],
            own_message_id_domain=self._settings.smtp.hostname,
        )
        if reason:
            return reason
        if not recipient:
            return "no address to answer"
        window_start = now - self._settings.ack.window
        sent = await outbox_sql.count_recent(db, recipient, "ack", window_start)
        if sent >= self._settings.ack.max_per_sender:
            return f"rate limit: {sent} acknowledgements within {self._settings.ack.window}"
        return None

    async def _record_failure(self, item: InboxItem, exc: Exception) -> None:
        """The raw message is kept whatever happens; after the last attempt it becomes a ticket."""
        now = self._clock.now()
        error = f"{type(exc).__name__}: {exc}"
        give_up = item.attempts + 1 >= MAX_ATTEMPTS
        await self._store.write(
            lambda db: inbox_sql.record_inbox_failure(db, item.id, error, give_up=give_up, now=now)
        )
        if give_up:
            try:
                await self._store.write(lambda db: self._open_unprocessable(db, item, error, now))
            except Exception:  # the row stays `failed`, raw bytes kept, visible in /healthz
                log.exception("could not open a ticket for unprocessable inbox row %d", item.id)

    async def _open_unprocessable(
        self, db: Connection, item: InboxItem, error: str, now: datetime
    ) -> None:
        desk = self._settings.desks[0]
        for rcpt in item.meta.get("rcpt_tos", []):
            desk = self._settings.desk_for(str(rcpt)) or desk
        policy = self._policies.get(desk.policy)
        arrival = Arrival(
            channel="email",
            customer=str(item.meta.get("mail_from") or "unknown"),
            customer_name="",
            desk=desk.address,
            subject="(message could not be processed)",
            received_at=item.received_at,
        )
        decision = default_decision(policy, f"processing failed: {error}")
        ticket = await open_ticket(db, arrival, policy, decision, now)
        await sql.add_event(db, ticket.id, now, "unprocessable", inbox=item.id, error=error)
        await inbox_sql.finish_inbox(
            db, item.id, now, note=f"unprocessable; ticket {ticket.number}"
        )
