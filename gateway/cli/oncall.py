"""`intake oncall`: who is on call, and the escalation chain behind them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from gateway.cli.common import (
    CONFIG_OPTION,
    FORMAT_OPTION,
    USAGE,
    OutputFormat,
    clean,
    fail,
    output_format,
    parse_instant,
    plain,
    print_rows,
    settings_from_cli,
)
from gateway.clock import SystemClock
from gateway.config.oncall import OnCallConfig, Staff
from voice.oncall import OnCallSchedule, PageStep, Shift

oncall_app = typer.Typer(
    help="Show the on-call schedule and escalation chain.", no_args_is_help=True
)

AtOption = Annotated[
    str | None,
    typer.Option(
        "--at", help="ISO 8601 instant; without an offset it is read in the on-call zone."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@oncall_app.callback()
def _oncall() -> None:
    """Show the on-call schedule and escalation chain (the [oncall] table of the config)."""


@oncall_app.command()
def now(
    config: Path | None = CONFIG_OPTION,
    at: AtOption = None,
    fmt: OutputFormat | None = FORMAT_OPTION,
    as_json: JsonOption = False,
) -> None:
    """Who is on call now (or --at), and who gets paged if they do not acknowledge.

    The [oncall] table of the gateway config file names the rotation and escalation."""
    chosen = output_format(fmt, as_json)
    as_json = chosen is OutputFormat.json
    schedule = OnCallSchedule(load_oncall_config(config))
    instant = parse_instant(at, schedule.tz) if at else SystemClock().now()
    shift = schedule.shift(instant)
    starts = rotation_start(schedule)
    if shift.source == "rotation" and instant < starts:
        _print_not_started(schedule, instant, starts, as_json)
        return
    chain = schedule.chain(instant)
    if as_json:
        typer.echo(json.dumps(_as_json(schedule, instant, shift, chain), indent=2))
    else:
        _print_table(schedule, instant, shift, chain, chosen)


def rotation_start(schedule: OnCallSchedule) -> datetime:
    """The first hand-off: before it the rotation has not started and nobody is on call
    (unless an override says so)."""
    rotation = schedule.config.rotation
    return datetime.combine(rotation.start, rotation.handoff, tzinfo=schedule.tz)


def _print_not_started(
    schedule: OnCallSchedule, at: datetime, starts: datetime, as_json: bool
) -> None:
    if as_json:
        document: dict[str, Any] = {
            "at": at.astimezone(schedule.tz).isoformat(),
            "timezone": schedule.config.timezone,
            "on_call": None,
            "rotation_starts": starts.isoformat(),
            "chain": [],
        }
        typer.echo(json.dumps(document, indent=2))
        return
    typer.echo(
        f"At {_local(schedule, at)}: nobody is on call; the rotation starts"
        f" {_local(schedule, starts)}."
    )


def load_oncall_config(path: Path | None) -> OnCallConfig:
    """The [oncall] table of the gateway's settings (file, then INTAKE_* environment), validated
    with everything else; any error exits 2 with one line naming the file and field."""
    settings = settings_from_cli(path)
    if settings.oncall is None:
        raise fail(f"{path or 'the configuration'}: oncall: missing [oncall] table", USAGE)
    return settings.oncall


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
    schedule: OnCallSchedule,
    at: datetime,
    shift: Shift,
    chain: list[PageStep],
    fmt: OutputFormat,
) -> None:
    """Two lines on who is on call, then the chain: a table, or tab-separated when piped."""
    console = Console(highlight=False, soft_wrap=True)
    who = shift.staff
    line = Text(f"At {_local(schedule, at)}: ")
    line.append(clean(who.name), style="bold")
    line.append(clean(f" ({who.id}, {who.phone})"))
    console.print(line)
    console.print(
        plain(
            f"  {shift.source} shift {_local(schedule, shift.start)}"
            f" → {_local(schedule, shift.end)}"
        )
    )
    rows = [
        (
            str(step.number),
            f"+{_minutes(step.after)}",
            step.target,
            f"{step.staff.name} ({step.staff.id})",
            step.staff.phone,
            _minutes(step.delay),
        )
        for step in chain
    ]
    columns = ("#", "pages at", "target", "who", "phone", "waits")
    print_rows(fmt, columns, rows, [], title="Escalation chain")


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
