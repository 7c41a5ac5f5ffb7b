"""What the read routes say about SLA: every clock of a ticket from the clocks engine (respond,
resolve, ongoing, rfo as the policy defines them), the at-risk and breached filters on every
clock, and the clocks engine's attainment report (the numbers `intake sla report` prints)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from gateway.app import Gateway
from gateway.cli import app
from gateway.clock import ManualClock
from gateway.sla.refresh import refresh_clocks
from gateway.sla.report import attainment
from gateway.store import listing
from gateway.store.connection import Connection
from gateway.store.tickets import ticket_by_number

from ..gateway.gateway_harness import mail, query, send, settle
from .api_harness import Api, seed_tickets, staff_with_token

H = timedelta(hours=1)
# Tuesday 2026-06-02 14:00 UTC = 10:00 in New York, inside ThreePBX's 08:00-19:00 hours.
TUESDAY = datetime(2026, 6, 2, 14, 0, tzinfo=UTC)


async def _mailed(gateway: Gateway, customer: str, **headers: str) -> int:
    await send(gateway, mail(sender=customer, **headers), sender=customer)
    await settle(gateway)
    ((number,),) = query(gateway, "SELECT number FROM tickets WHERE customer = ?", customer)
    return int(number)


def _clocks(ticket: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"] + (f"#{c['cycle']}" if c["cycle"] else ""): c for c in ticket["clocks"]}


async def _listed(api: Api, **params: str) -> dict[int, dict[str, Any]]:
    status, body = await api.call("GET", "/tickets", params=params)
    assert status == 200, body
    return {t["number"]: t for t in body["tickets"]}


async def _filters_match_the_clocks(api: Api) -> tuple[set[int], set[int]]:
    """The `sla=` filters return exactly the tickets whose clocks (as listed) say so, both as
    a list of ids (few matches) and as a check per ticket (many)."""
    every = await _listed(api, status="open") | await _listed(api, status="resolved")
    breached = {n for n, t in every.items() if any(c["state"] == "breached" for c in t["clocks"])}
    at_risk = {n for n, t in every.items() if any(c["at_risk"] for c in t["clocks"])}
    for list_max in (listing.SLA_LIST_MAX, 0):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(listing, "SLA_LIST_MAX", list_max)
            assert set(await _listed(api, sla="breached")) == breached
            assert set(await _listed(api, sla="at-risk")) == at_risk
    return breached, at_risk


async def test_every_clock_and_the_filters_follow_the_clocks_engine(
    api: Api, gateway: Gateway, clock: ManualClock
) -> None:
    clock.set(TUESDAY)
    # ThreePBX P3: respond 4 hours, resolve 8 business hours; P4: 8 hours and 48 business
    # hours; warning points at 75% and 15 minutes before.
    p3 = await _mailed(gateway, "p3@example.com", X_Priority="3")
    p4 = await _mailed(gateway, "p4@example.com")
    status, detail = await api.call("GET", f"/tickets/{p3}")
    assert status == 200
    clocks = _clocks(detail)
    assert set(clocks) == {"respond", "resolve"}
    respond, resolve = clocks["respond"], clocks["resolve"]
    assert (respond["target"], respond["business"]) == ("4 hours", False)
    assert datetime.fromisoformat(respond["due"]) == TUESDAY + 4 * H
    assert (respond["state"], respond["remaining_seconds"]) == ("pending", 4 * 3600)
    assert (resolve["target"], resolve["business"]) == ("8 business hours", True)
    assert datetime.fromisoformat(resolve["due"]) == TUESDAY + 8 * H  # 18:00 in New York
    assert (respond["met_at"], respond["breached_at"], respond["at_risk"]) == (None, None, False)
    assert await _filters_match_the_clocks(api) == (set(), set())

    clock.set(TUESDAY + H)  # the P3 is answered in an hour: respond met
    status, body = await api.call("POST", f"/tickets/{p3}/replies", json={"body": "On it."})
    assert status == 201, body

    clock.set(TUESDAY + 6.5 * H)  # past 75% of the P4's respond and of the P3's resolve
    clocks = _clocks((await api.call("GET", f"/tickets/{p3}"))[1])
    assert (clocks["respond"]["state"], clocks["respond"]["remaining_seconds"]) == ("met", None)
    assert datetime.fromisoformat(clocks["respond"]["met_at"]) == TUESDAY + H
    assert (clocks["resolve"]["state"], clocks["resolve"]["at_risk"]) == ("pending", True)
    assert clocks["resolve"]["remaining_seconds"] == 1.5 * 3600
    assert await _filters_match_the_clocks(api) == (set(), {p3, p4})
    await gateway.clocks.run_once()  # the warnings recorded change nothing here
    assert await _filters_match_the_clocks(api) == (set(), {p3, p4})

    clock.set(TUESDAY + 8.5 * H)  # both overdue: P4 unanswered, P3 unresolved
    listed = await _listed(api)
    p4_respond = _clocks(listed[p4])["respond"]
    assert (p4_respond["state"], p4_respond["remaining_seconds"]) == ("breached", -1800)
    assert datetime.fromisoformat(p4_respond["breached_at"]) == TUESDAY + 8 * H
    assert _clocks(listed[p3])["resolve"]["state"] == "breached"
    assert await _filters_match_the_clocks(api) == ({p3, p4}, set())

    # Answered late and resolved late: still breached, with when it was met.
    await api.call("POST", f"/tickets/{p4}/replies", json={"body": "Sorry for the wait."})
    status, body = await api.call("PATCH", f"/tickets/{p3}", json={"status": "resolved"})
    assert status == 200, body
    resolve = _clocks(body)["resolve"]
    assert (resolve["state"], resolve["remaining_seconds"]) == ("breached", None)
    assert datetime.fromisoformat(resolve["met_at"]) == TUESDAY + 8.5 * H
    await gateway.clocks.run_once()  # breaches recorded: the filter still finds both
    assert await _filters_match_the_clocks(api) == ({p3, p4}, set())
    status, body = await api.call("GET", "/tickets", params={"sla": "late"})
    assert (status, body["error"]["code"]) == (422, "invalid")


async def test_a_paused_clock_is_shown_with_the_deadline_it_would_have(
    api: Api, gateway: Gateway, clock: ManualClock
) -> None:
    """ThreePBX pauses resolve while the ticket is pending (waiting on the customer)."""
    clock.set(TUESDAY)
    p3 = await _mailed(gateway, "pause@example.com", X_Priority="3")
    clock.set(TUESDAY + H)
    await api.call("PATCH", f"/tickets/{p3}", json={"status": "pending"})
    clock.set(TUESDAY + 3 * H)
    resolve = _clocks((await api.call("GET", f"/tickets/{p3}"))[1])["resolve"]
    assert resolve["state"] == "paused"
    # Two business hours paused move 18:00 New York to 09:00 the next morning.
    assert datetime.fromisoformat(resolve["due"]) == TUESDAY + 23 * H
    assert resolve["paused_seconds"] == 15 * 3600
    assert resolve["remaining_seconds"] == 20 * 3600


async def test_the_report_is_the_clocks_engines_and_the_clis(
    api: Api, gateway: Gateway, clock: ManualClock, store_url: str | None
) -> None:
    clock.set(TUESDAY)
    answered = await _mailed(gateway, "a@example.com", X_Priority="3")
    await _mailed(gateway, "b@example.com")
    clock.set(TUESDAY + 2 * H)
    await api.call("POST", f"/tickets/{answered}/replies", json={"body": "Looking now."})
    # Report "now" for real (the CLI reads the wall clock): every clock is long decided.
    clock.set(datetime.now(UTC))
    lead = await staff_with_token(gateway, "lee@example.com", "lead")
    window = {"since": "2026-06-01T00:00:00+00:00", "until": "2026-07-01T00:00:00+00:00"}
    status, report = await api.call("GET", "/sla/report", params=window, token=lead)
    assert status == 200, report
    engine = await gateway.store.read(
        lambda db: attainment(
            db,
            gateway.policies,
            since=datetime(2026, 6, 1, tzinfo=UTC),
            until=datetime(2026, 7, 1, tzinfo=UTC),
            now=clock.now(),
        )
    )
    assert report["rows"] == [row.as_dict() for row in engine]
    rows = {(r["priority"], r["clock"]): r for r in report["rows"]}
    p3 = rows[("P3", "respond")]
    assert (p3["count"], p3["met"], p3["median"], p3["unit"]) == (1, 1, 2.0, "hours")
    assert (rows[("P4", "respond")]["breached"], rows[("P4", "respond")]["open"]) == (1, 0)

    env = {"INTAKE_STORE_URL": store_url} if store_url else {}
    result = await asyncio.to_thread(
        CliRunner().invoke,
        app,
        [
            *("sla", "report", "--data-dir", str(gateway.settings.data_dir)),
            *("--format", "json", "--since", window["since"], "--until", window["until"]),
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["rows"] == report["rows"]
    assert datetime.fromisoformat(printed["since"]) == datetime.fromisoformat(report["since"])

    # Without a period: this month so far, as the CLI's default.
    status, month = await api.call("GET", "/sla/report", token=lead)
    assert status == 200, month
    assert datetime.fromisoformat(month["since"]).day == 1
    # Without an offset, dates and times are the desk's (ThreePBX: New York), as on the
    # workspace's /reports and in `intake sla report`; a bare `until` date includes that day.
    status, body = await api.call(
        "GET",
        "/sla/report",
        params={"since": "2026-11-01T00:00:00", "until": "2026-12-01T00:00:00Z"},
        token=lead,
    )
    assert status == 200, body
    assert datetime.fromisoformat(body["since"]) == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    status, june = await api.call(
        "GET", "/sla/report", params={"since": "2026-06-01", "until": "2026-06-30"}, token=lead
    )
    assert status == 200, june
    assert datetime.fromisoformat(june["since"]) == datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
    assert datetime.fromisoformat(june["until"]) == datetime(2026, 7, 1, 4, 0, tzinfo=UTC)
    assert june["rows"] == report["rows"]
    status, body = await api.call("GET", "/sla/report", params={"since": "June"}, token=lead)
    assert (status, body["error"]["code"]) == (422, "invalid")
    assert body["error"]["message"] == "since: not an ISO 8601 time or date: 'June'"


async def test_sla_filters_page_with_the_cursor(
    api: Api, gateway: Gateway, clock: ManualClock
) -> None:
    clock.set(TUESDAY + 10 * H)  # P3's four hours to respond are long gone
    numbers = await seed_tickets(gateway, 5, received_at=TUESDAY)
    await seed_tickets(gateway, 3, received_at=clock.now())  # not breached

    async def refresh(db: Connection) -> None:
        for number in numbers:
            ticket = await ticket_by_number(db, number)
            assert ticket is not None
            await refresh_clocks(db, gateway.policies.get("threepbx"), ticket.id, clock.now())

    await gateway.store.write(refresh)
    for list_max in (listing.SLA_LIST_MAX, 0):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(listing, "SLA_LIST_MAX", list_max)
            seen: list[int] = []
            params = {"sla": "breached", "limit": "2"}
            while True:
                status, body = await api.call("GET", "/tickets", params=params)
                assert status == 200, body
                seen += [t["number"] for t in body["tickets"]]
                if body["next"] is None:
                    break
                params["cursor"] = body["next"]
            assert seen == sorted(numbers, reverse=True)
