"""The ticket lifecycle: statuses, the rules between them, and what a policy makes follow.

Statuses: `open` (ours to act on), `pending` (waiting on the customer), `resolved` (we think it
is fixed; the customer may still say otherwise) and `closed` (final). The rules live here and
are applied by the ticket service for every caller (CLI, API, mail, the auto-closer):

- a customer message on a `pending` or `resolved` ticket reopens it;
- `closed` is final: nothing reopens it. A customer message on it opens a new ticket that
  links the old one (`previous_ticket_id`, and a `linked` event on each);
- a resolved ticket closes by itself at `auto_close_at`, fixed when it is resolved from the
  policy's `auto_close_after` (so a restart or a policy edit never moves it);
- "resolved and left open for monitoring" (ThreePBX) is not a status but a flag on an `open`
  ticket (`monitoring`): the fault is fixed, the ticket stays ours until it is resolved;
- a policy may name the priority a ticket takes when resolved (ThreePBX: P4) or when left
  open for monitoring (ThreePBX: P1/P2 become P3); that change is recorded as made by
  `policy`, with the reason.

Every change is an event naming who made it (`by`) and why (`reason`): `status-changed`
(`old`, `new`), `monitoring`, `priority-changed` (by `policy`), `linked`/`followed-up`; in the
caller's transaction, with its `ticket.updated` webhook queued in the same commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gateway.clock import Clock
from gateway.store import Store
from gateway.store import tickets as sql
from gateway.store.connection import Connection
from gateway.store.records import Ticket
from gateway.webhooks import Webhooks, ticket_payload
from gateway.worker import PollingWorker

if TYPE_CHECKING:
    from gateway.ticketing import TicketService

log = logging.getLogger(__name__)

STATUSES = ("open", "pending", "resolved", "closed")
POLICY = "policy"  # the actor of changes the policy file prescribes

# Which status may follow which (a ticket already in the status is left as it is).
_ALLOWED: dict[str, frozenset[str]] = {
    "open": frozenset({"pending", "resolved", "closed"}),
    "pending": frozenset({"open", "resolved", "closed"}),
    "resolved": frozenset({"open", "closed"}),
    "closed": frozenset(),
}


class LifecycleError(ValueError):
    """A change the lifecycle does not allow; the message says why, as a sentence."""


class TicketClosed(LifecycleError):
    """The ticket is closed, which is final."""


def is_final(ticket: Ticket) -> bool:
    """Closed is final: a customer message on it opens a new ticket that links it."""
    return ticket.status == "closed"


def check_status(status: str) -> None:
    if status not in STATUSES:
        raise LifecycleError(f"unknown status {status!r} (known: {', '.join(STATUSES)})")


@dataclass(frozen=True, slots=True)
class Change:
    """What a lifecycle call did: the ticket after it, and whether anything changed."""

    ticket: Ticket
    changed: bool


class Lifecycle:
    """Built by, and reached through, the ticket service (`TicketService.lifecycle`)."""

    def __init__(self, tickets: TicketService, webhooks: Webhooks | None = None) -> None:
        self._tickets = tickets
        self._policies = tickets.policies
        self._webhooks = webhooks

    # -- staff (and policy) changes --------------------------------------------------------

    async def set_status(
        self,
        db: Connection,
        ticket: Ticket,
        status: str,
        *,
        actor: str,
        now: datetime,
        reason: str = "",
    ) -> Change:
        """Move a ticket to `status` by the rules above; LifecycleError if not allowed."""
        check_status(status)
        if status == "resolved":
            return await self.resolve(db, ticket, actor=actor, now=now, reason=reason)
        if status == "closed":
            return await self.close(db, ticket, actor=actor, now=now, reason=reason)
        if status == "pending":
            return await self.wait_on_customer(db, ticket, actor=actor, now=now, reason=reason)
        return await self.reopen(db, ticket, actor=actor, now=now, reason=reason)

    async def wait_on_customer(
        self, db: Connection, ticket: Ticket, *, actor: str, now: datetime, reason: str = ""
    ) -> Change:
        return await self._move(
            db, ticket, "pending", actor=actor, now=now, reason=reason or "waiting on the customer"
        )

    async def reopen(
        self, db: Connection, ticket: Ticket, *, actor: str, now: datetime, reason: str = ""
    ) -> Change:
        return await self._move(db, ticket, "open", actor=actor, now=now, reason=reason)

    async def resolve(
        self,
        db: Connection,
        ticket: Ticket,
        *,
        actor: str,
        now: datetime,
        reason: str = "",
        monitoring: bool = False,
    ) -> Change:
        """Resolve the ticket, or with `monitoring` leave it open for monitoring; the policy's
        resolved (or monitoring) priority follows, recorded as made by `policy`."""
        if monitoring:
            return await self._monitor(db, ticket, actor=actor, now=now, reason=reason)
        policy = self._policies.get(ticket.policy)
        auto_close_at = policy.auto_close_at(now)
        after = await self._move(
            db,
            ticket,
            "resolved",
            actor=actor,
            now=now,
            reason=reason,
            resolved_at=now,
            auto_close_at=auto_close_at,
            detail={"auto_close_at": auto_close_at.isoformat() if auto_close_at else None},
        )
        level = policy.priority(ticket.effective_priority)
        if after.changed and level.resolved_priority not in (None, level.id):
            assert level.resolved_priority is not None
            new = await self._policy_priority(
                db,
                after.ticket,
                level.resolved_priority,
                now,
                f"{policy.name}: {level.resolved_priority} is the priority of a resolved"
                f" {level.id} ticket",
            )
            return Change(new, True)
        return after

    async def close(
        self, db: Connection, ticket: Ticket, *, actor: str, now: datetime, reason: str = ""
    ) -> Change:
        return await self._move(
            db,
            ticket,
            "closed",
            actor=actor,
            now=now,
            reason=reason,
            resolved_at=ticket.resolved_at or now,
        )

    # -- the customer ----------------------------------------------------------------------

    async def customer_wrote(
        self,
        db: Connection,
        ticket: Ticket,
        *,
        actor: str,
        now: datetime,
        automated: str | None = None,
    ) -> Change:
        """A customer message was added to this ticket: pending or resolved reopens it,
        unless it was `automated` (an out-of-office or other auto-reply: that is recorded as
        `not-reopened`, so a vacation notice does not undo a resolution). A closed ticket
        never gets here: see `link`."""
        if ticket.status == "closed":
            raise TicketClosed(f"ticket #{ticket.number} is closed; open a new ticket instead")
        if ticket.status not in ("pending", "resolved"):
            return Change(ticket, False)
        if automated:
            await sql.add_event(
                db,
                ticket.id,
                now,
                "not-reopened",
                status=ticket.status,
                by=actor,
                reason=f"automated message: {automated}",
            )
            return Change(ticket, False)
        was = "waiting on the customer" if ticket.status == "pending" else "resolved"
        return await self._move(
            db, ticket, "open", actor=actor, now=now, reason=f"customer wrote while {was}"
        )

    async def link(
        self, db: Connection, ticket: Ticket, previous: Ticket, *, actor: str, now: datetime
    ) -> Ticket:
        """`ticket` was opened by a customer message on the closed `previous`: link them."""
        await sql.set_previous_ticket(db, ticket.id, previous.id)
        reason = f"customer wrote on closed ticket #{previous.number}"
        await sql.add_event(
            db, ticket.id, now, "linked", previous=previous.number, by=actor, reason=reason
        )
        await sql.add_event(
            db, previous.id, now, "followed-up", next=ticket.number, by=actor, reason=reason
        )
        return await _reload(db, ticket.id)

    # -- the policy's own clock ------------------------------------------------------------

    async def close_due(self, db: Connection, now: datetime, *, limit: int = 100) -> int:
        """Close resolved tickets whose auto-close time has passed; returns how many. The
        event keeps the time it fell due, so one closed late (the process was down) says so."""
        due = await sql.due_to_close(db, now, limit=limit)
        for ticket in due:
            policy = self._policies.get(ticket.policy)
            assert ticket.auto_close_at is not None and ticket.resolved_at is not None
            await self._move(
                db,
                ticket,
                "closed",
                actor=POLICY,
                now=now,
                reason=f"{policy.name}: resolved {policy.auto_close_after.text} ago"
                " with no word from the customer",
                resolved_at=ticket.resolved_at,
                detail={"due": ticket.auto_close_at.isoformat()},
            )
        return len(due)

    # -- internals -------------------------------------------------------------------------

    async def _monitor(
        self, db: Connection, ticket: Ticket, *, actor: str, now: datetime, reason: str
    ) -> Change:
        if ticket.status == "closed":
            raise TicketClosed(f"ticket #{ticket.number} is closed, which is final")
        if ticket.monitoring and ticket.status == "open":
            return Change(ticket, False)
        await sql.set_lifecycle(
            db,
            ticket.id,
            status="open",
            resolved_at=None,
            auto_close_at=None,
            monitoring=True,
            now=now,
        )
        await sql.add_event(
            db,
            ticket.id,
            now,
            "monitoring",
            old=ticket.status,
            new="open",
            by=actor,
            reason=reason or "resolved and left open for monitoring",
        )
        after = await _reload(db, ticket.id)
        await self._updated(db, after, now, actor, status={"old": ticket.status, "new": "open"})
        policy = self._policies.get(ticket.policy)
        level = policy.priority(ticket.effective_priority)
        if level.monitoring_priority not in (None, level.id):
            assert level.monitoring_priority is not None
            after = await self._policy_priority(
                db,
                after,
                level.monitoring_priority,
                now,
                f"{policy.name}: a {level.id} ticket resolved and left open for monitoring"
                f" is {level.monitoring_priority}",
            )
        return Change(after, True)

    async def _move(
        self,
        db: Connection,
        ticket: Ticket,
        status: str,
        *,
        actor: str,
        now: datetime,
        reason: str,
        resolved_at: datetime | None = None,
        auto_close_at: datetime | None = None,
        detail: dict[str, Any] | None = None,
    ) -> Change:
        if ticket.status == status:
            return Change(ticket, False)
        if status not in _ALLOWED[ticket.status]:
            if ticket.status == "closed":
                raise TicketClosed(
                    f"ticket #{ticket.number} is closed, which is final; a new message from"
                    " the customer opens a new ticket that links it"
                )
            raise LifecycleError(
                f"ticket #{ticket.number} is {ticket.status}; it cannot become {status}"
            )
        await sql.set_lifecycle(
            db,
            ticket.id,
            status=status,
            resolved_at=resolved_at,
            auto_close_at=auto_close_at,
            monitoring=False,
            now=now,
        )
        await sql.add_event(
            db,
            ticket.id,
            now,
            "status-changed",
            old=ticket.status,
            new=status,
            by=actor,
            reason=reason,
            **(detail or {}),
        )
        log.info(
            "ticket %d: %s -> %s by %s",
            ticket.number,
            ticket.status,
            status,
            actor,
            extra={"ticket": ticket.number, "event": f"ticket-{status}"},
        )
        after = await _reload(db, ticket.id)
        await self._updated(db, after, now, actor, status={"old": ticket.status, "new": status})
        return Change(after, True)

    async def _policy_priority(
        self, db: Connection, ticket: Ticket, priority: str, now: datetime, reason: str
    ) -> Ticket:
        """A priority the policy prescribes on a lifecycle step, through the ticket service's
        `change_priority` (deadline from the original arrival, the hooks follow: a resolved
        P1 becoming P4 stops its page chain), except that the customer is sent no new promise:
        the ticket is resolved, or its fault fixed and watched."""
        change = await self._tickets.change_priority(
            db, ticket, priority, actor=POLICY, reason=reason, now=now, notify_customer=False
        )
        return change.after  # its ticket.updated webhook comes from the service's hooks

    async def _updated(
        self, db: Connection, ticket: Ticket, now: datetime, actor: str, **changes: Any
    ) -> None:
        if self._webhooks is None:
            return
        payload = ticket_payload(ticket, by=actor, changes=changes)
        await self._webhooks.emit(db, "ticket.updated", payload, now, ticket_id=ticket.id)


async def _reload(db: Connection, ticket_id: int) -> Ticket:
    ticket = await sql.ticket_by_id(db, ticket_id)
    assert ticket is not None
    return ticket


class AutoCloser(PollingWorker):
    """Closes resolved tickets when their policy's `auto_close_after` has passed.

    Restart-safe by construction: the due time is a column, so tickets that fell due while
    the process was down are closed at the first round after it comes back (their event keeps
    the time they fell due), and a round that fails is simply done again at the next poll.
    """

    poll_interval = 60.0
    batch = 100

    def __init__(
        self,
        store: Store,
        clock: Clock,
        lifecycle: Lifecycle,
        on_closed: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__()
        self._store = store
        self._clock = clock
        self._lifecycle = lifecycle
        self._on_closed = on_closed

    async def run_once(self) -> int:
        now = self._clock.now()
        closed = await self._store.write(
            lambda db: self._lifecycle.close_due(db, now, limit=self.batch)
        )
        if closed and self._on_closed is not None:
            self._on_closed(closed)
        return closed
