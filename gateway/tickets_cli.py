"""`intake tickets`: list, show and re-prioritise tickets; corrections teach the classifier."""

from __future__ import annotations

import asyncio
import getpass
import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from gateway.app import ticket_service_for
from gateway.cli_common import CONFIG_OPTION, DATA_DIR_OPTION, fail, settings_from_cli, with_store
from gateway.clock import SystemClock
from gateway.config import Settings
from gateway.policybook import PolicyBook
from gateway.promise import format_local
from gateway.store import Store
from gateway.store import outbox as outbox_sql
from gateway.store import tickets as sql
from gateway.store.corrections import insert_correction
from gateway.store.records import Ticket
from gateway.ticketing import UnknownPriority

tickets_app = typer.Typer(no_args_is_help=True)


def _local_iso(ticket: Ticket, book: PolicyBook) -> str | None:
    if ticket.due_at is None:
        return None
    return ticket.due_at.astimezone(book.get(ticket.policy).tz).isoformat()


def ticket_json(summary: sql.TicketSummary, book: PolicyBook) -> dict[str, Any]:
    t = summary.ticket
    return {
        "number": t.number,
        "channel": t.channel,
        "sender": t.customer,
        "sender_name": t.customer_name,
        "subject": t.subject,
        "status": t.status,
        "priority": t.effective_priority,
        "declared_priority": t.declared_priority,
        "proposed_priority": t.proposed_priority,
        "confidence": t.confidence,
        "policy": t.policy,
        "received_at": t.received_at.astimezone(book.get(t.policy).tz).isoformat(),
        "due_at": _local_iso(t, book),
        "after_hours": t.after_hours,
        "message_count": summary.message_count,
    }


