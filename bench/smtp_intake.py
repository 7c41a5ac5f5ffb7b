"""SMTP intake throughput: `intake serve` against a bare aiosmtpd sink, same load, same run.

The sink answers `250` without storing anything; Intake commits every message to SQLite
(WAL, synchronous=FULL, group commit) before its `250`. The ratio says what durability costs.
After each burst the bench reads Intake's database for what happened after the `250`s: the
processing rate (messages turned into tickets and acknowledgements per second, over the span
the worker was at it), the time from the last `250` to the last ticket, and for the urgent
mails (one in 100 declares a Priority 1 outage; the desk's policy is after hours all day,
so every P1 pages) the time from its `250` to its page being queued in the outbox.

    .venv/bin/python -m bench.smtp_intake                       # short: 3 rounds of 1,000
    .venv/bin/python -m bench.smtp_intake --messages 10000 --rounds 1   # the storm
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from bench.servers import start_server

SINK = textwrap.dedent(
    """
    import asyncio
    from aiosmtpd.smtp import SMTP

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            return "250 2.0.0 Ok"

    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: SMTP(Sink(), loop=loop), "127.0.0.1", 0)
        print("sink ready: smtp=127.0.0.1:%d" % server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
    """
)
READY = re.compile(r"ready: smtp=([\d.]+):(\d+)")
PARAGRAPH = (
    "Since this morning several of our desk phones at the Denver office show 'No Service' "
    "and cannot place outbound calls. Inbound calls ring but drop after about 30 seconds. "
    "We restarted two handsets and the switch in the IT closet without any change. "
)


URGENT_EVERY = 100
WARM_UP = 200  # mails to each server before the rounds


def support_mail(n: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Customer {n} <customer{n}@example.com>"
    message["To"] = "support@localhost"
    if n % URGENT_EVERY == URGENT_EVERY // 2:
        message["Subject"] = f"Priority 1: system-wide outage, no dial tone at site {n % 17}"
    else:
        message["Subject"] = f"Phones dropping calls at site {n % 17}"
    message["Message-ID"] = f"<bench-{n}-{time.time_ns()}@example.com>"
    body = "Hello support,\n\n" + (PARAGRAPH + "\n\n") * 7
    body += "Call trace attached below.\n" + "\n".join(
        f"  INVITE sip:{n}@10.0.0.{i} 200 OK" for i in range(20)
    )
    message.set_content(body + "\n\nThanks,\nPat\n")
    data = message.as_bytes()
    assert 2500 < len(data) < 4000, len(data)
    return data


async def load(
    host: str, port: int, total: int, concurrency: int, *, first: int = 0
) -> tuple[float, list[float]]:
    """Send mails `first` .. `first + total - 1`: numbers, and so senders, subjects and texts,
    another burst has not used (a mail sent again would be a follow-up, not a new ticket)."""
    mails = {n: support_mail(n) for n in range(first, first + total)}
    latencies: list[float] = []
    next_index = iter(range(first, first + total))

    async def client() -> None:
        async with aiosmtplib.SMTP(hostname=host, port=port, timeout=60) as smtp:
            for n in next_index:
                await smtp.mail(f"customer{n}@example.com")
                await smtp.rcpt("support@localhost")
                started = time.perf_counter()
                response = await smtp.data(mails[n])
                latencies.append(time.perf_counter() - started)
                assert response.code == 250, response

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return total / (time.perf_counter() - began), latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(name: str, rate: float, latencies: list[float]) -> None:
    print(
        f"{name:>14}: {rate:8.0f} messages/s   DATA->250"
        f" p50 {percentile(latencies, 0.5) * 1000:6.2f} ms"
        f"   p99 {percentile(latencies, 0.99) * 1000:6.2f} ms"
        f"   mean {statistics.mean(latencies) * 1000:6.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--scout-backlog",
        type=int,
        default=None,
        help="[worker] scout_backlog for Intake (default: the setting's default); a number"
        " above --messages turns the urgent lane off, to compare.",
    )
    args = parser.parse_args()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryDirectory() as data_dir:
        # All load comes from one address: lift the per-client limits a real desk keeps.
        # And the desk's acknowledgement budget (1,000 an hour): every mail is acknowledged,
        # so each round measures the whole work of an ordinary mail, not a withheld ack.
        config = Path(data_dir) / "bench.toml"
        policy = _night_policy(Path(data_dir))
        config.write_text(
            "[smtp]\nmax_messages_per_client_per_minute = 10000000\n"
            "max_connections_per_client = 1000\n"
            "[ack]\ndesk_budget = 10000000\n"
            + (
                ""
                if args.scout_backlog is None
                else f"[worker]\nscout_backlog = {args.scout_backlog}\n"
            )
            + f'[[desks]]\naddress = "support@localhost"\npolicy = "{policy}"\n'
            f'name = "Bench Support"\n{ONCALL}'
        )
        serve = ["serve", "--smtp-port", "0", "--http-port", "0", "--config", str(config)]
        sink, sink_at = start_server([sys.executable, "-c", SINK], env, READY)
        intake, intake_at = start_server(
            [sys.executable, "-m", "gateway.cli", *serve, "--log-level", "WARNING"],
            {**env, "INTAKE_DATA_DIR": data_dir},
            READY,
        )
        try:
            sink_address = (sink_at[1], int(sink_at[2]))
            intake_address = (intake_at[1], int(intake_at[2]))
            http = re.search(r"http=(\S+)", intake_at.string)
            assert http is not None, intake_at.string
            rounds = _rounds(
                args, (sink, sink_address), (intake, intake_address), Path(data_dir), http[1]
            )
        finally:
            sink.kill()
            intake.send_signal(signal.SIGTERM)
            intake.wait(timeout=60)
        stored = _stored(Path(data_dir))
    _summary(args, rounds, stored)


@dataclass(frozen=True)
class Round:
    sink_rate: float
    sink_latencies: list[float]
    intake_rate: float
    intake_latencies: list[float]
    after: Processing
    # CPU seconds of: the sink during its burst, Intake during its burst (accepting, and
    # any processing that did not wait), Intake from the burst's end until all was processed.
    cpu_per_message: tuple[float, float, float]
    # Intake's own view of its burst, from its /metrics: commits (each one WAL fsync) per
    # message, and the mean time from the end of DATA to the durable `250`.
    commits_per_message: float
    accept_seconds: float


Server = tuple[subprocess.Popen[str], tuple[str, int]]


def _rounds(
    args: argparse.Namespace,
    sink_server: Server,
    intake_server: Server,
    data_dir: Path,
    http: str,
) -> list[Round]:
    """Alternate the same load between the two servers; the machine's noise hits both.

    Every burst to Intake is new mail (its own customers, subjects and texts): the same mail
    again would be a follow-up on the earlier round's ticket, which neither opens a ticket
    nor pages, and would match a P1 to the earlier round's page.
    """
    (sink_process, sink), (intake_process, intake) = sink_server, intake_server
    for host, port in (sink, intake):
        asyncio.run(load(host, port, WARM_UP, args.concurrency))
    _wait_processed(data_dir)
    rounds = []
    for number in range(args.rounds):
        numbers = WARM_UP + number * args.messages
        cpu = _cpu_seconds(sink_process.pid)
        sink_rate, sink_lat = asyncio.run(
            load(*sink, args.messages, args.concurrency, first=numbers)
        )
        sink_cpu = _cpu_seconds(sink_process.pid) - cpu
        first = _last_inbox_id(data_dir) + 1
        before = _scrape(http)
        cpu = _cpu_seconds(intake_process.pid)
        intake_rate, intake_lat = asyncio.run(
            load(*intake, args.messages, args.concurrency, first=numbers)
        )
        accept_cpu = _cpu_seconds(intake_process.pid) - cpu
        during = {name: value - before[name] for name, value in _scrape(http).items()}
        _wait_processed(data_dir)  # and a quiet start for the next round
        total_cpu = _cpu_seconds(intake_process.pid) - cpu
        after = _processing(data_dir, first)
        rounds.append(
            Round(
                sink_rate,
                sink_lat,
                intake_rate,
                intake_lat,
                after,
                cpu_per_message=(sink_cpu, accept_cpu, total_cpu - accept_cpu),
                commits_per_message=during["intake_store_commits_total"] / args.messages,
                accept_seconds=during["intake_accept_seconds_sum"]
                / max(1.0, during["intake_accept_seconds_count"]),
            )
        )
    return rounds


SCRAPED = ("intake_store_commits_total", "intake_accept_seconds_sum", "intake_accept_seconds_count")


def _scrape(http: str) -> dict[str, float]:
    """Intake's counters that describe the accept path, read from its /metrics."""
    with urllib.request.urlopen(f"{http}/metrics", timeout=30) as response:
        text = response.read().decode()
    values = dict.fromkeys(SCRAPED, 0.0)
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in values:
            values[name] = float(value)
    return values


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux), which a busy machine does not inflate
    the way it does wall-clock time."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _summary(args: argparse.Namespace, rounds: list[Round], stored: int) -> None:
    print(f"{args.messages} messages of ~3 KB per round, {args.concurrency} concurrent connections")
    ratios, rates = [], []
    for number, round_ in enumerate(rounds, 1):
        print(f"round {number}")
        report("aiosmtpd sink", round_.sink_rate, round_.sink_latencies)
        report("intake serve", round_.intake_rate, round_.intake_latencies)
        ratios.append(round_.intake_rate / round_.sink_rate)
        after = round_.after
        rates.append(after.rate)
        sink_cpu, accept_cpu, later_cpu = (c * 1000 / args.messages for c in round_.cpu_per_message)
        print(
            f"{'':>14}  accept ratio {ratios[-1]:.2f}; CPU per message: sink {sink_cpu:.2f} ms,"
            f" intake during the burst {accept_cpu:.2f} ms, after it {later_cpu:.2f} ms"
        )
        print(
            f"{'':>14}  Intake's side: DATA end -> durable 250 mean"
            f" {round_.accept_seconds * 1000:.2f} ms; commits (WAL fsyncs) per message"
            f" {round_.commits_per_message:.2f}"
        )
        print(
            f"{'processing':>14}: {after.rate:8.0f} messages/s over {after.span:.1f} s;"
            f" last 250 -> last ticket {after.tail:.1f} s"
        )
        if after.pages:
            print(
                f"{'P1 pages':>14}: {len(after.pages)} of {after.urgent} P1 tickets paged;"
                f" P1 250 -> page queued p50 {percentile(after.pages, 0.5):.2f} s,"
                f" p99 {percentile(after.pages, 0.99):.2f} s, max {max(after.pages):.2f} s"
            )
        else:
            print(f"{'P1 pages':>14}: none of {after.urgent} P1 tickets paged")
    ratio = statistics.median(ratios)
    verdict = "met" if ratio >= 0.8 else "NOT met"
    print(f"accept ratio intake/sink, median of {len(ratios)} rounds: {ratio:.2f}", end=" ")
    print(f"(target >= 0.80: {verdict})")
    rate = statistics.median(rates)
    verdict = "met" if rate >= 1000 else "NOT met"
    print(f"processing rate, median of {len(rates)} rounds: {rate:.0f} messages/s", end=" ")
    print(f"(target >= 1,000: {verdict})")
    later = statistics.median(r.cpu_per_message[2] * 1000 / args.messages for r in rounds)
    print(
        f"Intake CPU per message after the burst, median of rounds: {later:.2f} ms"
        " (processing, and the outbox sending acknowledgements and pages)"
    )
    tail = statistics.median(r.after.tail for r in rounds)
    print(f"last 250 -> last ticket, median of rounds: {tail:.1f} s")
    pages = [p for r in rounds for p in r.after.pages]
    if pages:
        print(
            f"P1 250 -> page queued, all rounds: p50 {percentile(pages, 0.5):.2f} s,"
            f" p99 {percentile(pages, 0.99):.2f} s ({len(pages)} pages)"
        )
    print(f"machine load (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    total = args.rounds * args.messages + WARM_UP
    print(f"durable: {stored} of {total} messages committed in the inbox before their 250")


def _wait_processed(data_dir: Path) -> float:
    """When the deferred thinking caught up: no inbox row new, no outbox row due (a page
    chain's later steps wait for their delay)."""
    with sqlite3.connect(data_dir / "intake.db", timeout=30) as db:
        while True:
            now = datetime.now(UTC).isoformat(timespec="microseconds")
            (left,) = db.execute(
                "SELECT (SELECT COUNT(*) FROM inbox WHERE state = 'new')"
                " + (SELECT COUNT(*) FROM outbox WHERE state = 'pending'"
                " AND next_attempt_at <= ?)",
                (now,),
            ).fetchone()
            if left == 0:
                return time.perf_counter()
            time.sleep(0.05)


@dataclass(frozen=True)
class Processing:
    """What the worker did with one round's mail, from the database's own timestamps."""

    rate: float  # messages per second between the first and the last one processed
    span: float
    tail: float  # from the last `250` (its received_at) to the last message processed
    urgent: int
    pages: list[float]  # per paged P1: from its `250` to its page queued


def _processing(data_dir: Path, first: int) -> Processing:
    with sqlite3.connect(data_dir / "intake.db", timeout=30) as db:
        count, received, started, finished = db.execute(
            "SELECT COUNT(*), MAX(received_at), MIN(processed_at), MAX(processed_at)"
            " FROM inbox WHERE id >= ? AND channel = 'email'",
            (first,),
        ).fetchone()
        # The P1 tickets this round's mail opened: a ticket whose first message is one of
        # this round's (a message joining an older ticket is not that ticket's 250).
        urgent = db.execute(
            "SELECT COUNT(*) FROM tickets t JOIN messages m ON m.id ="
            " (SELECT MIN(id) FROM messages WHERE ticket_id = t.id)"
            " WHERE m.inbox_id >= ? AND t.effective_priority = 'P1'",
            (first,),
        ).fetchone()[0]
        paged = db.execute(
            # Queued: the page row of the chain's first step (pages to one number then go
            # out coalesced, one SMS for all waiting, as the rate limits allow).
            "SELECT i.received_at, MIN(p.created_at) FROM tickets t JOIN messages m ON m.id ="
            " (SELECT MIN(id) FROM messages WHERE ticket_id = t.id)"
            " JOIN inbox i ON i.id = m.inbox_id"
            " JOIN page_chains c ON c.ticket_id = t.id JOIN pages p ON p.chain_id = c.id"
            " WHERE i.id >= ? AND t.effective_priority = 'P1' GROUP BY t.id",
            (first,),
        ).fetchall()
    span = (_at(finished) - _at(started)) or 1e-6
    return Processing(
        rate=count / span,
        span=span,
        tail=_at(finished) - _at(received),
        urgent=urgent,
        pages=[_at(page) - _at(accepted) for accepted, page in paged],
    )


def _at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _last_inbox_id(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "intake.db", timeout=30) as db:
        return int(db.execute("SELECT COALESCE(MAX(id), 0) FROM inbox").fetchone()[0])


# Everyone on the rota, so the P1 pages have somewhere to go (the file SMS transport).
ONCALL = """
[oncall]
timezone = "America/New_York"
[[oncall.staff]]
id = "alice"
name = "Alice Example"
phone = "+12025550101"
[oncall.rotation]
kind = "daily"
handoff = "09:00"
start = "2026-01-05"
order = ["alice"]
[[oncall.escalation.step]]
target = "primary"
delay = "10m"
"""


def _night_policy(directory: Path) -> Path:
    """ThreePBX's contract with its desk open one minute a day, far from now: every ticket
    arrives after hours, so every P1 pages (the storm the desk must hear about); P2 queues
    here, so the pages are the P1s only."""
    from policies.loader import POLICY_DIR

    hour = (datetime.now(UTC).hour + 12) % 24
    window = f'"{hour:02d}:00-{hour:02d}:01"'
    text = (POLICY_DIR / "threepbx.toml").read_text()
    text = re.sub(r'^name = "threepbx"$', 'name = "bench-night"', text, flags=re.M)
    text = re.sub(r'^(mon|tue|wed|thu|fri|sat|sun) = "[^"]*"$', rf"\1 = {window}", text, flags=re.M)
    p1, rest = text.split('after_hours = "page"', 1)
    text = (
        p1 + 'after_hours = "page"' + rest.replace('after_hours = "page"', 'after_hours = "queue"')
    )
    path = directory / "bench-night.toml"
    path.write_text(text)
    return path


def _stored(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "intake.db") as db:
        return int(db.execute("SELECT COUNT(*) FROM inbox").fetchone()[0])


if __name__ == "__main__":
    main()
