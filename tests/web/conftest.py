"""Fixtures for the workspace tests: a real gateway on loopback (workers driven by `settle`),
staff accounts with passwords, and Debian's Chromium driven by Playwright.

The browser tests skip with one line when no Chromium is installed, except in CI (`CI=true`),
where they must run: there a missing browser fails them (`.ci/run` installs it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway import credentials
from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.store import staff as staff_sql
from gateway.store.connection import Connection

from ..gateway.gateway_harness import SATURDAY_MORNING, DefaultProposer, make_settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery staple"
# Hashed once: argon2 at full strength for every test would be slow for nothing.
PASSWORD_HASH = credentials.hash_password(PASSWORD)


def chromium_or_skip() -> str:
    missing = None
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        missing = "playwright is not installed (pip install -e '.[dev]')"
    if missing is None and not (os.access(CHROMIUM, os.X_OK) or shutil.which("chromium")):
        missing = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI: {missing}")
        pytest.skip(missing)
    return CHROMIUM if os.access(CHROMIUM, os.X_OK) else str(shutil.which("chromium"))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(SATURDAY_MORNING)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def gateway(
    tmp_path: Path, clock: ManualClock, settings_overrides: dict[str, Any]
) -> AsyncIterator[Gateway]:
    settings = make_settings(tmp_path, **settings_overrides)
    gw = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()


async def add_staff(gw: Gateway, email: str, role: str = "agent") -> None:
    async def write(db: Connection) -> None:
        await staff_sql.insert_staff(
            db,
            email=email,
            name=email.split("@")[0].title(),
            role=role,
            phone=None,
            password_hash=PASSWORD_HASH,
            now=gw.clock.now(),
        )

    await gw.store.write(write)


@pytest.fixture
async def base_url(gateway: Gateway) -> str:
    await add_staff(gateway, "agent@example.com", "agent")
    await add_staff(gateway, "lead@example.com", "lead")
    host, port = gateway.http_address
    return f"http://{host}:{port}"


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    executable = chromium_or_skip()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


class Outside:
    """Every request the page makes off loopback: recorded and aborted (no network in tests)."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    async def route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "http://localhost")):
            await route.continue_()
        else:
            self.requests.append(url)
            await route.abort()


@pytest.fixture
async def outside() -> Outside:
    return Outside()


@pytest.fixture
async def page(browser: Any, base_url: str, outside: Outside) -> AsyncIterator[Any]:
    context = await browser.new_context(base_url=base_url)
    await context.route("**/*", outside.route)
    page = await context.new_page()
    try:
        yield page
    finally:
        await context.close()


async def sign_in(page: Any, email: str = "agent@example.com", password: str = PASSWORD) -> None:
    await page.goto("/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
