"""Staff, tokens, assignments and stored API answers move with a desk from SQLite to
PostgreSQL (`intake store migrate`), tickets assigned to staff included."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from gateway.app import Gateway
from gateway.cli import app
from gateway.clock import ManualClock
from gateway.store import staff as staff_sql
from gateway.store.connection import Connection
from gateway.store.tickets import ticket_by_number
from tests.pg_server import query_sync

from ..gateway.gateway_harness import SATURDAY_MORNING, DefaultProposer, make_settings
from .api_harness import seed_tickets, staff_with_token


async def _staffed_desk(data_dir: Path) -> None:
    gw = Gateway(
        make_settings(data_dir),
        clock=ManualClock(SATURDAY_MORNING),
        proposer=DefaultProposer(),
        workers=False,
    )
    await gw.start()
    try:
        await staff_with_token(gw, "sam@example.com")
        (number,) = await seed_tickets(gw, 1)

        async def assign(db: Connection) -> None:
            member = await staff_sql.staff_by_email(db, "sam@example.com")
            ticket = await ticket_by_number(db, number)
            assert member is not None and ticket is not None
            await staff_sql.assign(db, ticket.id, member.id, gw.clock.now())
            now = gw.clock.now()
            assert await staff_sql.claim_key(db, member.id, "k", request_hash="h", now=now)
            await staff_sql.store_response(db, member.id, "k", status=201, response="{}")

        await gw.store.write(assign)
    finally:
        await gw.stop()


def test_a_staffed_desk_moves_to_postgresql(tmp_path: Path, pg_url: str) -> None:
    asyncio.run(_staffed_desk(tmp_path))
    config = tmp_path / "intake.toml"
    config.write_text("")
    result = CliRunner().invoke(
        app,
        ["store", "migrate", "--to", pg_url, "--config", str(config), "--data-dir", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    (row,) = query_sync(
        pg_url,
        "SELECT s.email FROM tickets t JOIN staff s ON s.id = t.assignee_id",
    )
    assert row[0] == "sam@example.com"
    assert query_sync(pg_url, "SELECT COUNT(*) FROM api_tokens")[0][0] == 1
    assert query_sync(pg_url, "SELECT COUNT(*) FROM api_idempotency")[0][0] == 1
