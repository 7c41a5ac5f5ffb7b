"""Helpers for the API tests: staff with tokens, tickets straight into the store, a client."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import aiohttp

from gateway import credentials
from gateway.app import Gateway
from gateway.store import staff as staff_sql
from gateway.store.connection import Connection
from gateway.store.tickets import NewTicket, add_event, insert_ticket

# A fixed, cheap hash: argon2 at full strength would slow every test for nothing.
PASSWORD_HASH = credentials.hash_password("not a real password")


async def staff_with_token(
    gw: Gateway,
    email: str,
    role: str = "agent",
    *,
    token_name: str = "test",
    phone: str | None = None,
) -> str:
    """Add (or reuse) a staff member and give them a new token; returns the token."""
    token = credentials.new_token()
    now = gw.clock.now()

    async def write(db: Connection) -> None:
        member = await staff_sql.staff_by_email(db, email)
        if member is None:
            member = await staff_sql.insert_staff(
                db,
                email=email,
                name=email.split("@")[0].title(),
                role=role,
                phone=phone,
                password_hash=PASSWORD_HASH,
                now=now,
            )
        assert member is not None
        await staff_sql.insert_token(
            db,
            member.id,
            name=f"{token_name}-{token[-6:]}",
            token_hash=credentials.token_hash(token),
            hint=credentials.token_hint(token),
            now=now,
        )

    await gw.store.write(write)
    return token


def new_ticket(received: datetime, **overrides: Any) -> NewTicket:
    fields: dict[str, Any] = {
        "channel": "email",
        "customer": "pat@example.com",
        "customer_name": "Pat Customer",
        "desk": "support@localhost",
        "policy": "threepbx",
        "subject": "Phones are down",
        "declared_priority": None,
        "proposed_priority": "P3",
        "effective_priority": "P3",
        "confidence": 0.5,
        "reasons": ("test",),
        "received_at": received,
        "due_at": received + timedelta(hours=8),
        "after_hours": False,
    }
    fields.update(overrides)
    return NewTicket(**fields)


async def seed_tickets(gw: Gateway, count: int, **overrides: Any) -> list[int]:
    """`count` tickets received a minute apart, oldest first; returns their numbers."""
    start = gw.clock.now() - timedelta(minutes=count)
    numbers: list[int] = []

    async def write(db: Connection, first: int, last: int) -> None:
        for i in range(first, last):
            ticket = await insert_ticket(
                db, new_ticket(start + timedelta(minutes=i), **overrides), gw.clock.now()
            )
            await add_event(db, ticket.id, gw.clock.now(), "created", by="test")
            numbers.append(ticket.number)

    for first in range(0, count, 500):
        await gw.store.write(lambda db, f=first: write(db, f, min(count, f + 500)))  # type: ignore[misc]
    return numbers


class Api:
    """A client for one gateway's API, with a default token."""

    def __init__(self, session: aiohttp.ClientSession, base: str, token: str | None) -> None:
        self.session = session
        self.base = base
        self.token = token

    def headers(self, token: str | None = None, **extra: str) -> dict[str, str]:
        chosen = token if token is not None else self.token
        out = {"Authorization": f"Bearer {chosen}"} if chosen else {}
        return {**out, **extra}

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        data: bytes | str | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        async with self.session.request(
            method,
            self.base + path,
            json=json,
            data=data,
            params=params,
            headers={**self.headers(token), **(headers or {})},
        ) as response:
            assert response.content_type == "application/json", await response.text()
            return response.status, await response.json()
