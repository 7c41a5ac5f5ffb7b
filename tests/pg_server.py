"""A throwaway PostgreSQL server for tests and benchmarks, started from Debian's server binaries.

`initdb` refuses to run as root, so when we are root (CI) the cluster belongs to the `postgres`
system user (created by the `postgresql` package) and every server command runs through
`runuser`. The server listens on 127.0.0.1 on a free port and requires a password, so every
test also goes through the store's `password_env` path.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUPERUSER = "intake"
PASSWORD = "intake-test-password"
PASSWORD_ENV = "INTAKE_DB_PASSWORD"  # the store's default `password_env`


def server_binaries() -> Path | None:
    """The newest installed PostgreSQL `bin` directory holding `initdb` and `pg_ctl`."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    bin_dir: Path
    data_dir: Path
    run_as: str | None

    def url(self, database: str = "postgres") -> str:
        """A store URL without the password (that comes from `PASSWORD_ENV`)."""
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}:{PASSWORD}@{self.host}:{self.port}/{database}"

    def command(self, *args: str) -> list[str]:
        if self.run_as is None:
            return list(args)
        return ["runuser", "-u", self.run_as, "--", *args]

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create database `name` (optionally a copy of `template`); returns its store URL."""
        sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        self.psql(sql)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def psql(self, sql: str, database: str = "postgres") -> str:
        # `postgres --single` is not an option with a running server; psql ships with the
        # client package that `postgresql` depends on.
        psql = shutil.which("psql") or str(self.bin_dir / "psql")
        result = subprocess.run(
            [psql, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql, self.dsn(database)],
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout.strip()


@contextlib.contextmanager
def running_server(*, durable: bool = False) -> Iterator[PgServer]:
    """Start a fresh cluster in a temporary directory; stop and delete it afterwards.

    Tests run with `fsync = off` (a crash of the test machine loses nothing we keep);
    benchmarks pass `durable=True` so that every commit is on disk as in production.
    """
    bin_dir = server_binaries()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) not found")
    run_as = "postgres" if os.geteuid() == 0 else None
    top = Path(tempfile.mkdtemp(prefix="intake-pg-"))
    data_dir = top / "data"
    pwfile = top / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if run_as is not None:
        shutil.chown(top, user=run_as)
        shutil.chown(pwfile, user=run_as)
    port = _free_port()
    server = PgServer("127.0.0.1", port, bin_dir, data_dir, run_as)
    subprocess.run(
        server.command(
            str(bin_dir / "initdb"),
            "-D",
            str(data_dir),
            "-U",
            SUPERUSER,
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ),
        check=True,
        capture_output=True,
    )
    options = [
        f"-p {port}",
        "-c listen_addresses=127.0.0.1",
        f"-c unix_socket_directories={top}",
        "-c max_connections=200",
        "-c shared_buffers=64MB",
    ]
    if not durable:
        options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
    subprocess.run(
        server.command(
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data_dir),
            "-l",
            str(top / "server.log"),
            "-o",
            " ".join(options),
            "-w",
            "-t",
            "60",
            "start",
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield server
    finally:
        subprocess.run(
            server.command(str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "immediate", "stop"),
            capture_output=True,
        )
        time.sleep(0.1)
        shutil.rmtree(top, ignore_errors=True)


def query_sync(url: str, sql: str, *args: Any) -> list[Any]:
    """Run one store-dialect statement (with `?`) against `url` and return its rows.

    For synchronous test helpers that read what a gateway stored: the query runs on its own
    thread with its own event loop, so it works from inside a running test's loop too.
    """
    from gateway.store.postgres import translate

    async def run() -> list[Any]:
        import asyncpg

        connection = await asyncpg.connect(url, password=PASSWORD)
        try:
            return list(await connection.fetch(translate(sql)[0], *args))
        finally:
            await connection.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, run()).result()


async def open_test_store(store_url: str | None, data_dir: Path) -> Any:
    """The store a parametrised test runs on (`store_url` fixture: None is SQLite)."""
    from gateway.store import Store

    return await Store.connect(store_url, default_path=data_dir / "intake.db", password=PASSWORD)
