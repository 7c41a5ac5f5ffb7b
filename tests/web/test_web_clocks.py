"""The workspace's SLA clocks: the queue counts down to each ticket's next due clock and filters
by desk, at risk and breached (URL parameters that survive a reload); the ticket page shows
every clock, due in the policy's zone and as a UTC instant for the viewer's zone. The clocks
are gateway/sla/views.py's, the ones the API shows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.sla.views import ClockView, TicketClocks
from gateway.web import workspace
from gateway.web.deadlines import deadline

from ..gateway.gateway_harness import mail, query, send, settle
from .conftest import PASSWORD
from .test_web_http import _csrf

H = timedelta(hours=1)
# Tuesday 2026-06-02 14:00 UTC = 10:00 in New York, inside ThreePBX's 08:00-19:00 hours.
TUESDAY = datetime(2026, 6, 2, 14, 0, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")


def _clock(name: str = "respond", **fields: object) -> ClockView:
    values: dict[str, object] = {
        "name": name,
        "cycle": 0,
        "priority": "P3",
        "target": "4 hours",
        "business": False,
        "started_at": TUESDAY,
        "due_at": TUESDAY + 4 * H,
        "state": "pending",
        "met_at": None,
        "breached_at": None,
        "remaining": 4 * H,
        "paused": timedelta(),
        "at_risk": False,
        "zone": UTC_ZONE,
    }
    values.update(fields)
    return ClockView(**values)  # type: ignore[arg-type]


def test_the_countdown_is_the_next_running_clock() -> None:
    respond = _clock(remaining=timedelta(minutes=42), at_risk=True)
    resolve = _clock("resolve", due_at=TUESDAY + 8 * H, remaining=8 * H)
    line = deadline(TicketClocks((resolve, respond)))
    assert (line.text, line.risk, line.due_at) == (
        "respond due in 42 min",
        "at-risk",
        respond.due_at,
    )
    met = _clock(state="met", met_at=TUESDAY + H, remaining=None)
    line = deadline(TicketClocks((met, resolve)))
    assert (line.text, line.risk) == ("resolve due in 8 h 0 min", "ok")
    late = _clock("resolve", state="breached", remaining=-(3 * H + timedelta(minutes=10)))
    assert deadline(TicketClocks((met, late))).text == "resolve 3 h 10 min overdue"
    ongoing = _clock("ongoing", cycle=2, state="paused", remaining=2 * 24 * H + H)
    line = deadline(TicketClocks((ongoing,)))
    assert (line.text, line.risk) == ("ongoing #2 paused, 2 d 1 h left", "paused")
    met_late = _clock(state="breached", met_at=TUESDAY + 5 * H, remaining=None)
    assert deadline(TicketClocks((met, met_late))) == deadline(TicketClocks((met_late,)))
    assert (deadline(TicketClocks((met_late,))).text, deadline(TicketClocks((met,))).risk) == (
        "met late",
        "met",
    )
    assert deadline(TicketClocks(())).risk == "none"


def client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def _signed_in(session: aiohttp.ClientSession, base: str) -> None:
    async with session.get(f"{base}/login") as response:
        found = re.search(r'name="csrf" value="([^"]+)"', await response.text())
    assert found is not None
    async with session.post(
        f"{base}/login",
        data={"email": "agent@example.com", "password": PASSWORD, "csrf": found[1], "next": "/"},
        allow_redirects=False,
    ) as response:
        assert response.status == 303


async def _mailed(gateway: Gateway, customer: str, **headers: str) -> int:
    await send(gateway, mail(sender=customer, **headers), sender=customer)
    await settle(gateway)
    ((number,),) = query(gateway, "SELECT number FROM tickets WHERE customer = ?", customer)
    return int(number)


def _queue_numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/tickets/(\d+)">', html)]


async def _page(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with session.get(url) as response:
        return response.status, await response.text()


async def test_queue_countdown_and_sla_and_desk_filters(
    base_url: str, gateway: Gateway, clock: ManualClock
) -> None:
    clock.set(TUESDAY)
    p4 = await _mailed(gateway, "p4@example.com")  # respond 8 hours
    p3 = await _mailed(gateway, "p3@example.com", X_Priority="3")  # respond 4 hours
    async with client() as session:
        await _signed_in(session, base_url)
        status, html = await _page(session, f"{base_url}/")
        assert status == 200
        assert _queue_numbers(html) == [p3, p4]  # the soonest due first
        assert "respond due in 4 h 0 min" in html and "respond due in 8 h 0 min" in html

        clock.set(TUESDAY + 3.5 * H)  # past 75% of the P3's respond clock only
        status, html = await _page(session, f"{base_url}/?sla=at-risk")
        assert _queue_numbers(html) == [p3]
        assert '<option value="at-risk" selected>' in html  # the filter survives a reload
        assert 'hx-get="/queue/rows?sla=at-risk"' in html  # and the refresh keeps it
        status, html = await _page(session, f"{base_url}/queue/rows?sla=breached")
        assert _queue_numbers(html) == []

        clock.set(TUESDAY + 5 * H)
        status, html = await _page(session, f"{base_url}/?sla=breached")
        assert _queue_numbers(html) == [p3]
        assert "respond 1 h 0 min overdue" in html
        assert "risk-breached" in html

        status, html = await _page(session, f"{base_url}/?desk=support%40localhost&sla=breached")
        assert _queue_numbers(html) == [p3]
        assert '<option value="support@localhost" selected>' in html
        status, html = await _page(session, f"{base_url}/?desk=nobody%40example.com")
        assert status == 400 and "No desk" in html
        status, html = await _page(session, f"{base_url}/?sla=soon")
        assert status == 400 and "No SLA filter" in html


async def test_the_ticket_page_shows_every_clock(
    base_url: str, gateway: Gateway, clock: ManualClock
) -> None:
    clock.set(TUESDAY)
    p3 = await _mailed(gateway, "p3@example.com", X_Priority="3")
    clock.set(TUESDAY + H)
    async with client() as session:
        await _signed_in(session, base_url)
        status, html = await _page(session, f"{base_url}/tickets/{p3}")
    assert status == 200
    section = html[html.index('<section class="clocks"') :]
    section = section[: section.index("</section>")]
    rows = re.findall(r'<li class="clock risk-(\w[\w-]*)">(.*?)</li>', section, re.S)
    assert [risk for risk, _ in rows] == ["ok", "ok"]
    respond, resolve = (text for _, text in rows)
    assert "respond" in respond and "(4 hours)" in respond and "pending" in respond
    # Due in the policy's zone (New York), and the instant in UTC for the viewer's zone.
    assert "Tue 02 Jun 2026 14:00 EDT" in respond
    assert '<time datetime="2026-06-02T18:00:00Z" class="viewer-zone">' in respond
    assert "due in 3 h 0 min" in respond
    assert "resolve" in resolve and "(8 business hours)" in resolve
    assert '<time datetime="2026-06-02T22:00:00Z" class="viewer-zone">' in resolve
    assert "(your time: <time" in respond and "Tue 02 Jun 2026 18:00 UTC</time>" in respond


async def test_a_queue_longer_than_the_page_picks_the_next_clock_of_any_kind(
    base_url: str, gateway: Gateway, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An answered P3 still has its resolve clock running (8 business hours); a P4 that arrives
    # two days later waits for its first response. The answered ticket's clock falls due
    # first, so a page of one row shows it, not the unanswered newcomer.
    monkeypatch.setattr(workspace, "QUEUE_CAP", 1)
    clock.set(TUESDAY)
    answered = await _mailed(gateway, "p3@example.com", X_Priority="3")
    async with client() as session:
        await _signed_in(session, base_url)
        status, html = await _page(session, f"{base_url}/tickets/{answered}")
        async with session.post(
            f"{base_url}/tickets/{answered}/reply",
            data={"csrf": _csrf(html), "body": "Looking at it now."},
            allow_redirects=False,
        ) as response:
            assert response.status == 303
        clock.set(TUESDAY + 48 * H)
        waiting = await _mailed(gateway, "p4@example.com")
        await _signed_in(session, base_url)  # the first session expired meanwhile
        status, html = await _page(session, f"{base_url}/")
    assert status == 200 and "resolve" in html
    assert _queue_numbers(html) == [answered], (answered, waiting)
