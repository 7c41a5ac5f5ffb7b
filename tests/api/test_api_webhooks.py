"""Signed webhooks: queued in the caller's transaction, delivered through the outbox to a real
receiver on loopback that checks the signature the way a receiver would, retried or given up
by status code."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.config import ConfigError, load_settings
from gateway.store import outbox as outbox_sql
from gateway.store.connection import Connection
from gateway.store.records import OutboxItem

from ..gateway.gateway_harness import DefaultProposer, mail, make_settings, query, send, settle
from ..voice.fake_twilio import FakeTwilio
from ..voice.phone_harness import ALICE, running_desk, sids
from ..voice.twilio_account import ACCOUNT_SID, AUTH_TOKEN
from .api_harness import Api, seed_tickets, staff_with_token

SECRET = "s3cret-for-tests"
ONCALL = {
    "timezone": "America/New_York",
    "staff": [{"id": "alice", "name": "Alice Example", "phone": "+12025550101"}],
    "rotation": {"kind": "weekly", "handoff": "09:00", "start": "2026-01-05", "order": ["alice"]},
    "escalation": {"step": [{"target": "primary", "delay": "10m"}]},
}


class Receiver:
    """A webhook endpoint: answers with the queued statuses, then 204; verifies signatures."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        valid = hmac.compare_digest(expected, request.headers.get("X-Intake-Signature", ""))
        self.received.append(
            {
                "valid": valid,
                "body": json.loads(raw),
                "delivery": request.headers.get("X-Intake-Delivery"),
                "event": request.headers.get("X-Intake-Event"),
            }
        )
        return web.Response(status=self.statuses.pop(0) if self.statuses else 204)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    receiver.url = f"http://{host}:{port}/hook"
    yield receiver
    await runner.cleanup()


@pytest.fixture
async def hooked(
    tmp_path: Path, clock: ManualClock, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Gateway]:
    monkeypatch.setenv("TEST_WEBHOOK_SECRET", SECRET)
    hooks = [{"url": receiver.url, "events": ["*"], "secret_env": "TEST_WEBHOOK_SECRET"}]
    settings = make_settings(tmp_path, webhooks=hooks)
    gw = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()


async def _emit(gw: Gateway, event: str = "ticket.updated") -> list[str]:
    async def write(db: Connection) -> list[str]:
        return await gw.webhooks.emit(db, event, {"hello": "world"}, gw.clock.now())

    return await gw.store.write(write)


async def _row(gw: Gateway, key: str) -> OutboxItem:
    item = await gw.store.read(lambda db: outbox_sql.outbox_by_key(db, key))
    assert item is not None
    return item


async def test_a_delivery_is_signed_over_the_raw_body(hooked: Gateway, receiver: Receiver) -> None:
    (delivery,) = await _emit(hooked, "ticket.updated")
    assert await hooked.outbox.run_once() == 1
    (got,) = receiver.received
    assert got["valid"]
    assert got["delivery"] == delivery == got["body"]["id"]
    assert got["event"] == got["body"]["event"] == "ticket.updated"
    assert got["body"]["data"] == {"hello": "world"}
    row = await _row(hooked, delivery)
    assert row.state == "sent"
    assert row.recipient == receiver.url.rsplit("/", 1)[0]  # no path: it may hold a secret


async def test_5xx_and_429_are_retried_with_the_same_delivery_id(
    hooked: Gateway, receiver: Receiver, clock: ManualClock
) -> None:
    receiver.statuses = [503, 429]
    (delivery,) = await _emit(hooked)
    await hooked.outbox.run_once()
    assert (await _row(hooked, delivery)).state == "pending"
    clock.advance(timedelta(minutes=5))
    await hooked.outbox.run_once()
    clock.advance(timedelta(minutes=5))
    await hooked.outbox.run_once()
    assert [r["delivery"] for r in receiver.received] == [delivery] * 3
    assert all(r["valid"] for r in receiver.received)
    assert len({json.dumps(r["body"]) for r in receiver.received}) == 1  # the same bytes
    assert (await _row(hooked, delivery)).state == "sent"


async def test_a_4xx_is_permanent_but_408_is_not(
    hooked: Gateway, receiver: Receiver, clock: ManualClock
) -> None:
    receiver.statuses = [408, 410]
    (delivery,) = await _emit(hooked)
    await hooked.outbox.run_once()
    assert (await _row(hooked, delivery)).state == "pending"
    clock.advance(timedelta(minutes=5))
    await hooked.outbox.run_once()
    row = await _row(hooked, delivery)
    origin = receiver.url.rsplit("/", 1)[0]
    assert (row.state, row.last_error) == ("failed", f"{origin} answered 410")


