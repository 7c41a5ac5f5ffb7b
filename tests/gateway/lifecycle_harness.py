"""Helpers for the lifecycle stories: staff, the CLI run beside a live gateway, ticket reads."""

from __future__ import annotations

import asyncio
import email
import email.policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from gateway.app import Gateway
from gateway.cli import app

from .gateway_harness import outgoing_mail, query

runner = CliRunner()


async def cli(gw: Gateway, *args: str, stdin: str | None = None, **env: str) -> Any:
    """`intake ARGS --data-dir DIR` in a thread (it runs its own event loop) against the
    running gateway's database, as a support lead would from a shell beside `intake serve`."""
    argv = [*args, "--data-dir", str(gw.settings.data_dir)]
    # The gateway's own store: its PostgreSQL URL when it runs on one (the password is already
    # in the environment, under the name the settings give), else SQLite in the data dir.
    store = {"INTAKE_STORE_URL": gw.settings.store.url} if gw.settings.store.url else {}
    return await asyncio.to_thread(
        runner.invoke, app, argv, input=stdin, env={"INTAKE_CONFIG": "", **store, **env}
    )


def ticket(gw: Gateway, number: int) -> Any:
    (row,) = query(gw, "SELECT * FROM tickets WHERE number = ?", number)
    return row


def events(gw: Gateway, number: int, kind: str | None = None) -> list[dict[str, Any]]:
    import json

    rows = query(
        gw,
        "SELECT e.kind, e.at, e.detail FROM events e JOIN tickets t ON t.id = e.ticket_id"
        " WHERE t.number = ? ORDER BY e.id",
        number,
    )
    found = [{"kind": r["kind"], "at": r["at"], **json.loads(r["detail"])} for r in rows]
    return [e for e in found if kind is None or e["kind"] == kind]


def new_mail(gw: Gateway, before: set[Path]) -> list[EmailMessage]:
    """Mail the gateway sent since `before` (a set of outgoing files), parsed."""
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for path in sorted(set(outgoing_mail(gw)) - before)
    ]
