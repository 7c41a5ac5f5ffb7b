"""The workspace tried as a new user would, against a real `intake serve` (real clock, real
workers, the shipped classifier): add an account with the CLI, sign in, see a mail sent a
moment before, answer it, watch its clock turn to met, find the reply in `mail-out/`, see a
mail with a script in it stay inert, sign out."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest

from ..gateway.test_gateway_serve import intake_serve
from .conftest import CHROMIUM_ARGS, Outside, chromium_or_skip

EMAIL, PASSWORD = "new.agent@example.com", "a pass phrase for the new agent"
# A real process under load: the worker triages with spaCy and the queue polls every 3 s.
ARRIVAL_MS = 60_000

pytestmark = pytest.mark.timeout(300)


def add_account(data_dir: Path) -> None:
    env = {**os.environ}
    env.pop("INTAKE_CONFIG", None)
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "staff", "add", EMAIL, "--name", "New Agent",
         "--password-stdin", "--data-dir", str(data_dir)],
        input=PASSWORD + "\n", text=True, capture_output=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


async def send(host: str, port: int, subject: str, text: str, html: str | None = None) -> None:
    message = EmailMessage()
    message["From"] = "Pat Customer <pat@example.com>"
    message["To"] = "support@localhost"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="customer.example")
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    await aiosmtplib.send(message, hostname=host, port=port)


async def replies_in(mail_out: Path, needle: str) -> list[Any]:
    for _ in range(600):
        found = [
            m
            for m in (
                message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in sorted(mail_out.glob("*.eml"))
            )
            if needle in m.get_body(("plain",)).get_content()
        ]
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"no mail in {mail_out} contains {needle!r}")


async def test_a_new_user_answers_a_mail_in_a_real_intake_serve(tmp_path: Path) -> None:
    executable = chromium_or_skip()
    from playwright.async_api import async_playwright, expect

    add_account(tmp_path)
    with intake_serve(tmp_path) as server:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=executable, args=CHROMIUM_ARGS
            )
            try:
                context = await browser.new_context(base_url=server.http)
                outside = Outside()
                await context.route("**/*", outside.route)
                page = await context.new_page()
                dialogs: list[str] = []
                page.on("dialog", lambda dialog: dialogs.append(dialog.message))

                await page.goto("/")
                await page.get_by_label("Email").fill(EMAIL)
                await page.get_by_label("Password").fill(PASSWORD)
                await page.get_by_role("button", name="Sign in").click()
                await expect(page.get_by_text("the queue is empty")).to_be_visible()

                await send(
                    server.host,
                    server.port,
                    "Desk phones keep rebooting",
                    "Since the update this morning every desk phone reboots every few minutes.",
                )
                hostile = '<script>alert("in the body")</script><img src="http://tracker.example/p.png" onerror="alert(1)">'
                await send(
                    server.host,
                    server.port,
                    '<script>alert("in the subject")</script> invoice',
                    f"See this: {hostile}",
                    f"<p>See this</p>{hostile}",
                )
                row = page.locator("tr", has_text="Desk phones keep rebooting")
                await expect(row).to_be_visible(timeout=ARRIVAL_MS)
                await expect(row).to_contain_text("due in")
                await row.get_by_role("link").click()

                await page.get_by_label("Reply to customer").fill(
                    "Thanks Pat, we are rolling the firmware back tonight."
                )
                await page.get_by_role("button", name="Send reply").click()
                await expect(page.locator(".facts .due")).to_have_text("met")
                (reply,) = await replies_in(tmp_path / "mail-out", "rolling the firmware back")
                assert reply["To"].addresses[0].addr_spec == "pat@example.com"

                await page.goto("/")
                script_row = page.locator("tr", has_text='<script>alert("in the subject")</script>')
                await expect(script_row).to_be_visible(timeout=ARRIVAL_MS)
                await script_row.get_by_role("link").click()
                await expect(page.locator("article.message.in pre.body").first).to_contain_text(
                    '<script>alert("in the body")</script>'
                )
                assert await page.locator("main script, main img, main iframe").count() == 0
                assert dialogs == []
                assert not [url for url in outside.requests if "tracker.example" in url]

                await page.get_by_role("button", name="Sign out").click()
                await expect(page).to_have_url(re.compile(r"/login$"))
                await page.goto("/")
                await expect(page).to_have_url(re.compile(r"/login\?"))
            finally:
                await browser.close()
        server.process.terminate()
