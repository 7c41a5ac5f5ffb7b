"""The SMTP listener over real loopback sessions: who is accepted, limits, durability, faults."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiosmtplib
import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.config import Settings

from .gateway_harness import DESK, DefaultProposer, mail, make_settings, query, send

pytestmark = pytest.mark.asyncio


async def test_accepted_mail_is_committed_before_250(gateway: Gateway) -> None:
    errors, reply = await send(gateway, mail())
    assert errors == {}
    assert reply.startswith("2.0.0 Ok: queued as ")
    inbox_id = int(reply.rsplit(" ", 1)[1])
    rows = query(gateway, "SELECT channel, state, raw, meta FROM inbox WHERE id = ?", inbox_id)
    assert len(rows) == 1 and rows[0]["state"] == "new"
    assert b"dial tone" in rows[0]["raw"]
    assert '"rcpt_tos": ["support@localhost"]' in rows[0]["meta"]


async def test_unknown_recipient_is_refused_with_550_511(gateway: Gateway) -> None:
    host, port = gateway.smtp.address
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await aiosmtplib.send(
            mail(to="someone@elsewhere.example"),
            sender="pat@example.com",
            recipients=["someone@elsewhere.example"],
            hostname=host,
            port=port,
        )
    (error,) = refused.value.recipients
    assert error.code == 550 and error.message.startswith("5.1.1")
    assert query(gateway, "SELECT COUNT(*) AS n FROM inbox")[0]["n"] == 0


async def test_mixed_recipients_keep_only_the_desk(gateway: Gateway) -> None:
    errors, _ = await send(gateway, mail(), recipients=[DESK, "relay@victim.example"])
    assert "relay@victim.example" in errors and errors["relay@victim.example"].code == 550
    (row,) = query(gateway, "SELECT meta FROM inbox")
    assert "victim" not in row["meta"]


async def test_size_is_advertised_and_enforced(tmp_path: Path, clock: ManualClock) -> None:
    settings = make_settings(tmp_path, smtp__max_message_size=4096)
    gw = Gateway(settings, clock=clock, workers=False, proposer=_proposer())
    await gw.start()
    try:
        host, port = gw.smtp.address
        async with aiosmtplib.SMTP(hostname=host, port=port) as client:
            await client.ehlo()
            assert client.supports_extension("size")
            assert client.esmtp_extensions["size"] == "4096"
            big = mail(body="x" * 10_000)
            with pytest.raises(aiosmtplib.SMTPResponseException) as exc:
                # Declared size first: refused at MAIL FROM.
                await client.mail("pat@example.com", options=["SIZE=10000"])
            assert exc.value.code == 552 and exc.value.message.startswith("5.3.4")
            await client.rset()
            # Undeclared: the data itself is counted.
            await client.mail("pat@example.com")
            await client.rcpt(DESK)
            with pytest.raises(aiosmtplib.SMTPDataError) as data_exc:
                await client.data(big.as_bytes())
            assert data_exc.value.code == 552 and data_exc.value.message.startswith("5.3.4")
        assert query(gw, "SELECT COUNT(*) AS n FROM inbox")[0]["n"] == 0
    finally:
        await gw.stop()


async def test_per_client_message_rate_is_limited(tmp_path: Path, clock: ManualClock) -> None:
    settings = make_settings(tmp_path, smtp__max_messages_per_client_per_minute=3)
    gw = Gateway(settings, clock=clock, workers=False, proposer=_proposer())
    await gw.start()
    try:
        for _ in range(3):
            await send(gw, mail())
        with pytest.raises(aiosmtplib.SMTPSenderRefused) as exc:
            await send(gw, mail())
        assert exc.value.code == 451 and exc.value.message.startswith("4.7.1")
    finally:
        await gw.stop()


async def test_per_client_connections_are_limited(tmp_path: Path, clock: ManualClock) -> None:
    settings = make_settings(tmp_path, smtp__max_connections_per_client=2)
    gw = Gateway(settings, clock=clock, workers=False, proposer=_proposer())
    await gw.start()
    host, port = gw.smtp.address
    clients = [aiosmtplib.SMTP(hostname=host, port=port) for _ in range(2)]
    try:
        for client in clients:
            await client.connect()
        reader, writer = await asyncio.open_connection(host, port)
        greeting = await reader.readline()
        assert greeting.startswith(b"421 4.7.0")
        writer.close()
        await clients[0].quit()
        await asyncio.sleep(0.05)
        third = aiosmtplib.SMTP(hostname=host, port=port)
        await third.connect()  # a slot is free again
        await third.quit()
    finally:
        for client in clients[1:]:
            await client.quit()
        await gw.stop()


async def test_internal_fault_answers_451_430_without_traceback(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken_write(op: object) -> object:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(gateway.store, "write", broken_write)
    with pytest.raises(aiosmtplib.SMTPDataError) as exc:
        await send(gateway, mail())
    assert exc.value.code == 451 and exc.value.message.startswith("4.3.0")
    assert "disk on fire" not in exc.value.message and "Traceback" not in exc.value.message


async def test_graceful_shutdown_finishes_open_transaction_and_refuses_idle(
    settings: Settings, clock: ManualClock
) -> None:
    gw = Gateway(settings, clock=clock, workers=False, proposer=_proposer())
    await gw.start()
    host, port = gw.smtp.address
    busy = aiosmtplib.SMTP(hostname=host, port=port)
    idle = aiosmtplib.SMTP(hostname=host, port=port)
    await busy.connect()
    await idle.connect()
    await busy.mail("pat@example.com")
    await busy.rcpt(DESK)
    stopping = asyncio.create_task(gw.stop())
    await asyncio.sleep(0.2)
    # The transaction that had begun completes and is durable...
    response = await busy.data(mail().as_bytes())
    assert response.code == 250
    # ...the idle session was told 421 and closed.
    with pytest.raises((aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPResponseException)):
        await idle.noop()
    await stopping
    assert len(query(gw, "SELECT id FROM inbox")) == 1


def _proposer() -> object:
    return DefaultProposer()
