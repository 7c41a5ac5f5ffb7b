"""SMTP intake and the intake worker on PostgreSQL, one node and two, against one SQLite node.

The same load of ~3 KB support mails goes, round after round, to one `intake serve` on SQLite
(the baseline), one on PostgreSQL, and two on the same PostgreSQL database (the clients split
between the two, as two MX hosts would share them). Every `250` is durable on both backends:
SQLite runs synchronous=FULL, the throwaway PostgreSQL server keeps fsync on and the store
sets synchronous_commit=on. Printed: accepted messages/s, how long the workers took to
process the burst after it ended, and the ratios to SQLite of the same round.

    .venv/bin/python -m bench.pg_intake [--messages 2000] [--concurrency 16] [--rounds 3]

Needs the PostgreSQL server binaries (Debian: apt-get install postgresql).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench.servers import start_server
from bench.smtp_intake import READY, load
from tests.pg_server import PASSWORD, PASSWORD_ENV, query_sync, running_server

TARGET = 1.3  # two PostgreSQL nodes accept at least this multiple of one SQLite node

Address = tuple[str, int]


@contextmanager
def intake_node(data_dir: Path, config: Path) -> Iterator[Address]:
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "INTAKE_DATA_DIR": str(data_dir),
        PASSWORD_ENV: PASSWORD,
    }
    serve = ["serve", "--smtp-port", "0", "--http-port", "0", "--config", str(config)]
    process, ready = start_server(
        [sys.executable, "-m", "gateway.cli", *serve, "--log-level", "WARNING"], env, READY
    )
    try:
        yield ready[1], int(ready[2])
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def _config(path: Path, url: str | None) -> Path:
    # All load comes from one address: lift the per-client limits a real desk keeps.
    text = (
        "[smtp]\nmax_messages_per_client_per_minute = 10000000\n"
        "max_connections_per_client = 1000\n"
    )
    if url:
        text += f'\n[store]\nurl = "{url}"\n'
    path.write_text(text)
    return path


def _sqlite_backlog(data_dir: Path) -> Callable[[], int]:
    import sqlite3

    def left() -> int:
        with sqlite3.connect(data_dir / "intake.db", timeout=30) as db:
            return int(db.execute(BACKLOG).fetchone()[0])

    return left


def _pg_backlog(url: str) -> Callable[[], int]:
    return lambda: int(query_sync(url, BACKLOG)[0][0])


BACKLOG = (
    "SELECT (SELECT COUNT(*) FROM inbox WHERE state = 'new')"
    " + (SELECT COUNT(*) FROM outbox WHERE state = 'pending')"
)


def _drained(backlog: Callable[[], int]) -> float:
    while backlog():
        time.sleep(0.05)
    return time.perf_counter()


def _burst(nodes: list[Address], total: int, concurrency: int) -> tuple[float, float]:
    """Send `total` mails split over `nodes`; (accepted per second, when the burst ended)."""

    async def run() -> float:
        began = time.perf_counter()
        share, clients = total // len(nodes), max(1, concurrency // len(nodes))
        await asyncio.gather(*(load(host, port, share, clients) for host, port in nodes))
        return share * len(nodes) / (time.perf_counter() - began)

    rate = asyncio.run(run())
    return rate, time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with ExitStack() as stack:
        top = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        server = stack.enter_context(running_server(durable=True))
        setups: dict[str, tuple[list[Address], Callable[[], int]]] = {}
        sqlite_dir = top / "sqlite"
        sqlite_dir.mkdir()
        sqlite_node = stack.enter_context(intake_node(sqlite_dir, _config(top / "s.toml", None)))
        setups["sqlite, 1 node"] = ([sqlite_node], _sqlite_backlog(sqlite_dir))
        for nodes in (1, 2):
            url = server.create_database(f"bench{nodes}")
            config = _config(top / f"pg{nodes}.toml", url)
            addresses = []
            for n in range(nodes):
                node_dir = top / f"pg{nodes}-{n}"
                node_dir.mkdir()
                addresses.append(stack.enter_context(intake_node(node_dir, config)))
            setups[f"postgresql, {nodes} node{'s' if nodes > 1 else ''}"] = (
                addresses,
                _pg_backlog(url),
            )
        for addresses, backlog in setups.values():  # warm-up
            _burst(addresses, 200, args.concurrency)
            _drained(backlog)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in setups}
        for number in range(1, args.rounds + 1):
            print(f"round {number}")
            for name, (addresses, backlog) in setups.items():
                rate, ended = _burst(addresses, args.messages, args.concurrency)
                drain = _drained(backlog) - ended
                results[name].append((rate, drain))
                print(f"  {name:>20}: {rate:7.0f} accepted/s, burst processed {drain:5.1f} s later")
    _summary(args, results)


def _summary(args: argparse.Namespace, results: dict[str, list[tuple[float, float]]]) -> None:
    print(
        f"{args.messages} messages of ~3 KB per round, {args.concurrency} concurrent connections,"
        f" every 250 durable; medians of {args.rounds} rounds, ratios against SQLite per round"
    )
    baseline = [rate for rate, _ in results["sqlite, 1 node"]]
    for name, runs in results.items():
        ratios = [rate / base for (rate, _), base in zip(runs, baseline, strict=True)]
        rate = statistics.median(rate for rate, _ in runs)
        drain = statistics.median(drain for _, drain in runs)
        print(
            f"  {name:>20}: {rate:7.0f} accepted/s  x{statistics.median(ratios):.2f}"
            f"   processed {drain:5.1f} s after the burst"
        )
    two = statistics.median(
        rate / base
        for (rate, _), base in zip(results["postgresql, 2 nodes"], baseline, strict=True)
    )
    verdict = "met" if two >= TARGET else "NOT met"
    print(f"two PostgreSQL nodes / one SQLite node: {two:.2f} (target >= {TARGET}: {verdict})")


if __name__ == "__main__":
    main()
