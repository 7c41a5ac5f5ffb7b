"""The clock scanner: warnings and breaches as they fall due, each recorded exactly once.

Every round reads only what is due from the stored clocks (two partial indexes: the next
warning point, the deadline of a watched clock), refreshes that ticket's clocks from its
timeline (a reply recorded by anyone since is seen), and then, in one transaction per
clock:

- a warning point passed on a clock still running: a `sla_alerts` row (unique per ticket,
  clock, cycle and point: a second round, a second process or a restart cannot repeat it), an
  `sla-warning` event, and an email to the assignee (else `[sla] notify`) through the outbox;
- a deadline passed on a clock not met in time: a `sla_alerts` "breach" row, an `sla-breached`
  event at the breach's true time (the deadline, however late the process noticed it), an
  email to the leads (else `[sla] leads`), and, when the ticket's level pages after hours and
  it is after hours now, a page chain through paging.

Metrics and the one INFO line per breach follow the commit, so a rolled-back round counts
nothing. A round also adopts, once per process, open tickets that have no clocks yet.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from functools import partial
from typing import Protocol

from gateway.clock import Clock
from gateway.config import Settings
from gateway.mailheaders import (
    MAX_SUBJECT_CHARS,
    UnusableAddress,
    address_header,
    header_line,
    mail_address,
    mailbox,
    new_message_id,
)
from gateway.metrics import Metrics
from gateway.outmail import TextPart, compose
from gateway.policybook import PolicyBook
from gateway.sla.refresh import next_warning, refresh_clocks
from gateway.store import Store
from gateway.store import clocks as sql
from gateway.store import outbox as outbox_sql
from gateway.store.clocks import StoredClock
from gateway.store.connection import Connection
from gateway.store.records import Ticket
from gateway.store.tickets import add_event, ticket_by_id
from gateway.webhooks import Webhooks, ticket_payload
from gateway.worker import PollingWorker
from policies import Policy, PolicyError
from policies.clocks import Clock as SlaClock
from policies.model import TARGET_WORDS

log = logging.getLogger(__name__)

BATCH = 200
ADOPT_BATCH = 500


class BreachPager(Protocol):
    """Paging, as the scanner needs it (voice.paging.Paging in the running gateway)."""

    async def sla_breached(self, db: Connection, ticket: Ticket, reason: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Alert:
    """What a committed round did, for metrics and the log."""

    ticket: int
    policy: str
    priority: str
    clock: str
    point: str  # a warning point, or "breach"
    due_at: datetime


AlertOp = Callable[[Connection], Awaitable[list[Alert]]]


class ClockWorker(PollingWorker):
    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        policies: PolicyBook,
        metrics: Metrics,
        pager: BreachPager | None = None,
        webhooks: Webhooks | None = None,
    ) -> None:
        super().__init__()
        self.poll_interval = settings.sla.scan_interval.total_seconds()
        self._store = store
        self._clock = clock
        self._settings = settings
        self._policies = policies
        self._metrics = metrics
        self._pager = pager
        self._webhooks = webhooks
        self._adopted_up_to: int | None = 0  # None once every old ticket has clocks
        self._changes_seen: str | None = None  # tickets.updated_at read up to (stored form)

    async def run_once(self) -> int:
        done = await self._adopt()
        await self._catch_up()
        now = self._clock.now()
        # One op per clock, handed in together: they share one group commit (one fsync), and
        # one that fails rolls back alone (its own savepoint) and is retried next round.
        warnings = await self._store.read(lambda db: sql.warnings_due(db, now, limit=BATCH))
        breaches = await self._store.read(lambda db: sql.breaches_due(db, now, limit=BATCH))
        done += await self._run(
            [self._warning_op(row.id, now) for row in warnings]
            + [self._breach_op(row.id, now) for row in breaches]
        )
        self._metrics.sla_at_risk.set(await self._store.read(sql.at_risk_count))
        return done

    # -- one clock, one transaction -------------------------------------------------------

    def _warning_op(self, clock_id: int, now: datetime) -> AlertOp:
        async def op(db: Connection) -> list[Alert]:
            found = await self._fresh(db, clock_id, now)
            if found is None:
                return []
            row, ticket, policy, clock = found
            if clock.state != "pending":
                return []
            alerts, warned = [], list(row.warned)
            for point, at in clock.warnings:
                if at > now or point in warned:
                    continue
                warned.append(point)
                if not await sql.record_alert(
                    db, ticket.id, clock.name, clock.cycle, point, due_at=at, now=now
                ):
                    continue
                await add_event(
                    db,
                    ticket.id,
                    at,
                    "sla-warning",
                    clock=clock.name,
                    cycle=clock.cycle,
                    point=point,
                    due=clock.due_at.isoformat(),
                    noticed_at=now.isoformat(),
                )
                recipients = await self._warning_recipients(db, ticket)
                await self._mail(db, ticket, policy, clock, point, recipients, now)
                await self._emit(db, "sla.warning", ticket, clock, point, at, now)
                alerts.append(
                    Alert(ticket.number, policy.name, clock.priority, clock.name, point, at)
                )
            await sql.mark_warned(db, row.id, warned)
            await sql.set_next_warning(db, row.id, next_warning(clock, warned))
            return alerts

        return op

    def _breach_op(self, clock_id: int, now: datetime) -> AlertOp:
        async def op(db: Connection) -> list[Alert]:
            found = await self._fresh(db, clock_id, now)
            if found is None:
                return []
            row, ticket, policy, clock = found
            if clock.state != "breached":
                return []  # met in time after all, paused, or moved: the refresh says so
            await sql.mark_breached(db, row.id, clock.due_at)
            if not await sql.record_alert(
                db, ticket.id, clock.name, clock.cycle, "breach", due_at=clock.due_at, now=now
            ):
                return []
            await add_event(
                db,
                ticket.id,
                clock.due_at,
                "sla-breached",
                clock=clock.name,
                cycle=clock.cycle,
                priority=clock.priority,
                due=clock.due_at.isoformat(),
                noticed_at=now.isoformat(),
            )
            recipients = await self._breach_recipients(db)
            await self._mail(db, ticket, policy, clock, "breach", recipients, now)
            await self._emit(db, "sla.breached", ticket, clock, "breach", clock.due_at, now)
            if (
                self._pager is not None
                and policy.pages_after_hours(clock.priority)
                and policy.is_after_hours(now)
            ):
                words = TARGET_WORDS.get(clock.name, clock.name)
                await self._pager.sla_breached(
                    db, ticket, f"{clock.priority} {words} deadline passed after hours"
                )
            return [
                Alert(
                    ticket.number, policy.name, clock.priority, clock.name, "breach", clock.due_at
                )
            ]

        return op

    async def _emit(
        self,
        db: Connection,
        event: str,
        ticket: Ticket,
        clock: SlaClock,
        point: str,
        at: datetime,
        now: datetime,
    ) -> None:
        """The webhook for a warning or a breach, in the transaction that records it (once)."""
        if self._webhooks is None:
            return
        payload = ticket_payload(
            ticket,
            sla={
                "clock": clock.name,
                "cycle": clock.cycle,
                "priority": clock.priority,
                "point": point,
                "due_at": clock.due_at.isoformat(),
                "at": at.isoformat(),
            },
        )
        await self._webhooks.emit(db, event, payload, now, ticket_id=ticket.id)

    async def _fresh(
        self, db: Connection, clock_id: int, now: datetime
    ) -> tuple[StoredClock, Ticket, Policy, SlaClock] | None:
        """The ticket's clocks recomputed now, and this row's clock among them."""
        before = await sql.clock_by_id(db, clock_id)
        if before is None:
            return None
        ticket = await ticket_by_id(db, before.ticket_id)
        if ticket is None:
            return None
        try:
            policy = self._policies.get(ticket.policy)
        except (PolicyError, OSError, KeyError) as error:
            # Its policy is gone from the configuration: nothing to hold it to. Stop watching
            # (a later refresh, once the policy is back, watches it again) and say so.
            await sql.unwatch(db, clock_id)
            log.warning(
                "ticket %d: SLA %s not watched: policy %s cannot be loaded (%s)",
                ticket.number,
                before.clock,
                ticket.policy,
                error,
                extra={"ticket": ticket.number, "event": "sla-unwatched"},
            )
            return None
        key = (before.clock, before.cycle)
        clock = next(
            (c for c in await refresh_clocks(db, policy, ticket.id, now) if c.key == key), None
        )
        stored = await sql.clock_by_id(db, clock_id)
        if clock is None or stored is None:
            return None
        return stored, ticket, policy, clock

    # -- who hears of it ------------------------------------------------------------------

    async def _warning_recipients(self, db: Connection, ticket: Ticket) -> list[str]:
        assignee = await sql.assignee_email(db, ticket.id)
        return [assignee] if assignee else list(self._settings.sla.notify)

    async def _breach_recipients(self, db: Connection) -> list[str]:
        leads = await sql.lead_emails(db)
        return list(dict.fromkeys([*leads, *self._settings.sla.breach_recipients]))

    async def _mail(
        self,
        db: Connection,
        ticket: Ticket,
        policy: Policy,
        clock: SlaClock,
        point: str,
        recipients: list[str],
        now: datetime,
    ) -> None:
        if not recipients:
            await add_event(
                db, ticket.id, now, "sla-notice-skipped", reason="no assignee, no [sla] recipients"
            )
            return
        desk = self._settings.desk_for(ticket.desk)
        sender = desk.address if desk else ticket.desk
        words = TARGET_WORDS.get(clock.name, clock.name)
        due_local = clock.due_at.astimezone(policy.tz).strftime("%Y-%m-%d %H:%M %Z")
        subject_text = " ".join(ticket.subject.split())[:120]
        if point == "breach":
            head = f"SLA breached: #{ticket.number} {clock.priority} {words} was due {due_local}"
        else:
            head = (
                f"SLA warning ({point}): #{ticket.number} {clock.priority} {words} due {due_local}"
            )
        body = (
            f"{head}\n\nTicket #{ticket.number}: {subject_text}\nCustomer: {ticket.customer}\n"
            f"Policy: {policy.title}\nTarget: {clock.priority} {words} {clock.target.describe()}"
            f"{' (cycle ' + str(clock.cycle) + ')' if clock.cycle else ''}\n"
        )
        purpose = "sla-breach" if point == "breach" else "sla-warning"
        hostname = self._settings.smtp.hostname
        for recipient in recipients:
            key = f"sla-{ticket.number}-{clock.name}-{clock.cycle}-{point}-{recipient}"
            try:
                envelope_from, to = mail_address(sender), mail_address(recipient)
                message = compose(
                    [
                        address_header("From", mailbox("Intake SLA", sender)),
                        address_header("To", mailbox("", recipient)),
                        header_line("Subject", head, MAX_SUBJECT_CHARS),
                        f"Date: {format_datetime(now)}",
                        f"Message-ID: <{new_message_id(purpose, ticket.number, hostname)}>",
                        "Auto-Submitted: auto-generated",
                        "X-Auto-Response-Suppress: All",
                        f"X-Intake-Ticket: {ticket.number}",
                    ],
                    [TextPart("plain", body)],
                )
            except UnusableAddress as error:  # a lead's address no relay could carry
                await add_event(
                    db, ticket.id, now, "sla-notice-skipped", to=recipient, reason=str(error)
                )
                continue
            await outbox_sql.enqueue(
                db,
                ticket_id=ticket.id,
                kind="email",
                purpose=purpose,
                key=key,
                recipient=to,
                payload={"envelope_from": envelope_from, "recipients": [to], "message": message},
                now=now,
            )

    # -- after the commit -----------------------------------------------------------------

    async def _run(self, ops: list[AlertOp]) -> int:
        outcomes = await asyncio.gather(
            *(self._store.write(op) for op in ops), return_exceptions=True
        )
        done = 0
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                log.error("SLA scan: a clock could not be handled", exc_info=outcome)
            else:
                done += self._counted(outcome)
        return done

    def _counted(self, alerts: list[Alert]) -> int:
        for alert in alerts:
            if alert.point == "breach":
                self._metrics.sla_breaches.labels(alert.policy, alert.priority, alert.clock).inc()
                log.info(
                    "ticket %d: SLA %s breached (due %s)",
                    alert.ticket,
                    alert.clock,
                    alert.due_at.isoformat(),
                    extra={"ticket": alert.ticket, "event": "sla-breached"},
                )
            else:
                self._metrics.sla_warnings.labels(alert.policy, alert.priority, alert.clock).inc()
        return len(alerts) or 0

    async def _catch_up(self) -> None:
        """Refresh tickets changed since their clocks were computed (a change recorded by code
        that does not go through the ticket service), so a moved deadline is seen this round
        rather than at the old one. Starts, after a restart, from the last computation."""
        if self._changes_seen is None:
            self._changes_seen = await self._store.read(sql.last_refresh)
        while True:
            after = self._changes_seen
            changed = await self._store.read(
                partial(sql.changed_tickets, after=after, limit=ADOPT_BATCH)
            )
            if not changed:
                return
            stale = [ticket_id for ticket_id, _, fresh in changed if not fresh]
            if stale:
                await self._store.write(self._refresh_op(stale))
            self._changes_seen = changed[-1][1]
            if len(changed) < ADOPT_BATCH:
                return

    def _refresh_op(self, ticket_ids: list[int]) -> Callable[[Connection], Awaitable[None]]:
        now = self._clock.now()

        async def op(db: Connection) -> None:
            for ticket_id in ticket_ids:
                ticket = await ticket_by_id(db, ticket_id)
                if ticket is None:
                    continue
                try:
                    policy = self._policies.get(ticket.policy)
                except (PolicyError, OSError, KeyError):
                    continue
                await refresh_clocks(db, policy, ticket_id, now)

        return op

    async def _adopt(self) -> int:
        """Give clocks to open tickets that have none (once per process, in batches)."""
        if self._adopted_up_to is None:
            return 0
        after = self._adopted_up_to
        ids = await self._store.read(
            lambda db: sql.unclocked_tickets(db, after_id=after, limit=ADOPT_BATCH)
        )
        if not ids:
            self._adopted_up_to = None
            return 0
        await self._store.write(self._refresh_op(ids))
        self._adopted_up_to = ids[-1]
        return len(ids)