async def test_an_unreachable_receiver_is_retried(hooked: Gateway, receiver: Receiver) -> None:
    await _emit(hooked)
    receiver_url = receiver.url
    rows = query(hooked, "SELECT idempotency_key FROM outbox WHERE kind = 'webhook'")
    # Point the row at a closed port: connection refused is temporary.
    hooked_payload = query(hooked, "SELECT payload FROM outbox WHERE kind = 'webhook'")[0][0]
    dead = hooked_payload.replace(receiver_url, "http://127.0.0.1:9/hook")

    async def redirect(db: Connection) -> None:
        await db.execute("UPDATE outbox SET payload = ? WHERE kind = 'webhook'", (dead,))

    await hooked.store.write(redirect)
    await hooked.outbox.run_once()
    row = await _row(hooked, rows[0][0])
    assert row.state == "pending"
    assert "unreachable" in (row.last_error or "")


async def test_a_missing_secret_fails_without_sending(
    hooked: Gateway, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEST_WEBHOOK_SECRET")
    (delivery,) = await _emit(hooked)
    await hooked.outbox.run_once()
    row = await _row(hooked, delivery)
    assert row.state == "failed"
    assert "TEST_WEBHOOK_SECRET is not set" in (row.last_error or "")
    assert receiver.received == []


async def test_only_subscribed_events_are_queued(tmp_path: Path, clock: ManualClock) -> None:
    hooks = [
        {"url": "http://127.0.0.1:9/a", "events": ["sla.breached"], "secret_env": "X"},
        {"url": "http://127.0.0.1:9/b", "events": ["*"], "secret_env": "X"},
    ]
    gw = Gateway(
        make_settings(tmp_path, webhooks=hooks),
        clock=clock,
        proposer=DefaultProposer(),
        workers=False,
    )
    await gw.start()
    try:
        assert len(await _emit(gw, "ticket.created")) == 1
        assert len(await _emit(gw, "sla.breached")) == 2
    finally:
        await gw.stop()


def test_config_names_an_unknown_event(tmp_path: Path) -> None:
    config = tmp_path / "intake.toml"
    config.write_text(
        '[[webhooks]]\nurl = "https://x.example/h"\nevents = ["ticket.made"]\nsecret_env = "S"\n'
    )
    with pytest.raises(ConfigError, match=r"webhooks\[0\]\.events: .*unknown event 'ticket.made'"):
        load_settings(config, environ={})


async def test_api_changes_reach_the_receiver_signed(hooked: Gateway, receiver: Receiver) -> None:
    (number,) = await seed_tickets(hooked, 1)
    token = await staff_with_token(hooked, "lee@example.com", "lead")
    host, port = hooked.http_address
    async with aiohttp.ClientSession() as session:
        api = Api(session, f"http://{host}:{port}/api/v1", token)
        status, _ = await api.call(
            "PATCH", f"/tickets/{number}", json={"priority": "P1", "reason": "site down"}
        )
        assert status == 200
        status, _ = await api.call("POST", f"/tickets/{number}/replies", json={"body": "On it"})
        assert status == 201
    while await hooked.outbox.run_once():
        pass
    events = [(r["event"], r["valid"]) for r in receiver.received]
    assert events == [("ticket.updated", True), ("ticket.replied", True)]
    updated = receiver.received[0]["body"]["data"]
    assert updated["ticket"]["number"] == number
    assert updated["changes"]["priority"] == {"old": "P3", "new": "P1", "reason": "site down"}
    assert updated["by"] == "api:lee@example.com"


@pytest.mark.filterwarnings("ignore::DeprecationWarning:twilio")  # twilio's own aiohttp use
async def test_ticket_created_and_page_acknowledged_from_the_phone_desk(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    hooks = [{"url": receiver.url, "events": ["*"], "secret_env": "TEST_WEBHOOK_SECRET"}]
    async with (
        FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake,
        running_desk(tmp_path, ONCALL, fake, webhooks=hooks) as desk,
    ):
        await staff_with_token(desk.gw, "alice@example.com", phone=ALICE)
        number = await desk.voicemail(1)
        await desk.settle()
        status, _ = await desk.phone.text(ALICE, f"{number} A", sids("SM", 900))
        assert status == 200
        await desk.settle()
    events = [(r["event"], r["valid"]) for r in receiver.received]
    assert events == [("ticket.created", True), ("page.acknowledged", True)]
    created, acked = (r["body"]["data"] for r in receiver.received)
    assert created["ticket"]["number"] == number
    assert created["ticket"]["priority"] == "P1"
    # The account with the on-call entry's phone is the same person.
    assert acked["staff"] == {"id": "alice", "name": "Alice Example", "email": "alice@example.com"}


async def test_a_mailed_in_ticket_is_announced_once(hooked: Gateway, receiver: Receiver) -> None:
    await send(hooked, mail(subject="Trunk down"))
    await settle(hooked)
    (got,) = receiver.received
    assert (got["event"], got["valid"]) == ("ticket.created", True)
    assert got["body"]["data"]["ticket"]["subject"] == "Trunk down"
