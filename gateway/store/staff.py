"""SQL for staff accounts, their API tokens and the responses kept under an Idempotency-Key.

Only hashes are stored: an argon2id PHC string for a password, a hex SHA-256 for an API
token (the token is 256 random bits, so a fast hash loses nothing and lets every request be
checked with one indexed lookup). Hashing itself lives in `gateway.staff`, not here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from gateway.store.connection import Connection, dialect, skip_locked
from gateway.store.records import from_iso, iso

ROLES = ("agent", "lead", "admin")


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: int
    email: str
    name: str
    role: str
    phone: str | None
    created_at: datetime
    disabled_at: datetime | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> StaffMember:
        return cls(
            id=row["id"],
            email=row["email"],
            name=row["name"],
            role=row["role"],
            phone=row["phone"],
            created_at=datetime.fromisoformat(row["created_at"]),
            disabled_at=from_iso(row["disabled_at"]),
        )


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: int
    staff_id: int
    staff_email: str
    name: str
    hint: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ApiToken:
        return cls(
            id=row["id"],
            staff_id=row["staff_id"],
            staff_email=row["email"],
            name=row["name"],
            hint=row["hint"],
            created_at=datetime.fromisoformat(row["created_at"]),
            last_used_at=from_iso(row["last_used_at"]),
            revoked_at=from_iso(row["revoked_at"]),
        )


@dataclass(frozen=True, slots=True)
class StoredResponse:
    request_hash: str
    status: int
    response: str


_STAFF_COLUMNS = "id, email, name, role, phone, created_at, disabled_at"


async def insert_staff(
    db: Connection,
    *,
    email: str,
    name: str,
    role: str,
    phone: str | None,
    password_hash: str,
    now: datetime,
) -> StaffMember | None:
    """Add a staff member; None when the email (or phone) is already someone's."""
    cursor = await db.execute(
        "INSERT INTO staff (email, name, role, phone, password_hash, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (email, name, role, phone, password_hash, iso(now)),
    )
    if cursor.rowcount != 1:
        return None
    return await staff_by_email(db, email)


