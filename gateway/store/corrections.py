"""SQL for staff corrections of a ticket's priority, which the classifier learns from."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from gateway.store.connection import Connection
from gateway.store.records import iso

DATABASE_NAME = "intake.db"


async def insert_correction(
    db: Connection,
    *,
    ticket_number: int,
    policy: str,
    subject: str,
    body: str,
    old_priority: str | None,
    new_priority: str,
    reason: str,
    now: datetime,
) -> None:
    await db.execute(
        "INSERT INTO corrections (ticket_number, policy, subject, body, old_priority,"
        " new_priority, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (ticket_number, policy, subject, body, old_priority, new_priority, reason, iso(now)),
    )


def load_corrections(data_dir: Path) -> list[dict[str, Any]]:
    """Every correction recorded under `data_dir` (synchronous: used by offline training)."""
    path = data_dir / DATABASE_NAME
    if not path.exists():
        return []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        db.row_factory = sqlite3.Row
        try:
            rows = db.execute(
                "SELECT ticket_number, policy, subject, body, old_priority, new_priority,"
                " reason, created_at FROM corrections ORDER BY id"
            ).fetchall()
        except sqlite3.OperationalError:  # a database from before corrections existed
            return []
    return [dict(row) for row in rows]
