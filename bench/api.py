"""`GET /api/v1/tickets` latency with 100,000 tickets in the store, against a same-run baseline.

The store is seeded directly (100,000 tickets over five policies, four statuses and four
priorities, a `created` event each and a `replied` event for a third), then `intake serve` runs
on it. One client asks, one request at a time, for pages of 50:

- `first page`: the newest tickets, no filter;
- `deep pages`: a cursor anywhere in the 100,000 (keyset pagination: page 1,900 costs what
  page 1 costs);
- `filtered`: `status=open&priority=P1`, from a random cursor;
- `sla=breached`, `sla=at-risk`: the first page of tickets with a clock past its deadline, or
  past a warning point (the stored clocks, `sla_clocks`: one respond clock per ticket, met for
  the answered and the resolved ones, running for the rest; most running ones are long
  overdue, the worst case for the breached filter).

Every ticket of a page is shown with all its clocks, computed from its timeline by the clocks
engine (gateway/sla/views.py), as the API always does.

The baseline is a bare aiohttp server answering a ready-made JSON body of the same size
(no authentication, no database): what the HTTP stack and JSON decoding alone cost.
Target: p99 < 50 ms for a page of 50.

    .venv/bin/python -m bench.api [--tickets 100000] [--requests 500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from bench.servers import start_server
from gateway import credentials
from gateway.api.handlers import encode_cursor
from gateway.store import Store

READY = re.compile(r"http=(http://\S+)")
PAGE = 50
POLICIES = ("threepbx", "msp", "jelastic", "restcomm-standard", "restcomm-premium")
STATUSES = ("open", "open", "pending", "resolved", "closed")
PRIORITIES = ("P1", "P2", "P3", "P4")

BASELINE = textwrap.dedent(
    """
    import asyncio, sys
    from aiohttp import web

    body = open(sys.argv[1], "rb").read()

    async def tickets(request):
        return web.Response(body=body, content_type="application/json")

    async def main():
        app = web.Application()
        app.router.add_get("/api/v1/tickets", tickets)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(f"baseline ready: http=http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
    """
)


def seed(data_dir: Path, count: int) -> str:
    """Create the database with `count` tickets and an agent; returns the agent's token."""

    async def migrate() -> None:
        store = await Store.open(data_dir / "intake.db")
        await store.close()

    asyncio.run(migrate())
    rng = random.Random(7)
    # Tickets every five minutes up to now, so the newest are the ones still running.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5 * count)
    token = credentials.new_token()
    with sqlite3.connect(data_dir / "intake.db") as db:
        now = datetime.now(UTC).isoformat()
        db.execute(
            "INSERT INTO staff (email, name, role, password_hash, created_at)"
            " VALUES ('bench@example.com', 'Bench', 'agent', 'x', ?)",
            (now,),
        )
        db.execute(
            "INSERT INTO api_tokens (staff_id, name, token_hash, hint, created_at)"
            " VALUES (1, 'bench', ?, ?, ?)",
            (credentials.token_hash(token), credentials.token_hint(token), now),
        )
        tickets, events, clocks, alerts = [], [], [], []
        real_now = datetime.now(UTC)
        for i in range(count):
            received = start + timedelta(minutes=5 * i)
            due = received + timedelta(hours=rng.choice((1, 4, 8, 24)))
            priority = rng.choice(PRIORITIES)
            status = rng.choice(STATUSES)
            tickets.append(
                (
                    i + 1,
                    1001 + i,
                    "email",
                    f"customer{i % 5000}@example.com",
                    "Customer",
                    "support@localhost",
                    rng.choice(POLICIES),
                    f"Ticket number {i} about a phone problem",
                    priority,
                    priority,
                    0.5,
                    "[]",
                    received.isoformat(timespec="microseconds"),
                    due.isoformat(timespec="microseconds"),
                    status,
                    received.isoformat(timespec="microseconds"),
                    received.isoformat(timespec="microseconds"),
                )
            )
            events.append((i + 1, received.isoformat(timespec="microseconds"), "created", "{}"))
            met: datetime | None = None
            if i % 3 == 0:
                met = received + timedelta(minutes=rng.randint(5, 600))
                events.append((i + 1, met.isoformat(timespec="microseconds"), "replied", "{}"))
            elif status in ("resolved", "closed"):
                met = received + timedelta(hours=1)
            # As the scanner leaves them: breaches recorded, warning points passed notified.
            state = "pending" if met is None else "met" if met <= due else "breached"
            warn = received + (due - received) * 0.75
            breached = (met is None and due <= real_now) or state == "breached"
            warned = met is None and warn <= real_now
            clocks.append(
                (
                    i + 1,
                    priority,
                    received.isoformat(timespec="microseconds"),
                    due.isoformat(timespec="microseconds"),
                    state,
                    met.isoformat(timespec="microseconds") if met else None,
                    int(state != "met" and not breached),
                    warn.isoformat(timespec="microseconds") if met is None and not warned else None,
                    '["75%"]' if warned else "[]",
                    due.isoformat(timespec="microseconds") if breached else None,
                    max(received, real_now).isoformat(timespec="microseconds"),
                )
            )
            if breached:
                alerts.append((i + 1, due.isoformat(timespec="microseconds")))
        db.executemany(
            "INSERT INTO tickets (id, number, channel, customer, customer_name, desk, policy,"
            " subject, proposed_priority, effective_priority, confidence, reasons, received_at,"
            " due_at, status, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            tickets,
        )
        db.executemany(
            "INSERT INTO events (ticket_id, at, kind, detail) VALUES (?, ?, ?, ?)", events
        )
        db.executemany(
            "INSERT INTO sla_clocks (ticket_id, clock, cycle, policy, priority, business,"
            " started_at, due_at, state, met_at, watch, next_warn_at, warned, breached_at,"
            " updated_at) VALUES (?, 'respond', 0, 'threepbx', ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            clocks,
        )
        db.executemany(
            "INSERT INTO sla_alerts (ticket_id, clock, cycle, point, due_at, recorded_at)"
            " VALUES (?, 'respond', 0, 'breach', ?, ?)",
            [(ticket, due, due) for ticket, due in alerts],
        )
        db.execute("ANALYZE")
    return token


def queries(count: int, requests: int) -> dict[str, list[dict[str, str]]]:
    rng = random.Random(11)
    last = 1000 + count
    return {
        "first page": [{"limit": str(PAGE)} for _ in range(requests)],
        "deep pages": [
            {"limit": str(PAGE), "cursor": encode_cursor(rng.randint(1100, last))}
            for _ in range(requests)
        ],
        "filtered": [
            {
                "limit": str(PAGE),
                "status": "open",
                "priority": "P1",
                "cursor": encode_cursor(rng.randint(1100, last)),
            }
            for _ in range(requests)
        ],
        "sla=breached": [{"limit": str(PAGE), "sla": "breached"} for _ in range(requests)],
        "sla=at-risk": [{"limit": str(PAGE), "sla": "at-risk"} for _ in range(requests)],
    }


async def run(base: str, token: str, params: list[dict[str, str]]) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as session:
        for query in params[:20]:  # warm-up: connection, page cache
            async with session.get(f"{base}/api/v1/tickets", params=query, headers=headers) as r:
                await r.read()
        for query in params:
            began = time.perf_counter()
            async with session.get(f"{base}/api/v1/tickets", params=query, headers=headers) as r:
                body = await r.json()
                if r.status != 200 or len(body["tickets"]) == 0:
                    errors += 1
            latencies.append((time.perf_counter() - began) * 1000)
    return sorted(latencies), errors


def pct(latencies: list[float], share: float) -> float:
    return latencies[min(len(latencies) - 1, int(share * len(latencies)))]


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=500, help="per kind of page")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("INTAKE_CONFIG", None)
    loads = queries(args.tickets, args.requests)
    results: dict[str, tuple[list[float], int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        token = seed(Path(tmp), args.tickets)
        print(f"seeded {args.tickets:,} tickets in {time.perf_counter() - began:.1f} s")
        intake, ready = start_server(
            [
                sys.executable, "-m", "gateway.cli", "serve", "--data-dir", tmp,
                "--smtp-port", "0", "--http-port", "0", "--log-level", "WARNING",
            ],
            env,
            READY,
        )  # fmt: skip
        try:
            sample: bytes = b""
            for name, params in loads.items():
                results[name] = asyncio.run(run(ready[1], token, params))
            sample = _first_page(ready[1], token)
        finally:
            stop(intake)
        body_file = Path(tmp) / "page.json"
        body_file.write_bytes(sample)
        baseline, ready = start_server([sys.executable, "-c", BASELINE, str(body_file)], env, READY)
        try:
            plain = asyncio.run(run(ready[1], "x", loads["first page"]))
        finally:
            stop(baseline)

    print(f"one client, {args.requests} requests per kind, pages of {PAGE} ({len(sample):,} bytes)")
    b = plain[0]
    print(
        f"  baseline (bare aiohttp, same body)   p50 {pct(b, 0.5):6.2f} ms"
        f"   p99 {pct(b, 0.99):6.2f} ms"
    )
    verdict = True
    for name, (latencies, errors) in results.items():
        p99 = pct(latencies, 0.99)
        ok = p99 < 50 and not errors
        verdict &= ok
        print(
            f"  intake {name:<12} p50 {pct(latencies, 0.5):6.2f} ms   p99 {p99:6.2f} ms"
            f"   p99 ratio to baseline {p99 / pct(b, 0.99):5.1f}"
            f"{f'   {errors} errors' if errors else ''}   p99 < 50 ms: {'met' if ok else 'NOT met'}"
        )
    print("target " + ("met" if verdict else "NOT met"))


def _first_page(base: str, token: str) -> bytes:
    async def fetch() -> bytes:
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"{base}/api/v1/tickets",
                params={"limit": str(PAGE)},
                headers={"Authorization": f"Bearer {token}"},
            ) as r,
        ):
            return await r.read()

    return asyncio.run(fetch())


if __name__ == "__main__":
    main()
