"""Fixtures for the voice tests: a fake Twilio REST server and a sample on-call config."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from .fake_twilio import FakeTwilio
from .phone_harness import Desk, running_desk
from .twilio_account import ACCOUNT_SID, AUTH_TOKEN


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture
def oncall_table() -> dict[str, Any]:
    """A weekly rotation (Mondays 09:00 New York) of three, a manager as fallback."""
    return {
        "timezone": "America/New_York",
        "staff": [
            {"id": "alice", "name": "Alice Example", "phone": "+12025550101"},
            {"id": "bob", "name": "Bob Example", "phone": "(202) 555-0102"},
            {"id": "carol", "name": "Carol Example", "phone": "+1 202 555 0103"},
            {"id": "dana", "name": "Dana Manager", "phone": "+442079460000"},
        ],
        "rotation": {
            "kind": "weekly",
            "handoff": "09:00",
            "handoff_day": "mon",
            "start": "2026-01-05",
            "order": ["alice", "bob", "carol"],
        },
        "override": [
            {"staff": "dana", "start": "2026-12-24T18:00", "end": "2026-12-26T09:00"},
        ],
        "escalation": {
            "repeat": 1,
            "fallback": "dana",
            "step": [
                {"target": "primary", "delay": "10m"},
                {"target": "secondary", "delay": "5m"},
            ],
        },
    }


@pytest.fixture
def twilio_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)


@pytest.fixture
async def desk(
    tmp_path: Path,
    oncall_table: dict[str, Any],
    fake_twilio: FakeTwilio,
    twilio_env: None,
    store_url: str | None,
) -> AsyncIterator[Desk]:
    """The phone desk at night (Saturday 03:00 in New York), alice on call; on each backend."""
    async with running_desk(tmp_path, oncall_table, fake_twilio, store__url=store_url) as running:
        yield running
