"""The staff workspace: server-rendered pages on the gateway's HTTP server.

Every page needs a signed-in session (gateway/store/sessions.py); every POST carries the
session's CSRF token or is refused with 403; roles are checked here, on the server, whatever
the page shows. Changes go through `StaffActions`, the one code path the API, the CLI and
staff mail use too, each inside one store transaction.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import jinja2
from aiohttp import web

import templates
from gateway import credentials
from gateway.clock import Clock
from gateway.config import Settings
from gateway.lifecycle import STATUSES, LifecycleError
from gateway.policybook import PolicyBook
from gateway.replies import Unreachable
from gateway.sla.views import TicketClocks, clocks_at, ticket_clocks_at
from gateway.store import Store, content, listing, sessions
from gateway.store import staff as staff_sql
from gateway.store import tickets as tickets_sql
from gateway.store.connection import Connection
from gateway.store.listing import TicketFilter, TicketRow
from gateway.store.sessions import Session
from gateway.store.staff import ROLES
from gateway.ticketing import StaffActions
from gateway.web.attachments import download, inline_picture, size_text
from gateway.web.deadlines import Deadline, clock_lines, deadline, respond_deadline
from gateway.web.thread import inline_image, show_thread
from gateway.web.timing import timer_of

if TYPE_CHECKING:
    from gateway.web.oncall import OnCallDesk

STATIC_DIR = Path(__file__).parent / "static"
SESSION_COOKIE = "intake_session"
LOGIN_CSRF_COOKIE = "intake_login_csrf"
QUEUE_CAP = 100  # rows the queue shows, due first; the page says so when there are more
ACTIVE = ("open", "pending")  # what the queue shows unless a status is chosen
PARTIALS = ("/queue/rows", "/oncall/pages")  # htmx fragments: 401, never the sign-in page
SLA_FILTERS = ("at-risk", "breached")  # the API's `sla=` filter, on the same clocks
EXPIRED_FORM = "This form has expired; reload the page and try again."
RANK = {role: rank for rank, role in enumerate(ROLES)}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self';"
        " object-src 'none'; frame-src 'none'; base-uri 'none';"
        " frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True, slots=True)
class WorkspaceContext:
    store: Store
    clock: Clock
    settings: Settings
    policies: PolicyBook
    staff_actions: StaffActions
    pager: OnCallDesk | None = None  # paging (voice.paging), for /oncall


def page_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(templates.__file__).parent / "web"),
        autoescape=True,  # customer text is data: every value is escaped unless marked safe
        undefined=jinja2.StrictUndefined,
    )


class HttpProblem(Exception):
    """A refusal the person sees as a page: its status and one sentence."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


Handler = Callable[[web.Request, Session], Awaitable[web.StreamResponse]]


