"""The on-call page (`/oncall`): who is on call now and the chain behind them, the next 14 days
of the rota with its overrides, and the page chains still running, each with **Acknowledge**.
Also `/t/{number}`, the short link every page SMS carries.

Nothing here knows a rota rule. Who is on call when, and who is paged after them, is the
schedule's (`voice.oncall.OnCallSchedule`): the 14 days are its own shifts, walked from one
`shift(at).end` to the next. Acknowledging is paging's own stop
(`voice.paging.Paging.acknowledge_by_account`), the one an SMS "1001 A" takes: escalation stops,
unsent pages are withdrawn, the `page-acknowledged` event and the `page.acknowledged` webhook
record who did it (actor `web:<email>`). This channel may not import voice (import-linter), so
the application hands both in, typed by the protocols below.

Every member of staff may see the page and acknowledge: whoever is on call may be an agent.
Phone numbers are shown in full, as `tel:` links: the page is for signed-in staff, and the
point of the chain is to be able to call the next person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from aiohttp import web

from gateway.config.oncall import OnCallConfig, Staff
from gateway.store import paging as paging_sql
from gateway.store import staff as staff_sql
from gateway.store import tickets as tickets_sql
from gateway.store.connection import Connection
from gateway.store.paging import Chain, Page
from gateway.store.records import Ticket
from gateway.store.sessions import Session
from gateway.store.staff import StaffMember
from gateway.web.workspace import HttpProblem, Workspace

DAYS_AHEAD = timedelta(days=14)
SHIFT_CAP = 400  # a daily rota with overrides has ~30 shifts in 14 days; this only stops a loop
CHAIN_CAP = 100  # chains listed; the page says so when there are more
ACKED_SHOWN = timedelta(hours=24)  # how long an acknowledged chain stays on the page


# -- what the application hands in (voice.oncall and voice.paging, seen from here) ----------


class RotaShift(Protocol):
    @property
    def staff(self) -> Staff: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...
    @property
    def source(self) -> str: ...


class RotaStep(Protocol):
    @property
    def number(self) -> int: ...
    @property
    def round(self) -> int: ...
    @property
    def target(self) -> str: ...
    @property
    def staff(self) -> Staff: ...
    @property
    def delay(self) -> timedelta: ...
    @property
    def after(self) -> timedelta: ...


class OnCallRota(Protocol):
    @property
    def config(self) -> OnCallConfig: ...
    @property
    def tz(self) -> ZoneInfo: ...
    def shift(self, at: datetime) -> RotaShift: ...
    def chain(self, at: datetime) -> Sequence[RotaStep]: ...


class OnCallDesk(Protocol):
    """Paging, as the workspace uses it."""

    @property
    def schedule(self) -> OnCallRota | None: ...

    async def acknowledge_by_account(
        self, db: Connection, ticket_number: int, account: StaffMember, *, via: str
    ) -> str | None: ...


# -- what the page shows ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShiftRow:
    shift: RotaShift
    current: bool
    reason: str | None  # an override's reason, when it gave one


@dataclass(frozen=True, slots=True)
class ChainView:
    chain: Chain
    ticket: Ticket
    pages: list[Page]
    steps: int  # pages in the whole chain
    next_step: RotaStep | None  # who is paged at `chain.next_at`, if the chain goes on
    acked_by: str | None  # a name, when acknowledged

    @property
    def can_acknowledge(self) -> bool:
        return self.chain.state in ("active", "exhausted")


def upcoming_shifts(rota: OnCallRota, now: datetime, horizon: timedelta) -> list[ShiftRow]:
    """The schedule's own shifts from the one covering `now` until `now + horizon`."""
    reasons = {
        window: override.reason
        for override in rota.config.override
        for window in [override.window(rota.tz)]
    }
    rows: list[ShiftRow] = []
    at, end = now, now + horizon
    while at < end and len(rows) < SHIFT_CAP:
        shift = rota.shift(at)
        reason = None
        if shift.source == "override":
            reason = next(
                (why for (s, e), why in reasons.items() if s == shift.start and e == shift.end),
                None,
            )
        rows.append(ShiftRow(shift, shift.start <= now < shift.end, reason))
        at = shift.end
    return rows


