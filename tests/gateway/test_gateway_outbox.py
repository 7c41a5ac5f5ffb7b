"""The outbox: retries with backoff, permanent failures, restarts, and nothing sent twice."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from pathlib import Path

import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.config import Settings
from gateway.store import outbox as outbox_sql
from gateway.transports import DeliveryUnconfirmed, OutboundEmail, OutboundSms, TransportError
from gateway.transports.file_email import FileEmailTransport

from .gateway_harness import (
    DefaultProposer,
    mail,
    make_settings,
    outgoing_mail,
    query,
    send,
    settle,
    wait_for,
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


async def test_an_attempt_cut_short_by_a_crash_is_unconfirmed_not_resent_blindly(
    settings: Settings, clock: ManualClock
) -> None:
    transport = ScriptedEmail(settings.data_dir / "mail-out", [])
    gw = await _gateway(settings, clock, transport)
    try:
        await send(gw, mail())
        while await gw.intake.run_once():
            pass
        now = clock.now()
        # A worker claims the acknowledgement and dies mid-send (its lease is never released).
        (claimed,) = await gw.store.write(
            lambda db: outbox_sql.claim_due(db, now, now + timedelta(minutes=1), limit=10)
        )
        assert claimed.purpose == "ack"
        clock.advance(timedelta(minutes=2))
        await settle(gw)

        row = dict(query(gw, "SELECT * FROM outbox")[0])
        assert transport.calls == 0  # not resent at once: the lost attempt may have gone out
        assert row["state"] == "unconfirmed" and row["unconfirmed"] == 1
        assert "never ended" in row["last_error"]
        clock.advance(timedelta(minutes=2))
        await settle(gw)
        assert transport.calls == 1 and _outbox(gw)["state"] == "sent"  # the one capped resend
    finally:
        await gw.stop()


async def test_the_outbox_safety_timeout_counts_as_unconfirmed(
    tmp_path: Path, clock: ManualClock
) -> None:
    settings = make_settings(tmp_path, outbox__send_timeout="1s", outbox__unconfirmed_resends=0)
    transport = HangingEmail()
    gw = Gateway(
        settings, clock=clock, proposer=DefaultProposer(), workers=False, email_transport=transport
    )
    await gw.start()
    try:
        await send(gw, mail())
        await settle(gw)
        clock.advance(timedelta(hours=1))
        await settle(gw)
        assert transport.calls == 1
        row = _outbox(gw)
        assert row["state"] == "unconfirmed" and "no answer within" in str(row["last_error"])
    finally:
        await gw.stop()


class HangingEmail:
    """A transport that never returns: the outbox's own timeout has to end the attempt."""

    def __init__(self) -> None:
        self.calls = 0

    async def send_email(self, email: OutboundEmail, idempotency_key: str) -> str | None:
        self.calls += 1
        await asyncio.Event().wait()
        return None

    async def aclose(self) -> None:
        return None


