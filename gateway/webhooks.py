"""Signed outbound webhooks: what happened to a ticket, POSTed to the systems that follow along.

`Webhooks.emit(db, event, payload, now)` runs inside the caller's transaction and queues one
outbox row (kind `webhook`) per subscription that wants the event, so a notification is sent
if and only if the change it reports was committed. The body is fixed when queued: a JSON
object with a delivery id (also the outbox row's idempotency key and the `X-Intake-Delivery`
header, for the receiver to drop duplicates), the event, when it happened and its data. The
transport signs the exact bytes at send time (`X-Intake-Signature: sha256=<hex HMAC-SHA256>`)
with the secret from the subscription's `secret_env`, so no secret is ever stored.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gateway.clock import Clock
from gateway.config import WebhookSettings
from gateway.hooks import PriorityChange
from gateway.store import outbox as outbox_sql
from gateway.store.connection import Connection
from gateway.store.records import Ticket, iso
from gateway.transports.webhook import origin
from policies import Policy

KIND = "webhook"


def ticket_payload(ticket: Ticket, **extra: Any) -> dict[str, Any]:
    """What every ticket event says about its ticket (no message text: receivers fetch it)."""
    return {
        "ticket": {
            "number": ticket.number,
            "channel": ticket.channel,
            "customer": ticket.customer,
            "desk": ticket.desk,
            "policy": ticket.policy,
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.effective_priority,
            "received_at": iso(ticket.received_at),
            "due_at": iso(ticket.due_at) if ticket.due_at else None,
        },
        **extra,
    }


class Webhooks:
    """The configured subscriptions; `emit` is all the rest of the gateway calls."""

    def __init__(self, subscriptions: Sequence[WebhookSettings]) -> None:
        self._subscriptions = tuple(subscriptions)

    async def emit(
        self,
        db: Connection,
        event: str,
        payload: dict[str, Any],
        now: datetime,
        *,
        ticket_id: int | None = None,
    ) -> list[str]:
        """Queue `event` for every subscription that wants it; returns the delivery ids."""
        deliveries = []
        for subscription in self._subscriptions:
            if not subscription.wants(event):
                continue
            delivery = "whd_" + secrets.token_hex(12)
            body = json.dumps(
                {"id": delivery, "event": event, "created_at": iso(now), "data": payload},
                separators=(",", ":"),
                default=str,
            )
            await outbox_sql.enqueue(
                db,
                ticket_id=ticket_id,
                kind=KIND,
                purpose="webhook",
                key=delivery,
                recipient=origin(subscription.url),
                payload={
                    "url": subscription.url,
                    "event": event,
                    "secret_env": subscription.secret_env,
                    "timeout": subscription.timeout.total_seconds(),
                    "body": body,
                },
                now=now,
            )
            deliveries.append(delivery)
        return deliveries


class TicketWebhooks:
    """The `TicketHook` that tells subscribers a ticket was created or its priority changed:
    the ticket service calls it inside the transaction of the change, for every caller."""

    def __init__(self, webhooks: Webhooks, clock: Clock) -> None:
        self._webhooks = webhooks
        self._clock = clock

    async def ticket_created(
        self, db: Connection, ticket: Ticket, policy: Policy, first_line: str
    ) -> None:
        now = self._clock.now()
        payload = ticket_payload(ticket)
        await self._webhooks.emit(db, "ticket.created", payload, now, ticket_id=ticket.id)

    async def priority_changed(
        self, db: Connection, change: PriorityChange, policy: Policy
    ) -> None:
        priority = {
            "old": change.before.effective_priority,
            "new": change.after.effective_priority,
            "reason": change.reason,
        }
        payload = ticket_payload(change.after, by=change.actor, changes={"priority": priority})
        await self._webhooks.emit(
            db, "ticket.updated", payload, change.at, ticket_id=change.after.id
        )
