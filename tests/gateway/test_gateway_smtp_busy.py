"""When the listener counts as busy, so the intake worker yields to accepting (issue 14).

"Accepted a message in the last `quiet_after`" alone defeated itself: while a worker's batch
held the event loop nothing was accepted, the listener looked quiet, and the next batch began
at once. A client in the middle of handing a message over counts too.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gateway.clock import ManualClock
from gateway.smtp import server

from .gateway_harness import DESK, mail, send
from .test_gateway_smtp_hostile import Raw, running

pytestmark = pytest.mark.asyncio


async def test_the_listener_is_busy_while_a_client_hands_a_message_over(
    tmp_path: Path, clock: ManualClock
) -> None:
    async with running(tmp_path, clock) as gw:
        quiet = gw.activity.quiet_after
        session, _ = await Raw.open(gw)
        assert (await session.command("EHLO client.example")).startswith(b"250")
        await asyncio.sleep(2 * quiet)
        assert not gw.activity.busy()  # connected, but no transaction under way
        assert (await session.command("MAIL FROM:<pat@example.com>")).startswith(b"250")
        await asyncio.sleep(quiet)  # nothing accepted just now, yet a client waits on us
        assert gw.activity.busy()
        assert (await session.command(f"RCPT TO:<{DESK}>")).startswith(b"250")
        assert (await session.command("DATA")).startswith(b"354")
        assert gw.activity.busy()
        assert (await session.command("Subject: x\r\n\r\nhello\r\n.")).startswith(b"250")
        await asyncio.sleep(2 * quiet)
        assert not gw.activity.busy()  # handed over: quiet again
        session.close()


async def test_a_transaction_left_open_stops_holding_the_worker_back(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "HANDING_OVER_FOR", 0.5)
    async with running(tmp_path, clock) as gw:
        session, _ = await Raw.open(gw)
        assert (await session.command("EHLO client.example")).startswith(b"250")
        assert (await session.command("MAIL FROM:<pat@example.com>")).startswith(b"250")
        assert gw.activity.busy()
        await asyncio.sleep(0.6)  # an idle client's open transaction
        assert not gw.activity.busy()
        session.close()


async def test_a_client_mid_transaction_defers_processing_but_never_past_max_defer(
    tmp_path: Path, clock: ManualClock
) -> None:
    async with running(tmp_path, clock) as gw:
        await send(gw, mail(subject="P2 during a burst", Message_ID="<busy@example.com>"))
        session, _ = await Raw.open(gw)
        assert (await session.command("EHLO client.example")).startswith(b"250")
        assert (await session.command("MAIL FROM:<pat@example.com>")).startswith(b"250")
        await asyncio.sleep(gw.activity.quiet_after)
        assert await gw.intake.hold_back() == gw.activity.quiet_after
        clock.advance(gw.settings.worker.max_defer)
        assert await gw.intake.hold_back() == 0.0  # the oldest mail waited long enough
        session.close()
