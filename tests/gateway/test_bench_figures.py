"""The throughput bench reads its figures from Intake's database: per round, the P1 tickets
that round's mail opened and the time from each one's `250` to its page being queued."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench.smtp_intake import _processing
from gateway.store.schema import MIGRATIONS


def _database(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path / "intake.db")
    for script in MIGRATIONS:
        db.executescript(script)
    return db


def _mail(db: sqlite3.Connection, at: str, ticket: int | None = None) -> int:
    """An accepted mail at `at`, processed a second later; a new P1 ticket paged two seconds
    after it arrived, unless it joined `ticket`."""
    processed = at.replace(":00.000000", ":01.000000")
    inbox = db.execute(
        "INSERT INTO inbox (channel, kind, received_at, meta, state, processed_at)"
        " VALUES ('email', 'smtp', ?, '{}', 'done', ?)",
        (at, processed),
    ).lastrowid
    assert inbox is not None
    if ticket is None:
        ticket = db.execute(
            "INSERT INTO tickets (number, channel, customer, desk, policy, subject,"
            " effective_priority, received_at, created_at, updated_at)"
            " VALUES (1000 + ?, 'email', 'c@example.com', 'support@localhost', 'p', 's',"
            " 'P1', ?, ?, ?)",
            (inbox, at, at, at),
        ).lastrowid
        assert ticket is not None
        chain = db.execute(
            "INSERT INTO page_chains (ticket_id, reason, summary, started_at)"
            " VALUES (?, 'P1', 's', ?)",
            (ticket, at),
        ).lastrowid
        db.execute(
            "INSERT INTO pages (chain_id, step, round, staff_id, phone, outbox_key, send_at,"
            " created_at) VALUES (?, 0, 0, 'alice', '+12025550101', ?, ?, ?)",
            (chain, f"page-{chain}", at, at.replace(":00.000000", ":02.000000")),
        )
    db.execute(
        "INSERT INTO messages (ticket_id, direction, channel, created_at, inbox_id)"
        " VALUES (?, 'in', 'email', ?, ?)",
        (ticket, at, inbox),
    )
    db.commit()
    return ticket


def test_a_round_counts_only_the_p1_tickets_its_own_mail_opened(tmp_path: Path) -> None:
    db = _database(tmp_path)
    earlier = _mail(db, "2026-11-24T10:00:00.000000+00:00")
    # The next round: the same mail again joins the earlier ticket (a follow-up), and one
    # new P1 is paged 2 s after its 250.
    _mail(db, "2026-11-24T10:05:00.000000+00:00", ticket=earlier)
    first = int(db.execute("SELECT MAX(id) FROM inbox").fetchone()[0])
    _mail(db, "2026-11-24T10:06:00.000000+00:00")
    after = _processing(tmp_path, first)
    assert after.urgent == 1
    assert after.pages == [2.0]  # not the earlier round's page, minus five minutes
