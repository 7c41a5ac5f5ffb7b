"""The staff workspace with 100,000 tickets: page render latency and the memory of `intake serve`.

The store is seeded as `bench.api` seeds it (100,000 tickets over five policies, four statuses
and four priorities), the bench account gets a password, and the tickets this bench opens get
a thread (a customer mail, a reply, a follow-up). Then a real `intake serve` runs on it and one
signed-in client (aiohttp, cookies and all, as a browser would) asks, one request at a time:

- `queue`: `/`, the open and pending queue as an agent first sees it;
- `queue rows`: `/queue/rows`, what every open queue re-reads every 3 seconds;
- `queue filtered`: `/?priority=P1&policy=msp`;
- `queue search`: `/?q=customer1234@`, text in the subject or customer (the trigram index);
- `ticket`: `/tickets/{n}` for random tickets with a thread.

The baseline is the workspace's own stylesheet served by the same process in the same run
(`/static/workspace.css`: the HTTP stack, the security headers, no database, no template).
Target: p99 < 100 ms for each page.

Each page's `Server-Timing` header (gateway/web/timing.py) gives the server's own account of
a request: wall time per stage (`rows`: the listing's SQL, `clocks`: timelines read and
clocks computed, `render`: the template) and the process's CPU time. CPU time is what a page
costs even on a machine busy with other work; the slowest requests are printed stage by stage.

Memory is the resident set (VmRSS) of the `intake serve` process: started and idle, after
signing in (templates compiled), and after every page view of the run.

    .venv/bin/python -m bench.web_pages [--tickets 100000] [--requests 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from bench.api import READY, pct, seed, stop
from bench.servers import start_server
from gateway import credentials

PASSWORD = "bench pass phrase, long enough"
TARGET_MS = 100.0
THREADS = 300  # tickets given a thread; the ticket page asks for these
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def add_threads(data_dir: Path, count: int, rng: random.Random) -> list[int]:
    """A password for the bench account and a three-message thread on some tickets."""
    numbers = sorted(rng.sample(range(1001, 1001 + count), min(THREADS, count)))
    with sqlite3.connect(data_dir / "intake.db") as db:
        db.execute(
            "UPDATE staff SET password_hash = ? WHERE email = 'bench@example.com'",
            (credentials.hash_password(PASSWORD),),
        )
        rows = []
        for number in numbers:
            ticket_id, received = db.execute(
                "SELECT id, received_at FROM tickets WHERE number = ?", (number,)
            ).fetchone()
            at = datetime.fromisoformat(received)
            body = "None of our desk phones get a dial tone since this morning.\n" * 6
            for step, (direction, sender, text) in enumerate(
                (
                    ("in", "customer@example.com", body),
                    ("out", "support@localhost", "We are on it: the carrier has a fault.\n"),
                    ("in", "customer@example.com", "Thanks. Still down here.\n\n> " + body),
                )
            ):
                rows.append(
                    (
                        ticket_id,
                        direction,
                        "email",
                        f"<bench-{number}-{step}@example.com>",
                        sender,
                        f"Ticket {number}",
                        text,
                        text,
                        (at + timedelta(minutes=30 * step)).isoformat(timespec="microseconds"),
                    )
                )
        db.executemany(
            "INSERT INTO messages (ticket_id, direction, channel, message_id, sender, subject,"
            " body_text, latest_text, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return numbers


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SystemExit(f"no VmRSS for process {pid}")


async def sign_in(session: aiohttp.ClientSession, base: str) -> None:
    async with session.get(f"{base}/login") as r:
        found = CSRF.search(await r.text())
    if found is None:
        raise SystemExit("the sign-in page has no CSRF token")
    form = {"email": "bench@example.com", "password": PASSWORD, "csrf": found.group(1)}
    async with session.post(f"{base}/login", data=form, allow_redirects=False) as r:
        if r.status != 303:
            raise SystemExit(f"sign-in refused: {r.status} {await r.text()}")


Timing = dict[str, float]  # stage -> milliseconds, as the server reported it


@dataclass
class PageRun:
    latencies: list[float] = field(default_factory=list)  # milliseconds, as the client saw them
    timings: list[Timing] = field(default_factory=list)  # in the same order
    errors: int = 0
    size: int = 0


def server_timing(header: str) -> Timing:
    """`rows;dur=12.3, cpu;dur=15.1` -> {"rows": 12.3, "cpu": 15.1}."""
    found: Timing = {}
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        if params.startswith("dur="):
            found[name] = float(params.removeprefix("dur="))
    return found


async def measure(
    base: str, pid: int, loads: dict[str, list[str]]
) -> tuple[dict[str, PageRun], dict[str, int]]:
    memory = {"started, idle": rss_kib(pid)}
    results: dict[str, PageRun] = {}
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        await sign_in(session, base)
        for paths in loads.values():  # warm-up: templates, page cache, connection
            for path in paths[:10]:
                async with session.get(f"{base}{path}") as r:
                    await r.read()
        memory["signed in, every page rendered once"] = rss_kib(pid)
        views = 0
        for name, paths in loads.items():
            run = results[name] = PageRun()
            for path in paths:
                began = time.perf_counter()
                async with session.get(f"{base}{path}", allow_redirects=False) as r:
                    body = await r.read()
                    if r.status != 200:
                        run.errors += 1
                    timing = server_timing(r.headers.get("Server-Timing", ""))
                run.latencies.append((time.perf_counter() - began) * 1000)
                run.timings.append(timing)
                run.size = max(run.size, len(body))
                views += 1
        memory[f"after {views:,} page views"] = rss_kib(pid)
    return results, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="per kind of page")
    parser.add_argument(
        "--slowest", type=int, default=3, help="requests per page shown stage by stage"
    )
    args = parser.parse_args()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("INTAKE_CONFIG", None)
    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        seed(Path(tmp), args.tickets)
        numbers = add_threads(Path(tmp), args.tickets, rng)
        print(f"seeded {args.tickets:,} tickets in {time.perf_counter() - began:.1f} s")
        open_now = sqlite3.connect(Path(tmp) / "intake.db").execute(
            "SELECT COUNT(*) FROM tickets WHERE status IN ('open', 'pending')"
        )
        print(f"{open_now.fetchone()[0]:,} of them open or pending")
        n = args.requests
        loads = {
            "baseline (stylesheet)": ["/static/workspace.css"] * n,
            "queue": ["/"] * n,
            "queue rows": ["/queue/rows"] * n,
            "queue filtered": ["/?priority=P1&policy=msp"] * n,
            "queue search": [f"/?q=customer{rng.randint(0, 4999)}@" for _ in range(n)],
            "ticket": [f"/tickets/{rng.choice(numbers)}" for _ in range(n)],
        }
        intake, ready = start_server(
            [
                sys.executable, "-m", "gateway.cli", "serve", "--data-dir", tmp,
                "--smtp-port", "0", "--http-port", "0", "--log-level", "WARNING",
            ],
            env,
            READY,
        )  # fmt: skip
        try:
            time.sleep(1.0)  # let start-up work (clock scan, workers' first pass) settle
            results, memory = asyncio.run(measure(ready[1], intake.pid, loads))
        finally:
            stop(intake)

    print(f"one signed-in client, {n} requests per page, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    baseline = results.pop("baseline (stylesheet)")
    base_latencies = sorted(baseline.latencies)
    base_p99 = pct(base_latencies, 0.99)
    print(
        f"  baseline  /static/workspace.css  p50 {pct(base_latencies, 0.5):6.2f} ms"
        f"   p99 {base_p99:6.2f} ms   ({baseline.size:,} bytes)"
    )
    verdict = True
    for name, run in results.items():
        latencies = sorted(run.latencies)
        cpu = sorted(t.get("cpu", 0.0) for t in run.timings)
        p99 = pct(latencies, 0.99)
        ok = p99 < TARGET_MS and not run.errors
        verdict &= ok
        print(
            f"  {name:<15} p50 {pct(latencies, 0.5):7.2f} ms   p99 {p99:7.2f} ms"
            f"   p99 ratio to baseline {p99 / base_p99:6.1f}   ({run.size:,} bytes)"
            f"{f'   {run.errors} errors' if run.errors else ''}"
            f"   p99 < {TARGET_MS:.0f} ms: {'met' if ok else 'NOT met'}"
        )
        print(
            f"  {'':<15} server CPU p50 {pct(cpu, 0.5):6.2f} ms   p99 {pct(cpu, 0.99):6.2f} ms;"
            f" mean per stage: {stages(mean_timing(run.timings))}"
        )
        slowest = sorted(zip(run.latencies, run.timings, strict=True), key=lambda x: -x[0])
        for latency, timing in slowest[: args.slowest]:
            print(f"  {'':<17} slow: {latency:7.2f} ms at the client = {stages(timing)}")
    print("memory of intake serve (VmRSS):")
    for when, kib in memory.items():
        print(f"  {when:<38} {kib / 1024:7.1f} MiB")
    print("target " + ("met" if verdict else "NOT met"))


def mean_timing(timings: list[Timing]) -> Timing:
    names = dict.fromkeys(name for t in timings for name in t)
    return {name: sum(t.get(name, 0.0) for t in timings) / max(1, len(timings)) for name in names}


def stages(timing: Timing) -> str:
    return ", ".join(f"{name} {ms:.1f}" for name, ms in timing.items()) or "no Server-Timing"


if __name__ == "__main__":
    main()
