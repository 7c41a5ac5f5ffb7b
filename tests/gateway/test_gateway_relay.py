"""Sent once through an SMTP relay (issue 9, item 6), against a fake relay on loopback.

A relay that dropped the connection after DATA made 8 copies of one acknowledgement, and a
250 that came after the client's 30 s timeout made 5. Now the reply to DATA is awaited for
RFC 5321's 10 minutes (scaled down here), and a lost answer after DATA is `unconfirmed`:
the message is sent again at most `outbox.unconfirmed_resends` times (one by default), with
the same Message-ID, so a receiver that deduplicates on it still shows one.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from typer.testing import CliRunner

from gateway.app import Gateway
from gateway.cli import app
from gateway.clock import ManualClock
from gateway.config import RelaySettings
from gateway.transports import DeliveryUnconfirmed, OutboundEmail, TransportError
from gateway.transports.relay import RelayEmailTransport

from .fake_relay import FakeRelay
from .gateway_harness import DefaultProposer, mail, make_settings, query, send, settle

MESSAGE = OutboundEmail(
    "support@acme.test",
    ("pat@example.com",),
    b"Message-ID: <ack.1@intake.test>\r\nSubject: Ticket #1001\r\n\r\nWe have it.\r\n",
)


@pytest.fixture
async def relay() -> AsyncIterator[FakeRelay]:
    async with FakeRelay() as fake:
        yield fake


def transport_for(
    port: int, *, timeout: float = 0.3, data_timeout: float = 2.0
) -> RelayEmailTransport:
    settings = RelaySettings(
        host="127.0.0.1",
        port=port,
        starttls=False,
        username_env=None,
        password_env=None,
        timeout=timeout,
        data_timeout=data_timeout,
    )
    return RelayEmailTransport(settings, "intake.test")


def test_relay_timeouts_default_to_rfc_5321() -> None:
    settings = RelaySettings(host="relay.example.com")
    assert settings.timeout == 300  # greeting, MAIL, RCPT: 5 minutes
    assert settings.data_timeout == 600  # the reply to the final ".": 10 minutes


async def test_a_message_is_relayed_once(relay: FakeRelay) -> None:
    answer = await transport_for(relay.port).send_email(MESSAGE, "ack-1")

    assert answer is not None and "queued" in answer
    assert relay.message_ids() == ["<ack.1@intake.test>"]


async def test_a_250_later_than_the_command_timeout_is_still_awaited(relay: FakeRelay) -> None:
    relay.after_data("late", delay=1.0)  # longer than the 0.3 s command timeout

    answer = await transport_for(relay.port).send_email(MESSAGE, "ack-1")

    assert answer is not None and len(relay.messages) == 1


@pytest.mark.parametrize("then", ["drop", "garbage", "silent"])
async def test_no_answer_after_data_is_unconfirmed(relay: FakeRelay, then: str) -> None:
    relay.after_data(then)

    with pytest.raises(DeliveryUnconfirmed):
        await transport_for(relay.port, data_timeout=0.5).send_email(MESSAGE, "ack-1")

    assert len(relay.messages) == 1


async def test_a_451_after_data_is_a_plain_temporary_failure(relay: FakeRelay) -> None:
    relay.after_data("refuse")

    with pytest.raises(TransportError) as caught:
        await transport_for(relay.port).send_email(MESSAGE, "ack-1")

    assert not isinstance(caught.value, DeliveryUnconfirmed) and not caught.value.permanent
    assert caught.value.code == "451" and relay.messages == []


async def test_an_unreachable_relay_is_a_plain_temporary_failure() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    with pytest.raises(TransportError) as caught:
        await transport_for(port).send_email(MESSAGE, "ack-1")

    assert not isinstance(caught.value, DeliveryUnconfirmed) and not caught.value.permanent


# Through the outbox: the acknowledgement of one real mail.


@pytest.fixture
async def desk(tmp_path: Path, clock: ManualClock, relay: FakeRelay) -> AsyncIterator[Gateway]:
    gw = Gateway(
        make_settings(tmp_path),
        clock=clock,
        proposer=DefaultProposer(),
        workers=False,
        email_transport=transport_for(relay.port, data_timeout=0.5),
    )
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()


async def run_for(gw: Gateway, clock: ManualClock, minutes: int) -> None:
    for _ in range(minutes):
        clock.advance(timedelta(minutes=1))
        await settle(gw)


def ack_row(gw: Gateway) -> dict[str, object]:
    (row,) = query(gw, "SELECT * FROM outbox WHERE purpose = 'ack'")
    return dict(row)


async def test_a_relay_that_always_drops_after_data_gets_the_ack_twice_at_most(
    desk: Gateway, clock: ManualClock, relay: FakeRelay
) -> None:
    relay.after_data("drop", count=20)

    await send(desk, mail())
    await settle(desk)
    await run_for(desk, clock, 60)

    ids = relay.message_ids()
    assert len(ids) == 2 and ids[0] == ids[1]  # one capped resend, the same Message-ID
    row = ack_row(desk)
    assert row["state"] == "unconfirmed" and row["unconfirmed"] == 2
    assert row["sent_at"] is not None  # settled: nothing more will be tried
    events = query(desk, "SELECT detail FROM events WHERE kind = 'ack-unconfirmed'")
    assert [json.loads(e["detail"])["then"] for e in events] == ["resend", "settled"]


async def test_a_relay_that_drops_once_is_resent_once_with_the_same_message_id(
    desk: Gateway, clock: ManualClock, relay: FakeRelay
) -> None:
    relay.after_data("drop")

    await send(desk, mail())
    await settle(desk)
    assert ack_row(desk)["state"] == "unconfirmed"
    await run_for(desk, clock, 10)

    ids = relay.message_ids()
    assert len(ids) == 2 and ids[0] == ids[1]
    row = ack_row(desk)
    assert row["state"] == "sent" and row["unconfirmed"] == 1


async def test_a_late_250_sends_the_ack_once(
    desk: Gateway, clock: ManualClock, relay: FakeRelay
) -> None:
    relay.after_data("late", delay=0.4, count=20)  # past the command timeout, within DATA's

    await send(desk, mail())
    await settle(desk)
    await run_for(desk, clock, 60)

    assert len(relay.messages) == 1
    row = ack_row(desk)
    assert row["state"] == "sent" and row["unconfirmed"] == 0


async def test_no_resend_at_all_when_the_cap_is_zero(
    tmp_path: Path, clock: ManualClock, relay: FakeRelay
) -> None:
    relay.after_data("garbage", count=20)
    gw = Gateway(
        make_settings(tmp_path, outbox__unconfirmed_resends=0),
        clock=clock,
        proposer=DefaultProposer(),
        workers=False,
        email_transport=transport_for(relay.port),
    )
    await gw.start()
    try:
        await send(gw, mail())
        await settle(gw)
        await run_for(gw, clock, 30)
        assert len(relay.messages) == 1
        assert ack_row(gw)["state"] == "unconfirmed"
    finally:
        await gw.stop()


async def test_tickets_show_and_metrics_surface_an_unconfirmed_ack(
    desk: Gateway, clock: ManualClock, relay: FakeRelay
) -> None:
    relay.after_data("drop", count=20)
    await send(desk, mail())
    await settle(desk)
    await run_for(desk, clock, 10)
    (ticket,) = query(desk, "SELECT number FROM tickets")
    args = ["tickets", "show", str(ticket["number"]), "--data-dir", str(desk.settings.data_dir)]

    # The CLI runs its own event loop: in a thread, beside the running gateway.
    shown = await asyncio.to_thread(CliRunner().invoke, app, args)
    as_json = await asyncio.to_thread(CliRunner().invoke, app, [*args, "--json"])

    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())  # as wrapped for the terminal's width
    assert "ack email to pat@example.com: unconfirmed after" in text
    assert "(2 without an answer)" in text
    (ack,) = json.loads(as_json.output)["outbox"]
    assert ack["state"] == "unconfirmed" and ack["unconfirmed"] == 2
    host, port = desk.http_address
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://{host}:{port}/metrics") as response,
    ):
        metrics = await response.text()
    assert 'intake_outbox_unconfirmed_total{kind="email"} 2.0' in metrics
    assert "intake_outbox_unconfirmed_rows 1.0" in metrics
