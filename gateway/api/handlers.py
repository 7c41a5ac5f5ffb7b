"""What each API route does. Reads run on the store's reader; writes call the ticket service
inside one store transaction (see `endpoint.py`)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from gateway.api.endpoint import Call
from gateway.api.errors import ApiError
from gateway.api.models import (
    MAX_PAGE,
    NoteRequest,
    ReplyOut,
    ReplyRequest,
    ReportRow,
    SlaReport,
    SlaReportQuery,
    TicketListQuery,
    TicketPage,
    TicketPatch,
)
from gateway.api.views import ticket_detail, ticket_out
from gateway.lifecycle import LifecycleError
from gateway.replies import Unreachable
from gateway.sla.report import attainment, month_so_far, read_bound, report_zone
from gateway.sla.views import clocks_at, ticket_clocks_at
from gateway.store import listing
from gateway.store import staff as staff_sql
from gateway.store.connection import Connection
from gateway.store.listing import TicketFilter, TicketRow
from policies import PolicyError

_CURSOR_PREFIX = "n:"


def encode_cursor(number: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{number}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if text.startswith(_CURSOR_PREFIX) and text[len(_CURSOR_PREFIX) :].isdigit():
            return int(text[len(_CURSOR_PREFIX) :])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ApiError(400, "cursor is not one this API handed out; start again without it")


async def _assignee_filter(call: Call, db: Connection, assignee: str | None) -> TicketFilter:
    query: TicketListQuery = call.query
    where = TicketFilter(
        status=query.status, priority=query.priority, policy=query.policy, sla=query.sla
    )
    if assignee is None:
        return where
    if assignee == "none":
        return replace(where, unassigned=True)
    if assignee == "me":
        return replace(where, assignee_id=call.caller.staff.id)
    member = await staff_sql.staff_by_email(db, assignee.lower())
    if member is None:
        raise ApiError(422, f"assignee {assignee!r} is not a staff member", field="assignee")
    return replace(where, assignee_id=member.id)


def _check_known(call: Call) -> None:
    """An unknown policy or priority is a 422, not a silently empty list."""
    query: TicketListQuery = call.query
    settings, book = call.context.settings, call.context.policies
    references = [d.policy for d in settings.desks] + [c.policy for c in settings.customers]
    configured = {book.get(reference).name: book.get(reference) for reference in references}
    if query.policy is not None and query.policy not in configured:
        try:  # a built-in policy no desk uses any more still names old tickets
            configured[query.policy] = book.get(query.policy)
        except (PolicyError, OSError, KeyError, ValueError):
            known = ", ".join(sorted(configured))
            raise ApiError(
                422, f"no policy {query.policy!r} (known: {known})", field="policy"
            ) from None
    if query.priority is not None:
        policies = [configured[query.policy]] if query.policy else list(configured.values())
        ids = sorted({p.id for policy in policies for p in policy.priorities})
        if query.priority not in ids:
            raise ApiError(
                422, f"no priority {query.priority!r} (known: {', '.join(ids)})", field="priority"
            )


async def list_tickets(call: Call, db: Connection) -> BaseModel:
    query: TicketListQuery = call.query
    _check_known(call)
    limit = min(query.limit, MAX_PAGE)
    where = await _assignee_filter(call, db, query.assignee)
    before = decode_cursor(query.cursor) if query.cursor else None
    now = call.context.clock.now()
    rows = await listing.page_of_tickets(db, where, before=before, limit=limit + 1, now=now)
    more = len(rows) > limit
    rows = rows[:limit]
    clocks = await clocks_at(db, call.context.policies, [row.ticket for row in rows], now)
    return TicketPage(
        tickets=[ticket_out(row, clocks[row.ticket.id]) for row in rows],
        limit=limit,
        max_limit=MAX_PAGE,
        next=encode_cursor(rows[-1].ticket.number) if more else None,
    )


async def ticket_or_404(call: Call, db: Connection) -> TicketRow:
    number = call.ticket_number()
    row = await listing.ticket_row(db, number)
    if row is None:
        raise ApiError(404, f"no ticket #{number}")
    return row


async def get_ticket(call: Call, db: Connection) -> BaseModel:
    row = await ticket_or_404(call, db)
    now = call.context.clock.now()
    clocks = await ticket_clocks_at(db, call.context.policies, row.ticket, now)
    messages, events = await listing.thread_and_events(db, row.ticket.id)
    return ticket_detail(row, clocks, messages, events)


async def sla_report(call: Call, db: Connection) -> BaseModel:
    """The clocks engine's attainment report: the rows `intake sla report` prints."""
    query: SlaReportQuery = call.query
    now = call.context.clock.now()
    zone = report_zone(call.context.settings, call.context.policies, query.policy)
    month_start, _ = month_so_far(now, zone)
    since = _report_bound(query.since, "since", zone, end=False) or month_start
    until = _report_bound(query.until, "until", zone, end=True) or now
    if since >= until:
        raise ApiError(
            422, f"since ({since.isoformat()}) must be before until ({until.isoformat()})"
        )
    rows = await attainment(
        db, call.context.policies, since=since, until=until, now=now, policy=query.policy
    )
    return SlaReport(since=since, until=until, rows=[ReportRow(**row.as_dict()) for row in rows])


