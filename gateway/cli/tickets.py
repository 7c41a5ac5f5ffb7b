"""`intake tickets`: list, show, answer and change tickets (as a staff member); priority
corrections teach the classifier.

What is stored is shown as stored: listing and showing never need a policy file (a ticket
whose policy cannot be loaded any more shows its times in UTC), and customer text is printed
as text, never as markup or terminal escapes.
"""

from __future__ import annotations

import asyncio
import enum
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.text import Text

from gateway.app import ticket_service_for
from gateway.cli.common import (
    CONFIG_OPTION,
    DATA_DIR_OPTION,
    FORMAT_OPTION,
    JSON_OPTION,
    NOT_FOUND,
    OutputFormat,
    clean,
    fail,
    output_format,
    print_rows,
    settings_from_cli,
    usage_error,
    with_store,
)
from gateway.clock import SystemClock
from gateway.config import Settings
from gateway.lifecycle import LifecycleError
from gateway.policybook import PolicyBook
from gateway.promise import format_local
from gateway.replies import Unreachable
from gateway.sla.views import ClockView, TicketClocks, ticket_clocks_at
from gateway.store import Store
from gateway.store import outbox as outbox_sql
from gateway.store import tickets as sql
from gateway.store.records import Ticket
from gateway.store.staff import StaffMember, staff_by_email, staff_by_id
from gateway.ticketing import StaffActions, UnknownPriority
from gateway.web.deadlines import clock_words
from gateway.webhooks import Webhooks
from policies import PolicyError

tickets_app = typer.Typer(no_args_is_help=True)

DEFAULT_LIMIT = 1000


class Status(enum.StrEnum):
    """The statuses a ticket can be in (the `tickets.status` column; gateway/lifecycle.py)."""

    open = "open"
    pending = "pending"
    resolved = "resolved"
    closed = "closed"


class Zones:
    """A ticket's local time zone, from its policy when that still loads, else UTC (said once on
    stderr): showing what is stored must not depend on a policy file being where it was."""

    def __init__(self, book: PolicyBook) -> None:
        self._book = book
        self._zones: dict[str, ZoneInfo] = {}

    def of(self, policy: str) -> ZoneInfo:
        if policy not in self._zones:
            try:
                self._zones[policy] = self._book.get(policy).tz
            except (PolicyError, OSError, KeyError, ValueError):
                self._zones[policy] = ZoneInfo("UTC")
                typer.echo(
                    f"intake: policy {clean(policy)} is not in the configuration (pass --config);"
                    " its tickets' times are shown in UTC",
                    err=True,
                )
        return self._zones[policy]

    def local(self, at: datetime | None, policy: str) -> str:
        return format_local(at, self.of(policy)) if at is not None else "-"


def ticket_json(summary: sql.TicketSummary, zones: Zones) -> dict[str, Any]:
    t = summary.ticket
    tz = zones.of(t.policy)
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
        "received_at": t.received_at.astimezone(tz).isoformat(),
        "due_at": t.due_at.astimezone(tz).isoformat() if t.due_at else None,
        "after_hours": t.after_hours,
        "message_count": summary.message_count,
    }


def _check_priority(priority: str, settings: Settings, book: PolicyBook) -> None:
    """An unknown --priority is an error, not an empty list: it must be one that a configured
    or built-in policy defines."""
    from policies.loader import builtin_policy_names

    references = [d.policy for d in settings.desks] + [c.policy for c in settings.customers]
    known = {
        p.id
        for reference in (*references, *builtin_policy_names())
        for p in book.get(reference).priorities
    }
    if priority not in known:
        usage_error(
            f"--priority {priority!r}: no configured or built-in policy defines it"
            f" (known: {', '.join(sorted(known))})"
        )


