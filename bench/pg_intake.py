"""SMTP intake and the intake worker on PostgreSQL, one node and two, against one SQLite node.

The same load of ~3 KB support mails goes, round after round, to one `intake serve` on SQLite
(the baseline), one on PostgreSQL, and two on the same PostgreSQL database (the clients split
between the two, as two MX hosts would share them). Every `250` is durable on both backends:
SQLite runs synchronous=FULL, the throwaway PostgreSQL server keeps fsync on and the store
sets synchronous_commit=on. Printed: accepted messages/s, how long the workers took to
process the burst after it ended, and the ratios to SQLite of the same round; then where the
CPU went during the bursts (the nodes, the PostgreSQL server, the load generator, per
accepted message) and how much of the machine the three used, to tell a node-bound result
from a generator-bound or starved one. The load generator speaks SMTP over plain asyncio
streams (as a relay would: no pipelining), not through a client library, so that it leaves
the cores to the nodes.

    .venv/bin/python -m bench.pg_intake [--messages 2000] [--concurrency 16] [--rounds 3]

Needs the PostgreSQL server binaries (Debian: apt-get install postgresql).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.servers import start_server
from bench.smtp_intake import READY, support_mail
from tests.pg_server import PASSWORD, PASSWORD_ENV, PgServer, query_sync, running_server

TARGET = 1.3  # two PostgreSQL nodes accept at least this multiple of one SQLite node

Address = tuple[str, int]


@dataclass(frozen=True)
class Node:
    address: Address
    pid: int


@contextmanager
def intake_node(data_dir: Path, config: Path) -> Iterator[Node]:
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
        yield Node((ready[1], int(ready[2])), process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def _config(path: Path, url: str | None) -> Path:
    # All load comes from one address: lift the per-client limits a real desk keeps.
    text = (
        "[smtp]\nmax_messages_per_client_per_minute = 10000000\nmax_connections_per_client = 1000\n"
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


def wire_form(message: bytes) -> bytes:
    """The DATA payload as it goes on the wire: CRLF lines, dot-stuffed, the final dot."""
    lines = message.replace(b"\r\n", b"\n").split(b"\n")
    stuffed = (b"." + line if line.startswith(b".") else line for line in lines)
    return b"\r\n".join(stuffed).rstrip(b"\r\n") + b"\r\n.\r\n"


async def _expect(reader: asyncio.StreamReader, code: bytes) -> None:
    while True:
        line = await reader.readline()
        if not line.startswith(code):
            raise RuntimeError(f"expected {code!r}, got {line!r}")
        if line[3:4] != b"-":  # the last line of a multi-line reply
            return


async def _client(address: Address, mails: list[bytes], queue: Iterator[int]) -> None:
    """One SMTP client on one connection, as plain as a relay's: no library on the hot path,
    so the load generator does not eat the cores the nodes under test need."""
    reader, writer = await asyncio.open_connection(*address)
    await _expect(reader, b"220")
    writer.write(b"EHLO bench.example.com\r\n")
    await _expect(reader, b"250")
    for n in queue:
        writer.write(b"MAIL FROM:<customer%d@example.com>\r\n" % n)
        await _expect(reader, b"250")
        writer.write(b"RCPT TO:<support@localhost>\r\n")
        await _expect(reader, b"250")
        writer.write(b"DATA\r\n")
        await _expect(reader, b"354")
        writer.write(mails[n])
        await _expect(reader, b"250")
    writer.write(b"QUIT\r\n")
    await _expect(reader, b"221")
    writer.close()
    await writer.wait_closed()


def _mails(total: int) -> list[bytes]:
    return [wire_form(support_mail(n)) for n in range(total)]


def _burst(nodes: list[Address], mails: list[bytes], concurrency: int) -> tuple[float, float]:
    """Send `mails` split over `nodes`, `concurrency` connections spread over them;
    (accepted per second, when the burst ended)."""
    total = len(mails)

    async def run() -> float:
        queues = [iter(range(i, total, len(nodes))) for i in range(len(nodes))]
        clients = [
            _client(nodes[c % len(nodes)], mails, queues[c % len(nodes)])
            for c in range(max(concurrency, len(nodes)))
        ]
        began = time.perf_counter()
        await asyncio.gather(*clients)
        return total / (time.perf_counter() - began)

    rate = asyncio.run(run())
    return rate, time.perf_counter()


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_of(pids: Iterable[int]) -> float:
    """CPU seconds (user + system) the processes `pids` have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue  # gone since it was listed
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def _postgres_cpu(server: PgServer) -> float:
    """CPU seconds of the PostgreSQL server so far: the postmaster, the backends it has
    reaped (its children's times) and the ones still running (one per pooled connection)."""
    postmaster = int((server.data_dir / "postmaster.pid").read_text().split()[0])
    fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    total = sum(int(f) for f in fields[11:15]) / CLOCK_TICKS  # utime stime cutime cstime
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                children.append(int(stat.parent.name))
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return total + _cpu_of(children)


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Round:
    rate: float  # accepted per second
    drain: float  # seconds from the last 250 to an empty backlog
    wall: float  # seconds the burst took
    nodes_cpu: float  # CPU seconds during the burst: the intake nodes,
    postgres_cpu: float  # the PostgreSQL server (all its processes),
    generator_cpu: float  # and this load generator


