"""SMTP intake throughput: `intake serve` against a bare aiosmtpd sink, same load, same run.

The sink answers `250` without storing anything; Intake commits every message to SQLite
(WAL, synchronous=FULL, group commit) before its `250`. The ratio says what durability costs.

    .venv/bin/python -m bench.smtp_intake [--messages 3000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import sys
import tempfile
import textwrap
import time
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


def support_mail(n: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Customer {n} <customer{n}@example.com>"
    message["To"] = "support@localhost"
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


async def load(host: str, port: int, total: int, concurrency: int) -> tuple[float, list[float]]:
    mails = [support_mail(n) for n in range(total)]
    latencies: list[float] = []
    next_index = iter(range(total))

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
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryDirectory() as data_dir:
        # All load comes from one address: lift the per-client limits a real desk keeps.
        config = Path(data_dir) / "bench.toml"
        config.write_text(
            "[smtp]\nmax_messages_per_client_per_minute = 10000000\n"
            "max_connections_per_client = 1000\n"
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
            rounds = _rounds(args, sink_address, intake_address, Path(data_dir))
        finally:
            sink.kill()
            intake.send_signal(signal.SIGTERM)
            intake.wait(timeout=60)
        stored = _stored(Path(data_dir))
    _summary(args, rounds, stored)


Round = tuple[float, list[float], float, list[float], float]


def _rounds(
    args: argparse.Namespace, sink: tuple[str, int], intake: tuple[str, int], data_dir: Path
) -> list[Round]:
    """Alternate the same load between the two servers; the machine's noise hits both."""
    for host, port in (sink, intake):
        asyncio.run(load(host, port, 200, args.concurrency))  # warm-up
    _wait_processed(data_dir)
    rounds = []
    for _ in range(args.rounds):
        sink_rate, sink_lat = asyncio.run(load(*sink, args.messages, args.concurrency))
        intake_rate, intake_lat = asyncio.run(load(*intake, args.messages, args.concurrency))
        burst_end = time.perf_counter()
        drain = _wait_processed(data_dir) - burst_end  # and a quiet start for the next round
        rounds.append((sink_rate, sink_lat, intake_rate, intake_lat, drain))
    return rounds


def _summary(args: argparse.Namespace, rounds: list[Round], stored: int) -> None:
    print(f"{args.messages} messages of ~3 KB per round, {args.concurrency} concurrent connections")
    ratios = []
    for number, (sink_rate, sink_lat, intake_rate, intake_lat, drain) in enumerate(rounds, 1):
        print(f"round {number}")
        report("aiosmtpd sink", sink_rate, sink_lat)
        report("intake serve", intake_rate, intake_lat)
        ratios.append(intake_rate / sink_rate)
        print(f"{'':>14}  ratio {ratios[-1]:.2f}; burst processed {drain:.1f} s after its end")
    ratio = statistics.median(ratios)
    verdict = "met" if ratio >= 0.8 else "NOT met"
    print(f"ratio intake/sink, median of {len(ratios)} rounds: {ratio:.2f}", end=" ")
    print(f"(target >= 0.80: {verdict})")
    total = args.rounds * args.messages + 200
    print(f"durable: {stored} of {total} messages committed in the inbox before their 250")


def _wait_processed(data_dir: Path) -> float:
    """When the deferred thinking caught up: no inbox row new, no outbox row pending."""
    import sqlite3

    with sqlite3.connect(data_dir / "intake.db", timeout=30) as db:
        while True:
            (left,) = db.execute(
                "SELECT (SELECT COUNT(*) FROM inbox WHERE state = 'new')"
                " + (SELECT COUNT(*) FROM outbox WHERE state = 'pending')"
            ).fetchone()
            if left == 0:
                return time.perf_counter()
            time.sleep(0.05)


def _stored(data_dir: Path) -> int:
    import sqlite3

    with sqlite3.connect(data_dir / "intake.db") as db:
        return int(db.execute("SELECT COUNT(*) FROM inbox").fetchone()[0])


if __name__ == "__main__":
    main()