async def staff_by_email(db: Connection, email: str) -> StaffMember | None:
    async with db.execute(
        f"SELECT {_STAFF_COLUMNS} FROM staff WHERE email = ?", (email,)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else StaffMember.from_row(row)


async def staff_emails(db: Connection) -> frozenset[str]:
    """Every staff address, as stored: one read for a batch of mail instead of one look-up per
    message (`staff_by_email` then reads the few that match)."""
    rows = await db.execute_fetchall("SELECT email FROM staff")
    return frozenset(str(row["email"]) for row in rows)


async def staff_by_phone(db: Connection, phone: str) -> StaffMember | None:
    async with db.execute(
        f"SELECT {_STAFF_COLUMNS} FROM staff WHERE phone = ?", (phone,)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else StaffMember.from_row(row)


async def staff_by_id(db: Connection, staff_id: int) -> StaffMember | None:
    async with db.execute(
        f"SELECT {_STAFF_COLUMNS} FROM staff WHERE id = ?", (staff_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else StaffMember.from_row(row)


async def list_staff(db: Connection) -> list[StaffMember]:
    async with db.execute(f"SELECT {_STAFF_COLUMNS} FROM staff ORDER BY email") as cursor:
        return [StaffMember.from_row(row) for row in await cursor.fetchall()]


async def disable_staff(db: Connection, staff_id: int, now: datetime) -> None:
    """Disable the account and revoke its tokens in the same transaction."""
    await db.execute(
        "UPDATE staff SET disabled_at = COALESCE(disabled_at, ?) WHERE id = ?", (iso(now), staff_id)
    )
    await db.execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE staff_id = ? AND revoked_at IS NULL",
        (iso(now), staff_id),
    )


async def password_hash_of(db: Connection, staff_id: int) -> str | None:
    async with db.execute("SELECT password_hash FROM staff WHERE id = ?", (staff_id,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else str(row["password_hash"])


# -- API tokens --------------------------------------------------------------------------------

_TOKEN_SELECT = (
    "SELECT t.id, t.staff_id, s.email, t.name, t.hint, t.created_at, t.last_used_at,"
    " t.revoked_at FROM api_tokens t JOIN staff s ON s.id = t.staff_id"
)


async def insert_token(
    db: Connection, staff_id: int, *, name: str, token_hash: str, hint: str, now: datetime
) -> ApiToken | None:
    """Record a token by its hash; None when this staff member already has one by that name."""
    cursor = await db.execute(
        "INSERT INTO api_tokens (staff_id, name, token_hash, hint, created_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (staff_id, name, token_hash, hint, iso(now)),
    )
    if cursor.rowcount != 1:
        return None
    async with db.execute(f"{_TOKEN_SELECT} WHERE t.token_hash = ?", (token_hash,)) as c:
        row = await c.fetchone()
    return ApiToken.from_row(row)


async def list_tokens(db: Connection, staff_id: int | None = None) -> list[ApiToken]:
    where, args = ("WHERE t.staff_id = ?", (staff_id,)) if staff_id is not None else ("", ())
    async with db.execute(f"{_TOKEN_SELECT} {where} ORDER BY s.email, t.name", args) as cursor:
        return [ApiToken.from_row(row) for row in await cursor.fetchall()]


async def token_by_name(db: Connection, staff_id: int, name: str) -> ApiToken | None:
    async with db.execute(
        f"{_TOKEN_SELECT} WHERE t.staff_id = ? AND t.name = ?", (staff_id, name)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else ApiToken.from_row(row)


async def revoke_token(db: Connection, token_id: int, now: datetime) -> bool:
    """Revoke a token; False if it was revoked already."""
    cursor = await db.execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        (iso(now), token_id),
    )
    return cursor.rowcount == 1


async def bearer(db: Connection, token_hash: str) -> tuple[StaffMember, ApiToken] | None:
    """The active staff member and live token with this hash, or None (unknown or revoked)."""
    async with db.execute(
        "SELECT s.id, s.email, s.name, s.role, s.phone, s.created_at, s.disabled_at,"
        " t.id AS token_id, t.name AS token_name, t.hint, t.created_at AS token_created_at,"
        " t.last_used_at, t.revoked_at FROM api_tokens t JOIN staff s ON s.id = t.staff_id"
        " WHERE t.token_hash = ? AND t.revoked_at IS NULL AND s.disabled_at IS NULL",
        (token_hash,),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    staff = StaffMember.from_row(row)
    token = ApiToken(
        id=row["token_id"],
        staff_id=staff.id,
        staff_email=staff.email,
        name=row["token_name"],
        hint=row["hint"],
        created_at=datetime.fromisoformat(row["token_created_at"]),
        last_used_at=from_iso(row["last_used_at"]),
        revoked_at=None,
    )
    return staff, token


async def touch_token(db: Connection, token_id: int, now: datetime) -> None:
    await db.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (iso(now), token_id))


# -- Idempotency-Key ---------------------------------------------------------------------------


async def forget_responses(db: Connection, staff_id: int, before: datetime) -> None:
    """Drop this staff member's keys older than `before`. On PostgreSQL, rows another node is
    deleting right now are skipped (it drops them): waiting for it inside a group commit would
    stall this node's writes behind the other's, or deadlock two batches."""
    await db.execute(
        "DELETE FROM api_idempotency WHERE (staff_id, key) IN (SELECT staff_id, key"
        " FROM api_idempotency WHERE staff_id = ? AND created_at < ?" + skip_locked(db) + ")",
        (staff_id, iso(before)),
    )


async def stored_response(db: Connection, staff_id: int, key: str) -> StoredResponse | None:
    async with db.execute(
        "SELECT request_hash, status, response FROM api_idempotency WHERE staff_id = ? AND key = ?",
        (staff_id, key),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    return StoredResponse(row["request_hash"], row["status"], row["response"])


class KeyInUse(Exception):
    """Another transaction (another node's, most likely) is answering under this key now."""


async def claim_key(
    db: Connection, staff_id: int, key: str, *, request_hash: str, now: datetime
) -> bool:
    """Take `key` for this request before running it; False when it was answered already.

    The claim and the answer commit together, so a crashed attempt leaves no claim behind.
    On PostgreSQL a transaction-scoped lock on the key comes first and is only *tried*: an
    attempt racing one still running elsewhere raises `KeyInUse` at once instead of waiting
    at the primary key inside a group commit (two nodes' batches claiming two keys in opposite
    orders would deadlock). SQLite has one writer, so nothing runs beside us.
    """
    if dialect(db) == "postgresql":
        async with db.execute(
            "SELECT pg_try_advisory_xact_lock(hashtextextended(?, 0)) AS mine",
            (f"api_idempotency {staff_id} {key}",),
        ) as cursor:
            row = await cursor.fetchone()
        if not row["mine"]:
            raise KeyInUse(key)
    cursor = await db.execute(
        "INSERT INTO api_idempotency (staff_id, key, request_hash, status, response, created_at)"
        " VALUES (?, ?, ?, 0, '', ?) ON CONFLICT (staff_id, key) DO NOTHING",
        (staff_id, key, request_hash, iso(now)),
    )
    return cursor.rowcount == 1


async def store_response(
    db: Connection, staff_id: int, key: str, *, status: int, response: str
) -> None:
    """Keep the answer to a POST under the key this transaction claimed."""
    await db.execute(
        "UPDATE api_idempotency SET status = ?, response = ? WHERE staff_id = ? AND key = ?",
        (status, response, staff_id, key),
    )


async def assign(db: Connection, ticket_id: int, staff_id: int | None, now: datetime) -> None:
    """Set (or clear, with None) the staff member a ticket is assigned to."""
    await db.execute(
        "UPDATE tickets SET assignee_id = ?, updated_at = ? WHERE id = ?",
        (staff_id, iso(now), ticket_id),
    )
