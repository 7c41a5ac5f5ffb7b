"""`intake oncall`: who is on call, and the escalation chain behind them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gateway.cli_common import settings_from_cli
from gateway.clock import SystemClock
from gateway.config.oncall import OnCallConfig, Staff
from voice.oncall import OnCallSchedule, PageStep, Shift

oncall_app = typer.Typer(
    help="Show the on-call schedule and escalation chain.", no_args_is_help=True
)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        envvar="INTAKE_CONFIG",
        help="The gateway config file (TOML) holding the [oncall] table.",
    ),
]
AtOption = Annotated[
    str | None,
    typer.Option(
        "--at", help="ISO 8601 instant; without an offset it is read in the on-call zone."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@oncall_app.callback()
def _oncall() -> None:
    """Show the on-call schedule and escalation chain."""


@oncall_app.command()
def now(
    config: ConfigOption = None,
    at: AtOption = None,
    as_json: JsonOption = False,
) -> None:
    """Who is on call now (or --at), and who gets paged if they do not acknowledge."""
    schedule = OnCallSchedule(load_oncall_config(config))
    instant = _parse_at(at, schedule) if at else SystemClock().now()
    shift = schedule.shift(instant)
    chain = schedule.chain(instant)
    if as_json:
        typer.echo(json.dumps(_as_json(schedule, instant, shift, chain), indent=2))
    else:
        _print_table(schedule, instant, shift, chain)


def load_oncall_config(path: Path | None) -> OnCallConfig:
    """The [oncall] table of the gateway's settings (file, then INTAKE_* environment), validated
    with everything else; any error exits 2 with one line naming the file and field."""
    settings = settings_from_cli(path)
    if settings.oncall is None:
        _fail(f"intake: {path or 'the configuration'}: oncall: missing [oncall] table")
    return settings.oncall


def _parse_at(text: str, schedule: OnCallSchedule) -> datetime:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        _fail(f"intake: --at: not an ISO 8601 time: {text!r}")
    return instant.replace(tzinfo=schedule.tz) if instant.tzinfo is None else instant


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(2)


def _local(schedule: OnCallSchedule, at: datetime) -> str:
    return at.astimezone(schedule.tz).strftime("%a %Y-%m-%d %H:%M %Z")


def _minutes(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{secs}s" if secs else "",
    ]
    return "".join(parts) or "0m"


def _print_table(
    schedule: OnCallSchedule, at: datetime, shift: Shift, chain: list[PageStep]
) -> None:
    console = Console()
    who = shift.staff
    console.print(
        f"At {_local(schedule, at)}: [bold]{escape(who.name)}[/bold] ({who.id}, {who.phone})"
    )
    console.print(
        f"  {shift.source} shift {_local(schedule, shift.start)} → {_local(schedule, shift.end)}"
    )
    table = Table(title="Escalation chain")
    for column in ("#", "pages at", "target", "who", "phone", "waits"):
        table.add_column(column)
    for step in chain:
        table.add_row(
            str(step.number),
            f"+{_minutes(step.after)}",
            step.target,
            escape(f"{step.staff.name} ({step.staff.id})"),
            step.staff.phone,
            _minutes(step.delay),
        )
    console.print(table)


def _as_json(
    schedule: OnCallSchedule, at: datetime, shift: Shift, chain: list[PageStep]
) -> dict[str, Any]:
    return {
        "at": at.astimezone(schedule.tz).isoformat(),
        "timezone": schedule.config.timezone,
        "on_call": {
            **_person(shift.staff),
            "source": shift.source,
            "shift_start": shift.start.astimezone(schedule.tz).isoformat(),
            "shift_end": shift.end.astimezone(schedule.tz).isoformat(),
        },
        "chain": [
            {
                "step": step.number,
                "round": step.round,
                "target": step.target,
                **_person(step.staff),
                "after_seconds": int(step.after.total_seconds()),
                "delay_seconds": int(step.delay.total_seconds()),
            }
            for step in chain
        ],
    }


def _person(staff: Staff) -> dict[str, str]:
    return {"id": staff.id, "name": staff.name, "phone": staff.phone}
