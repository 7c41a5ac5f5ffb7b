"""The after-hours story against a real `intake serve`, signed requests over loopback, the real
classifier, and the real twilio client talking to the fake Twilio REST server.

Compressed: the server runs on the wall clock, so instead of waiting ten minutes for the
escalation, the first page's delivery fails for good (a status callback with 30003), which
escalates at once.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from policies.loader import POLICY_DIR

from .fake_twilio import FakeTwilio
from .phone_harness import ALICE, BOB, CUSTOMER, DESK_NUMBER, OUTAGE, PUBLIC, SENDER, Phone, sids
from .twilio_account import ACCOUNT_SID, AUTH_TOKEN

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:twilio")

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
READY = re.compile(r"intake ready: smtp=\S+ http=(http://\S+)")


def closed_policy(path: Path) -> Path:
    """ThreePBX's contract, open only on a weekday at least two days away: closed right now."""
    text = (POLICY_DIR / "threepbx.toml").read_text()
    today = datetime.now(ZoneInfo("America/New_York")).weekday()
    open_day = WEEKDAYS[(today + 3) % 7]
    hours = "[hours]\n" + f'{open_day} = "08:00-19:00"\n'
    text = re.sub(r"\[hours\]\n(?:\w+ = \"[^\"]*\"\n)+", hours, text, count=1)
    text = text.replace('name = "threepbx"', 'name = "nightdesk"')
    path.write_text(text)
    return path


def config(tmp_path: Path, fake: FakeTwilio) -> Path:
    policy = closed_policy(tmp_path / "nightdesk.toml")
    path = tmp_path / "intake.toml"
    path.write_text(
        f"""
public_url = "{PUBLIC}"

[[desks]]
address = "support@acme.test"
name = "Acme Support"
policy = "{policy}"
phone = "{DESK_NUMBER}"
forward_to = "+12025550111"

[twilio]
api_base_url = "{fake.base_url}"
sms_from = "{SENDER}"

[oncall]
timezone = "America/New_York"
staff = [
  {{ id = "alice", name = "Alice Example", phone = "{ALICE}" }},
  {{ id = "bob", name = "Bob Example", phone = "{BOB}" }},
]
rotation = {{ kind = "daily", handoff = "09:00", start = 2026-01-05, order = ["alice", "bob"] }}
escalation = {{ step = [ {{ target = "alice", delay = "10m" }}, {{ target = "bob", delay = "10m" }} ] }}
"""
    )
    return path


@pytest.fixture
async def served(tmp_path: Path, fake_twilio: FakeTwilio) -> AsyncIterator[tuple[str, Path]]:
    env = {**os.environ, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
    env.pop("INTAKE_CONFIG", None)
    data = tmp_path / "data"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway.cli",
        "serve",
        "--config",
        str(config(tmp_path, fake_twilio)),
        "--data-dir",
        str(data),
        "--smtp-port",
        "0",
        "--http-port",
        "0",
        "--log-level",
        "WARNING",
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        match = READY.search(line.decode())
        assert match, line
        yield match.group(1), data / "intake.db"
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0


async def eventually(check: object, timeout: float = 15.0) -> None:
    assert callable(check)
    end = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < end, "timed out"
        await asyncio.sleep(0.05)


async def test_the_after_hours_story_against_intake_serve(
    served: tuple[str, Path], fake_twilio: FakeTwilio
) -> None:
    base, database = served

    def sent_to(number: str) -> list[str]:
        return [m["body"] for m in fake_twilio.messages if m["to"] == number]

    async with aiohttp.ClientSession() as session:
        phone = Phone(base, session)
        call, recording = sids("CA", 1), sids("RE", 1)

        forged = await phone.post("/voice/incoming", Phone.call_form(call), token="forged")
        assert forged[0] == 403
        status, answer = await phone.incoming(call)
        assert status == 200 and "<Record" in answer
        status, answer = await phone.recorded(call, recording)
        assert status == 200 and "1, 0, 0, 1" in answer
        assert (await phone.transcription(call, recording, OUTAGE))[0] == 204

        await eventually(lambda: sent_to(ALICE) and sent_to(CUSTOMER))
        assert sent_to(ALICE)[0].startswith("P1 #1001: voicemail from +12025550123")
        assert "#1001 (P1 System-wide Outage)" in sent_to(CUSTOMER)[0]

        page = next(m for m in fake_twilio.messages if m["to"] == ALICE)
        assert (await phone.status(page["sid"], "undelivered", "30003"))[0] == 204
        await eventually(lambda: sent_to(BOB))

        status, reply = await phone.text(BOB, "1001 A", sids("SM", 1))
        assert status == 200 and "acknowledged ticket 1001 (P1), escalation stopped" in reply

    db = sqlite3.connect(database)
    try:
        state, acked_by = db.execute("SELECT state, acked_by FROM page_chains").fetchone()
        assert (state, acked_by) == ("acknowledged", "bob")
        (priority,) = db.execute("SELECT effective_priority FROM tickets").fetchone()
        assert priority == "P1"
    finally:
        db.close()


def test_the_closed_policy_is_closed_now(tmp_path: Path) -> None:
    from policies import load_policy

    policy = load_policy(closed_policy(tmp_path / "nightdesk.toml"))
    now = datetime.now(ZoneInfo("UTC"))
    assert all(policy.is_after_hours(now + timedelta(hours=h)) for h in range(0, 24))
