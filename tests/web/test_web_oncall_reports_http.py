"""/oncall, /t/{n} and /reports over plain HTTP (no browser): what they show, who may see
them, CSRF on Acknowledge, and the CSV against `intake sla report --format csv`."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from typer.testing import CliRunner

from gateway.app import Gateway
from gateway.cli import app
from gateway.clock import ManualClock
from gateway.store import paging as paging_sql
from gateway.store.connection import Connection
from gateway.store.tickets import ticket_by_number

from ..gateway.gateway_harness import DefaultProposer, mail, make_settings, query, send, settle
from ..gateway.test_sla_clocks import TUESDAY, staff_reply
from ..voice.phone_harness import ALICE, BOB, DESK_NUMBER, Desk, sids, sign
from ..voice.twilio_account import ACCOUNT_SID
from .conftest import PASSWORD, add_staff
from .oncall_harness import PUBLIC_HTTP, add_account, outage, paging_desk

H = timedelta(hours=1)


def client() -> aiohttp.ClientSession:
    """A client that keeps cookies for 127.0.0.1 (aiohttp's jar refuses IP hosts by default)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


async def sign_in(session: aiohttp.ClientSession, base: str, email: str) -> str:
    """Sign in; the session's CSRF token."""
    async with session.get(f"{base}/login") as response:
        token = csrf_of(await response.text())
    async with session.post(
        f"{base}/login",
        data={"email": email, "password": PASSWORD, "csrf": token, "next": "/"},
        allow_redirects=False,
    ) as response:
        assert response.status == 303, await response.text()
    async with session.get(f"{base}/") as response:
        return csrf_of(await response.text())


def base_of(gw: Gateway) -> str:
    host, port = gw.http_address
    return f"http://{host}:{port}"


@pytest.fixture
async def desk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str | None
) -> AsyncIterator[Desk]:
    """The paging desk on each store backend (PostgreSQL where its server is installed)."""
    async with paging_desk(tmp_path, monkeypatch, store_url) as running:
        await add_account(running, "agent@example.com", "agent")
        await add_account(running, "alice@example.com", "agent", phone=ALICE)
        await add_account(running, "bob@example.com", "agent", phone=BOB)
        yield running


# -- /oncall ----------------------------------------------------------------------------------