class BlockedEmail:
    """An email transport whose sends wait until released: a relay slow to answer DATA."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started = asyncio.Event()

    async def send_email(self, email: OutboundEmail, idempotency_key: str) -> str | None:
        self.started.set()
        await self.release.wait()
        return "250 queued"

    async def aclose(self) -> None:
        return None


class RecordingSms:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send_sms(self, sms: OutboundSms, idempotency_key: str) -> str | None:
        self.sent.append(idempotency_key)
        return f"SM{len(self.sent)}"

    async def aclose(self) -> None:
        return None


async def test_a_slow_relay_does_not_hold_back_a_page(
    settings: Settings, clock: ManualClock
) -> None:
    email, sms = BlockedEmail(), RecordingSms()
    gw = Gateway(
        settings,
        clock=clock,
        proposer=DefaultProposer(),
        workers=False,
        email_transport=email,
        sms_transport=sms,
    )
    await gw.start()
    worker = asyncio.create_task(gw.outbox.run())
    try:
        await send(gw, mail())
        while await gw.intake.run_once():
            pass
        await asyncio.wait_for(email.started.wait(), 5)  # the ack is with the slow relay
        now = clock.now()
        await gw.store.write(
            lambda db: outbox_sql.enqueue(
                db,
                ticket_id=None,
                kind="sms",
                purpose="page",
                key="page:1:1:1",
                recipient="+12025550101",
                payload={"to": "+12025550101", "body": "P1 #1001: site down"},
                now=now,
            )
        )
        await wait_for(lambda: sms.sent == ["page:1:1:1"], timeout=5)
        assert not email.release.is_set()  # the page did not wait for the relay
        email.release.set()
        await wait_for(lambda: _outbox_states(gw) == {"ack": "sent", "page": "sent"}, timeout=5)
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
        await gw.stop()


def _outbox_states(gw: Gateway) -> dict[str, str]:
    return {r["purpose"]: r["state"] for r in query(gw, "SELECT purpose, state FROM outbox")}


async def test_giving_up_after_an_unconfirmed_attempt_settles_as_unconfirmed(
    tmp_path: Path, clock: ManualClock
) -> None:
    settings = make_settings(tmp_path, outbox__give_up_after="1h", outbox__backoff_max="10m")
    lost: list[TransportError] = [DeliveryUnconfirmed("relay gave no answer after DATA")]
    transport = ScriptedEmail(
        tmp_path / "mail-out", lost + [TransportError("451 busy", permanent=False)] * 50
    )
    gw = await _gateway(settings, clock, transport)
    try:
        await send(gw, mail())
        for _ in range(20):
            await settle(gw)
            clock.advance(timedelta(minutes=11))
        row = _outbox(gw)
        assert row["state"] == "unconfirmed" and "gave up" in str(row["last_error"])
        assert query(gw, "SELECT kind FROM events WHERE kind = 'ack-failed'") == []
    finally:
        await gw.stop()


class FirstSmsHangs(RecordingSms):
    """The first send never returns (the process will be stopped during it)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.hanging = asyncio.Event()

    async def send_sms(self, sms: OutboundSms, idempotency_key: str) -> str | None:
        self.calls += 1
        if self.calls == 1:
            self.hanging.set()
            await asyncio.Event().wait()
        return await super().send_sms(sms, idempotency_key)


async def test_an_sms_in_flight_when_the_worker_stops_is_looked_at_again_within_minutes(
    settings: Settings, clock: ManualClock
) -> None:
    sms = FirstSmsHangs()
    gw = Gateway(
        settings,
        clock=clock,
        proposer=DefaultProposer(),
        workers=False,
        email_transport=ScriptedEmail(settings.data_dir / "mail-out", []),
        sms_transport=sms,
    )
    await gw.start()
    try:
        now = clock.now()
        await gw.store.write(
            lambda db: outbox_sql.enqueue(
                db,
                ticket_id=None,
                kind="sms",
                purpose="page",
                key="page:1:1:1",
                recipient="+12025550101",
                payload={"to": "+12025550101", "body": "P1 #1001: site down"},
                now=now,
            )
        )
        worker = asyncio.create_task(gw.outbox.run())
        await asyncio.wait_for(sms.hanging.wait(), 5)
        worker.cancel()  # the process stops mid-send
        with contextlib.suppress(asyncio.CancelledError):
            await worker

        clock.advance(timedelta(minutes=2))
        await settle(gw)
        assert sms.calls == 1  # still leased
        clock.advance(timedelta(minutes=1, seconds=1))  # sms_send_timeout (2 min) + 1 min
        await settle(gw)
        (row,) = query(gw, "SELECT * FROM outbox")
        assert row["state"] == "unconfirmed" and sms.calls == 1  # not resent blindly
        clock.advance(timedelta(minutes=1))
        await settle(gw)
        assert sms.sent == ["page:1:1:1"] and _outbox(gw)["state"] == "sent"
    finally:
        await gw.stop()
