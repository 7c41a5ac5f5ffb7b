"""Startup and storage faults through a real `intake serve`: one sentence, exit 2, no traceback."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.store.schema import MIGRATIONS


def serve(
    data_dir: Path, *args: str, config: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INTAKE_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    env.pop("INTAKE_CONFIG", None)
    if config is not None:
        config_file = data_dir.parent / "intake.toml"
        config_file.write_text(config)
        env["INTAKE_CONFIG"] = str(config_file)
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", "serve", "--http-port", "0", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def one_sentence(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert "intake ready" not in result.stdout
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("intake: ")]
    return line


def test_smtp_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_sentence(serve(tmp_path / "data", "--smtp-port", str(port)))
    assert f"SMTP cannot listen on 127.0.0.1:{port}" in line
    assert "already in use" in line and "--smtp-port" in line


def test_http_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve(tmp_path / "data", "--smtp-port", "0", "--http-port", str(port))
        line = one_sentence(result)
    assert f"HTTP cannot listen on 127.0.0.1:{port}" in line and "already in use" in line


def test_missing_tls_files(tmp_path: Path) -> None:
    config = (
        '[smtp]\nport = 0\ntls_cert = "/nonexistent/cert.pem"\ntls_key = "/nonexistent/key.pem"\n'
    )
    line = one_sentence(serve(tmp_path / "data", config=config))
    assert "smtp.tls_cert /nonexistent/cert.pem: no such file" in line


def test_tls_files_that_are_not_pem(tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text("not a certificate")
    (tmp_path / "key.pem").write_text("not a key")
    config = (
        f'[smtp]\nport = 0\ntls_cert = "{tmp_path / "cert.pem"}"\n'
        f'tls_key = "{tmp_path / "key.pem"}"\n'
    )
    line = one_sentence(serve(tmp_path / "data", config=config))
    assert "cannot load" in line and "PEM" in line


def test_data_dir_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("oops")
    line = one_sentence(serve(tmp_path / "data", "--smtp-port", "0"))
    assert f"data dir {tmp_path / 'data'} is a file, not a directory" in line


def test_data_dir_that_is_not_writable(tmp_path: Path) -> None:
    # sysfs refuses new files even to root, so this holds whoever runs the tests.
    if not Path("/sys/kernel").is_dir():
        pytest.fail("this test needs /sys/kernel (Linux)")
    line = one_sentence(serve(Path("/sys/kernel"), "--smtp-port", "0"))
    assert "data dir /sys/kernel is not writable" in line


def test_garbage_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "intake.db").write_bytes(b"this is not sqlite at all " * 200)
    line = one_sentence(serve(data, "--smtp-port", "0"))
    assert f"database {data / 'intake.db'} is not an SQLite database" in line
    assert "move it aside" in line


def test_database_from_a_future_version(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db = sqlite3.connect(data / "intake.db")
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    db.close()
    line = one_sentence(serve(data, "--smtp-port", "0"))
    assert f"schema version {len(MIGRATIONS) + 5} is newer" in line