@tickets_app.command("list")
def list_tickets(
    status: Status | None = typer.Option(None, "--status", help="Only tickets in this status."),
    priority: str | None = typer.Option(None, "--priority", help="Only this effective priority."),
    limit: int = typer.Option(
        DEFAULT_LIMIT, "--limit", min=1, help="Show at most this many (said when cut)."
    ),
    show_all: bool = typer.Option(False, "--all", help="Show every matching ticket."),
    fmt: OutputFormat | None = FORMAT_OPTION,
    as_json: bool = JSON_OPTION,
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """List tickets, newest first; a list cut by --limit says so on stderr."""
    settings = settings_from_cli(config, data_dir)
    book = PolicyBook(settings)
    if priority is not None:
        _check_priority(priority, settings, book)
    wanted = status.value if status else None

    async def read(db: Any) -> tuple[list[sql.TicketSummary], int]:
        # One more than asked, to say so (with the total) when the list is cut.
        found = await sql.list_tickets(
            db, status=wanted, priority=priority, limit=None if show_all else limit + 1
        )
        if show_all or len(found) <= limit:
            return found, len(found)
        return found[:limit], await sql.count_tickets(db, status=wanted, priority=priority)

    summaries, total = asyncio.run(with_store(settings, lambda s: s.read(read)))
    if total > len(summaries):
        typer.echo(
            f"intake: showing the newest {len(summaries)} of {total} tickets;"
            " use --limit N or --all for more",
            err=True,
        )
    zones = Zones(book)
    chosen = output_format(fmt, as_json)
    columns = ("#", "channel", "sender", "subject", "status", "priority", "due", "msgs")
    rows = []
    for summary in summaries:
        t = summary.ticket
        due = (
            t.due_at.astimezone(zones.of(t.policy)).isoformat(timespec="minutes")
            if chosen is OutputFormat.tsv and t.due_at
            else zones.local(t.due_at, t.policy)
        )
        subject = t.subject if chosen is OutputFormat.tsv else _shorten(t.subject, 50)
        rows.append(
            (
                str(t.number),
                t.channel,
                t.customer,
                subject,
                t.status,
                t.effective_priority,
                due,
                str(summary.message_count),
            )
        )
    records = [ticket_json(s, zones) for s in summaries]
    print_rows(chosen, columns, rows, records)


def _shorten(text: str, width: int) -> str:
    text = " ".join(clean(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


async def _ticket_detail(
    store: Store, number: int, book: PolicyBook, now: datetime
) -> dict[str, Any] | None:
    async def read(db: Any) -> dict[str, Any] | None:
        ticket = await sql.ticket_by_number(db, number)
        if ticket is None:
            return None
        clocks = await ticket_clocks_at(db, book, ticket, now)
        messages = await sql.thread(db, ticket.id)
        attachments = {m.id: await sql.attachments_of(db, m.id) for m in messages}
        previous = (
            await sql.ticket_by_id(db, ticket.previous_ticket_id)
            if ticket.previous_ticket_id
            else None
        )
        following = await sql.next_ticket_of(db, ticket.id)
        assignee = await staff_by_id(db, ticket.assignee_id) if ticket.assignee_id else None
        return {
            "ticket": ticket,
            "clocks": clocks,
            "previous": previous.number if previous else None,
            "next": following.number if following else None,
            "assignee": assignee.email if assignee else None,
            "messages": messages,
            "attachments": attachments,
            "events": await sql.events_of(db, ticket.id),
            "outbox": await outbox_sql.outbox_of_ticket(db, ticket.id),
        }

    return await store.read(read)


@tickets_app.command("show")
def show_ticket(
    number: int = typer.Argument(..., help="Ticket number."),
    fmt: OutputFormat | None = typer.Option(
        None,
        "--format",
        help="table (the ticket, its clocks and thread; the default), tsv (one line per SLA"
        " clock) or json (everything).",
        case_sensitive=False,
    ),
    as_json: bool = JSON_OPTION,
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Show a ticket: every SLA clock, thread, priorities, acknowledgement and outbox state."""
    settings = settings_from_cli(config, data_dir)
    book = PolicyBook(settings)
    now = SystemClock().now()
    detail = asyncio.run(with_store(settings, lambda s: _ticket_detail(s, number, book, now)))
    if detail is None:
        raise fail(f"no ticket #{number}", NOT_FOUND)
    zones = Zones(book)
    chosen = OutputFormat.json if as_json else fmt or OutputFormat.table
    if chosen is OutputFormat.json:
        typer.echo(json.dumps(_detail_json(detail, zones), indent=2, default=str))
    elif chosen is OutputFormat.tsv:
        print_rows(chosen, CLOCK_COLUMNS, _clock_cells(detail["clocks"]), [])
    else:
        _print_detail(detail, zones)


CLOCK_COLUMNS = ("clock", "target", "state", "due", "left")


def _clock_cells(clocks: TicketClocks) -> list[list[str]]:
    """Each clock: its name, the policy's target, its state, the deadline in the policy's zone
    and what is left (or how late it is)."""
    return [
        [
            c.label,
            c.target,
            c.state + (" (at risk)" if c.at_risk else ""),
            format_local(c.due_at, c.zone),
            clock_words(c) + (f" ({format_local(c.met_at, c.zone)})" if c.met_at else ""),
        ]
        for c in clocks.clocks
    ]


def _clock_json(c: ClockView) -> dict[str, Any]:
    def local(at: datetime | None) -> str | None:
        return at.astimezone(c.zone).isoformat() if at else None

    return {
        "clock": c.name,
        "cycle": c.cycle,
        "priority": c.priority,
        "target": c.target,
        "business": c.business,
        "started_at": local(c.started_at),
        "due_at": local(c.due_at),
        "state": c.state,
        "at_risk": c.at_risk,
        "remaining_seconds": c.remaining_seconds,
        "paused_seconds": int(c.paused.total_seconds()),
        "met_at": local(c.met_at),
        "breached_at": local(c.breached_at),
    }


def _detail_json(detail: dict[str, Any], zones: Zones) -> dict[str, Any]:
    t: Ticket = detail["ticket"]
    return {
        **ticket_json(
            sql.TicketSummary(t, sum(m.direction == "in" for m in detail["messages"])), zones
        ),
        "reasons": list(t.reasons),
        "clocks": [_clock_json(c) for c in detail["clocks"].clocks],
        "assignee": detail["assignee"],
        "monitoring": t.monitoring,
        "resolved_at": t.resolved_at.isoformat() if t.resolved_at else None,
        "auto_close_at": t.auto_close_at.isoformat() if t.auto_close_at else None,
        "previous_ticket": detail["previous"],
        "next_ticket": detail["next"],
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
                "unconfirmed": o.unconfirmed,
                "last_error": o.last_error,
                "sent_at": o.sent_at.isoformat() if o.sent_at else None,
            }
            for o in detail["outbox"]
        ],
    }


def _line(*parts: str | tuple[str, str]) -> Text:
    """A line of plain text (customer text is never parsed as markup); a (text, style) part
    is styled. Every part is cleaned of terminal escapes and bidi controls."""
    line = Text()
    for part in parts:
        if isinstance(part, tuple):
            line.append(clean(part[0]), style=part[1])
        else:
            line.append(clean(part))
    return line


def _print_detail(detail: dict[str, Any], zones: Zones) -> None:
    # soft_wrap: piped output keeps one line per line instead of wrapping at 80 columns.
    console = Console(highlight=False, soft_wrap=True)
    t: Ticket = detail["ticket"]

    def local(at: Any) -> str:
        return zones.local(at, t.policy)

    console.print(_line((f"Ticket #{t.number}", "bold"), "  ", t.subject))
    console.print(
        _line(
            f"  {t.channel} from {t.customer_name} <{t.customer}>  desk {t.desk}  policy {t.policy}"
        )
    )
    console.print(
        _line(
            f"  priority {t.effective_priority} (declared {t.declared_priority or '-'},"
            f" proposed {t.proposed_priority or '-'}, confidence {t.confidence or 0:.2f})"
            f"  status {t.status}"
        )
    )
    console.print(
        _line(
            f"  received {local(t.received_at)}{' (after hours)' if t.after_hours else ''};"
            f" respond by {local(t.due_at) if t.due_at else 'no fixed deadline'}"
        )
    )
    for reason in t.reasons:
        console.print(_line(f"    - {reason}"))
    console.print(_line(f"  assignee {detail['assignee'] or '-'}{_lifecycle_line(detail, local)}"))
    _print_clocks(console, detail["clocks"], t)
    console.print(_line(("Thread", "bold")))
    for m in detail["messages"]:
        arrow = "<-" if m.direction == "in" else "->"
        console.print(_line(f"  {arrow} {local(m.created_at)} {m.sender}: {m.subject}"))
        for text in (m.latest_text or "").splitlines()[:8]:
            console.print(_line(f"       {text}"))
        for a in detail["attachments"][m.id]:
            console.print(
                _line(
                    f"       [attachment] {a['filename']} ({a['content_type']}, {a['size']} bytes)"
                )
            )
    console.print(_line(("Outbox", "bold")))
    for o in detail["outbox"]:
        console.print(
            _line(
                f"  {o.purpose} {o.kind} to {o.recipient}: {o.state} after {o.attempts} attempt(s)"
                f"{f' ({o.unconfirmed} without an answer)' if o.unconfirmed else ''}"
                f"{' - ' + o.last_error if o.last_error else ''}"
            )
        )
    console.print(_line(("Events", "bold")))
    for e in detail["events"]:
        console.print(_line(f"  {local(e.at)} {e.kind} {json.dumps(e.detail)}"))


def _print_clocks(console: Console, clocks: TicketClocks, t: Ticket) -> None:
    console.print(_line(("Clocks", "bold")))
    if clocks.policy_missing:
        console.print(_line(f"  none: policy {t.policy} is not in the configuration"))
        return
    if not clocks.clocks:
        console.print(_line(f"  none: priority {t.effective_priority} sets no deadline"))
        return
    # Aligned columns, never wrapped (a rich table folds cells at 80 columns when piped).
    rows = [list(CLOCK_COLUMNS), *(_clock_cells(clocks))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(CLOCK_COLUMNS) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        console.print(_line("  " + "  ".join([*cells, row[-1]])))


def _lifecycle_line(detail: dict[str, Any], local: Callable[[Any], str]) -> str:
    t: Ticket = detail["ticket"]
    parts = []
    if t.monitoring:
        parts.append("resolved and left open for monitoring")
    if t.status == "resolved":
        closes = local(t.auto_close_at) if t.auto_close_at else "only by hand"
        parts.append(f"resolved {local(t.resolved_at)}, closes {closes}")
    if detail["previous"]:
        parts.append(f"follows closed ticket #{detail['previous']}")
    if detail["next"]:
        parts.append(f"followed by ticket #{detail['next']}")
    return "".join(f"; {part}" for part in parts)


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
            change = await service.correct_priority(
                db, ticket, priority, actor=f"cli:{_operator()}", reason=reason, now=now
            )
        except UnknownPriority as exc:
            usage_error(str(exc))
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


# --- what staff do to a ticket: reply, note, assign, resolve, reopen, close -----------------
#
# Each command acts as one staff member (`--as EMAIL`, else $INTAKE_STAFF), recorded on the
# ticket as `cli:EMAIL`, through the same ticket service and staff actions as the API: a reply
# is queued in the outbox (the running gateway sends it), the webhooks hear of every change.

AS_OPTION = typer.Option(
    None,
    "--as",
    envvar="INTAKE_STAFF",
    show_envvar=True,
    help="The staff member acting (their email address).",
)
BODY_FILE_OPTION = typer.Option(
    ..., "--body-file", help="File holding the text (UTF-8), or - for standard input."
)
REASON_OPTION = typer.Option("", "--reason", help="Why: kept in the ticket's history.")


class AfterReply(enum.StrEnum):
    """What a reply may leave the ticket as."""

    pending = "pending"
    resolved = "resolved"


Act = Callable[[Any, Ticket, StaffMember, StaffActions, datetime], Awaitable[str]]


def _read_body(path: str) -> str:
    """The text of --body-file; a missing, unreadable, non-UTF-8 or empty file exits 2."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as error:
        usage_error(f"--body-file {path}: cannot read it: {error.strerror or error}")
    except UnicodeDecodeError:
        usage_error(f"--body-file {path}: not UTF-8 text")
    if not text.strip():
        usage_error(f"--body-file {path}: the text is empty")
    return text.rstrip() + "\n"


def _act(
    config: Path | None, data_dir: Path | None, acting: str | None, number: int, act: Act
) -> None:
    """Run `act` on ticket `number` as staff member `acting`, in one transaction; print what
    it returns. No such staff member exits 2, no such ticket 1, a refused change 1."""
    if not acting:
        usage_error("say who is acting: --as EMAIL, or set INTAKE_STAFF")
    settings = settings_from_cli(config, data_dir)
    clock = SystemClock()
    webhooks = Webhooks(settings.webhooks)
    service, _ = ticket_service_for(settings, clock, PolicyBook(settings))
    actions = StaffActions(service, settings, webhooks)

    async def write(db: Any) -> str:
        staff = await staff_by_email(db, acting.strip().lower())
        if staff is None or not staff.active:
            usage_error(
                f"--as {acting}: no active staff member has this address (see `intake staff list`)"
            )
        ticket = await sql.ticket_by_number(db, number)
        if ticket is None:
            raise fail(f"no ticket #{number}", NOT_FOUND)
        try:
            return await act(db, ticket, staff, actions, clock.now())
        except (LifecycleError, Unreachable, UnknownPriority) as error:
            raise fail(str(error), NOT_FOUND) from None

    typer.echo(asyncio.run(with_store(settings, lambda s: s.write(write))))


def _actor(staff: StaffMember) -> str:
    return f"cli:{staff.email}"


@tickets_app.command("reply")
def reply(
    number: int = typer.Argument(..., help="Ticket number."),
    body_file: str = BODY_FILE_OPTION,
    then: AfterReply | None = typer.Option(
        None, "--then", help="Status after the reply: pending (wait on the customer) or resolved."
    ),
    acting: str | None = AS_OPTION,
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Answer the customer: by email threaded under their mail, or by SMS for a phone ticket."""
    body = _read_body(body_file)

    async def act(db: Any, t: Ticket, staff: StaffMember, ops: StaffActions, now: datetime) -> str:
        kind = await ops.reply(db, t, body, author=staff, actor=_actor(staff), now=now)
        said = f"ticket #{t.number}: reply queued by {kind} to {t.customer}"
        if then is not None:
            after = await sql.ticket_by_id(db, t.id)
            assert after is not None
            await ops.set_status(db, after, then.value, actor=_actor(staff), now=now)
            said += f"; now {then.value}"
        return said

    _act(config, data_dir, acting, number, act)


@tickets_app.command("note")
def note(
    number: int = typer.Argument(..., help="Ticket number."),
    body_file: str = BODY_FILE_OPTION,
    acting: str | None = AS_OPTION,
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Add an internal note: staff see it, the customer never does."""
    body = _read_body(body_file)

    async def act(db: Any, t: Ticket, staff: StaffMember, ops: StaffActions, now: datetime) -> str:
        await ops.add_note(db, t, body, actor=_actor(staff), now=now)
        return f"ticket #{t.number}: note added (internal, not sent to the customer)"

    _act(config, data_dir, acting, number, act)


@tickets_app.command("assign")
def assign(
    number: int = typer.Argument(..., help="Ticket number."),
    assignee: str | None = typer.Argument(None, help="Staff email to assign to."),
    me: bool = typer.Option(False, "--me", help="Assign to the acting staff member."),
    nobody: bool = typer.Option(False, "--nobody", help="Leave the ticket unassigned."),
    acting: str | None = AS_OPTION,
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Assign a ticket to a staff member (EMAIL, --me or --nobody)."""
    if sum((assignee is not None, me, nobody)) != 1:
        usage_error("name exactly one assignee: EMAIL, --me or --nobody")

    async def act(db: Any, t: Ticket, staff: StaffMember, ops: StaffActions, now: datetime) -> str:
        to: StaffMember | None = staff if me else None
        if assignee is not None:
            to = await staff_by_email(db, assignee.strip().lower())
            if to is None or not to.active:
                usage_error(f"{assignee}: no active staff member has this address")
        await ops.assign(db, t, to, actor=_actor(staff), now=now)
        return f"ticket #{t.number}: assigned to {to.email if to else 'nobody'}"

    _act(config, data_dir, acting, number, act)


def _lifecycle_act(status: str, reason: str, monitoring: bool = False) -> Act:
    async def act(db: Any, t: Ticket, staff: StaffMember, ops: StaffActions, now: datetime) -> str:
        lifecycle = ops.tickets.lifecycle
        if monitoring:
            change = await lifecycle.resolve(
                db, t, actor=_actor(staff), now=now, reason=reason, monitoring=True
            )
        else:
            change = await lifecycle.set_status(
                db, t, status, actor=_actor(staff), now=now, reason=reason
            )
        after = change.ticket
        if not change.changed:
            return f"ticket #{t.number}: already {_state(after)}; nothing changed"
        said = f"ticket #{t.number}: {t.status} -> {_state(after)}"
        if after.effective_priority != t.effective_priority:
            said += f"; priority {t.effective_priority} -> {after.effective_priority} (policy)"
        if after.status == "resolved":
            tz = ops.tickets.policy_of(after).tz
            closes = format_local(after.auto_close_at, tz) if after.auto_close_at else None
            said += f"; closes by itself {closes}" if closes else "; closes only by hand"
        return said

    return act


def _state(ticket: Ticket) -> str:
    return "open (monitoring)" if ticket.monitoring else ticket.status


@tickets_app.command("resolve")
def resolve(
    number: int = typer.Argument(..., help="Ticket number."),
    monitor: bool = typer.Option(
        False, "--monitor", help="Resolved but left open for monitoring (the ticket stays open)."
    ),
    reason: str = REASON_OPTION,
    acting: str | None = AS_OPTION,
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Resolve a ticket; it closes by itself after the policy's auto_close_after unless the
    customer writes (which reopens it). The policy may set a final priority (ThreePBX: P4)."""
    _act(config, data_dir, acting, number, _lifecycle_act("resolved", reason, monitor))


@tickets_app.command("reopen")
def reopen(
    number: int = typer.Argument(..., help="Ticket number."),
    reason: str = REASON_OPTION,
    acting: str | None = AS_OPTION,
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Reopen a pending or resolved ticket (a closed one is final)."""
    _act(config, data_dir, acting, number, _lifecycle_act("open", reason))


@tickets_app.command("close")
def close(
    number: int = typer.Argument(..., help="Ticket number."),
    reason: str = REASON_OPTION,
    acting: str | None = AS_OPTION,
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Close a ticket for good: a later message from the customer opens a new, linked ticket."""
    _act(config, data_dir, acting, number, _lifecycle_act("closed", reason))
