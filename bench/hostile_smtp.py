"""SMTP intake under hostile load: normal senders while slow senders hold connections.

Against one `intake serve` (default settings, except that the normal load, all from 127.0.0.1,
may use many connections and messages), each round runs the same normal load twice: alone,
and while an attacker process holds up to a thousand connections from many /24 networks
(NOOP every few seconds, reconnecting when closed) and trickles DATA on others. Reported: the
normal senders' throughput and p99 under attack as ratios to the same load alone (target
>= 0.7), refusals the normal senders met, and the server's RSS per concurrent large upload.

    .venv/bin/python -m bench.hostile_smtp [--messages 1500] [--slow 1000] [--uploads 40]

Loopback only (127.0.0.0/8); every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

import aiosmtplib

from bench.servers import start_server
from bench.smtp_intake import _wait_processed, percentile, support_mail

READY = re.compile(r"ready: smtp=([\d.]+):(\d+)")
ATTACK_LIMIT = 600.0  # seconds: the attacker stops by itself whatever happens
DESK = "support@localhost"


# -- the normal load ---------------------------------------------------------------------------


async def normal_load(
    host: str, port: int, total: int, concurrency: int
) -> tuple[float, list[float], int]:
    """`total` messages over `concurrency` connections; (rate, latencies, refusals met)."""
    mails = [support_mail(n) for n in range(total)]
    latencies: list[float] = []
    refusals = 0
    next_index = iter(range(total))

    async def client() -> None:
        nonlocal refusals
        pending = next(next_index, None)
        for _attempt in range(200):  # reconnect after a refusal, boundedly
            if pending is None:
                return
            try:
                async with aiosmtplib.SMTP(hostname=host, port=port, timeout=60) as smtp:
                    while pending is not None:
                        started = time.perf_counter()
                        await smtp.sendmail(
                            f"customer{pending}@example.com", [DESK], mails[pending]
                        )
                        latencies.append(time.perf_counter() - started)
                        pending = next(next_index, None)
            except (aiosmtplib.SMTPException, OSError):
                refusals += 1
                await asyncio.sleep(0.1)
        raise RuntimeError("a normal sender was refused 200 times")

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return total / (time.perf_counter() - began), latencies, refusals


# -- the attacker (its own process, so its work does not slow the measuring client) ------------


def attack(
    host: str, port: int, slow: int, tricklers: int, noop_every: float, stop: EventType
) -> None:
    asyncio.run(_attack(host, port, slow, tricklers, noop_every, stop))


async def _attack(
    host: str, port: int, slow: int, tricklers: int, noop_every: float, stop: EventType
) -> None:
    deadline = time.monotonic() + ATTACK_LIMIT

    def over() -> bool:
        return stop.is_set() or time.monotonic() > deadline

    async def holder(n: int) -> None:
        # 20 addresses in each of 50 /24s: every network within the per-network cap.
        source = f"127.0.{10 + n // 20}.{n % 20 + 1}"
        while not over():
            try:
                reader, writer = await asyncio.open_connection(host, port, local_addr=(source, 0))
            except OSError:
                await asyncio.sleep(1)
                continue
            try:
                if (await asyncio.wait_for(reader.readline(), 30)).startswith(b"220"):
                    writer.write(b"EHLO slow.example\r\n")
                    while not over():
                        line = await asyncio.wait_for(reader.readline(), 30)
                        if not line or line.startswith(b"421"):
                            break
                        if line[3:4] == b"-":
                            continue
                        await asyncio.sleep(noop_every)
                        writer.write(b"NOOP\r\n")
            except (OSError, TimeoutError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()
            await asyncio.sleep(0.5)

    async def trickler(n: int) -> None:
        source = f"127.0.{200 + n // 20}.{n % 20 + 1}"
        while not over():
            try:
                reader, writer = await asyncio.open_connection(host, port, local_addr=(source, 0))
            except OSError:
                await asyncio.sleep(1)
                continue
            try:
                for command in (
                    b"EHLO slow.example",
                    b"MAIL FROM:<s@x.example>",
                    f"RCPT TO:<{DESK}>".encode(),
                    b"DATA",
                ):
                    writer.write(command + b"\r\n")
                    while (await asyncio.wait_for(reader.readline(), 30))[3:4] == b"-":
                        pass
                while not over() and not writer.is_closing():
                    writer.write(b"X-Still-Typing: yes\r\n")
                    await writer.drain()
                    await asyncio.sleep(noop_every)
            except (OSError, TimeoutError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()
            await asyncio.sleep(0.5)

    tasks = [asyncio.create_task(holder(n)) for n in range(slow)]
    tasks += [asyncio.create_task(trickler(n)) for n in range(tricklers)]
    await asyncio.to_thread(stop.wait, ATTACK_LIMIT)  # set by the measuring process
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


# -- large uploads and the server's memory -------------------------------------------------------


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


async def large_uploads(host: str, port: int, pid: int, count: int, size: int) -> tuple[int, int]:
    """`count` concurrent uploads of `size` bytes; (RSS before, peak RSS during)."""
    line = b"y" * 998 + b"\r\n"
    body = b"Subject: big\r\nFrom: big@example.com\r\n\r\n" + line * (size // len(line))
    before = rss(pid)
    peak = before
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss(pid))
            await asyncio.sleep(0.02)

    async def upload(n: int) -> None:
        async with aiosmtplib.SMTP(hostname=host, port=port, timeout=300) as smtp:
            await smtp.sendmail(f"big{n}@example.com", [DESK], body)

    sampler = asyncio.create_task(sample())
    await asyncio.gather(*(upload(n) for n in range(count)))
    done.set()
    await sampler
    return before, peak


# -- the run ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--slow", type=int, default=1000, help="connections held by NOOP")
    parser.add_argument("--tricklers", type=int, default=50, help="sessions trickling DATA")
    parser.add_argument("--noop-every", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--uploads", type=int, default=40)
    parser.add_argument("--upload-mb", type=int, default=20)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryDirectory() as data_dir:
        config = Path(data_dir) / "bench.toml"
        config.write_text(
            "[smtp]\nmax_messages_per_client_per_minute = 10000000\n"
            "max_connections_per_client = 1000\nmax_connections_per_network = 1000\n"
        )
        serve = ["serve", "--smtp-port", "0", "--http-port", "0", "--config", str(config)]
        intake, at = start_server(
            [sys.executable, "-m", "gateway.cli", *serve, "--log-level", "ERROR"],
            {**env, "INTAKE_DATA_DIR": data_dir},
            READY,
        )
        host, port = at[1], int(at[2])
        try:
            asyncio.run(normal_load(host, port, 200, args.concurrency))  # warm-up
            _wait_processed(Path(data_dir))
            ratios = [
                _round(args, host, port, n, Path(data_dir)) for n in range(1, args.rounds + 1)
            ]
            before, peak = asyncio.run(
                large_uploads(host, port, intake.pid, args.uploads, args.upload_mb * 2**20)
            )
        finally:
            intake.send_signal(signal.SIGTERM)
            intake.wait(timeout=120)
    rate_ratio = statistics.median(r for r, _ in ratios)
    p99_ratio = statistics.median(p for _, p in ratios)
    print(
        f"throughput under attack / alone, median: {rate_ratio:.2f}"
        f" (target >= 0.70: {'met' if rate_ratio >= 0.7 else 'NOT met'})"
    )
    print(
        f"p99 alone / under attack, median: {p99_ratio:.2f}"
        f" (target >= 0.70: {'met' if p99_ratio >= 0.7 else 'NOT met'})"
    )
    per_upload = (peak - before) / args.uploads
    print(
        f"{args.uploads} concurrent {args.upload_mb} MB uploads: server RSS {before / 2**20:.0f}"
        f" -> peak {peak / 2**20:.0f} MB, {per_upload / 2**20:.1f} MB per upload"
        f" (target <= 5 MB: {'met' if per_upload <= 5 * 2**20 else 'NOT met'})"
    )


def _round(
    args: argparse.Namespace, host: str, port: int, number: int, data_dir: Path
) -> tuple[float, float]:
    """The same load alone and under attack; which goes first alternates between rounds, and
    each starts once the previous load has been processed (the workers share the CPU)."""
    results: dict[bool, tuple[float, list[float], int]] = {}
    for attacked in (False, True) if number % 2 else (True, False):
        _wait_processed(data_dir)
        results[attacked] = _measure(args, host, port, attacked)
    (alone_rate, alone_lat, alone_refused), (hostile_rate, hostile_lat, hostile_refused) = (
        results[False],
        results[True],
    )
    alone_p99, hostile_p99 = percentile(alone_lat, 0.99), percentile(hostile_lat, 0.99)
    print(
        f"round {number}: {args.messages} messages, {args.concurrency} normal connections;"
        f" attack: {args.slow} NOOP holders + {args.tricklers} DATA tricklers"
    )
    print(
        f"  alone        : {alone_rate:7.0f} msg/s  p99 {alone_p99 * 1000:7.2f} ms"
        f"  refusals {alone_refused}"
    )
    print(
        f"  under attack : {hostile_rate:7.0f} msg/s  p99 {hostile_p99 * 1000:7.2f} ms"
        f"  refusals {hostile_refused}"
    )
    return hostile_rate / alone_rate, alone_p99 / hostile_p99


def _measure(
    args: argparse.Namespace, host: str, port: int, attacked: bool
) -> tuple[float, list[float], int]:
    if not attacked:
        return asyncio.run(normal_load(host, port, args.messages, args.concurrency))
    stop = multiprocessing.Event()
    attacker = multiprocessing.Process(
        target=attack,
        args=(host, port, args.slow, args.tricklers, args.noop_every, stop),
        daemon=True,
    )
    attacker.start()
    time.sleep(max(3.0, args.noop_every + 1))  # let the slow senders take their slots
    try:
        return asyncio.run(normal_load(host, port, args.messages, args.concurrency))
    finally:
        stop.set()
        attacker.join(timeout=60)
        if attacker.is_alive():
            attacker.kill()


if __name__ == "__main__":
    main()
