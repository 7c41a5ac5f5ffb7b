"""Migration 16 on a desk with page chains: SQLite rebuilds `page_chains` without losing a
chain or breaking its pages' references; afterwards a stopped chain no longer blocks a new one
for its ticket, while a running, acknowledged or run-out chain still does."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from gateway.store import Store
from gateway.store import paging as paging_sql
from gateway.store.connection import Connection
from gateway.store.paging import Chain
from gateway.store.schema import MIGRATIONS, sqlite_script
from tests.gateway.gateway_harness import SATURDAY_MORNING

AT = "2026-11-21T08:00:00+00:00"


def _desk_before_the_migration(path: Path) -> None:
    chains = next(n for n, m in enumerate(MIGRATIONS, 1) if "page chains: one per ticket" in m)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    for number in range(1, chains):
        script = sqlite_script(number)
        db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    for n, state in ((1, "stopped"), (2, "acknowledged")):
        db.execute(
            "INSERT INTO tickets (id, number, channel, customer, desk, policy, subject,"
            " effective_priority, received_at, created_at, updated_at)"
            " VALUES (?, 1000 + ?, 'email', 'c@example.com', 'support@localhost', 'threepbx',"
            " 's', 'P1', ?, ?, ?)",
            (n, n, AT, AT, AT),
        )
        db.execute(
            "INSERT INTO page_chains (id, ticket_id, state, reason, summary, started_at, step)"
            " VALUES (?, ?, ?, 'P1 pages after hours', 'down', ?, 1)",
            (n, n, state, AT),
        )
        db.execute(
            "INSERT INTO pages (chain_id, step, round, staff_id, phone, outbox_key, send_at,"
            " created_at, state) VALUES (?, 1, 1, 'alice', '+12025550101', ?, ?, ?, 'sent')",
            (n, f"page-{1000 + n}-1-1", AT, AT),
        )
    db.close()


async def test_chains_and_pages_survive_and_only_a_stopped_chain_makes_room(
    tmp_path: Path,
) -> None:
    path = tmp_path / "intake.db"
    _desk_before_the_migration(path)
    store = await Store.open(path)
    try:
        chains = await store.read(lambda db: paging_sql.chain_for_ticket(db, 1))
        assert chains is not None and (chains.id, chains.state) == (1, "stopped")

        async def start(db: Connection, ticket_id: int) -> Chain | None:
            return await paging_sql.insert_chain(
                db,
                ticket_id,
                reason="raised again",
                summary="down",
                now=SATURDAY_MORNING,
            )

        again = await store.write(lambda db: start(db, 1))
        assert again is not None and again.state == "active"
        assert await store.write(lambda db: start(db, 1)) is None  # one running at a time
        assert await store.write(lambda db: start(db, 2)) is None  # acknowledged: someone has it
        latest = await store.read(lambda db: paging_sql.chain_for_ticket(db, 1))
        assert latest is not None and latest.id == again.id
    finally:
        await store.close()
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("SELECT COUNT(*) FROM pages").fetchone() == (2,)
        assert db.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)
    finally:
        db.close()
