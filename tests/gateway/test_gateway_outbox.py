"""The outbox: retries with backoff, permanent failures, restarts, and nothing sent twice."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.config import Settings
from gateway.transports import OutboundEmail, TransportError
from gateway.transports.file_email import FileEmailTransport

from .gateway_harness import (
    DefaultProposer,
    mail,
    make_settings,
    outgoing_mail,
    query,
    send,
    settle,
)

pytestmark = pytest.mark.asyncio


class ScriptedEmail:
    """An email transport that fails as scripted, then delivers to a real file transport."""

    def __init__(self, directory: Path, failures: list[TransportError]) -> None:
        self.failures = failures
        self.files = FileEmailTransport(directory)
        self.calls = 0

    async def send_email(self, email: OutboundEmail, idempotency_key: str) -> str | None:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return await self.files.send_email(email, idempotency_key)

    async def aclose(self) -> None:
        return None


async def _gateway(settings: Settings, clock: ManualClock, transport: ScriptedEmail) -> Gateway:
    gw = Gateway(
        settings, clock=clock, proposer=DefaultProposer(), workers=False, email_transport=transport
    )
    await gw.start()
    return gw


def _outbox(gw: Gateway) -> dict[str, object]:
    (row,) = query(gw, "SELECT state, attempts, last_error, next_attempt_at FROM outbox")
    return dict(row)


async def test_temporary_failure_is_retried_with_backoff(
    settings: Settings, clock: ManualClock
) -> None:
    transport = ScriptedEmail(
        settings.data_dir / "mail-out", [TransportError("relay busy", permanent=False)] * 2
    )
    gw = await _gateway(settings, clock, transport)
    try:
        await send(gw, mail())
        await settle(gw)
        first = _outbox(gw)
        assert first["state"] == "pending" and first["attempts"] == 1
        assert first["last_error"] == "relay busy"
        await settle(gw)  # not due yet: nothing happens
        assert transport.calls == 1
        clock.advance(timedelta(seconds=40))
        await settle(gw)
        assert transport.calls == 2 and _outbox(gw)["state"] == "pending"
        clock.advance(timedelta(seconds=30))  # second backoff is twice the first
        await settle(gw)
        assert transport.calls == 2
        clock.advance(timedelta(seconds=60))
        await settle(gw)
        assert transport.calls == 3
        assert _outbox(gw)["state"] == "sent"
        assert len(outgoing_mail(gw)) == 1
    finally:
        await gw.stop()


async def test_permanent_failure_is_not_retried(settings: Settings, clock: ManualClock) -> None:
    transport = ScriptedEmail(
        settings.data_dir / "mail-out", [TransportError("550 no such user", permanent=True)]
    )
    gw = await _gateway(settings, clock, transport)
    try:
        await send(gw, mail())
        await settle(gw)
        clock.advance(timedelta(days=1))
        await settle(gw)
        assert transport.calls == 1
        row = _outbox(gw)
        assert row["state"] == "failed" and row["last_error"] == "550 no such user"
        (event,) = query(gw, "SELECT kind FROM events WHERE kind = 'ack-failed'")
        assert event["kind"] == "ack-failed"
    finally:
        await gw.stop()


async def test_gives_up_after_the_configured_time(tmp_path: Path, clock: ManualClock) -> None:
    settings = make_settings(tmp_path, outbox__give_up_after="1h", outbox__backoff_max="10m")
    transport = ScriptedEmail(tmp_path / "mail-out", [TransportError("down", permanent=False)] * 50)
    gw = await _gateway(settings, clock, transport)
    try:
        await send(gw, mail())
        for _ in range(20):
            await settle(gw)
            clock.advance(timedelta(minutes=11))
        row = _outbox(gw)
        assert row["state"] == "failed" and "gave up" in str(row["last_error"])
    finally:
        await gw.stop()


async def test_outage_delays_but_loses_nothing_across_restart(
    settings: Settings, clock: ManualClock
) -> None:
    down = ScriptedEmail(
        settings.data_dir / "mail-out", [TransportError("down", permanent=False)] * 10
    )
    gw = await _gateway(settings, clock, down)
    for n in range(3):
        await send(gw, mail(subject=f"problem {n}", sender=f"c{n}@example.com"))
    await settle(gw)
    await gw.stop()
    assert outgoing_mail(gw) == []

    clock.advance(timedelta(minutes=5))
    up = ScriptedEmail(settings.data_dir / "mail-out", [])
    gw2 = await _gateway(settings, clock, up)
    try:
        await settle(gw2)
        assert len(outgoing_mail(gw2)) == 3
        assert {r["state"] for r in query(gw2, "SELECT state FROM outbox")} == {"sent"}
    finally:
        await gw2.stop()


async def test_file_transport_is_idempotent_per_key(tmp_path: Path) -> None:
    transport = FileEmailTransport(tmp_path)
    message = OutboundEmail("a@b", ("c@d",), b"Subject: x\r\n\r\nbody\r\n")
    await transport.send_email(message, "ack-1001-1")
    await transport.send_email(message, "ack-1001-1")
    assert [p.name for p in tmp_path.iterdir()] == ["ack-1001-1.eml"]