def _rota_rows(html: str) -> list[tuple[str, str]]:
    """(on call, why) of each row of the 14-day table."""
    table = html.split('<table class="rota">', 1)[1].split("</table>", 1)[0]
    rows = []
    for row in re.findall(r"<tr class=[^>]*>(.*?)</tr>", table, re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        rows.append((cells[2].removesuffix(" now").strip(), cells[4]))
    return rows


async def test_oncall_shows_who_is_on_call_the_chain_and_14_days_of_the_rota(desk: Desk) -> None:
    base = base_of(desk.gw)
    async with client() as session:
        await sign_in(session, base, "agent@example.com")  # every role may see it
        async with session.get(f"{base}/oncall") as response:
            assert response.status == 200
            html = await response.text()
    now_section = html.split('id="now-heading"', 1)[1].split("</section>", 1)[0]
    assert "<strong>Alice Example</strong>" in now_section
    assert 'href="tel:+12025550101"' in now_section  # staff page: the full number, to call
    assert "Mon 23 Nov 09:00 EST" in now_section  # her shift ends at the Monday hand-off
    chain = re.findall(r"<strong>([^<]+)</strong> <span class=\"oncall-target\">\(([^)]+)\)", html)
    assert chain == [
        ("Alice Example", "primary"),
        ("Bob Example", "secondary"),
        ("Dana Manager", "fallback"),
    ]
    assert "after 15 min" in now_section  # the fallback is paged 10 + 5 minutes in
    # Saturday 21 Nov 03:00 to Saturday 5 Dec: the schedule's own shifts, overrides cutting in.
    assert _rota_rows(html) == [
        ("Alice Example", "rotation"),
        ("Bob Example", "rotation"),
        ("Carol Example", "override: Thanksgiving swap"),
        ("Bob Example", "rotation"),
        ("Carol Example", "rotation"),
    ]
    assert "Thu 26 Nov 18:00 EST" in html and "Mon 30 Nov 09:00 EST" in html
    assert "No pages are running" in html

    # During the override, "now" is carol's, with its reason.
    desk.clock.set(datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
    async with client() as session:
        await sign_in(session, base, "agent@example.com")
        async with session.get(f"{base}/oncall") as response:
            html = await response.text()
    now_section = html.split('id="now-heading"', 1)[1].split("</section>", 1)[0]
    assert "<strong>Carol Example</strong>" in now_section
    assert "until <time" in now_section and "Sat 28 Nov 09:00 EST" in now_section
    assert "override: Thanksgiving swap" in now_section


async def test_acknowledge_stops_the_chain_like_an_sms_reply(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    number = await outage(desk)
    assert len(desk.sent_to(ALICE)) == 1
    base = base_of(desk.gw)
    async with client() as session:
        token = await sign_in(session, base, "agent@example.com")
        async with session.get(f"{base}/oncall") as response:
            html = await response.text()
        article = html.split(f'id="chain-{number}"', 1)[1].split("</article>", 1)[0]
        assert f'href="/tickets/{number}"' in article and "Complete outage" in article
        assert "Step 1 of 3." in article
        assert "Next: <strong>Bob Example</strong>" in article and "(in 10 min)" in article
        assert "Page 1: Alice Example · sent" in article
        action = f"{base}/oncall/{number}/acknowledge"

        # Without the session's CSRF token: refused, nothing changes.
        for form in ({}, {"csrf": "forged"}):
            async with session.post(action, data=form, allow_redirects=False) as response:
                assert response.status == 403
        assert desk.query("SELECT state FROM page_chains")[0]["state"] == "active"

        async with session.post(action, data={"csrf": token}, allow_redirects=False) as response:
            assert response.status == 303
            assert response.headers["Location"] == f"/oncall#chain-{number}"
        async with session.get(f"{base}/oncall") as response:
            html = await response.text()
    article = html.split(f'id="chain-{number}"', 1)[1].split("</article>", 1)[0]
    assert "Acknowledged by <strong>Agent</strong>" in article
    assert "Acknowledge</button>" not in article

    (chain,) = desk.query("SELECT * FROM page_chains")
    assert (chain["state"], chain["acked_by"]) == ("acknowledged", "web:agent@example.com")
    (event,) = desk.events("page-acknowledged")
    detail = json.loads(event["detail"])
    assert (detail["via"], detail["actor"], detail["name"]) == (
        "web",
        "web:agent@example.com",
        "Agent",
    )
    (hook,) = [
        json.loads(json.loads(row["payload"])["body"])
        for row in desk.query("SELECT payload FROM outbox WHERE purpose = 'webhook'")
        if json.loads(row["payload"])["event"] == "page.acknowledged"
    ]
    assert hook["data"]["staff"] == {"id": None, "name": "Agent", "email": "agent@example.com"}
    assert hook["data"]["via"] == "web" and hook["data"]["ticket"]["number"] == number

    lines = [r.getMessage() for r in caplog.records if r.name.startswith("voice")]
    assert f"ticket {number}: page acknowledged by a staff account (web)" in lines
    assert "agent@example.com" not in "\n".join(r.getMessage() for r in caplog.records)

    # The chain stopped: an hour later nobody else was paged.
    desk.clock.advance(H)
    await desk.settle()
    assert desk.sent_to(BOB) == [] and len(desk.sent_to(ALICE)) == 1


async def test_an_account_with_a_rota_phone_acknowledges_as_that_person(desk: Desk) -> None:
    number = await outage(desk)
    base = base_of(desk.gw)
    async with client() as alice, client() as bob:
        token = await sign_in(alice, base, "alice@example.com")
        async with alice.post(
            f"{base}/oncall/{number}/acknowledge", data={"csrf": token}, allow_redirects=False
        ) as response:
            assert response.status == 303
        async with alice.post(  # twice (a double tap): still fine
            f"{base}/oncall/{number}/acknowledge", data={"csrf": token}, allow_redirects=False
        ) as response:
            assert response.status == 303
        token = await sign_in(bob, base, "bob@example.com")
        async with bob.post(
            f"{base}/oncall/{number}/acknowledge", data={"csrf": token}
        ) as response:
            assert response.status == 409
            assert "already acknowledged by Alice Example" in await response.text()
        async with bob.post(f"{base}/oncall/99999/acknowledge", data={"csrf": token}) as response:
            assert response.status == 409
            assert "has not been paged" in await response.text()
    (chain,) = desk.query("SELECT * FROM page_chains")
    assert chain["acked_by"] == "alice"  # as if she had replied "1001 A"
    assert len(desk.events("page-acknowledged")) == 1


async def test_the_page_sms_link_leads_to_the_ticket_through_sign_in(desk: Desk) -> None:
    number = await outage(desk)
    (page,) = desk.sent_to(ALICE)
    assert f"{PUBLIC_HTTP}/t/{number} " in page
    base = base_of(desk.gw)
    async with client() as session:
        async with session.get(f"{base}/t/{number}", allow_redirects=False) as response:
            assert response.status == 303
            assert response.headers["Location"] == f"/tickets/{number}"
        async with session.get(f"{base}/t/{number}") as response:
            assert response.url.path == "/login"
            assert response.url.query["next"] == f"/tickets/{number}"
            token = csrf_of(await response.text())
        async with session.post(
            f"{base}/login",
            data={
                "email": "agent@example.com",
                "password": PASSWORD,
                "csrf": token,
                "next": f"/tickets/{number}",
            },
        ) as response:
            assert response.status == 200 and response.url.path == f"/tickets/{number}"
            assert "Complete outage at site 1" in await response.text()


async def test_without_a_rota_the_page_says_so(tmp_path: Path) -> None:
    gw = Gateway(
        make_settings(tmp_path, desks=[{"address": "support@localhost", "policy": "threepbx"}]),
        clock=ManualClock(TUESDAY),
        proposer=DefaultProposer(),
        workers=False,
    )
    await gw.start()
    try:
        await add_staff(gw, "agent@example.com")
        async with client() as session:
            token = await sign_in(session, base_of(gw), "agent@example.com")
            async with session.get(f"{base_of(gw)}/oncall") as response:
                assert response.status == 200
                assert "No on-call rota is configured" in await response.text()
            async with session.post(
                f"{base_of(gw)}/oncall/1001/acknowledge", data={"csrf": token}
            ) as response:
                assert response.status == 404
    finally:
        await gw.stop()


# -- /reports ---------------------------------------------------------------------------------


@pytest.fixture
async def reporting(tmp_path: Path) -> AsyncIterator[Gateway]:
    """Four ThreePBX tickets on Tuesday 2026-06-02 (as tests/gateway/test_sla_report.py):
    P4 answered in 2 h, P4 in 10 h (late), P4 unanswered, P3 answered in 1 h."""
    clock = ManualClock(TUESDAY)
    gw = Gateway(make_settings(tmp_path), clock=clock, proposer=DefaultProposer(), workers=False)
    await gw.start()
    try:
        for n, headers in enumerate(({}, {}, {}, {"X_Priority": "3"})):
            await send(gw, mail(sender=f"c{n}@example.com", **headers), sender=f"c{n}@example.com")
        await settle(gw)
        for customer, after in (("c3", H), ("c0", 2 * H), ("c1", 10 * H)):
            ((number,),) = query(
                gw, "SELECT number FROM tickets WHERE customer = ?", f"{customer}@example.com"
            )
            clock.set(TUESDAY + after)

            async def op(db: Connection, number: int = number) -> None:
                ticket = await ticket_by_number(db, number)
                assert ticket is not None
                await staff_reply(gw, db, ticket, clock.now())

            await gw.store.write(op)
        await add_staff(gw, "agent@example.com", "agent")
        await add_staff(gw, "lead@example.com", "lead")
        yield gw
    finally:
        await gw.stop()


async def test_reports_are_for_leads_and_admins(reporting: Gateway) -> None:
    base = base_of(reporting)
    async with client() as session:
        await sign_in(session, base, "agent@example.com")
        async with session.get(f"{base}/") as response:
            assert 'href="/reports"' not in await response.text()
        for path in ("/reports", "/reports.csv"):
            async with session.get(f"{base}{path}") as response:
                assert response.status == 403
                assert "Reports need the lead role; you are agent." in await response.text()
    async with client() as session:
        async with session.get(f"{base}/reports.csv", allow_redirects=False) as response:
            assert response.status == 303  # not signed in: to sign-in first
        await sign_in(session, base, "lead@example.com")
        async with session.get(f"{base}/") as response:
            assert 'href="/reports"' in await response.text()


async def test_reports_show_the_period_as_a_table_and_a_chart(reporting: Gateway) -> None:
    base = base_of(reporting)
    async with client() as session:
        await sign_in(session, base, "lead@example.com")
        # Without dates: this month so far, in the desk's zone (20:00 New York, 2 June; it is
        # 3 June in UTC).
        async with session.get(f"{base}/reports") as response:
            assert response.status == 200
            html = await response.text()
        assert 'name="since" value="2026-06-01"' in html
        assert 'name="until" value="2026-06-02"' in html
        assert "America/New_York" in html
        assert 'href="/reports.csv?since=2026-06-01&amp;until=2026-06-02"' in html
        row = re.search(r">threepbx</td>[^\n]*>P4</td>[^\n]*>respond</td>(.*?)</tr>", html, re.S)
        assert row is not None
        numbers = re.findall(r'<td class="num"[^>]*>([^<]*)</td>', row.group(1))
        assert numbers[:5] == ["3", "1", "2", "0", "33.3 %"]
        assert '<svg viewBox="0 0 360' in html and 'role="img"' in html
        assert "<title>threepbx · P4 · respond: 33.3 % met (1 met, 2 breached, 0 open)</title>" in (
            html
        )
        assert 'width="96.6"' in html  # 33.3 % of the 290-unit scale

        async with session.get(f"{base}/reports?since=2026-07-01&until=2026-07-31") as response:
            assert "No SLA clocks started in this period." in await response.text()
        for query_string, message in (
            ("since=2026-06-05&until=2026-06-01", "From (2026-06-05) must not be after To"),
            ("since=yesterday", "From: &#39;yesterday&#39; is not a date (YYYY-MM-DD)."),
            ("policy=nope", "No policy &#39;nope&#39; (known: threepbx)."),
        ):
            async with session.get(f"{base}/reports?{query_string}") as response:
                assert response.status == 400
                assert message in await response.text()


async def test_the_csv_is_the_command_lines_csv(reporting: Gateway) -> None:
    # The command line reads the real time: so does the page, for the same "now".
    assert isinstance(reporting.clock, ManualClock)
    reporting.clock.set(datetime.now(UTC))
    base = base_of(reporting)
    async with client() as session:
        await sign_in(session, base, "lead@example.com")
        url = f"{base}/reports.csv?since=2026-06-01&until=2026-06-30&policy=threepbx"
        async with session.get(url) as response:
            assert response.status == 200
            assert response.content_type == "text/csv"
            assert response.headers["Content-Disposition"] == (
                'attachment; filename="sla-report-2026-06-01-to-2026-06-30-threepbx.csv"'
            )
            body = await response.text()
    result = await asyncio.to_thread(
        CliRunner().invoke,
        app,
        [
            "sla",
            "report",
            "--data-dir",
            str(reporting.settings.data_dir),
            "--since",
            "2026-06-01T00:00:00-04:00",  # midnight in New York, the desk's zone
            "--until",
            "2026-07-01T00:00:00-04:00",
            "--policy",
            "threepbx",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    assert body == result.stdout
    assert body.splitlines()[0].startswith("policy,priority,clock,count,met,breached,open")
    assert "threepbx,P4,respond,3,1,2,0,33.3," in body


async def test_a_chain_nobody_answered_stays_on_the_page_to_be_taken(desk: Desk) -> None:
    first = await outage(desk, 1)
    for _ in range(4):  # alice, bob, then dana (the fallback): 10 + 5 + 5 minutes, then over
        desk.clock.advance(timedelta(minutes=11))
        await desk.settle()
    assert desk.query("SELECT state FROM page_chains")[0]["state"] == "exhausted"
    second = await outage(desk, 2)  # newer, still running
    base = base_of(desk.gw)
    async with client() as session:
        token = await sign_in(session, base, "agent@example.com")
        async with session.get(f"{base}/oncall") as response:
            html = await response.text()
        article = html.split(f'id="chain-{first}"', 1)[1].split("</article>", 1)[0]
        assert "Nobody acknowledged" in article and "Acknowledge</button>" in article
        assert html.index(f'id="chain-{second}"') < html.index(f'id="chain-{first}"')
        async with session.post(
            f"{base}/oncall/{first}/acknowledge", data={"csrf": token}, allow_redirects=False
        ) as response:
            assert response.status == 303
        async with session.get(f"{base}/oncall") as response:
            html = await response.text()
    # Taken: listed after the chain that still needs someone.
    assert html.index(f'id="chain-{second}"') < html.index(f'id="chain-{first}"')
    states = dict(
        desk.query(
            "SELECT t.number, c.state FROM page_chains c JOIN tickets t ON t.id = c.ticket_id"
        )
    )
    assert states == {first: "acknowledged", second: "active"}


async def test_the_pages_refresh_themselves(desk: Desk) -> None:
    base = base_of(desk.gw)
    async with client() as session:
        async with session.get(f"{base}/oncall/pages", allow_redirects=False) as response:
            assert response.status == 401  # a fragment: never the sign-in page swapped in
        await sign_in(session, base, "agent@example.com")
        async with session.get(f"{base}/oncall") as response:
            html = await response.text()
        assert 'hx-get="/oncall/pages" hx-trigger="every 10s"' in html
        number = await outage(desk)  # a page starts while the page is open
        async with session.get(f"{base}/oncall/pages") as response:
            assert response.status == 200
            fragment = await response.text()
    assert fragment.lstrip().startswith('<div id="chains"')
    assert f'id="chain-{number}"' in fragment and "<html" not in fragment


async def test_an_sms_after_a_workspace_acknowledgement_names_who_took_it(desk: Desk) -> None:
    number = await outage(desk)
    base = base_of(desk.gw)
    async with client() as session:
        token = await sign_in(session, base, "agent@example.com")
        async with session.post(
            f"{base}/oncall/{number}/acknowledge", data={"csrf": token}, allow_redirects=False
        ) as response:
            assert response.status == 303
    form = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "MessageSid": sids("SM", 1),
        "SmsSid": sids("SM", 1),
        "From": ALICE,
        "To": DESK_NUMBER,
        "Body": f"{number} A",
        "NumMedia": "0",
    }
    signature = sign(PUBLIC_HTTP + "/sms/inbound", form)
    status, reply = await desk.phone.post("/sms/inbound", form, signature=signature)
    assert status == 200
    assert f"ticket {number} was already acknowledged by Agent (web)" in reply
    assert len(desk.events("page-acknowledged")) == 1


async def test_two_acknowledging_at_once_the_second_hears_who_was_first(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = await outage(desk)
    stale = await desk.gw.store.read(lambda db: paging_sql.chain_for_ticket_number(db, number))
    assert stale is not None and stale.state == "active"
    base = base_of(desk.gw)
    async with client() as alice, client() as bob:
        alice_token = await sign_in(alice, base, "alice@example.com")
        bob_token = await sign_in(bob, base, "bob@example.com")
        async with alice.post(
            f"{base}/oncall/{number}/acknowledge", data={"csrf": alice_token}
        ) as response:
            assert response.status == 200

        # Bob's request read the chain before Alice's committed: it still looks active to him.
        async def as_read_before(db: Any, wanted: int) -> Any:
            return stale

        monkeypatch.setattr(paging_sql, "chain_for_ticket_number", as_read_before)
        async with bob.post(
            f"{base}/oncall/{number}/acknowledge", data={"csrf": bob_token}
        ) as response:
            assert response.status == 409
            assert "already acknowledged by Alice Example" in await response.text()
    (chain,) = desk.query("SELECT * FROM page_chains")
    assert chain["acked_by"] == "alice"
    assert len(desk.events("page-acknowledged")) == 1