def _report_bound(text: str | None, name: str, zone: ZoneInfo, *, end: bool) -> datetime | None:
    if text is None:
        return None
    try:
        return read_bound(text, zone, end=end)
    except ValueError as error:
        raise ApiError(422, f"{name}: {error}") from None


# -- writes: each runs inside one store transaction and calls the ticket service -------------


async def post_reply(call: Call, db: Connection) -> BaseModel:
    row = await ticket_or_404(call, db)
    if row.ticket.status == "closed":
        raise ApiError(
            409,
            f"ticket #{row.ticket.number} is closed, which is final; a new message from the"
            " customer opens a new ticket",
        )
    now = call.context.clock.now()
    body: ReplyRequest = call.body
    try:
        delivery = await call.context.ticket_ops.reply(
            db, row.ticket, body.body, author=call.caller.staff, actor=call.caller.actor, now=now
        )
    except Unreachable as exc:
        raise ApiError(409, str(exc)) from None
    return ReplyOut(ticket=row.ticket.number, kind="reply", at=now, delivery=delivery)


async def post_note(call: Call, db: Connection) -> BaseModel:
    row = await ticket_or_404(call, db)
    now = call.context.clock.now()
    body: NoteRequest = call.body
    await call.context.ticket_ops.add_note(
        db, row.ticket, body.body, actor=call.caller.actor, now=now
    )
    return ReplyOut(ticket=row.ticket.number, kind="note", at=now, delivery="none")


async def patch_ticket(call: Call, db: Connection) -> BaseModel:
    row = await ticket_or_404(call, db)
    ticket, ops, actor = row.ticket, call.context.ticket_ops, call.caller.actor
    now = call.context.clock.now()
    patch: TicketPatch = call.body
    if patch.status is not None:
        if patch.status != ticket.status:
            try:
                await ops.set_status(db, ticket, patch.status, actor=actor, now=now)
            except LifecycleError as exc:  # e.g. closed is final
                raise ApiError(409, str(exc)) from None
    elif patch.priority is not None:
        call.caller.require("lead")
        if patch.priority != ticket.effective_priority:
            try:
                await ops.change_priority(
                    db, ticket, patch.priority, actor=actor, reason=patch.reason or "", now=now
                )
            except ValueError as exc:  # UnknownPriority names the ones the policy has
                raise ApiError(422, str(exc), field="priority") from None
    else:
        assignee = None
        if patch.assignee:
            assignee = await staff_sql.staff_by_email(db, patch.assignee.lower())
            if assignee is None or not assignee.active:
                raise ApiError(
                    422, f"{patch.assignee!r} is not an active staff member", field="assignee"
                )
        current = row.assignee
        if (assignee.email if assignee else None) != current:
            await ops.assign(db, ticket, assignee, actor=actor, now=now)
    changed = await listing.ticket_row(db, ticket.number)
    assert changed is not None
    return ticket_out(
        changed, await ticket_clocks_at(db, call.context.policies, changed.ticket, now)
    )
