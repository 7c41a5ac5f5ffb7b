"""FileSmsTransport: JSON lines, one per idempotency key, across restarts."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.clock import ManualClock
from gateway.transports.base import OutboundSms, SmsTransport
from gateway.transports.file_sms import FileSmsTransport

SMS = OutboundSms(to="+12025550101", body="Ticket 4821: Reply 4821 A", validity_period=600)
CLOCK = ManualClock(datetime(2026, 3, 9, 13, 30, tzinfo=UTC))


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_appends_one_json_object_per_message(tmp_path: Path) -> None:
    path = tmp_path / "data" / "sms-out.jsonl"
    sms: SmsTransport = FileSmsTransport(path, sender="+12025550199", clock=CLOCK)

    assert await sms.send_sms(SMS, "page:7:1:1") == "file-page:7:1:1"
    await sms.send_sms(OutboundSms(to="+12025550102", body="ok", sender="+12025550188"), "ack:7")

    assert lines(path) == [
        {
            "key": "page:7:1:1",
            "to": "+12025550101",
            "from": "+12025550199",
            "body": "Ticket 4821: Reply 4821 A",
            "validity_period": 600,
            "sent_at": "2026-03-09T13:30:00+00:00",
        },
        {
            "key": "ack:7",
            "to": "+12025550102",
            "from": "+12025550188",
            "body": "ok",
            "validity_period": None,
            "sent_at": "2026-03-09T13:30:00+00:00",
        },
    ]


async def test_the_same_key_is_written_once(tmp_path: Path) -> None:
    path = tmp_path / "sms-out.jsonl"
    sms = FileSmsTransport(path, clock=CLOCK)

    results = await asyncio.gather(*(sms.send_sms(SMS, "page:7:1:1") for _ in range(5)))
    await sms.send_sms(SMS, "page:7:1:1")

    assert set(results) == {"file-page:7:1:1"}
    assert len(lines(path)) == 1


async def test_keys_already_in_the_file_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "sms-out.jsonl"
    await FileSmsTransport(path, clock=CLOCK).send_sms(SMS, "page:7:1:1")

    again = FileSmsTransport(path, clock=CLOCK)
    await again.send_sms(SMS, "page:7:1:1")
    await again.send_sms(SMS, "page:7:2:1")

    assert [record["key"] for record in lines(path)] == ["page:7:1:1", "page:7:2:1"]


async def test_a_torn_last_line_is_skipped_and_not_glued_to(tmp_path: Path) -> None:
    path = tmp_path / "sms-out.jsonl"
    path.write_text('{"key": "a", "to": "+1"}\n{"key": "b", "to"')

    sms = FileSmsTransport(path, clock=CLOCK)
    await sms.send_sms(SMS, "a")
    await sms.send_sms(SMS, "b")
    await sms.aclose()

    text_lines = path.read_text().splitlines()
    assert text_lines[1] == '{"key": "b", "to"'
    assert [json.loads(line)["key"] for line in (text_lines[0], *text_lines[2:])] == ["a", "b"]


async def test_sms_sent_together_are_appended_with_one_fsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sms-out.jsonl"
    sms = FileSmsTransport(path, clock=CLOCK)
    appends: list[str] = []
    append = sms._append
    monkeypatch.setattr(sms, "_append", lambda text: (appends.append(text), append(text))[1])
    keys = ["page-1", "ack-2", "page-1", "ack-3"]  # one key twice: written once
    ids = await asyncio.gather(*(sms.send_sms(SMS, key) for key in keys))
    assert ids == [f"file-{key}" for key in keys]
    assert len(appends) == 1
    assert [line["key"] for line in lines(path)] == ["page-1", "ack-2", "ack-3"]
    await sms.send_sms(SMS, "ack-2")  # and never again afterwards
    assert len(lines(path)) == 3
