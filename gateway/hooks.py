"""What other parts of the gateway may plug into the ticket service (paging is one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gateway.store.connection import Connection
from gateway.store.records import Ticket
from policies import Policy


@dataclass(frozen=True, slots=True)
class PriorityChange:
    """A ticket's priority as it was and as it is now, who changed it, why and when."""

    before: Ticket
    after: Ticket
    actor: str
    reason: str
    at: datetime


class TicketHook(Protocol):
    """Called inside the transaction that changes the ticket."""

    async def ticket_created(
        self, db: Connection, ticket: Ticket, policy: Policy, first_line: str
    ) -> None:
        """The ticket is complete (its priority known) and its customer has been answered."""

    async def priority_changed(
        self, db: Connection, change: PriorityChange, policy: Policy
    ) -> None:
        """The priority of a ticket announced earlier changed; its deadline moved with it."""