def _measured_burst(setup: Setup, server: PgServer, mails: list[bytes], concurrency: int) -> Round:
    nodes = [node.pid for node in setup.nodes]

    def postgres() -> float:
        return _postgres_cpu(server) if setup.postgres else 0.0

    before = (_cpu_of(nodes), postgres(), _own_cpu(), time.perf_counter())
    rate, ended = _burst([node.address for node in setup.nodes], mails, concurrency)
    after = (_cpu_of(nodes), postgres(), _own_cpu(), ended)
    drain = _drained(setup.backlog) - ended
    nodes_cpu, pg_cpu, own_cpu, wall = (a - b for a, b in zip(after, before, strict=True))
    return Round(rate, drain, wall, nodes_cpu, pg_cpu, own_cpu)


@dataclass
class Setup:
    nodes: list[Node]
    backlog: Callable[[], int]
    postgres: bool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with ExitStack() as stack:
        top = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        server = stack.enter_context(running_server(durable=True))
        durability = {
            name: query_sync(server.url(), f"SHOW {name}")[0][0]
            for name in ("fsync", "synchronous_commit", "full_page_writes")
        }
        print("PostgreSQL:", ", ".join(f"{k} = {v}" for k, v in durability.items()), flush=True)
        if durability != {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}:
            raise SystemExit("the PostgreSQL server is not durable: the comparison would lie")
        setups: dict[str, Setup] = {}
        sqlite_dir = top / "sqlite"
        sqlite_dir.mkdir()
        sqlite_node = stack.enter_context(intake_node(sqlite_dir, _config(top / "s.toml", None)))
        setups["sqlite, 1 node"] = Setup([sqlite_node], _sqlite_backlog(sqlite_dir), False)
        for count in (1, 2):
            url = server.create_database(f"bench{count}")
            config = _config(top / f"pg{count}.toml", url)
            nodes = []
            for n in range(count):
                node_dir = top / f"pg{count}-{n}"
                node_dir.mkdir()
                nodes.append(stack.enter_context(intake_node(node_dir, config)))
            name = f"postgresql, {count} node{'s' if count > 1 else ''}"
            setups[name] = Setup(nodes, _pg_backlog(url), True)
        for setup in setups.values():  # warm-up
            _burst([node.address for node in setup.nodes], _mails(200), args.concurrency)
            _drained(setup.backlog)
        results: dict[str, list[Round]] = {name: [] for name in setups}
        for number in range(1, args.rounds + 1):
            print(f"round {number}", flush=True)
            for name, setup in setups.items():
                mails = _mails(args.messages)  # built before the clocks run
                result = _measured_burst(setup, server, mails, args.concurrency)
                results[name].append(result)
                print(
                    f"  {name:>20}: {result.rate:7.0f} accepted/s, burst processed"
                    f" {result.drain:5.1f} s later",
                    flush=True,
                )
    _summary(args, results)


def _summary(args: argparse.Namespace, results: dict[str, list[Round]]) -> None:
    print(
        f"{args.messages} messages of ~3 KB per round, {args.concurrency} concurrent connections,"
        f" every 250 durable; medians of {args.rounds} rounds, ratios against SQLite per round"
    )
    baseline = [r.rate for r in results["sqlite, 1 node"]]
    for name, runs in results.items():
        ratios = [r.rate / base for r, base in zip(runs, baseline, strict=True)]
        print(
            f"  {name:>20}: {statistics.median(r.rate for r in runs):7.0f} accepted/s"
            f"  x{statistics.median(ratios):.2f}"
            f"   processed {statistics.median(r.drain for r in runs):5.1f} s after the burst"
        )
    print(
        "where the CPU went during the bursts (CPU ms per accepted message; busy = CPU s per"
        f" wall s, of {os.cpu_count()} cores):"
    )
    for name, runs in results.items():
        per = 1000 / args.messages

        def median(field: str, runs: list[Round] = runs, per: float = per) -> float:
            return statistics.median(getattr(r, field) * per for r in runs)

        busy = statistics.median(
            (r.nodes_cpu + r.postgres_cpu + r.generator_cpu) / r.wall for r in runs
        )
        print(
            f"  {name:>20}: nodes {median('nodes_cpu'):5.2f}  postgres"
            f" {median('postgres_cpu'):5.2f}  load generator {median('generator_cpu'):5.2f}"
            f"   busy {busy:4.2f}"
        )
    two = statistics.median(
        r.rate / base for r, base in zip(results["postgresql, 2 nodes"], baseline, strict=True)
    )
    verdict = "met" if two >= TARGET else "NOT met"
    print(f"two PostgreSQL nodes / one SQLite node: {two:.2f} (target >= {TARGET}: {verdict})")
    load = os.getloadavg()[0]
    print(f"load average at the end: {load:.1f} ({os.cpu_count()} cores; other work skews ratios)")


if __name__ == "__main__":
    main()
