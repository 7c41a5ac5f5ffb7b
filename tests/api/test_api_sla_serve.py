"""End to end against a real `intake serve`, as a new user would try it, on the real wall clock:

- a desk under a policy with a one-minute respond target and a warning at half time (the
  shortest target the policy grammar has: "1 minute"), scanned every second;
- a mail over SMTP opens a ticket nobody answers: the warning comes at 30 s and the breach at
  60 s, each once, and a loopback webhook receiver gets `sla.warning` and `sla.breached`
  exactly once each, with an `X-Intake-Signature` it verifies as a receiver would;
- a second mail is answered through the API with a token made by `intake tokens create`: the
  reply reaches the customer threaded under their Message-ID (In-Reply-To, References, `[#N]`
  in the subject, in the file transport's mail-out directory), the ticket shows respond `met`,
  and no warning or breach is ever sent for it.

About 70 seconds: the one real minute is the point of the test.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import aiosmtplib
import pytest
from aiohttp import web

from ..gateway.gateway_harness import mail
from ..gateway.test_gateway_serve import _wait, intake_serve
from .test_api_serve import _intake

SECRET = "a-webhook-secret-for-the-e2e-test"
POLICY = """\
name = "minute"
title = "A one-minute desk (the shortest target the policy grammar allows)"
timezone = "UTC"
customer_sets_priority = false
reclassify = []
default_priority = "P1"
channels = ["email"]
auto_close_after = "7 days"
after_hours_message = "We are always open."
notes = []

[hours]
mon = "00:00-24:00"
tue = "00:00-24:00"
wed = "00:00-24:00"
thu = "00:00-24:00"
fri = "00:00-24:00"
sat = "00:00-24:00"
sun = "00:00-24:00"

[clocks]
pending_pauses = []
warn = ["50%"]

[[priority]]
id = "P1"
name = "Everything"
definition = "Every ticket of this desk."
respond = "1 minute"
aliases = []
examples = []
"""


class Receiver:
    """A webhook endpoint on loopback that checks each signature as a receiver would."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        signature = request.headers.get("X-Intake-Signature", "")
        self.received.append(
            {
                "valid": hmac.compare_digest(expected, signature),
                "event": request.headers.get("X-Intake-Event"),
                "body": json.loads(raw),
                "arrived": time.time(),
            }
        )
        return web.Response(status=204)

    def events(self, number: int | None = None) -> list[str]:
        return [
            r["body"]["event"]
            for r in self.received
            if number is None or r["body"]["data"]["ticket"]["number"] == number
        ]


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/hook", found.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield found, f"http://127.0.0.1:{port}/hook"
    finally:
        await runner.cleanup()


def _config(tmp_path: Path, hook_url: str) -> Path:
    policy = tmp_path / "minute.toml"
    policy.write_text(POLICY)
    config = tmp_path / "intake.toml"
    config.write_text(
        f'[[desks]]\naddress = "support@localhost"\npolicy = "{policy}"\n\n'
        '[sla]\nnotify = ["desk@example.com"]\nscan_interval = "1s"\n\n'
        f'[[webhooks]]\nurl = "{hook_url}"\nevents = ["sla.warning", "sla.breached"]\n'
        'secret_env = "INTAKE_TEST_HOOK_SECRET"\n'
    )
    return config


