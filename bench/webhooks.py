"""Twilio webhook throughput and latency: `intake serve` against a bare aiohttp server, same run.

Both servers get the same signed requests from 50 concurrent clients:

- `/voice/incoming`: Intake checks the signature, commits the call (CallSid) to SQLite (WAL,
  synchronous=FULL, group commit) and answers the voicemail/dial TwiML;
- `/sms/status`: Intake checks the signature, commits the callback and moves the message's
  delivery status forward, in the same transaction.

The baseline answers the same bodies without checking or storing anything. Two loads:
*closed* (every client sends its next request when the last is answered: the most requests/s
the server manages) and *open* (requests leave on a fixed schedule at 1,000/s whatever the
server does, latency measured from the scheduled time: what Twilio's traffic looks like).
Targets: >= 1,000 requests/s closed, p99 < 20 ms under the 1,000/s open load.

    .venv/bin/python -m bench.webhooks [--requests 3000] [--rate 1000] [--seconds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from twilio.request_validator import RequestValidator

from bench.servers import start_server

PUBLIC = "https://intake.example.com"
TOKEN = "bench-auth-token-0123456789abcdef"
ACCOUNT = "AC" + "0" * 31 + "9"
DESK = "+12025550100"
CLIENTS = 50

BASELINE = textwrap.dedent(
    """
    import asyncio, sys
    from aiohttp import web
    from twilio.twiml.voice_response import VoiceResponse

    answer = VoiceResponse()
    answer.say("Thank you for calling. Please leave a message after the tone.")
    answer.record(max_length=120, transcribe=True, action="https://intake.example.com/v/r")
    xml = str(answer.to_xml())

    async def incoming(request):
        await request.post()
        return web.Response(text=xml, content_type="text/xml")

    async def status(request):
        await request.post()
        return web.Response(status=204)

    async def main():
        app = web.Application()
        app.router.add_post("/voice/incoming", incoming)
        app.router.add_post("/sms/status", status)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        print(f"baseline ready: http=http://127.0.0.1:{port}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
    """
)
CONFIG = f"""
public_url = "{PUBLIC}"

[[desks]]
address = "support@acme.test"
name = "Acme Support"
policy = "threepbx"
phone = "{DESK}"
"""
READY = re.compile(r"ready: .*http=(http://[\d.]+:\d+)")


@dataclass
class Request:
    path: str
    body: bytes
    signature: str


@dataclass
class Result:
    rate: float
    latencies: list[float]
    errors: int

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def signed(path: str, form: dict[str, str], validator: RequestValidator) -> Request:
    from urllib.parse import urlencode

    signature = str(validator.compute_signature(PUBLIC + path, form))
    return Request(path, urlencode(form).encode(), signature)


def incoming_requests(count: int, offset: int) -> list[Request]:
    validator = RequestValidator(TOKEN)
    return [
        signed(
            "/voice/incoming",
            {
                "AccountSid": ACCOUNT,
                "ApiVersion": "2010-04-01",
                "CallSid": f"CA{offset + n:032x}",
                "CallStatus": "ringing",
                "Direction": "inbound",
                "From": f"+1202555{(offset + n) % 10000:04d}",
                "To": DESK,
                "Caller": f"+1202555{(offset + n) % 10000:04d}",
                "Called": DESK,
            },
            validator,
        )
        for n in range(count)
    ]


def status_requests(count: int, offset: int) -> list[Request]:
    validator = RequestValidator(TOKEN)
    statuses = ("queued", "sent", "delivered")
    return [
        signed(
            "/sms/status",
            {
                "AccountSid": ACCOUNT,
                "ApiVersion": "2010-04-01",
                "MessageSid": f"SM{(offset + n) // 3:032x}",
                "MessageStatus": statuses[n % 3],
                "SmsStatus": statuses[n % 3],
                "From": "+12025550199",
                "To": "+12025550101",
            },
            validator,
        )
        for n in range(count)
    ]


async def send(session: aiohttp.ClientSession, base: str, request: Request) -> bool:
    headers = {
        "X-Twilio-Signature": request.signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    async with session.post(base + request.path, data=request.body, headers=headers) as answer:
        await answer.read()
        return answer.status in (200, 204)


async def closed_load(base: str, requests: list[Request]) -> Result:
    """Every client sends its next request as soon as the previous one is answered."""
    latencies: list[float] = []
    errors = 0
    queue = iter(requests)

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        for request in queue:
            started = time.perf_counter()
            ok = await send(session, base, request)
            latencies.append(time.perf_counter() - started)
            errors += not ok

    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(connector=connector) as session:
        began = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(CLIENTS)))
        elapsed = time.perf_counter() - began
    return Result(len(requests) / elapsed, latencies, errors)


async def open_load(base: str, requests: list[Request], rate: float) -> Result:
    """Requests leave on a fixed schedule (`rate` per second over 50 clients); latency is
    measured from when a request was due, so a server falling behind shows up in it."""
    latencies: list[float] = []
    errors = 0
    loop = asyncio.get_running_loop()

    async def client(session: aiohttp.ClientSession, first: int, began: float) -> None:
        nonlocal errors
        for n in range(first, len(requests), CLIENTS):
            due = began + n / rate
            if (wait := due - loop.time()) > 0:
                await asyncio.sleep(wait)
            ok = await send(session, base, requests[n])
            latencies.append(loop.time() - due)
            errors += not ok

    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(connector=connector) as session:
        began = loop.time() + 0.1
        await asyncio.gather(*(client(session, k, began) for k in range(CLIENTS)))
        elapsed = loop.time() - began
    return Result(len(requests) / elapsed, latencies, errors)


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        print(f"note: pid {process.pid} ignored SIGTERM for 15 s; killed", file=sys.stderr)
        process.kill()
        process.wait()


Make = Callable[[int, int], list[Request]]
ENDPOINTS: dict[str, Make] = {"/voice/incoming": incoming_requests, "/sms/status": status_requests}


def measure(base: str, closed: int, rate: float, seconds: float, offset: int) -> dict[str, Any]:
    results = {}
    for path, make in ENDPOINTS.items():
        asyncio.run(closed_load(base, make(300, offset)))  # warm-up: connections, caches
        closed_result = asyncio.run(closed_load(base, make(closed, offset + 1_000)))
        opened = asyncio.run(open_load(base, make(int(rate * seconds), offset + 100_000), rate))
        results[path] = (closed_result, opened)
    return results


def line(name: str, result: Result) -> str:
    errors = f"   {result.errors} errors" if result.errors else ""
    return (
        f"    {name:<9} {result.rate:7.0f} req/s   p50 {result.percentile(0.5):6.2f} ms"
        f"   p99 {result.percentile(0.99):6.2f} ms{errors}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="per endpoint, closed load")
    parser.add_argument("--rate", type=float, default=1000.0, help="open load, requests/s")
    parser.add_argument("--seconds", type=float, default=4.0, help="open load duration")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("INTAKE_CONFIG", None)

    baseline, ready = start_server([sys.executable, "-c", BASELINE], env, READY)
    base = ready[1]
    try:
        plain = measure(base, args.requests, args.rate, args.seconds, 0)
    finally:
        stop(baseline)

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "intake.toml"
        config.write_text(CONFIG)
        intake_env = {**env, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_ACCOUNT_SID": ACCOUNT}
        intake, ready = start_server(
            [
                sys.executable, "-m", "gateway.cli", "serve", "--config", str(config),
                "--data-dir", tmp, "--smtp-port", "0", "--http-port", "0",
                "--log-level", "WARNING",
            ],
            intake_env,
            READY,
        )  # fmt: skip
        base = ready[1]
        try:
            ours = measure(base, args.requests, args.rate, args.seconds, 0)
        finally:
            stop(intake)
        with sqlite3.connect(Path(tmp) / "intake.db") as db:
            calls = db.execute("SELECT COUNT(*) FROM inbox WHERE kind = 'call'").fetchone()[0]
            statuses = db.execute("SELECT COUNT(*) FROM sms_status").fetchone()[0]

    print(
        f"{CLIENTS} concurrent clients; closed load {args.requests} requests per endpoint,"
        f" open load {args.rate:.0f} requests/s for {args.seconds:g} s"
    )
    verdicts = []
    for path in ENDPOINTS:
        (b_closed, b_open), (i_closed, i_open) = plain[path], ours[path]
        print(f"{path}")
        print("  baseline (bare aiohttp, no signature, no store)")
        print(line("closed", b_closed))
        print(line("open", b_open))
        print("  intake serve (signature checked, committed before the answer)")
        print(line("closed", i_closed))
        print(line("open", i_open))
        ratio = i_closed.rate / b_closed.rate
        rate_ok = i_closed.rate >= 1000 and not i_closed.errors
        p99_ok = i_open.percentile(0.99) < 20 and not i_open.errors
        verdicts.append(rate_ok and p99_ok)
        print(
            f"  ratio intake/baseline (closed req/s): {ratio:.2f};"
            f" >= 1,000 req/s: {'met' if rate_ok else 'NOT met'};"
            f" p99 < 20 ms at {args.rate:.0f}/s: {'met' if p99_ok else 'NOT met'}"
        )
    print(f"durable: {calls} calls and {statuses} message statuses committed")
    print("targets " + ("met" if all(verdicts) else "NOT met"))


if __name__ == "__main__":
    main()
