"""Make the README's screenshots of the staff workspace from a real run.

A real `intake serve` (the demo desk, free ports, a temporary data directory), a lead added
with `intake staff add`, a few customer mails sent over SMTP and triaged by the shipped
classifier, then Chromium (Debian's, through Playwright) signs in and photographs:

- docs/screenshots/queue.png        the queue, 1280 px wide
- docs/screenshots/ticket.png       a ticket, 1280 px wide
- docs/screenshots/queue-phone.png  the queue on a 390 × 844 phone

Needs only the project's venv and a Chromium (`apt-get install chromium`); no network: the
browser's requests off loopback are refused.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosmtplib

if TYPE_CHECKING:
    from playwright.async_api import ViewportSize

ROOT = Path(__file__).resolve().parent.parent
READY = re.compile(r"smtp=(\S+):(\d+) http=(http://\S+)")
LEAD = ("sam.rivera@example.com", "Sam Rivera")
PASSWORD = "screenshots pass phrase"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}

# (from, to, subject, body): what a phone-system support desk receives on a weekday.
MAILS = [
    (
        "Dana Whitfield <dana@harbor-logistics.example>",
        "support@localhost",
        "No dial tone on every desk phone since 9am",
        "Hi,\n\nSince about 9am none of the desk phones in our Boston office get a dial tone."
        " Nobody can call out and customers calling in get a busy signal. This is a complete"
        " outage for 40 people.\n\nDana Whitfield\nIT, Harbor Logistics",
    ),
    (
        "Priya Natarajan <priya@northfield-dental.example>",
        "support@localhost",
        "Voicemail to email stopped arriving",
        "Hello,\n\nSince yesterday afternoon voicemails are no longer emailed to the front desk."
        " The messages are still in the mailbox on the phone. Could you have a look?\n\nPriya",
    ),
    (
        "Tom Becker <tom.becker@becker-law.example>",
        "support@localhost",
        "Add two extensions for new hires",
        "Good morning,\n\nWe have two people starting on Monday. Please add extensions 214 and"
        " 215 with voicemail, same setup as 212.\n\nThanks,\nTom",
    ),
    (
        "NOC <noc@meridian-hosting.example>",
        "urgent@localhost",
        "SIP trunk down: all inbound calls failing",
        "All inbound calls to our main number fail with 503 since 14:02 UTC. Outbound works."
        " Please treat as an emergency.",
    ),
    (
        "Luis Ortega <luis@ortega-bakery.example>",
        "support@localhost",
        "Question about call recording retention",
        "Hi, how long are call recordings kept by default, and can we extend it to a year?",
    ),
]


def chromium() -> str:
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit("screenshots: no Chromium found (apt-get install chromium)")


def intake(*args: str, data_dir: Path, stdin: str | None = None) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args, "--data-dir", str(data_dir)],
        input=stdin,
        text=True,
        capture_output=True,
        env=environment(),
    )
    if result.returncode != 0:
        raise SystemExit(f"screenshots: intake {args[0]} failed: {result.stderr.strip()}")


def environment() -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name in list(env):  # a demo run: no relay, no Twilio, no config of the caller's
        if name.startswith(("INTAKE_", "TWILIO_")):
            del env[name]
    return env


def serve(data_dir: Path) -> tuple[subprocess.Popen[str], re.Match[str]]:
    process = subprocess.Popen(
        [
            sys.executable, "-m", "gateway.cli", "serve", "--data-dir", str(data_dir),
            "--smtp-port", "0", "--http-port", "0", "--log-level", "WARNING",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=environment(),
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    ready = READY.search(line)
    if ready is None:
        process.kill()
        raise SystemExit(f"screenshots: intake serve did not start: {line!r}")
    return process, ready


async def send_mails(host: str, port: int) -> None:
    for sender, to, subject, body in MAILS:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        await aiosmtplib.send(message, hostname=host, port=port)


async def photograph(base: str, out: Path) -> None:
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(
                base_url=base, viewport=DESKTOP, device_scale_factor=1
            )
            await context.route("**/*", _loopback_only)
            page = await context.new_page()
            await sign_in(page)
            rows = page.locator("table.queue tbody tr:not(.empty)")
            await expect(rows).to_have_count(len(MAILS), timeout=120_000)
            # Answer one, so the queue shows a met clock and an assignee.
            await page.get_by_role("link", name="#1003", exact=True).click()
            await page.get_by_role("button", name="Assign to me").click()
            await page.get_by_label("Reply to customer").fill(
                "Hi Tom,\n\nExtensions 214 and 215 are set up like 212, with voicemail."
                " They will work from Monday morning.\n\nSam"
            )
            await page.get_by_role("button", name="Send reply").click()
            await page.wait_for_url(re.compile(r"/tickets/1003$"))
            await page.goto("/")
            await page.screenshot(path=out / "queue.png", full_page=True)
            await page.get_by_role("link", name="#1001", exact=True).click()
            await page.get_by_role("button", name="Assign to me").click()
            await page.get_by_label("Internal note").fill(
                "Carrier confirms an outage on the Boston trunk group; ticket 88123 with them."
            )
            await page.get_by_role("button", name="Add note").click()
            await page.wait_for_url(re.compile(r"/tickets/1001$"))
            await page.screenshot(path=out / "ticket.png", full_page=True)
            await context.close()

            phone = await browser.new_context(
                base_url=base, viewport=PHONE, is_mobile=True, device_scale_factor=2
            )
            await phone.route("**/*", _loopback_only)
            page = await phone.new_page()
            await sign_in(page)
            await page.screenshot(path=out / "queue-phone.png")
            await phone.close()
        finally:
            await browser.close()


async def sign_in(page: Any) -> None:
    await page.goto("/login")
    await page.get_by_label("Email").fill(LEAD[0])
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r"/$"))


async def _loopback_only(route: Any) -> None:
    if route.request.url.startswith(("http://127.0.0.1", "http://localhost")):
        await route.continue_()
    else:
        await route.abort()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="intake-screenshots-") as tmp:
        data_dir = Path(tmp)
        intake(
            "staff", "add", LEAD[0], "--name", LEAD[1], "--role", "lead", "--password-stdin",
            data_dir=data_dir,
            stdin=PASSWORD + "\n",
        )  # fmt: skip
        process, ready = serve(data_dir)
        try:
            asyncio.run(send_mails(ready[1], int(ready[2])))
            asyncio.run(photograph(ready[3], args.out))
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    for name in ("queue.png", "ticket.png", "queue-phone.png"):
        print(f"wrote {args.out / name}")


if __name__ == "__main__":
    main()
