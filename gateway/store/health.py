"""SQL for the health check: what is stuck, failing or unanswered, read in one place."""

from __future__ import annotations

from datetime import datetime

from gateway.store.connection import Connection, dialect
from gateway.store.records import iso


async def prove_writable(db: Connection) -> None:
    """A real write (the schema version, rewritten as it is): the group commit must reach disk."""
    if dialect(db) == "postgresql":
        await db.execute("UPDATE intake_schema SET version = version")
        return
    async with db.execute("PRAGMA user_version") as cursor:
        (version,) = await cursor.fetchone()
    await db.execute(f"PRAGMA user_version = {int(version)}")


async def oldest_unprocessed(db: Connection) -> datetime | None:
    async with db.execute("SELECT MIN(received_at) AS at FROM inbox WHERE state = 'new'") as cursor:
        row = await cursor.fetchone()
    return datetime.fromisoformat(row["at"]) if row and row["at"] else None


async def outbox_trouble(db: Connection, since: datetime) -> tuple[int, int, str | None]:
    """(failed since `since`, pending after a failed attempt, the latest error text)."""
    async with db.execute(
        "SELECT"
        " SUM(CASE WHEN state = 'failed' AND created_at >= ? THEN 1 ELSE 0 END) AS failed,"
        " SUM(CASE WHEN state = 'pending' AND last_error IS NOT NULL THEN 1 ELSE 0 END)"
        " AS retrying,"
        " (SELECT last_error FROM outbox WHERE last_error IS NOT NULL"
        "  AND state IN ('failed', 'pending') ORDER BY id DESC LIMIT 1) AS error"
        " FROM outbox",
        (iso(since),),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row["failed"] or 0), int(row["retrying"] or 0), row["error"]


async def exhausted_open_chains(db: Connection) -> list[int]:
    """Ticket numbers whose page chain ran out with nobody acknowledging, still open."""
    async with db.execute(
        "SELECT t.number FROM page_chains c JOIN tickets t ON t.id = c.ticket_id"
        " WHERE c.state = 'exhausted' AND t.status = 'open' ORDER BY t.number"
    ) as cursor:
        return [int(row["number"]) for row in await cursor.fetchall()]
