"""The lifecycle by SMS: a phone ticket answered by SMS, reopened by the customer's next text,
resolved, closed by itself, and a later text opening a new ticket that links it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from ..api.api_harness import Api, staff_with_token
from ..voice.fake_twilio import FakeTwilio
from ..voice.phone_harness import CUSTOMER, QUESTION, Desk, running_desk, sids
from ..voice.twilio_account import ACCOUNT_SID, AUTH_TOKEN
from .lifecycle_harness import events, ticket

ONCALL = {
    "timezone": "America/New_York",
    "staff": [{"id": "alice", "name": "Alice Example", "phone": "+12025550101"}],
    "rotation": {"kind": "weekly", "handoff": "09:00", "start": "2026-01-05", "order": ["alice"]},
    "escalation": {"step": [{"target": "primary", "delay": "10m"}]},
}


@pytest.fixture
async def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Desk]:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    async with (
        FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake,
        running_desk(tmp_path, ONCALL, fake) as running,
    ):
        yield running


@pytest.fixture
async def api(desk: Desk) -> AsyncIterator[Api]:
    token = await staff_with_token(desk.gw, "alice@example.com", "agent")
    host, port = desk.gw.http_address
    async with aiohttp.ClientSession() as session:
        yield Api(session, f"http://{host}:{port}/api/v1", token)


async def test_a_phone_ticket_through_its_whole_life(desk: Desk, api: Api) -> None:
    status, _ = await desk.phone.text(CUSTOMER, QUESTION, sids("SM", 1))
    assert status == 200
    await desk.settle()
    number = int(desk.query("SELECT MAX(number) FROM tickets")[0][0])

    # Answered by SMS, then waiting on the customer.
    status, body = await api.call(
        "POST", f"/tickets/{number}/replies", json={"body": "Settings > Voicemail > Greeting."}
    )
    assert (status, body["delivery"]) == (201, "sms")
    status, _ = await api.call("PATCH", f"/tickets/{number}", json={"status": "pending"})
    assert status == 200
    await desk.settle()
    assert any("Settings > Voicemail > Greeting." in text for text in desk.sent_to(CUSTOMER))
    (replied,) = events(desk.gw, number, "replied")
    assert (replied["public"], replied["channel"]) == (True, "sms")

    # The customer texts back: the same ticket, reopened by them.
    desk.clock.advance(timedelta(minutes=30))
    await desk.phone.text(CUSTOMER, "Found it, but it will not save.", sids("SM", 2))
    await desk.settle()
    assert int(desk.query("SELECT MAX(number) FROM tickets")[0][0]) == number
    reopened = events(desk.gw, number, "status-changed")[-1]
    assert (reopened["old"], reopened["new"], reopened["by"]) == (
        "pending",
        "open",
        f"sms:{CUSTOMER}",
    )

    # Resolved, closed a week later, and a later text opens a new ticket linking it.
    status, _ = await api.call("PATCH", f"/tickets/{number}", json={"status": "resolved"})
    assert status == 200
    desk.clock.advance(timedelta(days=8))
    assert await desk.gw.auto_closer.run_once() == 1
    await desk.phone.text(CUSTOMER, "Greeting is gone again.", sids("SM", 3))
    await desk.settle()
    follow_up = int(desk.query("SELECT MAX(number) FROM tickets")[0][0])
    assert follow_up == number + 1
    assert ticket(desk.gw, follow_up)["previous_ticket_id"] == ticket(desk.gw, number)["id"]
    assert ticket(desk.gw, number)["status"] == "closed"
    (linked,) = events(desk.gw, follow_up, "linked")
    assert (linked["previous"], linked["by"]) == (number, f"sms:{CUSTOMER}")
