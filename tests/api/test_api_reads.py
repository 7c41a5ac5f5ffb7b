"""What the read routes say about SLA: each ticket's respond clock, the at-risk and breached
filters, and the attainment report."""

from __future__ import annotations

from datetime import timedelta

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.store.connection import Connection
from gateway.store.tickets import add_event, ticket_by_number

from .api_harness import Api, seed_tickets, staff_with_token


async def _reply_at(gateway: Gateway, number: int, at_offset: timedelta) -> None:
    async def write(db: Connection) -> None:
        ticket = await ticket_by_number(db, number)
        assert ticket is not None
        await add_event(db, ticket.id, ticket.received_at + at_offset, "replied", by="test")

    await gateway.store.write(write)


async def test_clocks_filters_and_the_report(
    api: Api, gateway: Gateway, clock: ManualClock
) -> None:
    now = clock.now()
    # Four tickets, each due 8 hours after it arrived:
    on_time, late, overdue, at_risk = [
        (
            await seed_tickets(
                gateway, 1, received_at=now - ago, due_at=now - ago + timedelta(hours=8)
            )
        )[0]
        for ago in (
            timedelta(hours=20),
            timedelta(hours=19),
            timedelta(hours=9),
            timedelta(hours=7),
        )
    ]
    fresh = (await seed_tickets(gateway, 1, received_at=now, due_at=now + timedelta(hours=8)))[0]
    await _reply_at(gateway, on_time, timedelta(hours=1))
    await _reply_at(gateway, late, timedelta(hours=9))

    states = {}
    for number in (on_time, late, overdue, at_risk, fresh):
        status, detail = await api.call("GET", f"/tickets/{number}")
        assert status == 200
        (respond,) = detail["clocks"]
        states[number] = (respond["state"], respond["remaining_seconds"])
    assert states[on_time] == ("met", None)
    assert states[late] == ("breached", None)
    assert states[overdue] == ("breached", -3600)
    assert states[at_risk] == ("pending", 3600)
    assert states[fresh] == ("pending", 8 * 3600)

    _, body = await api.call("GET", "/tickets", params={"sla": "breached"})
    assert sorted(t["number"] for t in body["tickets"]) == sorted([late, overdue])
    _, body = await api.call("GET", "/tickets", params={"sla": "at-risk"})
    assert [t["number"] for t in body["tickets"]] == [at_risk]

    lead = await staff_with_token(gateway, "lee@example.com", "lead")
    window = {
        "since": (now - timedelta(days=1)).isoformat(),
        "until": (now + timedelta(seconds=1)).isoformat(),
    }
    status, report = await api.call("GET", "/sla/report", params=window, token=lead)
    assert status == 200, report
    (row,) = report["rows"]
    assert (row["policy"], row["priority"], row["clock"]) == ("threepbx", "P3", "respond")
    assert (row["count"], row["met"], row["breached"], row["open"]) == (5, 1, 2, 2)
    assert row["attainment_percent"] == 33.3
    assert row["median_seconds"] == 5 * 3600  # 1 h and 9 h
    status, body = await api.call(
        "GET",
        "/sla/report",
        params={"since": "2026-11-01T00:00:00", "until": "2026-12-01T00:00:00Z"},
        token=lead,
    )
    assert (status, body["error"]["code"]) == (422, "invalid")
    assert "UTC offset" in body["error"]["message"]