class OnCallPages:
    def __init__(self, workspace: Workspace) -> None:
        self.w = workspace

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/oncall", self.w.staff(self.oncall))
        app.router.add_get("/oncall/pages", self.w.staff(self.pages))
        app.router.add_post("/oncall/{number:\\d+}/acknowledge", self.w.staff(self.acknowledge))
        app.router.add_get("/t/{number:\\d+}", short_link)

    async def oncall(self, request: web.Request, session: Session) -> web.Response:
        rota = self._rota()
        if rota is None:
            return self.w.render("oncall.html.j2", session=session, rota=None)
        now = self.w.c.clock.now()
        return self.w.render(
            "oncall.html.j2",
            shift=rota.shift(now),
            chain=rota.chain(now),
            shifts=upcoming_shifts(rota, now, DAYS_AHEAD),
            days=DAYS_AHEAD.days,
            **await self._chains(session, rota, now),
        )

    async def pages(self, request: web.Request, session: Session) -> web.Response:
        """The chains alone, for htmx to refresh the page with."""
        rota = self._rota()
        if rota is None:
            raise HttpProblem(404, "No on-call rota is configured, so nothing is paged.")
        now = self.w.c.clock.now()
        return self.w.render("oncall_pages.html.j2", **await self._chains(session, rota, now))

    def _rota(self) -> OnCallRota | None:
        desk = self.w.c.pager
        return desk.schedule if desk is not None else None

    async def _chains(self, session: Session, rota: OnCallRota, now: datetime) -> dict[str, Any]:
        names = {person.id: person.name for person in rota.config.staff}

        async def read(db: Connection) -> list[ChainView]:
            chains = await paging_sql.chains_on_watch(
                db, acknowledged_since=now - ACKED_SHOWN, limit=CHAIN_CAP + 1
            )
            views = []
            for chain in chains[:CHAIN_CAP]:
                ticket = await tickets_sql.ticket_by_id(db, chain.ticket_id)
                assert ticket is not None  # a chain belongs to its ticket (foreign key)
                steps = rota.chain(chain.started_at)
                going_on = chain.state == "active" and chain.step < len(steps)
                views.append(
                    ChainView(
                        chain,
                        ticket,
                        await paging_sql.pages_of_chain(db, chain.id),
                        len(steps),
                        steps[chain.step] if going_on else None,
                        await _acknowledger(db, chain.acked_by, names),
                    )
                )
            return views

        views = await self.w.c.store.read(read)
        # What still needs someone first (running, or run out unanswered), newest first.
        views.sort(key=lambda v: v.chain.state == "acknowledged")
        return {
            "session": session,
            "rota": rota,
            "zone": rota.tz,
            "now": now,
            "chains": views,
            "capped": len(views) >= CHAIN_CAP,
            "cap": CHAIN_CAP,
            "names": names,
            "relative": relative,
        }

    async def acknowledge(self, request: web.Request, session: Session) -> web.StreamResponse:
        desk = self.w.c.pager
        if desk is None or desk.schedule is None:
            raise HttpProblem(404, "No on-call rota is configured, so nothing is paged.")
        number = int(request.match_info["number"])
        account = session.staff

        async def write(db: Connection) -> str | None:
            return await desk.acknowledge_by_account(db, number, account, via="web")

        refused = await self.w.c.store.write(write)
        if refused is not None:
            raise HttpProblem(409, refused)
        raise web.HTTPSeeOther(f"/oncall#chain-{number}")


async def _acknowledger(db: Connection, acked_by: str | None, names: dict[str, str]) -> str | None:
    """The name of who acknowledged: a rota entry's, or the account's ("web:<email>")."""
    if acked_by is None or acked_by in names:
        return names.get(acked_by or "")
    email = acked_by.partition(":")[2]
    account = await staff_sql.staff_by_email(db, email) if email else None
    return account.name if account is not None else acked_by


async def short_link(request: web.Request) -> web.StreamResponse:
    """`/t/1001`, the link in a page SMS: the ticket (whose page sends to sign-in first)."""
    raise web.HTTPSeeOther(f"/tickets/{int(request.match_info['number'])}")


def relative(at: datetime, now: datetime) -> str:
    """ "4 min ago", "in 6 min": how far `at` is from now, in words a phone screen fits."""
    seconds = int((at - now).total_seconds())
    minutes = abs(seconds) // 60
    if minutes < 1:
        words = "less than a minute"
    elif minutes < 60:
        words = f"{minutes} min"
    else:
        hours, rest = divmod(minutes, 60)
        words = f"{hours} h {rest} min" if hours < 48 else f"{hours // 24} d {hours % 24} h"
    return f"in {words}" if seconds > 0 else f"{words} ago"
