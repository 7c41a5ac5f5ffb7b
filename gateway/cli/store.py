"""`intake store`: the database's schema version and backlog, and moving a desk to PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import typer

from gateway.cli.common import (
    CONFIG_OPTION,
    DATA_DIR_OPTION,
    database_path,
    fail,
    settings_from_cli,
    usage_error,
    with_store,
)
from gateway.startup import StartupError
from gateway.store import transfer

store_app = typer.Typer(no_args_is_help=True)

TO_OPTION = typer.Option(..., "--to", help="postgresql://user@host[:port]/db (must be empty).")


@store_app.command("check")
def check(
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """Schema version and backlog of the configured store (SQLite or PostgreSQL)."""
    settings = settings_from_cli(config, data_dir)
    try:
        health = asyncio.run(with_store(settings, transfer.health))
    except (OSError, RuntimeError, StartupError) as exc:
        raise fail(f"cannot open the store: {exc}") from None
    if as_json:
        typer.echo(json.dumps(health.as_dict(), indent=2))
    else:
        where = settings.store.url or str(database_path(settings))
        typer.echo(f"store: {health.backend} {where}")
        typer.echo(f"schema: version {health.schema_version} of {health.latest_version}")
        typer.echo(f"tickets: {health.tickets}")
        typer.echo("inbox: " + _states(health.inbox))
        typer.echo("outbox: " + _states(health.outbox))
        oldest = health.oldest_new_inbox.isoformat() if health.oldest_new_inbox else "none"
        typer.echo(f"oldest unprocessed input: {oldest}")
        due = health.next_outbox_due.isoformat() if health.next_outbox_due else "none"
        typer.echo(f"next send due: {due}")
    if health.schema_version != health.latest_version:
        raise typer.Exit(1)


def _states(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "empty"


@store_app.command("migrate")
def migrate(
    to: str = TO_OPTION,
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Copy this desk's SQLite database into an empty PostgreSQL database and verify counts.

    The password comes from the environment variable `store.password_env` names
    (INTAKE_DB_PASSWORD by default). Stop `intake serve` first: mail accepted during the copy
    would stay behind. Afterwards set `[store] url` to the same URL.
    """
    settings = settings_from_cli(config, data_dir)
    if not to.startswith(("postgresql://", "postgres://")):
        usage_error(f"--to must be a postgresql:// URL, got {to!r}")
    if ":" in to.split("://", 1)[1].split("@", 1)[0] and "@" in to:
        usage_error(f"--to must not contain a password: put it in ${settings.store.password_env}")
    source = database_path(settings)
    if not source.is_file():
        raise fail(f"no SQLite database to copy: {source} does not exist (pass --data-dir)")
    password = os.environ.get(settings.store.password_env)
    try:
        counts = asyncio.run(transfer.copy_sqlite_to_postgres(source, to, password=password))
    except transfer.TransferError as exc:
        raise fail(str(exc)) from None
    except (OSError, RuntimeError, StartupError) as exc:  # unreachable server, refused login
        raise fail(f"cannot copy to {to}: {exc}") from None
    for count in counts:
        typer.echo(f"{count.table}: {count.source} copied")
    typer.echo(f'copied {source} to {to}; set [store] url = "{to}" to use it')