@tickets_app.command("list")
def list_tickets(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array."),
    status: str | None = typer.Option(None, "--status", help="Only tickets in this status."),
    priority: str | None = typer.Option(None, "--priority", help="Only this effective priority."),
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """List tickets, newest first."""
    settings = settings_from_cli(config, data_dir)
    summaries = asyncio.run(
        with_store(
            settings,
            lambda s: s.read(lambda db: sql.list_tickets(db, status=status, priority=priority)),
        )
    )
    book = PolicyBook(settings)
    rows = [ticket_json(s, book) for s in summaries]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("#", "channel", "sender", "subject", "status", "priority", "due", "msgs")
    for row, summary in zip(rows, summaries, strict=True):
        due = summary.ticket.due_at
        table.add_row(
            str(row["number"]),
            row["channel"],
            row["sender"],
            row["subject"][:50],
            row["status"],
            row["priority"],
            format_local(due, book.get(row["policy"]).tz) if due else "-",
            str(row["message_count"]),
        )
    Console().print(table)


async def _ticket_detail(store: Store, number: int) -> dict[str, Any] | None:
    async def read(db: Any) -> dict[str, Any] | None:
        ticket = await sql.ticket_by_number(db, number)
        if ticket is None:
            return None
        messages = await sql.thread(db, ticket.id)
        attachments = {m.id: await sql.attachments_of(db, m.id) for m in messages}
        return {
            "ticket": ticket,
            "messages": messages,
            "attachments": attachments,
            "events": await sql.events_of(db, ticket.id),
            "outbox": await outbox_sql.outbox_of_ticket(db, ticket.id),
        }

    return await store.read(read)


@tickets_app.command("show")
def show_ticket(
    number: int = typer.Argument(..., help="Ticket number."),
    as_json: bool = typer.Option(False, "--json"),
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Show a ticket: thread, priorities, deadline, acknowledgement and outbox state."""
    settings = settings_from_cli(config, data_dir)
    detail = asyncio.run(with_store(settings, lambda s: _ticket_detail(s, number)))
    if detail is None:
        raise fail(f"no ticket #{number}")
    book = PolicyBook(settings)
    if as_json:
        typer.echo(json.dumps(_detail_json(detail, book), indent=2, default=str))
        return
    _print_detail(detail, book)


def _detail_json(detail: dict[str, Any], book: PolicyBook) -> dict[str, Any]:
    t: Ticket = detail["ticket"]
    return {
        **ticket_json(
            sql.TicketSummary(t, sum(m.direction == "in" for m in detail["messages"])), book
        ),
        "reasons": list(t.reasons),
        "messages": [
            {
                "direction": m.direction,
                "from": m.sender,
                "subject": m.subject,
                "at": m.created_at.isoformat(),
                "text": m.latest_text or m.body_text,
                "meta": m.meta,
                "attachments": detail["attachments"][m.id],
            }
            for m in detail["messages"]
        ],
        "events": [{"at": e.at.isoformat(), "kind": e.kind, **e.detail} for e in detail["events"]],
        "outbox": [
            {
                "purpose": o.purpose,
                "kind": o.kind,
                "to": o.recipient,
                "state": o.state,
                "attempts": o.attempts,
                "last_error": o.last_error,
                "sent_at": o.sent_at.isoformat() if o.sent_at else None,
            }
            for o in detail["outbox"]
        ],
    }


def _print_detail(detail: dict[str, Any], book: PolicyBook) -> None:
    console = Console()
    t: Ticket = detail["ticket"]
    tz = book.get(t.policy).tz
    console.print(f"[bold]Ticket #{t.number}[/bold]  {t.subject}")
    console.print(
        f"  {t.channel} from {t.customer_name} <{t.customer}>  desk {t.desk}  policy {t.policy}"
    )
    console.print(
        f"  priority {t.effective_priority} (declared {t.declared_priority or '-'},"
        f" proposed {t.proposed_priority or '-'}, confidence {t.confidence or 0:.2f})"
        f"  status {t.status}"
    )
    console.print(
        f"  received {format_local(t.received_at, tz)}"
        f"{' (after hours)' if t.after_hours else ''};"
        f" respond by {format_local(t.due_at, tz) if t.due_at else 'no fixed deadline'}"
    )
    for reason in t.reasons:
        console.print(f"    - {reason}")
    console.print("[bold]Thread[/bold]")
    for m in detail["messages"]:
        arrow = "<-" if m.direction == "in" else "->"
        console.print(f"  {arrow} {format_local(m.created_at, tz)} {m.sender}: {m.subject}")
        for line in (m.latest_text or "").splitlines()[:8]:
            console.print(f"       {line}", markup=False)
        for a in detail["attachments"][m.id]:
            console.print(
                f"       [attachment] {a['filename']} ({a['content_type']}, {a['size']} bytes)"
            )
    console.print("[bold]Outbox[/bold]")
    for o in detail["outbox"]:
        console.print(
            f"  {o.purpose} {o.kind} to {o.recipient}: {o.state} after {o.attempts} attempt(s)"
            f"{' - ' + o.last_error if o.last_error else ''}",
            markup=False,
        )
    console.print("[bold]Events[/bold]")
    for e in detail["events"]:
        console.print(f"  {format_local(e.at, tz)} {e.kind} {json.dumps(e.detail)}", markup=False)


@tickets_app.command("set-priority")
def set_priority(
    number: int = typer.Argument(..., help="Ticket number."),
    priority: str = typer.Argument(..., help="New priority id under the ticket's policy."),
    reason: str = typer.Option(..., "--reason", help="Why: kept with the correction."),
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Correct a ticket's priority; the deadline follows and the classifier can learn from it."""
    settings = settings_from_cli(config, data_dir)
    result = asyncio.run(
        with_store(settings, lambda s: _correct(s, settings, number, priority, reason))
    )
    typer.echo(result)


async def _correct(
    store: Store, settings: Settings, number: int, priority: str, reason: str
) -> str:
    clock = SystemClock()
    book = PolicyBook(settings)
    service, _ = ticket_service_for(settings, clock, book)
    now = clock.now()

    async def write(db: Any) -> str:
        ticket = await sql.ticket_by_number(db, number)
        if ticket is None:
            raise fail(f"no ticket #{number}")
        try:
            change = await service.change_priority(
                db, ticket, priority, actor=f"cli:{_operator()}", reason=reason, now=now
            )
        except UnknownPriority as exc:
            raise fail(str(exc), 2) from None
        first = next((m for m in await sql.thread(db, ticket.id) if m.direction == "in"), None)
        await insert_correction(
            db,
            ticket_number=number,
            policy=ticket.policy,
            subject=ticket.subject,
            body=first.latest_text if first else "",
            old_priority=ticket.effective_priority,
            new_priority=priority,
            reason=reason,
            now=now,
        )
        due = change.after.due_at
        due_text = format_local(due, book.get(ticket.policy).tz) if due else "no fixed deadline"
        return f"ticket #{number}: {ticket.effective_priority} -> {priority}; respond by {due_text}"

    return await store.write(write)


def _operator() -> str:
    """Who ran the command, for the ticket's history."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "unknown"
