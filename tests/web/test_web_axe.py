"""axe-core (vendored in tests/web/vendor/) on every page of the workspace, in Chromium.

The pages are not listed here: every GET route of the gateway's HTTP app whose handler lives
in `gateway.web` is visited, its path parameters filled from a seeded store, so a page added
later is audited without touching this file (a parameter it cannot fill fails the test and
names itself). Each page is audited signed out (the sign-in page), with an empty queue and
with tickets in several states, on a 1280 px screen and on a 390 × 844 phone. Any `serious` or
`critical` violation fails the test, printed with the elements it names.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock

from ..gateway.gateway_harness import mail, query, send, settle
from ..voice.fake_twilio import FakeTwilio
from ..voice.phone_harness import ALICE, BOB, DANA, NIGHT, running_desk, sids
from ..voice.twilio_account import ACCOUNT_SID, AUTH_TOKEN
from .conftest import add_staff, sign_in

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")
PNG = base64.b64decode(  # 1 x 1, for an inline (cid:) image
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True},
}
PARAMETER = re.compile(r"\{(\w+)(?::([^}]*))?\}")
pytestmark = pytest.mark.timeout(600)  # a dozen axe runs in a browser on a shared machine


def test_vendored_axe_matches_its_record() -> None:
    record = (AXE.parent / "VENDORED.md").read_text()
    digest = hashlib.sha256(AXE.read_bytes()).hexdigest()
    assert f"`{digest}`" in record


def workspace_routes(gw: Gateway) -> list[str]:
    """The pattern of every GET route whose handler lives in `gateway.web` (static files aside)."""
    patterns = []
    for route in gw.http_app.router.routes():
        module = getattr(route.handler, "__module__", "")
        if route.method == "GET" and module.startswith("gateway.web") and route.resource:
            patterns.append(route.resource.canonical)
    return sorted(set(patterns))


def route_regex(pattern: str) -> re.Pattern[str]:
    parts, last = [], 0
    for m in PARAMETER.finditer(pattern):
        parts += [re.escape(pattern[last : m.start()]), f"(?:{m.group(2) or '[^/]+'})"]
        last = m.end()
    return re.compile("".join([*parts, re.escape(pattern[last:])]))


def fill(pattern: str, values: dict[str, list[str]], links: set[str]) -> list[str]:
    """`pattern` with its parameters filled: a page per value when its one parameter has
    values, else the links the audited pages showed that match it."""
    names = [m.group(1) for m in PARAMETER.finditer(pattern)]
    if not names:
        return [pattern]
    if len(names) == 1 and names[0] in values:
        return [PARAMETER.sub(value, pattern) for value in values[names[0]]]
    regex = route_regex(pattern)
    return sorted(link for link in links if regex.fullmatch(link.split("?")[0]))


async def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (the script is injected, never served)."""
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return list(result["violations"])


