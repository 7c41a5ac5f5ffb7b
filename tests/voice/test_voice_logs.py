"""The INFO lines a desk reads for the phone side: ticket opened, acknowledgement sent, page
sent, page acknowledged; each with the ticket number, none with a body or a full number."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from .phone_harness import ALICE, BOB, CUSTOMER, DANA, OUTAGE, Desk, sids

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:twilio")


async def test_one_info_line_per_ticket_ack_page_and_acknowledgement(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    number = await desk.voicemail(1)
    desk.clock.advance(timedelta(minutes=10, seconds=1))
    await desk.settle()
    status, _ = await desk.phone.text(BOB, f"{number} a", sids("SM", 900))
    assert status == 200

    ours = [r for r in caplog.records if r.name.startswith(("gateway", "voice"))]
    lines = [r.getMessage() for r in ours if r.levelno == logging.INFO]
    assert f"ticket {number} opened: voice, P4 under threepbx, after hours" in lines
    assert lines.count(f"ticket {number}: ack sms sent") == 1
    assert lines.count(f"ticket {number}: page sms sent") == 2  # alice, then bob
    assert f"ticket {number}: page acknowledged by bob" in lines
    assert all(getattr(r, "ticket", number) == number for r in ours)
    everything = "\n".join(r.getMessage() for r in caplog.records)
    for phone in (CUSTOMER, ALICE, BOB, DANA):
        assert phone not in everything
    assert OUTAGE[:30] not in everything
