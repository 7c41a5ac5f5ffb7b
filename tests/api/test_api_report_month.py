"""A report's default month is the desk's, whoever asks: the workspace's `/reports` always
read it in the desk's zone, while `intake sla report` and `GET /sla/report` began the month in
UTC (at 22:00 in New York on 30 June, they reported on July)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from gateway.app import Gateway
from gateway.cli import app
from gateway.cli import sla as sla_cli
from gateway.clock import ManualClock
from gateway.policybook import PolicyBook
from gateway.sla.report import month_so_far, report_zone
from gateway.store import Store

from ..gateway.gateway_harness import make_settings
from .api_harness import Api, staff_with_token

NEW_YORK = ZoneInfo("America/New_York")
# 02:00 UTC on 1 July is still 30 June in New York (the demo desks' ThreePBX policy).
LATE_JUNE = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
JUNE_FIRST = datetime(2026, 6, 1, tzinfo=NEW_YORK)


def test_the_default_month_is_the_desks_and_the_first_desk_decides(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    book = PolicyBook(settings)
    zone = report_zone(settings, book, None)
    assert zone == NEW_YORK
    assert month_so_far(LATE_JUNE, zone) == (JUNE_FIRST, LATE_JUNE)
    # Desks in several zones: the first one listed sets the month, unless a policy is asked for.
    desks = [
        {"address": "ops@example.com", "policy": "jelastic"},  # UTC
        {"address": "support@example.com", "policy": "threepbx"},
    ]
    several = make_settings(tmp_path, desks=desks)
    book = PolicyBook(several)
    assert month_so_far(LATE_JUNE, report_zone(several, book, None))[0] == datetime(
        2026, 7, 1, tzinfo=UTC
    )
    assert month_so_far(LATE_JUNE, report_zone(several, book, "threepbx"))[0] == JUNE_FIRST
    # An unknown policy reports nothing (and says so); its month is the first desk's.
    assert report_zone(several, book, "no-such-policy") == ZoneInfo("UTC")


async def test_the_api_defaults_to_the_desks_month(
    api: Api, gateway: Gateway, clock: ManualClock
) -> None:
    lead = await staff_with_token(gateway, "lead@example.com", "lead")
    clock.set(LATE_JUNE)
    status, report = await api.call("GET", "/sla/report", token=lead)
    assert status == 200, report
    assert datetime.fromisoformat(report["since"]) == JUNE_FIRST


async def _empty_database(data_dir: Path) -> None:
    store = await Store.open(data_dir / "intake.db")
    await store.close()


def test_the_cli_defaults_to_the_desks_month(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sla_cli, "SystemClock", lambda: ManualClock(LATE_JUNE))
    config = tmp_path / "intake.toml"
    config.write_text("")
    asyncio.run(_empty_database(tmp_path))
    result = CliRunner().invoke(
        app,
        ["sla", "report", "--format", "json", "--config", str(config), "--data-dir", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert datetime.fromisoformat(json.loads(result.stdout)["since"]) == JUNE_FIRST
    # Asking for a policy reads the month in its zone (Jelastic's is UTC).
    result = CliRunner().invoke(
        app,
        [
            *("sla", "report", "--format", "json", "--policy", "jelastic"),
            *("--config", str(config), "--data-dir", str(tmp_path)),
        ],
    )
    assert datetime.fromisoformat(json.loads(result.stdout)["since"]) == datetime(
        2026, 7, 1, tzinfo=UTC
    )