@pytest.mark.timeout(300)
async def test_a_one_minute_target_warns_then_breaches_once_and_a_reply_is_met(
    tmp_path: Path,
    receiver: tuple[Receiver, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hooks, hook_url = receiver
    config = _config(tmp_path, hook_url)
    monkeypatch.setenv("INTAKE_TEST_HOOK_SECRET", SECRET)
    added = _intake(
        tmp_path, "staff", "add", "lee@example.com", "--name", "Lee", "--role", "lead",
        "--password-stdin", "--config", str(config), stdin="a long pass phrase\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    created = _intake(
        tmp_path, "tokens", "create", "--staff", "lee@example.com", "--name", "e2e",
        "--config", str(config),
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()

    with intake_serve(tmp_path, "--config", str(config)) as server:
        base = f"{server.http}/api/v1"
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as api:

            async def ticket_of(customer: str) -> dict[str, Any]:
                for _ in range(300):  # the intake worker opens it just after the 250
                    async with api.get(f"{base}/tickets") as response:
                        assert response.status == 200, await response.text()
                        page = (await response.json())["tickets"]
                    mine = [t for t in page if t["customer"] == customer]
                    if mine:
                        return mine[0]
                    await asyncio.sleep(0.1)
                raise AssertionError(f"no ticket for {customer}")

            async def detail(number: int) -> dict[str, Any]:
                async with api.get(f"{base}/tickets/{number}") as response:
                    assert response.status == 200
                    return dict(await response.json())

            async with aiosmtplib.SMTP(hostname=server.host, port=server.port) as smtp:
                await smtp.send_message(
                    mail(subject="Trunk down", sender="Ann <ann@example.com>"),
                    sender="ann@example.com",
                )
                await smtp.send_message(
                    mail(
                        subject="Voicemail broken",
                        sender="Bob <bob@example.com>",
                        Message_ID="<voicemail-1@example.com>",
                    ),
                    sender="bob@example.com",
                )
            unanswered = await ticket_of("ann@example.com")
            answered = await ticket_of("bob@example.com")
            arrived = datetime.fromisoformat(unanswered["received_at"])
            (respond,) = unanswered["clocks"]
            assert (respond["name"], respond["state"]) == ("respond", "pending")
            assert datetime.fromisoformat(respond["due"]) == arrived + timedelta(minutes=1)

            # Bob is answered through the API straight away.
            async with api.post(
                f"{base}/tickets/{answered['number']}/replies",
                json={"body": "We are restoring voicemail now."},
                headers={"Idempotency-Key": "bob-1"},
            ) as response:
                assert response.status == 201, await response.text()
            (bob_respond,) = (await detail(answered["number"]))["clocks"]
            assert (bob_respond["state"], bob_respond["remaining_seconds"]) == ("met", None)

            def replied() -> list[Path]:
                return [
                    p
                    for p in (tmp_path / "mail-out").glob("*.eml")
                    if b"restoring voicemail" in p.read_bytes()
                ]

            await _wait(replied)
            (sent_file,) = replied()
            sent = email.message_from_bytes(sent_file.read_bytes(), policy=email.policy.default)
            assert sent["In-Reply-To"] == "<voicemail-1@example.com>"
            assert "<voicemail-1@example.com>" in sent["References"]
            assert f"[#{answered['number']}]" in sent["Subject"]
            assert sent["To"].addresses[0].addr_spec == "bob@example.com"

            # Ann's ticket: the warning at 30 s, the breach at 60 s, on the real clock.
            number = unanswered["number"]
            await _wait(lambda: "sla.warning" in hooks.events(number), timeout=60)
            warned = datetime.fromisoformat(
                next(e for e in (await detail(number))["events"] if e["kind"] == "sla-warning")[
                    "at"
                ]
            )
            assert timedelta(seconds=30) <= warned - arrived < timedelta(seconds=40)
            assert (await detail(number))["clocks"][0]["at_risk"] is True
            async with api.get(f"{base}/tickets", params={"sla": "at-risk"}) as response:
                assert [t["number"] for t in (await response.json())["tickets"]] == [number]

            await _wait(lambda: "sla.breached" in hooks.events(number), timeout=60)
            breach = next(r for r in hooks.received if r["event"] == "sla.breached")
            assert datetime.fromisoformat(
                breach["body"]["data"]["sla"]["at"]
            ) == arrived + timedelta(minutes=1)
            noticed = datetime.fromisoformat(breach["body"]["created_at"])
            assert timedelta(minutes=1) <= noticed - arrived < timedelta(seconds=70)
            (ann_respond,) = (await detail(number))["clocks"]
            assert ann_respond["state"] == "breached"
            assert datetime.fromisoformat(ann_respond["breached_at"]) == arrived + timedelta(
                minutes=1
            )
            async with api.get(f"{base}/tickets", params={"sla": "breached"}) as response:
                assert [t["number"] for t in (await response.json())["tickets"]] == [number]

            await asyncio.sleep(4)  # a few more scans: nothing is repeated
            assert sorted(hooks.events()) == ["sla.breached", "sla.warning"]
            assert hooks.events(answered["number"]) == []
            assert all(r["valid"] for r in hooks.received)
            assert len({r["body"]["id"] for r in hooks.received}) == 2

            (bob_respond,) = (await detail(answered["number"]))["clocks"]
            assert bob_respond["state"] == "met"