class Workspace:
    def __init__(self, context: WorkspaceContext) -> None:
        self.c = context
        self.env = page_environment()
        self.secure = context.settings.public_url.startswith("https:")

    # -- plumbing ---------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        app.on_response_prepare.append(_security_headers)
        app.on_startup.append(self._load_calendars)
        app.router.add_static("/static/", STATIC_DIR, name="static")
        app.router.add_get("/login", self.login_page)
        app.router.add_post("/login", self.login)
        app.router.add_post("/logout", self.staff(self.logout))
        app.router.add_get("/", self.staff(self.queue))
        app.router.add_get("/queue/rows", self.staff(self.queue_rows))
        app.router.add_get("/tickets/{number:\\d+}", self.staff(self.ticket))
        app.router.add_get(
            "/tickets/{number:\\d+}/attachments/{attachment:\\d+}", self.staff(self.attachment)
        )
        app.router.add_get(
            "/tickets/{number:\\d+}/messages/{message:\\d+}/inline/{part:\\d+}",
            self.staff(self.inline_image),
        )
        for action in ("reply", "note", "priority", "assign", "status"):
            handler = getattr(self, f"do_{action}")
            app.router.add_post(f"/tickets/{{number:\\d+}}/{action}", self.staff(handler))
        # /oncall, /t/{n} and /reports build on this class (sessions, CSRF, rendering).
        from gateway.web.oncall import OnCallPages
        from gateway.web.reports import ReportPages

        OnCallPages(self).add_routes(app)
        ReportPages(self).add_routes(app)

    async def _load_calendars(self, app: web.Application) -> None:
        """Before the first page, not during it: the desks' business calendars for today's
        year (the `holidays` package and its tables, ~150 ms once; the first queue of a fresh
        process took 240 ms in its clocks, the next ones 5 ms)."""
        today = self.c.clock.now()

        def load() -> None:
            for desk in self.c.settings.desks:
                policy = self.c.policies.get(desk.policy)
                policy.holiday_name(today.astimezone(policy.tz).date())

        await asyncio.to_thread(load)

    def render(self, name: str, status: int = 200, **values: Any) -> web.Response:
        body = self.env.get_template(name).render(**values)
        return web.Response(text=body, status=status, content_type="text/html")

    def problem(self, problem: HttpProblem, session: Session | None) -> web.Response:
        return self.render(
            "error.html.j2", problem.status, session=session, message=problem.message
        )

    def staff(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """Require a live session; on a POST also its CSRF token."""

        async def wrapped(request: web.Request) -> web.StreamResponse:
            timer = timer_of(request)
            response = await checked(request)
            if not response.prepared:
                response.headers["Server-Timing"] = timer.header()
            return response

        async def checked(request: web.Request) -> web.StreamResponse:
            cookie = request.cookies.get(SESSION_COOKIE)
            now = self.c.clock.now()
            session = None
            if cookie:
                session = await self.c.store.read(lambda db: sessions.session_for(db, cookie, now))
            if session is None:
                if request.method != "GET" or request.path in PARTIALS:
                    return self.problem(HttpProblem(401, "Sign in first."), None)
                raise web.HTTPSeeOther("/login?" + urlencode({"next": request.path_qs}))
            try:
                if request.method == "POST":
                    form = await request.post()
                    token = str(form.get("csrf", ""))
                    if not hmac.compare_digest(token.encode(), session.csrf.encode()):
                        raise HttpProblem(403, EXPIRED_FORM)
                return await handler(request, session)
            except HttpProblem as problem:
                return self.problem(problem, session)

        return wrapped

    def _cookie(self, response: web.StreamResponse, name: str, value: str, max_age: int) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=self.secure,
        )

    # -- sign-in ----------------------------------------------------------------------------

    async def login_page(self, request: web.Request) -> web.Response:
        token = request.cookies.get(LOGIN_CSRF_COOKIE) or sessions.new_secret()
        response = self.render(
            "login.html.j2",
            session=None,
            csrf=token,
            email="",
            error=None,
            next=_safe_next(request.query.get("next")),
        )
        self._cookie(response, LOGIN_CSRF_COOKIE, token, 3600)
        return response

    async def login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        token = str(form.get("csrf", ""))
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
            return self.problem(HttpProblem(403, EXPIRED_FORM), None)
        email = str(form.get("email", "")).strip().lower()
        password = str(form.get("password", ""))
        address = request.remote or "unknown"
        next_path = _safe_next(str(form.get("next", "")))
        now = self.c.clock.now()

        def again(status: int, error: str) -> web.Response:
            return self.render(
                "login.html.j2",
                status,
                session=None,
                csrf=expected,
                email=email,
                error=error,
                next=next_path,
            )

        if await self.c.store.read(lambda db: sessions.throttled(db, email, address, now)):
            minutes = int(sessions.THROTTLE_WINDOW.total_seconds() // 60)
            return again(429, f"Too many failed sign-ins. Wait {minutes} minutes, then try again.")
        member = await self.c.store.read(lambda db: staff_sql.staff_by_email(db, email))
        stored = None
        if member is not None and member.active:
            stored = await self.c.store.read(lambda db: staff_sql.password_hash_of(db, member.id))
        # argon2 takes tens of milliseconds of CPU: off the event loop.
        ok = stored is not None and await asyncio.to_thread(
            credentials.verify_password, stored, password
        )
        if not ok or member is None:
            await self.c.store.write(lambda db: sessions.record_failure(db, email, address, now))
            return again(401, "Wrong email or password.")
        staff_id = member.id
        cookie, session = await self.c.store.write(
            lambda db: sessions.open_session(db, staff_id, now)
        )
        response = _see_other(next_path)
        lifetime = int((session.expires_at - now).total_seconds())
        self._cookie(response, SESSION_COOKIE, cookie, lifetime)
        response.del_cookie(LOGIN_CSRF_COOKIE, path="/")
        return response

    async def logout(self, request: web.Request, session: Session) -> web.StreamResponse:
        cookie = request.cookies[SESSION_COOKIE]
        await self.c.store.write(lambda db: sessions.close_session(db, cookie))
        response = _see_other("/login")
        response.del_cookie(SESSION_COOKIE, path="/")
        return response

    # -- the queue --------------------------------------------------------------------------

    async def queue(self, request: web.Request, session: Session) -> web.Response:
        view = await self._queue_view(request, session)
        with timer_of(request).stage("render"):
            return self.render("queue.html.j2", session=session, **view)

    async def queue_rows(self, request: web.Request, session: Session) -> web.Response:
        view = await self._queue_view(request, session)
        with timer_of(request).stage("render"):
            return self.render("queue_rows.html.j2", session=session, **view)

    async def _queue_view(self, request: web.Request, session: Session) -> dict[str, Any]:
        q = request.query
        status = q.get("status", "")
        if status and status != "any" and status not in STATUSES:
            raise HttpProblem(400, f"No status {status!r} (known: any, {', '.join(STATUSES)}).")
        assigned = q.get("assigned", "")
        sla = q.get("sla", "")
        if sla and sla not in SLA_FILTERS:
            raise HttpProblem(400, f"No SLA filter {sla!r} (known: {', '.join(SLA_FILTERS)}).")
        desks = [d.address for d in self.c.settings.desks]
        desk = q.get("desk", "")
        if desk and desk not in desks:
            raise HttpProblem(400, f"No desk {desk!r} (known: {', '.join(desks)}).")
        where = TicketFilter(
            priority=q.get("priority") or None,
            policy=q.get("policy") or None,
            assignee_id=session.staff.id if assigned == "mine" else None,
            unassigned=assigned == "unassigned",
            desk=desk or None,
            sla=sla or None,
        )
        statuses: tuple[str | None, ...] = (
            ACTIVE if not status else (None,) if status == "any" else (status,)
        )
        search = q.get("q", "").strip()
        now = self.c.clock.now()
        timer = timer_of(request)

        async def read(db: Connection) -> tuple[list[TicketRow], bool, dict[int, TicketClocks]]:
            with timer.stage("rows"):
                rows, capped = await matching(db)  # the search is in the SQL
            # Clocks only for the rows shown: the queue is re-read every few seconds.
            with timer.stage("clocks"):
                clocks = await clocks_at(db, self.c.policies, [r.ticket for r in rows], now)
            return rows, capped, clocks

        async def matching(db: Connection) -> tuple[list[TicketRow], bool]:
            number = search.lstrip("#")
            if number.isdigit():
                row = await listing.ticket_row(db, int(number))
                return ([row] if row else []), False
            found = await listing.due_first(
                db,
                where,
                tuple(s for s in statuses if s is not None),
                search=search,
                limit=QUEUE_CAP + 1,
                now=now,
            )
            return found[:QUEUE_CAP], len(found) > QUEUE_CAP

        rows, capped, clocks = await self.c.store.read(read)
        items = [(row, deadline(clocks[row.ticket.id])) for row in rows]
        items.sort(key=_due_first)
        params = {k: v for k, v in q.items() if v}
        desk_policies = [self.c.policies.get(d.policy) for d in self.c.settings.desks]
        return {
            "items": items,
            "capped": capped,
            "cap": QUEUE_CAP,
            "filters": params,
            "query": urlencode(params),
            "statuses": STATUSES,
            "policies": sorted({p.name for p in desk_policies}),
            "priorities": sorted({level.id for p in desk_policies for level in p.priorities}),
            "desks": desks,
            "sla_filters": SLA_FILTERS,
        }

    # -- a ticket ---------------------------------------------------------------------------

    async def ticket(self, request: web.Request, session: Session) -> web.Response:
        number = int(request.match_info["number"])
        view = request.query.get("view", "text")
        if view not in ("text", "html"):
            raise HttpProblem(400, f"No view {view!r} (known: text, html).")

        now = self.c.clock.now()
        timer = timer_of(request)

        async def read(db: Connection) -> Any:
            row = await listing.ticket_row(db, number)
            if row is None:
                return None
            ticket_id = row.ticket.id
            with timer.stage("clocks"):
                clocks = await ticket_clocks_at(db, self.c.policies, row.ticket, now)
            messages, events = await listing.thread_and_events(db, ticket_id)
            raws = None
            if view == "html":  # parsed on demand: the text view does no MIME work
                raws = {}
                for m in messages:
                    if m.channel == "email" and m.direction == "in":
                        raw = await content.raw_message(db, ticket_id, m.id)
                        if raw is not None:
                            raws[m.id] = raw
            attachments = await content.attachments_of_ticket(db, ticket_id)
            voicemails = await content.voicemails_of_ticket(db, ticket_id)
            return row, clocks, messages, events, attachments, voicemails, raws

        with timer.stage("read"):
            found = await self.c.store.read(read)
        if found is None:
            raise HttpProblem(404, f"There is no ticket #{number}.")
        row, clocks, messages, events, attachments, voicemails, raws = found
        policy = self.c.policies.get(row.ticket.policy)
        # Sanitising is CPU work on customer input of any size: off the event loop.
        with timer.stage("thread"):
            shown = await asyncio.to_thread(
                show_thread, number, messages, attachments, voicemails, raws
            )
        with timer.stage("render"):
            return self.render(
                "ticket.html.j2",
                session=session,
                row=row,
                t=row.ticket,
                shown=shown,
                view=view,
                has_email=any(m.channel == "email" and m.direction == "in" for m in messages),
                size_text=size_text,
                events=events,
                zone=policy.tz,
                priorities=policy.priorities,
                deadline=respond_deadline(clocks),
                clocks=clock_lines(clocks),
                clocks_policy_missing=clocks.policy_missing,
                can_prioritise=RANK[session.staff.role] >= RANK["lead"],
            )

    async def attachment(self, request: web.Request, session: Session) -> web.StreamResponse:
        number = int(request.match_info["number"])
        attachment_id = int(request.match_info["attachment"])

        async def read(db: Connection) -> Any:
            ticket = await tickets_sql.ticket_by_number(db, number)
            if ticket is None:
                return None
            return await content.attachment_content(db, ticket.id, attachment_id)

        found = await self.c.store.read(read)
        if found is None:
            raise HttpProblem(404, f"Ticket #{number} has no attachment {attachment_id}.")
        stored, data = found
        if data is None:
            raise HttpProblem(
                410,
                f"{stored.filename} ({size_text(stored.size)}) was over the size limit when it"
                " arrived: only its name and size were kept.",
            )
        return download(stored.filename, data)

    async def inline_image(self, request: web.Request, session: Session) -> web.StreamResponse:
        number = int(request.match_info["number"])
        message_id = int(request.match_info["message"])
        index = int(request.match_info["part"])

        async def read(db: Connection) -> bytes | None:
            ticket = await tickets_sql.ticket_by_number(db, number)
            if ticket is None:
                return None
            return await content.raw_message(db, ticket.id, message_id)

        raw = await self.c.store.read(read)
        image = None if raw is None else await asyncio.to_thread(inline_image, raw, index)
        if image is None:
            raise HttpProblem(404, f"Ticket #{number} has no such inline image.")
        return inline_picture(*image)

    async def _act(
        self,
        request: web.Request,
        session: Session,
        action: Callable[[Connection, TicketRow, Any], Awaitable[None]],
    ) -> web.StreamResponse:
        number = int(request.match_info["number"])
        form = await request.post()

        async def write(db: Connection) -> None:
            row = await listing.ticket_row(db, number)
            if row is None:
                raise HttpProblem(404, f"There is no ticket #{number}.")
            await action(db, row, form)

        try:
            await self.c.store.write(write)
        except (LifecycleError, Unreachable) as exc:
            raise HttpProblem(409, str(exc)) from None
        return _see_other(f"/tickets/{number}")

    def _actor(self, session: Session) -> str:
        return f"web:{session.staff.email}"

    async def do_reply(self, request: web.Request, session: Session) -> web.StreamResponse:
        async def act(db: Connection, row: TicketRow, form: Any) -> None:
            body = str(form.get("body", "")).strip()
            if not body:
                raise HttpProblem(422, "Write the reply first; an empty reply is not sent.")
            await self.c.staff_actions.reply(
                db,
                row.ticket,
                body,
                author=session.staff,
                actor=self._actor(session),
                now=self.c.clock.now(),
            )

        return await self._act(request, session, act)

    async def do_note(self, request: web.Request, session: Session) -> web.StreamResponse:
        async def act(db: Connection, row: TicketRow, form: Any) -> None:
            body = str(form.get("body", "")).strip()
            if not body:
                raise HttpProblem(422, "Write the note first; an empty note is not added.")
            await self.c.staff_actions.add_note(
                db, row.ticket, body, actor=self._actor(session), now=self.c.clock.now()
            )

        return await self._act(request, session, act)

    async def do_priority(self, request: web.Request, session: Session) -> web.StreamResponse:
        if RANK[session.staff.role] < RANK["lead"]:
            raise HttpProblem(
                403, f"Changing a priority needs the lead role; you are {session.staff.role}."
            )

        async def act(db: Connection, row: TicketRow, form: Any) -> None:
            priority, reason = str(form.get("priority", "")), str(form.get("reason", "")).strip()
            if not reason:
                raise HttpProblem(422, "Give a reason for the new priority.")
            if priority == row.ticket.effective_priority:
                return
            try:
                await self.c.staff_actions.change_priority(
                    db,
                    row.ticket,
                    priority,
                    actor=self._actor(session),
                    reason=reason,
                    now=self.c.clock.now(),
                )
            except ValueError as exc:  # UnknownPriority names the ones the policy has
                raise HttpProblem(422, str(exc)) from None

        return await self._act(request, session, act)

    async def do_assign(self, request: web.Request, session: Session) -> web.StreamResponse:
        async def act(db: Connection, row: TicketRow, form: Any) -> None:
            if row.assignee != session.staff.email:
                await self.c.staff_actions.assign(
                    db,
                    row.ticket,
                    session.staff,
                    actor=self._actor(session),
                    now=self.c.clock.now(),
                )

        return await self._act(request, session, act)

    async def do_status(self, request: web.Request, session: Session) -> web.StreamResponse:
        async def act(db: Connection, row: TicketRow, form: Any) -> None:
            status = str(form.get("status", ""))
            if status not in ("open", "pending", "resolved"):
                raise HttpProblem(422, f"Set open, pending or resolved, not {status!r}.")
            if status != row.ticket.status:
                await self.c.staff_actions.set_status(
                    db, row.ticket, status, actor=self._actor(session), now=self.c.clock.now()
                )

        return await self._act(request, session, act)


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _due_first(item: tuple[TicketRow, Deadline]) -> tuple[int, float]:
    """Tickets with a running clock first, the soonest due at the top; then newest first."""
    row, line = item
    if line.due_at is not None:
        return (0, line.due_at.timestamp())
    return (1, -row.ticket.number)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never `//host` or a URL) is followed after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
