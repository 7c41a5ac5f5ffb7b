"""The SLA attainment report: `gateway.sla.report.attainment` and `intake sla report`."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.app import Gateway
from gateway.cli import app
from gateway.clock import ManualClock
from gateway.sla.report import attainment
from gateway.store.connection import Connection
from gateway.store.tickets import ticket_by_number

from .gateway_harness import DefaultProposer, mail, make_settings, query, send, settle
from .test_sla_clocks import TUESDAY, staff_reply

H = timedelta(hours=1)
runner = CliRunner()


async def _desk(data_dir: Path) -> None:
    """Four ThreePBX tickets on Tuesday 2026-06-02: P4 answered in 2 h, P4 answered in 10 h
    (late), P4 unanswered and past due at the end, P3 answered in 1 h and resolved."""
    settings = make_settings(data_dir, sla={"notify": ["desk@example.com"]})
    clock = ManualClock(TUESDAY)
    gw = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gw.start()
    try:
        for n, headers in enumerate(({}, {}, {}, {"X_Priority": "3"})):
            await send(gw, mail(sender=f"c{n}@example.com", **headers), sender=f"c{n}@example.com")
        await settle(gw)

        async def reply(customer: str, at: datetime) -> None:
            # By customer, not number: within one batch the most urgent ticket opens first.
            ((number,),) = query(gw, "SELECT number FROM tickets WHERE customer = ?", customer)
            clock.set(at)

            async def op(db: Connection) -> None:
                ticket = await ticket_by_number(db, number)
                assert ticket is not None
                await staff_reply(gw, db, ticket, at)

            await gw.store.write(op)

        await reply("c3@example.com", TUESDAY + H)
        await reply("c0@example.com", TUESDAY + 2 * H)
        await reply("c1@example.com", TUESDAY + 10 * H)
        clock.set(TUESDAY + 12 * H)
        await gw.clocks.run_once()
    finally:
        await gw.stop()


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("sla-report")
    asyncio.run(_desk(data_dir))
    return data_dir


def _report(desk: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["sla", "report", "--data-dir", str(desk), *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_report_counts_met_breached_and_open(desk: Path) -> None:
    code, out, _ = _report(
        desk, "--since", "2026-06-01", "--until", "2026-06-30", "--format", "json"
    )
    assert code == 0
    rows = {(r["priority"], r["clock"]): r for r in json.loads(out)["rows"]}
    p4 = rows[("P4", "respond")]
    assert (p4["count"], p4["met"], p4["breached"], p4["open"]) == (3, 1, 2, 0)
    assert p4["attainment_percent"] == 33.3
    assert (p4["median"], p4["p90"], p4["unit"]) == (6.0, 10.0, "hours")  # 2 h and 10 h
    p3 = rows[("P3", "respond")]
    assert (p3["count"], p3["met"], p3["attainment_percent"], p3["median"]) == (1, 1, 100.0, 1.0)
    resolve = rows[("P3", "resolve")]  # 8 business hours; never resolved, long past due now
    assert (resolve["unit"], resolve["count"], resolve["breached"]) == ("business hours", 1, 1)


def test_business_clocks_report_in_business_hours(tmp_path: Path) -> None:
    """Time to meet a business clock is counted in open time: a P3 ThreePBX ticket resolved
    the next morning took 2 + 1 business hours, not 15 elapsed hours."""
    from gateway.sla.refresh import refresh_clocks
    from gateway.store.tickets import add_event

    async def story() -> None:
        settings = make_settings(tmp_path)
        start = datetime(2026, 6, 2, 21, 0, tzinfo=UTC)  # 17:00 New York
        clock = ManualClock(start)
        gw = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
        await gw.start()
        try:
            await send(gw, mail(X_Priority="3"))
            await settle(gw)

            async def resolve(db: Connection) -> None:
                ticket = await ticket_by_number(db, 1001)
                assert ticket is not None
                at = start + 16 * H  # 09:00 New York the next morning
                await add_event(db, ticket.id, at, "status-changed", new="resolved", by="t")
                await refresh_clocks(db, gw.policies.get("threepbx"), ticket.id, at)

            await gw.store.write(resolve)
            rows = await gw.store.read(
                lambda db: attainment(
                    db, gw.policies, since=start - H, until=start + H, now=start + 17 * H
                )
            )
            resolve_row = next(r for r in rows if r.clock == "resolve")
            assert (resolve_row.median, resolve_row.unit) == (3.0, "business hours")
            assert (resolve_row.met, resolve_row.breached) == (1, 0)  # in 3 business hours
        finally:
            await gw.stop()

    asyncio.run(story())


def test_csv_and_tsv_have_a_header_and_one_line_per_row(desk: Path) -> None:
    code, out, _ = _report(
        desk, "--since", "2026-06-01", "--until", "2026-06-30", "--format", "csv"
    )
    assert code == 0
    lines = list(csv.reader(io.StringIO(out)))
    assert lines[0][:4] == ["policy", "priority", "clock", "count"]
    assert [
        "threepbx",
        "P4",
        "respond",
        "3",
        "1",
        "2",
        "0",
        "33.3",
        "6.0",
        "10.0",
        "hours",
    ] in lines
    code, out, _ = _report(desk, "--since", "2026-06-01", "--until", "2026-06-30")  # piped: tsv
    assert out.splitlines()[0].split("\t")[:3] == ["policy", "priority", "clock"]


def test_an_empty_period_or_policy_says_so(desk: Path) -> None:
    code, _out, err = _report(desk, "--since", "2025-01-01", "--until", "2025-01-31")
    assert code == 0
    assert "no SLA clocks started from 2025-01-01" in err
    code, _out, err = _report(
        desk, "--since", "2026-06-01", "--until", "2026-06-30", "--policy", "msp"
    )
    assert "no SLA clocks started under policy msp" in err


def test_bad_periods_are_sentences(desk: Path) -> None:
    code, _, err = _report(desk, "--since", "yesterday")
    assert code == 2 and err.startswith("intake: --since: not an ISO 8601 time")
    code, _, err = _report(desk, "--since", "2026-06-30", "--until", "2026-06-01")
    assert code == 2 and "must be before --until" in err
    code, _, err = _report(desk, "--format", "xml")
    assert code == 2


def test_until_a_date_includes_that_day(desk: Path) -> None:
    _code, out, _ = _report(
        desk, "--since", "2026-06-02", "--until", "2026-06-02", "--format", "json"
    )
    # The whole day in the desk's zone (ThreePBX: New York), no longer UTC's day.
    assert json.loads(out)["until"] == "2026-06-03T00:00:00-04:00"
    assert json.loads(out)["rows"]


def test_dates_without_an_offset_are_the_desks(desk: Path) -> None:
    """`--since 2026-06-02` is midnight in New York (the demo desk's ThreePBX), as on the
    workspace's /reports; an offset or a policy in another zone says otherwise."""
    _code, out, _ = _report(desk, "--since", "2026-06-02", "--format", "json")
    assert json.loads(out)["since"] == "2026-06-02T00:00:00-04:00"
    _code, out, _ = _report(desk, "--since", "2026-06-02T09:30", "--format", "json")
    assert json.loads(out)["since"] == "2026-06-02T09:30:00-04:00"
    _code, out, _ = _report(desk, "--since", "2026-06-02T00:00Z", "--format", "json")
    assert json.loads(out)["since"] == "2026-06-02T00:00:00+00:00"
    _code, out, _ = _report(
        desk, "--since", "2026-06-02", "--policy", "restcomm-standard", "--format", "json"
    )
    assert json.loads(out)["since"] == "2026-06-02T00:00:00-05:00"  # Chicago
    # The tickets arrived at 10:00 in New York (14:00 UTC): until 11:00 is the desk's 11:00.
    _code, out, _ = _report(
        desk, "--since", "2026-06-02", "--until", "2026-06-02T11:00", "--format", "json"
    )
    assert json.loads(out)["until"] == "2026-06-02T11:00:00-04:00"
    assert sum(r["count"] for r in json.loads(out)["rows"] if r["clock"] == "respond") == 4


def test_rfo_sent_meets_the_rfo_clock(tmp_path: Path) -> None:
    from gateway.sla.refresh import refresh_clocks
    from gateway.store.tickets import add_event

    start = datetime.now(UTC) - 3 * H

    async def story() -> None:
        settings = make_settings(tmp_path)
        clock = ManualClock(start)
        gw = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
        await gw.start()
        try:
            await send(gw, mail(X_Priority="1"))  # P2 under ThreePBX: rfo within 96 hours
            await send(gw, mail(sender="d@example.com"), sender="d@example.com")  # P4
            await settle(gw)

            async def resolve(db: Connection) -> None:
                ticket = await ticket_by_number(db, 1001)
                assert ticket is not None
                at = start + H
                await add_event(db, ticket.id, at, "status-changed", new="resolved", by="t")
                await refresh_clocks(db, gw.policies.get("threepbx"), ticket.id, at)

            await gw.store.write(resolve)
        finally:
            await gw.stop()

    asyncio.run(story())
    result = runner.invoke(app, ["sla", "rfo-sent", "1001", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ticket #1001: reason for outage recorded; rfo clock met")
    other = runner.invoke(app, ["sla", "rfo-sent", "1002", "--data-dir", str(tmp_path)])
    assert "P4 under threepbx has no reason-for-outage clock" in other.stdout
    missing = runner.invoke(app, ["sla", "rfo-sent", "7", "--data-dir", str(tmp_path)])
    assert (missing.exit_code, missing.stderr) == (1, "intake: no ticket #7\n")
