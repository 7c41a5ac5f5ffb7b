"""Fixtures every test directory shares: the store backends, SQLite and a real PostgreSQL.

One PostgreSQL server runs per test session (started from the server binaries in a
temporary directory, see `pg_server.py`); each test gets its own database, copied from a
migrated template so that no test pays for the migrations. Without the binaries the
PostgreSQL variants skip with one line, except in CI (`CI=true`), where they must run.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.store import Store
from tests.pg_server import PASSWORD, PASSWORD_ENV, PgServer, running_server, server_binaries

BACKENDS = ("sqlite", "postgresql")
TEMPLATE = "intake_template"
_databases = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    if server_binaries() is None:
        reason = "PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI must run the PostgreSQL tests)", pytrace=False)
        pytest.skip(reason)
    with running_server() as server:
        server.create_database(TEMPLATE)
        asyncio.run(_migrate(server.url(TEMPLATE)))
        yield server


async def _migrate(url: str) -> None:
    store = await Store.connect(url, default_path=Path("unused"), password=PASSWORD)
    await store.close()


@pytest.fixture
def pg_url(pg_server: PgServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database; its password is in the environment."""
    name = f"intake_{os.getpid()}_{next(_databases)}"
    url = pg_server.create_database(name, template=TEMPLATE)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    yield url
    pg_server.drop_database(name)


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest) -> str | None:
    """The backend a parametrised test runs on: None is SQLite in the test's directory."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("pg_url"))