def readable(path: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{path}:"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            target = " ".join(str(t) for t in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"      {target}\n        {node['html'][:160]}\n        {summary}")
        if len(v["nodes"]) > 5:
            lines.append(f"      ... and {len(v['nodes']) - 5} more elements")
    return "\n".join(lines)


class Auditor:
    """One browser context (a viewport, CSP bypassed so the vendored axe can be injected)."""

    def __init__(self, page: Any, label: str) -> None:
        self.page = page
        self.label = label
        self.audited: list[str] = []
        self.skipped: list[str] = []
        self.failures: list[str] = []
        self.notes: list[str] = []
        self.links: set[str] = set()  # same-site links and images the audited pages show

    async def audit(self, path: str, *, label: str = "") -> None:
        page = self.page
        # A cheap look first: a CSV download or an htmx fragment is not a page to audit.
        response = await page.request.get(path)
        body = await response.text()
        kind = response.headers.get("content-type", "")
        if not kind.startswith("text/html") or "<html" not in body[:500].lower():
            self.skipped.append(f"{path} ({response.status} {kind.split(';')[0]}, not a page)")
            return
        await page.goto(path)
        self.links.update(
            await page.evaluate(
                """() => [...document.querySelectorAll("a[href], img[src]")]
                    .map(e => new URL(e.href || e.src, location.href))
                    .filter(u => u.origin === location.origin)
                    .map(u => u.pathname + u.search)"""
            )
        )
        violations = await run_axe(page)
        name = f"{self.label} {path}{f' ({label})' if label else ''}"
        self.audited.append(name)
        bad = [v for v in violations if v["impact"] in BLOCKING]
        if bad:
            self.failures.append(readable(name, bad))
        if minor := [v for v in violations if v["impact"] not in BLOCKING]:
            self.notes.append(readable(name, minor))

    def verdict(self) -> None:
        print(f"axe audited {len(self.audited)} pages:", *self.audited, sep="\n  ")
        if self.skipped:
            print("not pages (not audited):", *self.skipped, sep="\n  ")
        if self.notes:
            print("moderate or minor (worth fixing, not failing):", *self.notes, sep="\n")
        assert not self.failures, "serious or critical accessibility violations:\n" + "\n".join(
            self.failures
        )


async def test_the_audit_sees_a_violation(browser: Any, base_url: str) -> None:
    """The audit is not a formality: an unlabelled field and faint text on our page are caught."""
    context = await browser.new_context(base_url=base_url, bypass_csp=True)
    try:
        page = await context.new_page()
        await page.goto("/login")
        await page.evaluate(
            """() => {
                const form = document.querySelector("form.login");
                form.insertAdjacentHTML("beforeend",
                    '<input name="unlabelled"><p style="color:#bbb">faint text</p>');
            }"""
        )
        found = {v["id"]: v["impact"] for v in await run_axe(page)}
        assert found.get("label") in BLOCKING and found.get("color-contrast") in BLOCKING, found
    finally:
        await context.close()


async def seed_tickets(gw: Gateway, clock: ManualClock, act: Callable[..., Any]) -> list[int]:
    """Tickets in the states a page can show: answered, noted, re-prioritised, breached, hostile."""
    await send(gw, mail(subject="Phones are down", Message_ID="<down@customer.example>"))
    await settle(gw)
    clock.advance(timedelta(days=3))  # the first is now far past its deadline
    hostile = EmailMessage()
    hostile["From"] = "Mallory <mallory@example.com>"
    hostile["To"] = "support@localhost"
    hostile["Subject"] = '<img src=x onerror="alert(1)"> urgent'
    hostile.set_content('Look: <script>alert("x")</script>\n\n> quoted history\n> more')
    hostile.add_alternative(
        '<p>Look</p><script>alert(\'x\')</script><img src="cid:shot@example" alt="screen">'
        '<img src="http://tracker.example/p.png"><blockquote>quoted history</blockquote>',
        subtype="html",
    )
    hostile.get_payload()[1].add_related(PNG, "image", "png", cid="<shot@example>")
    await send(gw, hostile, sender="mallory@example.com")
    with_attachment = mail(
        subject="Voicemail box full on the reception phone",
        body="The reception voicemail says the mailbox is full.\n\nThanks,\nKim",
        sender="Kim Office <kim@office.example>",
    )
    with_attachment.add_attachment(
        b"%PDF-1.4 not really", maintype="application", subtype="pdf", filename="bill.pdf"
    )
    await send(gw, with_attachment, sender="kim@office.example")
    await settle(gw)
    numbers = [int(r[0]) for r in query(gw, "SELECT number FROM tickets ORDER BY number")]
    # Ten minutes before the second's deadline: it is at risk (amber), the first breached (red).
    (due,) = query(gw, "SELECT due_at FROM tickets WHERE number = ?", numbers[1])[0]
    clock.set(datetime.fromisoformat(due) - timedelta(minutes=10))
    await act(numbers[-1])
    await settle(gw)
    return numbers


async def audit_every_page(auditor: Auditor, gw: Gateway, *, every_route: bool = True) -> None:
    """Every workspace page: one per ticket for a ticket's page (and its HTML view); a route
    with other parameters (an attachment, an inline image) through the links the pages show.
    A route nothing fills fails the test and names itself (unless not `every_route`: a store
    seeded for one channel has no attachment to link to)."""
    numbers = [str(r[0]) for r in query(gw, "SELECT number FROM tickets ORDER BY number")]
    values = {"number": numbers}
    patterns = workspace_routes(gw)
    assert "/" in patterns and "/tickets/{number}" in patterns, patterns
    first = [p for p in patterns if all(n in values for n, _ in PARAMETER.findall(p))]
    for pattern in first:
        for path in fill(pattern, values, set()):
            await auditor.audit(path)
    for number in numbers:
        await auditor.audit(f"/tickets/{number}?view=html", label="HTML view")
    for pattern in (p for p in patterns if p not in first):
        paths = fill(pattern, values, auditor.links)
        assert paths or not every_route, f"{pattern}: no page links to it; seed what it shows"
        for path in paths:
            await auditor.audit(path)


async def new_context(browser: Any, base_url: str, viewport: str) -> Any:
    context = await browser.new_context(base_url=base_url, bypass_csp=True, **VIEWPORTS[viewport])
    # The queue re-reads its rows every few seconds; a swap in the middle of an audit would
    # audit half a page. The rows are in the page as served, so the refresh is left out.
    await context.route(re.compile(r"/queue/rows"), lambda route: route.abort())
    return context


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
async def test_every_workspace_page_has_no_serious_violations(
    browser: Any, base_url: str, gateway: Gateway, clock: ManualClock, viewport: str
) -> None:
    context = await new_context(browser, base_url, viewport)
    try:
        page = await context.new_page()
        auditor = Auditor(page, viewport)
        await auditor.audit("/login", label="signed out")
        await sign_in(page, email="lead@example.com")
        await page.wait_for_url(re.compile(r"/$"))
        await auditor.audit("/", label="empty queue")

        async def act(number: int) -> None:
            """A reply, a note and a priority change, through the pages themselves."""
            await sign_in(page, email="lead@example.com")  # the clock moved past the session
            await page.wait_for_url(re.compile(r"/$"))
            await page.goto(f"/tickets/{number}")
            await page.get_by_label("Reply to customer").fill("We are on it.")
            await page.get_by_role("button", name="Send reply").click()
            await page.wait_for_url(re.compile(rf"/tickets/{number}$"))
            await page.get_by_label("Internal note").fill("Called the carrier.")
            await page.get_by_role("button", name="Add note").click()
            await page.wait_for_url(re.compile(rf"/tickets/{number}$"))
            await page.get_by_label("Priority").select_option("P2")  # still met in time
            await page.get_by_label("Reason").fill("The whole office is affected")
            await page.get_by_role("button", name="Change priority").click()
            await page.wait_for_url(re.compile(rf"/tickets/{number}$"))

        await seed_tickets(gateway, clock, act)
        await page.goto("/")
        for risk in ("breached", "at-risk", "met"):  # every colour a deadline can have
            assert await page.locator(f"tr.risk-{risk}").count() == 1, risk
        await audit_every_page(auditor, gateway)
        await auditor.audit("/?status=any&q=phone", label="filtered")
        await auditor.audit("/tickets/999999", label="no such ticket")
        auditor.verdict()
    finally:
        await context.close()


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
async def test_phone_desk_pages_have_no_serious_violations(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, viewport: str
) -> None:
    """The phone channel's content: a voicemail with its transcript and recording, an SMS,
    and the night page it set off (an active chain), on a desk with an on-call rotation."""
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    oncall = {
        "timezone": "America/New_York",
        "staff": [
            {"id": "alice", "name": "Alice Example", "phone": ALICE},
            {"id": "bob", "name": "Bob Example", "phone": BOB},
            {"id": "dana", "name": "Dana Manager", "phone": DANA},
        ],
        "rotation": {
            "kind": "weekly",
            "handoff": "09:00",
            "handoff_day": "mon",
            "start": "2026-01-05",
            "order": ["alice", "bob"],
        },
        # An override within the page's 14 days, so the rotation shows one.
        "override": [{"staff": "dana", "start": "2026-11-26T18:00", "end": "2026-11-27T09:00"}],
        "escalation": {
            "repeat": 1,
            "fallback": "dana",
            "step": [
                {"target": "primary", "delay": "10m"},
                {"target": "secondary", "delay": "5m"},
            ],
        },
    }
    async with (
        FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake,
        running_desk(tmp_path, oncall, fake, clock=ManualClock(NIGHT)) as desk,
    ):
        await add_staff(desk.gw, "lead@example.com", "lead")
        await desk.voicemail(1)
        assert (await desk.phone.text("+12025550177", "Fax line down too", sids("SM", 1)))[0] == 200
        await desk.settle()
        assert desk.query("SELECT COUNT(*) FROM page_chains WHERE state = 'active'")[0][0] == 1
        host, port = desk.gw.http_address
        context = await new_context(browser, f"http://{host}:{port}", viewport)
        try:
            page = await context.new_page()
            auditor = Auditor(page, viewport)
            await sign_in(page, email="lead@example.com")
            await page.wait_for_url(re.compile(r"/$"))
            await audit_every_page(auditor, desk.gw, every_route=False)
            auditor.verdict()
        finally:
            await context.close()
