"""``intake policies ...`` and ``intake sla ...``: inspect contracts and compute deadlines.

Errors follow the CLI convention (`gateway.cli.common`): `intake: ` and one line naming the
file (or option), the field and the problem; exit 2. Policy text (titles, names) is printed as
text, never as markup. Heavy imports (pydantic, holidays, rich) happen inside the commands,
not at ``--help`` time.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING, NoReturn

import typer

from gateway.cli.common import (
    FORMAT_OPTION,
    USAGE,
    OutputFormat,
    clean,
    load_policy_or_exit,
    output_format,
    plain,
    print_rows,
    read_instant,
    usage_error,
)

if TYPE_CHECKING:
    from policies.model import Policy

policies_app = typer.Typer(help="List, check and explain support policies.", no_args_is_help=True)
sla_app = typer.Typer(help="Compute and explain committed SLA deadlines.", no_args_is_help=True)

TARGET_CHOICES = ("respond", "resolve", "rfo", "ongoing")
POLICY_HELP = "Policy name (see `intake policies list`) or path to a .toml file."
RECEIVED_HELP = (
    "Arrival time, ISO 8601 (2026-11-23T15:00:00-05:00). Without an offset it is read as local "
    "time in the policy's zone."
)


def _fail(message: str) -> NoReturn:
    usage_error(message)


def _load(name_or_path: str) -> Policy:
    return load_policy_or_exit(name_or_path)


def _received(text: str, policy: Policy) -> datetime:
    try:
        return read_instant(text, policy.tz)
    except ValueError as error:
        raise ValueError(f"--received: {error}") from None


def _check_target(target: str) -> str:
    if target not in TARGET_CHOICES:
        raise ValueError(f"--target: expected one of {', '.join(TARGET_CHOICES)}, got {target!r}")
    return target


def _due_json(policy: Policy, priority_id: str, received: datetime, target: str) -> str:
    try:
        due = policy.deadline(priority_id, received, target)
    except KeyError as error:
        raise ValueError(f"--priority: {error.args[0]}") from None
    return json.dumps(
        {
            "due": None if due is None else due.isoformat(),
            "after_hours": policy.is_after_hours(received),
        }
    )


@policies_app.command("list")
def list_policies(fmt: OutputFormat | None = FORMAT_OPTION) -> None:
    """List the policies shipped with Intake."""
    from policies.loader import builtin_policy_names

    rows, records = [], []
    for name in builtin_policy_names():
        policy = _load(name)
        priorities = [p.id for p in policy.priorities]
        rows.append((name, policy.title, policy.tz.key, " ".join(priorities)))
        records.append(
            {
                "name": name,
                "title": policy.title,
                "timezone": policy.tz.key,
                "priorities": priorities,
            }
        )
    print_rows(output_format(fmt), ("name", "title", "time zone", "priorities"), rows, records)


@policies_app.command("check")
def check_policy(file: str = typer.Argument(..., help="Policy file to validate.")) -> None:
    """Validate a policy file and print a summary of what it promises."""
    from rich.console import Console
    from rich.table import Table

    from policies.errors import PolicyError
    from policies.loader import load_policy_file

    try:
        policy = load_policy_file(file)
    except PolicyError as error:
        for problem in error.all():
            typer.echo(f"intake: {problem}", err=True)
        raise typer.Exit(USAGE) from None
    typer.echo(
        clean(
            f"{policy.source}: ok — {policy.name}, {policy.tz.key}, {policy.hours.summary()}"
            + (f", {policy.holidays} holidays closed" if policy.holidays else "")
        )
    )
    table = Table("priority", "name", "respond", "resolve", "reason for outage", "after hours")
    for p in policy.priorities:
        row = (
            p.id + (" (default)" if p is policy.default_priority else ""),
            p.name,
            p.respond.text,
            p.resolve.text if p.resolve else "-",
            p.rfo.text if p.rfo else "-",
            p.after_hours,
        )
        table.add_row(*map(plain, row))
    Console().print(table)


@policies_app.command("show")
def show_policy(name: str = typer.Argument(..., help=POLICY_HELP)) -> None:
    """Print a contract in plain words."""
    from policies.wording import describe_policy

    typer.echo(clean(describe_policy(_load(name))))


@sla_app.command("due")
def sla_due(
    policy_name: str = typer.Option(..., "--policy", help=POLICY_HELP),
    priority: str | None = typer.Option(None, "--priority", help="Priority id, e.g. P1."),
    received: str | None = typer.Option(None, "--received", help=RECEIVED_HELP),
    target: str = typer.Option("respond", "--target", help="respond, resolve, rfo or ongoing."),
    batch: bool = typer.Option(
        False, "--batch", help="Read 'PRIORITY RECEIVED [TARGET]' lines from stdin."
    ),
) -> None:
    """Print {"due": ISO 8601 or null, "after_hours": bool} as JSON (one line per case)."""
    policy = _load(policy_name)
    if batch:
        _due_batch(policy)
        return
    if priority is None or received is None:
        _fail("--priority and --received are required (or use --batch)")
    try:
        typer.echo(_due_json(policy, priority, _received(received, policy), _check_target(target)))
    except ValueError as error:
        _fail(str(error))


def _due_batch(policy: Policy) -> None:
    out: list[str] = []
    for number, line in enumerate(sys.stdin, start=1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if len(words) not in (2, 3):
            _flush_and_fail(out, f"stdin line {number}: expected 'PRIORITY RECEIVED [TARGET]'")
        target = words[2] if len(words) == 3 else "respond"
        try:
            received = _received(words[1], policy)
            out.append(_due_json(policy, words[0], received, _check_target(target)))
        except ValueError as error:
            _flush_and_fail(out, f"stdin line {number}: {error}")
    if out:
        typer.echo("\n".join(out))


def _flush_and_fail(out: list[str], message: str) -> NoReturn:
    if out:
        typer.echo("\n".join(out))
    _fail(message)


@sla_app.command("explain")
def sla_explain(
    policy_name: str = typer.Option(..., "--policy", help=POLICY_HELP),
    priority: str = typer.Option(..., "--priority", help="Priority id, e.g. P1."),
    received: str = typer.Option(..., "--received", help=RECEIVED_HELP),
    target: str = typer.Option("respond", "--target", help="respond, resolve, rfo or ongoing."),
) -> None:
    """Say in words when a target falls due and why."""
    from policies.wording import explain

    policy = _load(policy_name)
    try:
        typer.echo(
            clean(explain(policy, priority, _received(received, policy), _check_target(target)))
        )
    except KeyError as error:
        _fail(f"--priority: {error.args[0]}")
    except ValueError as error:
        _fail(str(error))
