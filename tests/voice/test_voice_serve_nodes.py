"""Two `intake serve` processes on one PostgreSQL under SMTP and Twilio webhook load.

Several clients send mail to both nodes (two MX hosts) while Twilio posts texts and voicemails
to both (some texts to both, as Twilio does when it retries on the fallback URL). Node a is
SIGKILLed mid-burst, right after it paged alice for a voicemail, and restarted later:

- every message that got `250` and every webhook that got a 2xx is stored exactly once;
- every acknowledgement (mail and SMS) and every page is handed over exactly once;
- alice does not answer, and node b pages bob on time while node a is dead.

Escalation delays, leases and send timeouts are seconds here (config), so the run is short.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import aiohttp
import aiosmtplib
import pytest

from tests.pg_server import query_sync

from .fake_twilio import FakeTwilio
from .phone_harness import ALICE, BOB, DESK_NUMBER, OUTAGE, PUBLIC, QUESTION, SENDER, Phone, sids
from .test_voice_serve import closed_policy
from .twilio_account import ACCOUNT_SID, AUTH_TOKEN

# Three starts of `intake serve` (each loads the classifier) and a drain on a shared machine.
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:twilio"),
    pytest.mark.timeout(360),
]

READY = re.compile(r"intake ready: smtp=(?P<host>[\d.]+):(?P<port>\d+) http=(?P<http>http://\S+)")
DESK = "support@acme.test"
STEP_DELAY = 12  # seconds alice, then bob, have to acknowledge


def config(tmp_path: Path, fake: FakeTwilio, url: str) -> Path:
    policy = closed_policy(tmp_path / "nightdesk.toml")
    path = tmp_path / "intake.toml"
    path.write_text(
        f"""
public_url = "{PUBLIC}"

[store]
url = "{url}"

[worker]
claim_lease = "3s"

[outbox]
send_timeout = "2s"
sms_send_timeout = "2s"
reconcile_after = "1s"
backoff_initial = "1s"

