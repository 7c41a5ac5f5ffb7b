"""SQL for the staff workspace: browser sessions and sign-in throttling.

A session is 256 random bits in an HttpOnly cookie; only its SHA-256 is stored (as for API
tokens), beside the session's CSRF token and its expiry, which the server checks on every
request — the cookie's own lifetime is only a hint to the browser. Failed sign-ins are rows
keyed by account and by address; a sign-in is refused while either has too many in the window.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.credentials import token_hash
from gateway.store.connection import Connection
from gateway.store.records import iso
from gateway.store.staff import StaffMember, staff_by_id

SESSION_LIFETIME = timedelta(hours=12)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5  # a password guessed slowly against one person
MAX_FAILURES_PER_ADDRESS = 20  # one machine trying many accounts


@dataclass(frozen=True, slots=True)
class Session:
    staff: StaffMember
    csrf: str
    expires_at: datetime


def new_secret() -> str:
    return secrets.token_urlsafe(32)


async def open_session(db: Connection, staff_id: int, now: datetime) -> tuple[str, Session]:
    """A new session for this staff member; returns the cookie value and the session."""
    cookie, csrf = new_secret(), new_secret()
    expires = now + SESSION_LIFETIME
    await db.execute(
        "INSERT INTO web_sessions (token_hash, staff_id, csrf, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (token_hash(cookie), staff_id, csrf, iso(now), iso(expires)),
    )
    await db.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (iso(now),))
    staff = await staff_by_id(db, staff_id)
    assert staff is not None
    return cookie, Session(staff, csrf, expires)


async def session_for(db: Connection, cookie: str, now: datetime) -> Session | None:
    """The live session of an active staff member with this cookie, else None."""
    async with db.execute(
        "SELECT staff_id, csrf, expires_at FROM web_sessions WHERE token_hash = ?",
        (token_hash(cookie),),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    expires = datetime.fromisoformat(row["expires_at"])
    if expires <= now:
        return None
    staff = await staff_by_id(db, row["staff_id"])
    if staff is None or not staff.active:
        return None
    return Session(staff, row["csrf"], expires)


async def close_session(db: Connection, cookie: str) -> None:
    await db.execute("DELETE FROM web_sessions WHERE token_hash = ?", (token_hash(cookie),))


def throttle_keys(email: str, address: str) -> tuple[str, str]:
    return f"account:{email}", f"address:{address}"


async def throttled(db: Connection, email: str, address: str, now: datetime) -> bool:
    """True while the account or the address has too many recent failed sign-ins."""
    since = iso(now - THROTTLE_WINDOW)
    account, by_address = throttle_keys(email, address)
    for key, limit in ((account, MAX_FAILURES_PER_ACCOUNT), (by_address, MAX_FAILURES_PER_ADDRESS)):
        async with db.execute(
            "SELECT COUNT(*) AS n FROM login_failures WHERE key = ? AND at > ?", (key, since)
        ) as cursor:
            row = await cursor.fetchone()
        if row["n"] >= limit:
            return True
    return False


async def record_failure(db: Connection, email: str, address: str, now: datetime) -> None:
    for key in throttle_keys(email, address):
        await db.execute("INSERT INTO login_failures (key, at) VALUES (?, ?)", (key, iso(now)))
    await db.execute("DELETE FROM login_failures WHERE at <= ?", (iso(now - THROTTLE_WINDOW),))
