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

from gateway.activity import ListenerActivity
from gateway.clock import Clock
from gateway.config import DeskSettings, Settings
from gateway.lifecycle import is_final
from gateway.metrics import Metrics
from gateway.parsing import ParsedMessage, automated_reason, parse_message, ticket_tag
from gateway.policybook import PolicyBook
from gateway.store import Store
from gateway.store import inbox as inbox_sql
from gateway.store import tickets as sql
from gateway.store.connection import Connection
from gateway.store.records import InboxItem, Ticket
from gateway.store.staff import staff_by_email
from gateway.ticketing import SYSTEM, Arrival, StaffActions, TicketService, default_decision
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
        tickets: TicketService,
        staff_actions: StaffActions,
        metrics: Metrics,
        activity: ListenerActivity | None = None,
    ) -> None:
        super().__init__()
        self._activity = activity or ListenerActivity()
        self._store = store
        self._clock = clock
        self._settings = settings
        self._policies = policies
        self._proposer = proposer
        self._tickets = tickets
        self._staff_actions = staff_actions
        self._metrics = metrics
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
        author = await staff_by_email(db, parsed.from_addr.lower()) if ticket else None
        if (
            ticket is not None
            and author is not None
            and author.active
            and author.email != ticket.customer.lower()
        ):
            # A staff member answering from their own mail client: relayed to the customer as
            # their public reply (from the desk's address), never a customer message. (On a
            # ticket they opened themselves, they are its customer.)
            note = await self._staff_actions.reply_by_mail(
                db,
                ticket,
                parsed.latest_text,
                author=author,
                mail_key=parsed.message_id or parsed.content_hash,
                deliver=not item.meta.get("imported"),
                inbox=item.id,
                now=now,
            )
            await inbox_sql.finish_inbox(db, item.id, now, note=note)
            return
        previous = None
        if ticket is not None and is_final(ticket):  # a closed ticket: a new one links it
            previous, ticket = ticket, None
        if ticket is not None:
            await self._append(db, ticket, item, parsed, now)
            self._metrics.replies_threaded.labels("email").inc()
        else:
            ticket = await self._open(db, item, parsed, routing, decision, now)
            if previous is not None:
                await self._tickets.lifecycle.link(
                    db, ticket, previous, actor=f"email:{routing.customer}", now=now
                )
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
        await self._store_message(db, ticket, item, parsed, now)
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
        ticket = await self._tickets.open(
            db, arrival, routing.policy, decision, now, actor=f"email:{routing.customer}"
        )
        await self._store_message(db, ticket, item, parsed, now)
        await self._acknowledge(db, ticket, item, parsed, routing.policy, now)
        first_line = next((ln.strip() for ln in parsed.latest_text.splitlines() if ln.strip()), "")
        await self._tickets.announce(db, ticket, first_line)
        return ticket

    async def _store_message(
        self,
        db: Connection,
        ticket: Ticket,
        item: InboxItem,
        parsed: ParsedMessage,
        now: datetime,
    ) -> None:
        meta: dict[str, Any] = {"problems": list(parsed.problems), "to": list(parsed.to)}
        if parsed.date:
            meta["date"] = parsed.date.isoformat()
        if machine := self._exempt(item, parsed):  # an auto-reply reopens nothing
            meta["automated"] = machine
        message_id = await self._tickets.append_message(
            db,
            ticket,
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
        policy: Policy,
        now: datetime,
    ) -> None:
        recipient = parsed.reply_to or parsed.from_addr or str(item.meta.get("mail_from") or "")
        notice = await self._tickets.notices.email_ack(
            db,
            ticket,
            policy,
            recipient=recipient,
            exempt=self._exempt(item, parsed),
            inbox_id=item.id,
            in_reply_to=parsed.message_id,
            references=parsed.references,
            now=now,
        )
        await self._tickets.tell_customer(db, ticket, notice, now)

    def _exempt(self, item: InboxItem, parsed: ParsedMessage) -> str | None:
        """Email's own reasons not to acknowledge: an import, or mail from a machine."""
        if item.meta.get("imported"):
            return "imported message"
        return automated_reason(
            parsed,
            item.meta.get("mail_from"),
            own_addresses=[d.address for d in self._settings.desks],
            own_message_id_domain=self._settings.smtp.hostname,
        )

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
        ticket = await self._tickets.open(db, arrival, policy, decision, now, actor=SYSTEM)
        await sql.add_event(db, ticket.id, now, "unprocessable", inbox=item.id, error=error)
        await inbox_sql.finish_inbox(
            db, item.id, now, note=f"unprocessable; ticket {ticket.number}"
        )
