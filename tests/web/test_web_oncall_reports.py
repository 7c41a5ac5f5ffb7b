"""/oncall and /reports in a real browser (Debian's Chromium through Playwright): a page
acknowledged from a phone stops its chain; the report shows its rows, its chart and a CSV."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ..voice.phone_harness import ALICE, BOB, Desk
from .conftest import PASSWORD, Outside, sign_in
from .oncall_harness import add_account, outage, paging_desk

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
async def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Desk]:
    async with paging_desk(tmp_path, monkeypatch) as running:
        await add_account(running, "agent@example.com", "agent")
        await add_account(running, "lead@example.com", "lead")
        yield running


@pytest.fixture
async def site(browser: Any, desk: Desk, outside: Outside) -> AsyncIterator[Any]:
    """Opens browser contexts on the desk's workspace; each records CSP complaints."""
    host, port = desk.gw.http_address
    contexts: list[Any] = []
    complaints: list[str] = []

    async def open_page(viewport: dict[str, int], mobile: bool = False) -> Any:
        context = await browser.new_context(
            base_url=f"http://{host}:{port}", viewport=viewport, is_mobile=mobile
        )
        contexts.append(context)
        await context.route("**/*", outside.route)
        page = await context.new_page()
        page.on(
            "console",
            lambda m: complaints.append(m.text) if "Content Security Policy" in m.text else None,
        )
        return page

    try:
        yield open_page
    finally:
        for context in contexts:
            await context.close()
    assert complaints == []
    assert outside.requests == []


async def scroll_width(page: Any) -> int:
    return int(await page.evaluate("document.documentElement.scrollWidth"))


async def test_a_page_acknowledged_from_a_phone_stops_its_chain(desk: Desk, site: Any) -> None:
    from playwright.async_api import expect

    number = await outage(desk)
    (sms,) = desk.sent_to(ALICE)
    link = re.search(r"https?://\S+(/t/\d+)", sms)
    assert link is not None
    page = await site(PHONE, mobile=True)

    # The link in the SMS, opened on the phone: sign-in first, then the ticket.
    await page.goto(link.group(1))
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await page.get_by_label("Email").fill("agent@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(rf"/tickets/{number}$"))

    await page.get_by_role("link", name="On call").click()
    await expect(page.get_by_role("heading", name="On call", exact=True)).to_be_visible()
    chain = page.locator(f"#chain-{number}")
    await expect(chain).to_contain_text("Step 1 of 3.")
    await expect(chain).to_contain_text("Next: Bob Example")
    assert await scroll_width(page) <= PHONE["width"], "/oncall scrolls sideways on a phone"

    await chain.get_by_role("button", name=f"Acknowledge ticket {number}").click()
    await expect(page).to_have_url(re.compile(rf"/oncall#chain-{number}$"))
    await expect(chain).to_contain_text("Acknowledged by Agent")
    await expect(chain.get_by_role("button")).to_have_count(0)

    # Past every step's delay: nobody else is paged.
    desk.clock.advance(timedelta(hours=1))
    await desk.settle()
    assert desk.sent_to(BOB) == [] and len(desk.sent_to(ALICE)) == 1
    (row,) = desk.query("SELECT state, acked_by FROM page_chains")
    assert (row["state"], row["acked_by"]) == ("acknowledged", "web:agent@example.com")

    await chain.get_by_role("link", name=f"#{number}").click()
    timeline = page.locator(".timeline")
    await expect(timeline).to_contain_text("page-acknowledged")
    await expect(timeline).to_contain_text("actor=web:agent@example.com")


async def test_the_report_shows_rows_a_chart_and_downloads_csv(desk: Desk, site: Any) -> None:
    from playwright.async_api import expect

    await outage(desk)
    for viewport, mobile in ((DESKTOP, False), (PHONE, True)):
        page = await site(viewport, mobile)
        await sign_in(page, "lead@example.com")
        await page.get_by_role("link", name="Reports").click()
        await expect(page).to_have_url(re.compile(r"/reports$"))
        await expect(page.get_by_label("From", exact=True)).to_have_value("2026-11-01")
        await expect(page.get_by_label("To", exact=True)).to_have_value("2026-11-21")
        row = page.locator("table.report tbody tr").filter(has_text="P1").first
        await expect(row).to_contain_text("respond")
        chart = page.get_by_role("img", name="SLA attainment by policy, priority and clock")
        await expect(chart).to_be_visible()
        box = await chart.bounding_box()
        assert box is not None and 0 < box["width"] <= viewport["width"]
        assert await page.locator(".report-chart svg g.bar").count() >= 1
        assert await scroll_width(page) <= viewport["width"], f"/reports scrolls at {viewport}"

    # The chosen period survives a reload in the URL; the CSV downloads as a file.
    await page.get_by_label("From", exact=True).fill("2026-11-15")
    await page.get_by_role("button", name="Show").click()
    await expect(page).to_have_url(re.compile(r"since=2026-11-15"))
    await page.reload()
    await expect(page.get_by_label("From", exact=True)).to_have_value("2026-11-15")
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="Download CSV").click()
    download = await waiting.value
    assert download.suggested_filename == "sla-report-2026-11-15-to-2026-11-21.csv"
    text = Path(await download.path()).read_text()
    assert text.startswith("policy,priority,clock,count,met,breached,open,attainment %")
    assert "threepbx,P1,respond," in text
