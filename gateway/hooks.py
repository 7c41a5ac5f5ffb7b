"""What other parts of the gateway may plug into ticket creation."""

from __future__ import annotations

from typing import Protocol

from gateway.store.connection import Connection
from gateway.store.records import Ticket
from policies import Policy


class TicketHook(Protocol):
    """Called inside the transaction that creates a ticket (paging is one)."""

    async def ticket_created(
        self, db: Connection, ticket: Ticket, policy: Policy, first_line: str
    ) -> None: ...
