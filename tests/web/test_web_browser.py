"""The workspace in a real browser (Debian's Chromium through Playwright): sign-in, the queue
updating itself, answering a ticket, hostile mail staying inert, priorities and the phone."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from gateway.app import Gateway

from ..gateway.gateway_harness import mail, outgoing_mail, query, send, settle
from .conftest import PASSWORD, Outside, sign_in

# htmx polls the queue every 3 s: twice that and a margin, for a machine under load.
POLL_TIMEOUT_MS = 10_000


def newest_ticket(gw: Gateway) -> int:
    return int(query(gw, "SELECT MAX(number) FROM tickets")[0][0])


async def expect_ready(page: Any) -> Any:
    from playwright.async_api import expect

    return expect


async def test_sign_in_and_sign_out(page: Any) -> None:
    expect = await expect_ready(page)
    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/login\?next=(%2F|/)$"))
    await sign_in(page)
    await expect(page).to_have_url(re.compile(r"/$"))
    await expect(page.get_by_text("Agent · agent")).to_be_visible()
    cookies = {c["name"]: c for c in await page.context.cookies()}
    session = cookies["intake_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax" and not session["secure"]
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(re.compile(r"/login$"))
    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/login\?"))


async def test_wrong_password_is_refused(page: Any) -> None:
    expect = await expect_ready(page)
    await sign_in(page, password="not the password")
    await expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    await expect(page.get_by_label("Email")).to_have_value("agent@example.com")
    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/login\?"))


async def test_failed_sign_ins_are_throttled_per_account(page: Any) -> None:
    expect = await expect_ready(page)
    for _ in range(5):
        await sign_in(page, password="guess")
        await expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    await sign_in(page, password=PASSWORD)  # even the right password, while throttled
    await expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")
    await sign_in(page, email="lead@example.com")  # another account from here still may
    await expect(page).to_have_url(re.compile(r"/$"))


async def test_a_post_without_csrf_token_is_refused(page: Any, gateway: Gateway) -> None:
    await send(gateway, mail())
    await settle(gateway)
    n = newest_ticket(gateway)
    await sign_in(page)
    await page.wait_for_url(re.compile(r"/$"))
    response = await page.request.post(f"/tickets/{n}/note", form={"body": "sneaky"})
    assert response.status == 403
    response = await page.request.post(
        f"/tickets/{n}/note", form={"body": "sneaky", "csrf": "forged"}
    )
    assert response.status == 403
    assert not query(gateway, "SELECT * FROM events WHERE kind = 'note'")


async def test_hostile_mail_is_shown_inert(page: Any, gateway: Gateway, outside: Outside) -> None:
    expect = await expect_ready(page)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    hostile = (
        '<script>alert("script")</script>'
        '<img src="http://tracker.example/pixel.png" onerror="alert(\'onerror\')">'
    )
    message = EmailMessage()
    message["From"] = "Mallory <mallory@example.com>"
    message["To"] = "support@localhost"
    message["Subject"] = '<img src=x onerror="alert(1)"> urgent'
    message.set_content(f"Please look at this: {hostile}")
    message.add_alternative(
        f"<html><body><p>Please look</p>{hostile}</body></html>", subtype="html"
    )
    await send(gateway, message, sender="mallory@example.com")
    await settle(gateway)
    n = newest_ticket(gateway)
    await sign_in(page)
    await expect(page.get_by_text('<img src=x onerror="alert(1)"> urgent')).to_be_visible()
    await page.get_by_role("link", name=f"#{n}", exact=True).click()
    await expect(page.locator("article.message.in pre.body")).to_contain_text(
        '<script>alert("script")</script>'
    )
    assert await page.locator("main script, main img, main iframe").count() == 0
    assert dialogs == []
    assert not [url for url in outside.requests if "tracker.example" in url]


async def test_mail_appears_without_reload_and_is_answered(page: Any, gateway: Gateway) -> None:
    expect = await expect_ready(page)
    await sign_in(page)
    await expect(page.get_by_text("the queue is empty")).to_be_visible()
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    await send(
        gateway,
        mail(
            subject="Phones are down",
            body="No dial tone since 9.",
            Message_ID="<phones-down@customer.example>",
        ),
    )
    await settle(gateway)
    n = newest_ticket(gateway)
    await expect(page.get_by_role("link", name=f"#{n}", exact=True)).to_be_visible(
        timeout=POLL_TIMEOUT_MS
    )
    await expect(page.locator("tr", has_text="Phones are down")).to_contain_text("due in")
    assert navigations == []  # it arrived by polling, not by a reload
    await page.get_by_role("link", name=f"#{n}", exact=True).click()
    await expect(page.locator("article.message.in pre.body")).to_contain_text(
        "No dial tone since 9."
    )
    await page.get_by_label("Reply to customer").fill("We are on it: a carrier fault.")
    await page.get_by_role("button", name="Send reply").click()
    await expect(page.locator("article.message.out", has_text="carrier fault")).to_be_visible()
    await expect(page.locator(".facts .due")).to_have_text("met")
    await settle(gateway)
    sent = [
        message_from_bytes(p.read_bytes(), policy=policy.default) for p in outgoing_mail(gateway)
    ]
    replies = [m for m in sent if "carrier fault" in m.get_body(("plain",)).get_content()]
    assert len(replies) == 1
    assert replies[0]["In-Reply-To"] == "<phones-down@customer.example>"
    assert "<phones-down@customer.example>" in replies[0]["References"]
    assert replies[0]["To"].addresses[0].addr_spec == "pat@example.com"


async def test_priority_change_with_reason(page: Any, gateway: Gateway) -> None:
    expect = await expect_ready(page)
    await send(gateway, mail())
    await settle(gateway)
    n = newest_ticket(gateway)
    await sign_in(page, email="lead@example.com")
    await page.goto(f"/tickets/{n}")
    before = query(gateway, "SELECT effective_priority FROM tickets")[0][0]
    target = "P1" if before != "P1" else "P2"
    await page.get_by_label("Priority").select_option(target)
    await page.get_by_label("Reason").fill("The whole office is down")
    await page.get_by_role("button", name="Change priority").click()
    await expect(page.locator(".facts .priority")).to_contain_text(target)
    await expect(page.locator(".timeline")).to_contain_text("The whole office is down")
    assert query(gateway, "SELECT effective_priority FROM tickets")[0][0] == target


async def test_agents_see_no_priority_control(page: Any, gateway: Gateway) -> None:
    expect = await expect_ready(page)
    await send(gateway, mail())
    await settle(gateway)
    n = newest_ticket(gateway)
    await sign_in(page)
    await page.goto(f"/tickets/{n}")
    await expect(page.get_by_label("Reply to customer")).to_be_visible()
    assert await page.get_by_role("button", name="Change priority").count() == 0


async def test_status_actions(page: Any, gateway: Gateway) -> None:
    expect = await expect_ready(page)
    await send(gateway, mail())
    await settle(gateway)
    n = newest_ticket(gateway)
    await sign_in(page)
    await page.goto(f"/tickets/{n}")
    await page.get_by_role("button", name="Assign to me").click()
    await expect(page.locator(".facts")).to_contain_text("agent@example.com")
    await page.get_by_role("button", name="Mark pending").click()
    await expect(page.locator(".facts")).to_contain_text("pending")
    await page.get_by_role("button", name="Resolve").click()
    await expect(page.locator(".facts")).to_contain_text("resolved")
    await page.get_by_role("button", name="Reopen").click()
    await expect(page.locator(".facts")).to_contain_text("open")
    await page.get_by_label("Internal note").fill("Called the carrier")
    await page.get_by_role("button", name="Add note").click()
    await expect(page.locator(".timeline")).to_contain_text("Called the carrier")
    kinds = [r[0] for r in query(gateway, "SELECT kind FROM events ORDER BY id")]
    assert "assigned" in kinds and "note" in kinds


async def test_phone_viewport_queue_is_usable(
    browser: Any, base_url: str, gateway: Gateway
) -> None:
    from playwright.async_api import expect

    await send(gateway, mail(subject="A rather long subject line about phones that will not ring"))
    await settle(gateway)
    n = newest_ticket(gateway)
    context = await browser.new_context(
        base_url=base_url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    try:
        page = await context.new_page()
        await sign_in(page)
        link = page.get_by_role("link", name=f"#{n}", exact=True)
        await expect(link).to_be_visible()
        await expect(page.locator(".queue .due").first).to_contain_text("due in")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the queue scrolls sideways on a phone ({width} px)"
        await link.click()
        await expect(page.get_by_role("button", name="Send reply")).to_be_visible()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the ticket scrolls sideways on a phone ({width} px)"
    finally:
        await context.close()
