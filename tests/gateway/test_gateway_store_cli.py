"""`intake store check` on either backend, and `intake store migrate` from SQLite to PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.app import Gateway
from gateway.cli import app
from gateway.clock import ManualClock
from gateway.store.schema import MIGRATIONS, tables
from tests.pg_server import query_sync

from .gateway_harness import SATURDAY_MORNING, DefaultProposer, mail, make_settings, send, settle

runner = CliRunner()


def _config(tmp_path: Path, url: str | None) -> list[str]:
    config = tmp_path / "intake.toml"
    config.write_text(f'[store]\nurl = "{url}"\n' if url else "")
    return ["--config", str(config), "--data-dir", str(tmp_path)]


async def _desk_with_mail(
    data_dir: Path, url: str | None, count: int = 3, tag: str = "m"
) -> list[int]:
    """A gateway that took `count` mails, processed them and sent the acknowledgements."""
    settings = make_settings(data_dir, store__url=url)
    gw = Gateway(settings, clock=ManualClock(SATURDAY_MORNING), proposer=DefaultProposer())
    gw.workers = False
    await gw.start()
    try:
        for n in range(count):
            await send(gw, mail(subject=f"outage {n}", Message_ID=f"<{tag}{n}@example.com>"))
        await settle(gw)
        return [
            int(t["number"])
            for t in (
                query_sync(url, "SELECT number FROM tickets ORDER BY number")
                if url
                else _sqlite_rows(data_dir, "SELECT number FROM tickets ORDER BY number")
            )
        ]
    finally:
        await gw.stop()


def _sqlite_rows(data_dir: Path, sql: str) -> list[dict[str, object]]:
    import sqlite3

    db = sqlite3.connect(data_dir / "intake.db")
    db.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in db.execute(sql)]
    finally:
        db.close()


def test_check_reports_schema_and_backlog_on_either_backend(
    tmp_path: Path, store_url: str | None
) -> None:
    asyncio.run(_desk_with_mail(tmp_path, store_url, count=2))
    result = runner.invoke(app, ["store", "check", "--json", *_config(tmp_path, store_url)])
    assert result.exit_code == 0, result.output
    health = json.loads(result.stdout)
    assert health["backend"] == ("postgresql" if store_url else "sqlite")
    assert health["schema_version"] == health["latest_version"] == len(MIGRATIONS)
    assert health["tickets"] == 2
    assert health["inbox"] == {"done": 2}
    assert health["outbox"] == {"sent": 2}
    text = runner.invoke(app, ["store", "check", *_config(tmp_path, store_url)])
    assert f"schema: version {len(MIGRATIONS)} of {len(MIGRATIONS)}" in text.stdout
    assert "inbox: 2 done" in text.stdout


def test_migrate_copies_a_sqlite_desk_and_postgresql_carries_on(
    tmp_path: Path, pg_url: str
) -> None:
    numbers = asyncio.run(_desk_with_mail(tmp_path, None, count=3))
    result = runner.invoke(app, ["store", "migrate", "--to", pg_url, *_config(tmp_path, None)])
    assert result.exit_code == 0, result.output
    for table in tables():
        source = _sqlite_rows(tmp_path, f"SELECT COUNT(*) AS n FROM {table}")[0]["n"]
        assert f"{table}: {source} copied" in result.stdout
        assert query_sync(pg_url, f"SELECT COUNT(*) FROM {table}")[0][0] == source
    raw = _sqlite_rows(tmp_path, "SELECT raw FROM inbox ORDER BY id")
    assert [r["raw"] for r in query_sync(pg_url, "SELECT raw FROM inbox ORDER BY id")] == [
        r["raw"] for r in raw
    ]

    # The desk now runs on PostgreSQL: the next ticket continues the numbering, and new rows
    # take ids after the copied ones.
    more = asyncio.run(_desk_with_mail(tmp_path / "after", pg_url, count=1, tag="after"))
    assert more == [*numbers, numbers[-1] + 1]


def test_migrate_refuses_a_database_that_is_not_empty(tmp_path: Path, pg_url: str) -> None:
    asyncio.run(_desk_with_mail(tmp_path, None, count=1))
    first = runner.invoke(app, ["store", "migrate", "--to", pg_url, *_config(tmp_path, None)])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["store", "migrate", "--to", pg_url, *_config(tmp_path, None)])
    assert again.exit_code == 1
    assert "not empty" in again.stderr and "Traceback" not in again.output


@pytest.mark.parametrize(
    ("to", "says"),
    [
        ("mysql://db/intake", "must be a postgresql:// URL"),
        ("postgresql://intake:secret@db/intake", "must not contain a password"),
    ],
)
def test_migrate_refuses_bad_targets_in_one_sentence(tmp_path: Path, to: str, says: str) -> None:
    result = runner.invoke(app, ["store", "migrate", "--to", to, *_config(tmp_path, None)])
    assert result.exit_code == 2
    assert says in result.stderr and "secret" not in result.stderr


def test_an_unreachable_database_is_one_sentence(tmp_path: Path) -> None:
    url = "postgresql://intake@127.0.0.1:1/intake"
    result = runner.invoke(app, ["store", "check", *_config(tmp_path, url)])
    assert result.exit_code == 1
    assert "cannot connect to postgresql://intake@127.0.0.1:1/intake" in result.stderr
    assert "Traceback" not in result.output


def test_the_store_url_never_holds_a_password_and_comes_from_the_environment(
    tmp_path: Path,
) -> None:
    from gateway.config import ConfigError, load_settings

    config = tmp_path / "intake.toml"
    config.write_text('[store]\nurl = "postgresql://intake:hunter2@db/intake"\n')
    with pytest.raises(ConfigError) as refused:
        load_settings(config, environ={})
    assert "store.password_env" in str(refused.value) and "hunter2" not in str(refused.value)
    config.write_text('[store]\nurl = "mysql://db/intake"\n')
    with pytest.raises(ConfigError, match="postgresql://"):
        load_settings(config, environ={})
    settings = load_settings(None, environ={"INTAKE_STORE_URL": "postgresql://intake@db/x"})
    assert settings.store.url == "postgresql://intake@db/x"
    assert settings.store.password_env == "INTAKE_DB_PASSWORD"
