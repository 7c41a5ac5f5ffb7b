"""`intake sla report`: SLA attainment per policy x priority x clock over a period;
`intake sla rfo-sent N`: the reason for outage was given, which meets the rfo clock.

Periods: `--since` and `--until` take a date (`2026-11-01`) or an ISO 8601 instant; without an
offset they are read in the desk's zone (the `--policy`'s, else the first desk's policy's:
`gateway.sla.report.report_zone`), as on the workspace's `/reports` and in the API. A bare
`--until` date includes that whole day. A clock belongs to the period it started in. The
default period is this month so far in that zone.
"""

from __future__ import annotations

import asyncio
import enum
import json
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from gateway.cli.common import (
    CONFIG_OPTION,
    DATA_DIR_OPTION,
    OutputFormat,
    fail,
    one_line,
    print_rows,
    settings_from_cli,
    usage_error,
    with_store,
)
from gateway.cli.policies import sla_app
from gateway.clock import SystemClock
from gateway.config import Settings
from gateway.policybook import PolicyBook
from gateway.promise import format_local
from gateway.sla.report import (
    COLUMNS,
    ReportRow,
    attainment,
    cells,
    csv_text,
    month_so_far,
    read_bound,
    report_zone,
)
from gateway.store import Store
from gateway.store import tickets as tickets_sql
from gateway.store.connection import Connection


class ReportFormat(enum.StrEnum):
    table = "table"
    tsv = "tsv"
    json = "json"
    csv = "csv"


def _bound(text: str, option: str, zone: ZoneInfo, *, end: bool) -> datetime:
    try:
        return read_bound(text, zone, end=end)
    except ValueError as error:
        usage_error(f"{option}: {error}")


@sla_app.command("report")
def sla_report(
    since: str | None = typer.Option(
        None,
        "--since",
        help="Start: a date or ISO 8601 instant, in the policy's zone (else the first desk's)"
        " without an offset [default: the first of this month in that zone].",
    ),
    until: str | None = typer.Option(
        None, "--until", help="End: a date (that day included) or an instant [default: now]."
    ),
    policy: str | None = typer.Option(None, "--policy", help="Only this policy (its name)."),
    fmt: ReportFormat | None = typer.Option(
        None,
        "--format",
        help="table, tsv, json or csv [default: table on a terminal, tsv when piped].",
        case_sensitive=False,
    ),
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Attainment per policy, priority and clock: met, breached, open, median and p90 time."""
    settings = settings_from_cli(config, data_dir)
    now = SystemClock().now()
    book = PolicyBook(settings)
    zone = report_zone(settings, book, policy)
    month_start, _ = month_so_far(now, zone)
    start = _bound(since, "--since", zone, end=False) if since else month_start
    end = _bound(until, "--until", zone, end=True) if until else now
    if start >= end:
        usage_error(f"--since ({start.isoformat()}) must be before --until ({end.isoformat()})")

    async def work(store: Store) -> list[ReportRow]:
        return await store.read(
            lambda db: attainment(db, book, since=start, until=end, now=now, policy=policy)
        )

    rows = asyncio.run(with_store(settings, work))
    period = f"{start.isoformat()} to {end.isoformat()}"
    if not rows:
        which = f" under policy {one_line(policy)}" if policy else ""
        typer.echo(f"intake: no SLA clocks started{which} from {period}", err=True)
    records = [row.as_dict() for row in rows]
    chosen = fmt or (ReportFormat.table if sys.stdout.isatty() else ReportFormat.tsv)
    if chosen is ReportFormat.json:
        typer.echo(
            json.dumps(
                {"since": start.isoformat(), "until": end.isoformat(), "rows": records}, indent=2
            )
        )
        return
    if chosen is ReportFormat.csv:
        typer.echo(csv_text(rows), nl=False)
        return
    print_rows(
        OutputFormat(chosen.value),
        COLUMNS,
        [cells(row) for row in rows],
        records,
        title=f"SLA attainment, {period}",
    )


@sla_app.command("rfo-sent")
def sla_rfo_sent(
    number: int = typer.Argument(..., help="Ticket number."),
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Record that the customer has the reason for outage (meets the ticket's rfo clock)."""
    settings = settings_from_cli(config, data_dir)
    typer.echo(asyncio.run(with_store(settings, lambda s: _rfo_sent(s, settings, number))))


async def _rfo_sent(store: Store, settings: Settings, number: int) -> str:
    from gateway.app import ticket_service_for
    from gateway.cli.tickets import _operator
    from gateway.sla.views import ticket_clocks_at

    clock = SystemClock()
    book = PolicyBook(settings)
    service, _ = ticket_service_for(settings, clock, book)
    now = clock.now()

    async def write(db: Connection) -> str:
        ticket = await tickets_sql.ticket_by_number(db, number)
        if ticket is None:
            raise fail(f"no ticket #{number}")
        policy = service.policy_of(ticket)
        await service.record_rfo(db, ticket, actor=f"cli:{_operator()}", now=now)
        clocks = await ticket_clocks_at(db, book, ticket, now)
        rfo = [c for c in clocks.clocks if c.name == "rfo"]
        if not rfo:
            return (
                f"ticket #{number}: reason for outage recorded; its priority"
                f" {ticket.effective_priority} under {policy.name} has no reason-for-outage clock"
            )
        due = format_local(rfo[0].due_at, policy.tz)
        return f"ticket #{number}: reason for outage recorded; rfo clock {rfo[0].state} (due {due})"

    return await store.write(write)