[[desks]]
address = "{DESK}"
name = "Acme Support"
policy = "{policy}"
phone = "{DESK_NUMBER}"

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
escalation = {{ step = [ {{ target = "alice", delay = "{STEP_DELAY}s" }}, {{ target = "bob", delay = "{STEP_DELAY}s" }} ] }}
"""
    )
    return path


@dataclass
class Node:
    process: asyncio.subprocess.Process
    smtp: tuple[str, int]
    http: str

    @property
    def alive(self) -> bool:
        return self.process.returncode is None


@asynccontextmanager
async def node(config_path: Path, data_dir: Path, name: str) -> AsyncIterator[Node]:
    env = {**os.environ, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
    env.pop("INTAKE_CONFIG", None)
    with (data_dir / f"serve-{name}.log").open("a") as log:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "gateway.cli", "serve", "--config", str(config_path)),
            *("--data-dir", str(data_dir), "--smtp-port", "0", "--http-port", "0"),
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            env=env,
        )
        assert process.stdout is not None
        try:
            line = (await asyncio.wait_for(process.stdout.readline(), 120)).decode()
            match = READY.search(line)
            assert match, f"no ready line from node {name}: {line!r}"
            yield Node(process, (match["host"], int(match["port"])), match["http"])
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()


async def eventually(check: Callable[[], bool], timeout: float, what: str) -> None:
    end = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < end, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def mail_load(target: Node, prefix: str, total: int, accepted: list[str]) -> None:
    """Four clients sending `total` mails to one node; a Message-ID counts once it got 250."""
    queue = list(range(total))

    async def client() -> None:
        while queue:
            n = queue.pop(0)
            message = EmailMessage()
            message["From"] = f"c{prefix}{n}@example.com"
            message["To"] = DESK
            message["Subject"] = f"Voicemail greeting {prefix}{n}"
            message["Message-ID"] = f"<nodes-{prefix}{n}@example.com>"
            message.set_content(QUESTION)
            try:
                await aiosmtplib.send(
                    message, hostname=target.smtp[0], port=target.smtp[1], timeout=10
                )
            except (aiosmtplib.SMTPException, OSError):
                continue  # the node died under us: never promised
            accepted.append(f"nodes-{prefix}{n}@example.com")

    await asyncio.gather(*(client() for _ in range(4)))


async def text_load(
    phones: list[Phone], first: int, total: int, accepted: set[str], session_ok: list[int]
) -> None:
    """Customers texting; every third text goes to both nodes (Twilio's retry on the
    fallback URL). A SID counts once some node answered it 2xx."""
    for n in range(first, first + total):
        sid = sids("SM", n)
        sender = f"+1415555{n:04d}"  # not a staff number: those texts are commands
        targets = phones if n % 3 == 0 else [phones[n % len(phones)]]
        for phone in targets:
            try:
                status, _ = await phone.text(sender, f"{QUESTION} (#{n})", sid)
            except (aiohttp.ClientError, OSError):
                continue
            session_ok.append(status)
            if 200 <= status < 300:
                accepted.add(sid)


async def voicemail(phone: Phone, n: int, text: str) -> str | None:
    """A whole call to one node; its recording SID once every webhook got 2xx."""
    call, recording = sids("CA", n), sids("RE", n)
    caller = f"+1303555{n:04d}"
    try:
        if (await phone.incoming(call, caller))[0] != 200:
            return None
        if (await phone.recorded(call, recording, caller))[0] != 200:
            return None
        if (await phone.transcription(call, recording, text, caller=caller))[0] // 100 != 2:
            return None
    except (aiohttp.ClientError, OSError):
        return None
    return recording


def count(url: str, sql: str, *args: object) -> int:
    return int(query_sync(url, sql, *args)[0][0])


async def test_two_serve_nodes_under_mail_and_webhooks_one_killed(
    tmp_path: Path, pg_url: str, fake_twilio: FakeTwilio
) -> None:
    path = config(tmp_path, fake_twilio, pg_url)
    data = tmp_path / "data"
    data.mkdir()
    mails: list[str] = []
    texts: set[str] = set()
    statuses: list[int] = []
    recordings: list[str] = []

    def sent_to(number: str) -> list[dict[str, object]]:
        return [m for m in fake_twilio.messages if m["to"] == number]

    async with aiohttp.ClientSession() as session, node(path, data, "b") as node_b:
        phone_b = Phone(node_b.http, session)
        async with node(path, data, "a") as node_a:
            phone_a = Phone(node_a.http, session)
            # A voicemail on node a pages alice; nobody will acknowledge it.
            first = await voicemail(phone_a, 1, OUTAGE)
            assert first is not None
            recordings.append(first)
            await eventually(lambda: bool(sent_to(ALICE)), 30, "the page to alice")
            alice_paged_at = asyncio.get_running_loop().time()
            bob_paged_at: list[float] = []

            async def watch_bob() -> None:
                await eventually(lambda: bool(sent_to(BOB)), 120, "the page to bob")
                bob_paged_at.append(asyncio.get_running_loop().time())

            watcher = asyncio.create_task(watch_bob())

            mail_a: list[str] = []
            loads = [
                asyncio.create_task(mail_load(node_a, "a", 150, mail_a)),
                asyncio.create_task(mail_load(node_b, "b", 150, mails)),
                asyncio.create_task(text_load([phone_a, phone_b], 1, 60, texts, statuses)),
            ]
            calls = [
                asyncio.create_task(voicemail((phone_a, phone_b)[n % 2], n, QUESTION))
                for n in range(2, 6)
            ]
            await eventually(lambda: len(mail_a) >= 25, 60, "a burst on node a")
            node_a.process.send_signal(signal.SIGKILL)
            await node_a.process.wait()
            killed_at = asyncio.get_running_loop().time()
            await asyncio.gather(*loads)
            recordings.extend(r for r in await asyncio.gather(*calls) if r is not None)
            mails.extend(mail_a)
            assert len(mail_a) < 150, "the kill should interrupt the load on node a"

        # Alice's step runs out while node a is dead: node b pages bob, on time (its
        # escalation worker polls every second; the machine may be busy).
        await watcher
        assert killed_at < bob_paged_at[0], "node a was still alive when bob was paged"
        assert STEP_DELAY - 1 <= bob_paged_at[0] - alice_paged_at <= STEP_DELAY + 15

        async with node(path, data, "a2") as node_a:
            phone_a = Phone(node_a.http, session)
            more: list[str] = []
            await asyncio.gather(
                mail_load(node_a, "c", 30, more),
                text_load([phone_a, phone_b], 100, 12, texts, statuses),
            )
            assert len(more) == 30
            mails.extend(more)

            def drained() -> bool:
                return (
                    count(pg_url, "SELECT COUNT(*) FROM inbox WHERE state = 'new'") == 0
                    and count(
                        pg_url,
                        "SELECT COUNT(*) FROM outbox WHERE state = 'pending'"
                        " OR (state = 'unconfirmed' AND sent_at IS NULL)",
                    )
                    == 0
                )

            await eventually(drained, 180, "both nodes to drain the inbox and outbox")
            node_a.process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(node_a.process.wait(), 30) == 0
        node_b.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(node_b.process.wait(), 30) == 0

    # Mail: every 250 stored once, one ticket and one acknowledgement each.
    stored = [
        row["message_id"]
        for row in query_sync(
            pg_url,
            "SELECT message_id FROM messages WHERE direction = 'in' AND message_id LIKE 'nodes-%'",
        )
    ]
    assert len(stored) == len(set(stored)), "a message was stored twice"
    assert set(mails) <= set(stored), "a message that got 250 was lost"
    mail_acks = query_sync(
        pg_url, "SELECT idempotency_key, state FROM outbox WHERE purpose = 'ack' AND kind = 'email'"
    )
    assert {a["state"] for a in mail_acks} == {"sent"}
    assert len(mail_acks) == len(stored), "one acknowledgement per mail ticket"
    files = sorted(p.stem for p in (data / "mail-out").glob("*.eml"))
    assert files == sorted(a["idempotency_key"] for a in mail_acks), "acks not once each"

    # Texts: every SID answered 2xx stored once (a SID posted to both nodes too).
    assert statuses and {s for s in statuses if s // 100 != 2} == set()
    inbox_sids = [
        row["source_key"]
        for row in query_sync(pg_url, "SELECT source_key FROM inbox WHERE channel = 'sms'")
    ]
    assert len(inbox_sids) == len(set(inbox_sids))
    assert {f"sms:{sid}" for sid in texts} <= set(inbox_sids), "a text that got 2xx was lost"
    unthreaded = query_sync(
        pg_url,
        "SELECT i.id, i.source_key, i.state, i.error, i.attempts FROM inbox i WHERE i.channel = 'sms'"
        " AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.inbox_id = i.id)",
    )
    assert [dict(r) for r in unthreaded] == [], "a text got no message on a ticket"
    text_messages = count(
        pg_url, "SELECT COUNT(*) FROM messages WHERE direction = 'in' AND channel = 'sms'"
    )
    assert text_messages == len(set(inbox_sids)), "a text was stored twice"

    # Voicemails: one ticket per recording.
    for recording in recordings:
        assert (
            count(pg_url, "SELECT COUNT(*) FROM voicemails WHERE recording_sid = ?", recording) == 1
        )

    # Every SMS handed to Twilio exactly once: each sent outbox row is one message there.
    sms_rows = query_sync(
        pg_url, "SELECT idempotency_key, purpose, state, provider_id FROM outbox WHERE kind = 'sms'"
    )
    sent_rows = [r for r in sms_rows if r["state"] == "sent"]
    provider_ids = [r["provider_id"] for r in sent_rows]
    assert len(provider_ids) == len(set(provider_ids))
    at_twilio = [m["sid"] for m in fake_twilio.messages]
    assert len(at_twilio) == len(set(at_twilio))
    assert sorted(at_twilio) == sorted(provider_ids), "an SMS was sent twice or not recorded"
    bodies = [(m["to"], m["body"]) for m in fake_twilio.messages]
    assert len(bodies) == len(set(bodies)), "the same SMS went out twice"
    sms_acks = [r for r in sent_rows if r["purpose"] == "ack"]
    sms_tickets = count(pg_url, "SELECT COUNT(*) FROM tickets WHERE channel IN ('sms', 'voice')")
    assert len(sms_acks) == sms_tickets, "one acknowledgement per phone ticket"

    # The chain node a started went on without it: alice, then bob, once each.
    steps = query_sync(
        pg_url,
        "SELECT p.step, p.phone, p.state FROM pages p JOIN page_chains c ON c.id = p.chain_id"
        " JOIN voicemails v ON v.ticket_id = c.ticket_id WHERE v.recording_sid = ?"
        " ORDER BY p.step",
        first,
    )
    assert [(r["step"], r["phone"], r["state"]) for r in steps[:2]] == [
        (1, ALICE, "sent"),
        (2, BOB, "sent"),
    ]
