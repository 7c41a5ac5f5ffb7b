"""The reports page (`/reports`): SLA attainment per policy x priority x clock for a period, as
a table, a server-rendered SVG bar chart and a CSV download (`/reports.csv`).

Every figure is the clocks engine's (`gateway.sla.report.attainment`), and the CSV is its
`csv_text`: the same bytes `intake sla report --format csv` prints for the same period.

The period is two dates, both included, read in one zone: the chosen policy's, else the first
desk's policy's (`report_zone`). Without dates it is this month so far in that zone, as for
`intake sla report` and the API. The
choice lives in the query string, so a reload or a shared link shows the same report.
Reports are for leads and admins (as the API's `GET /sla/report`); the server refuses others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from gateway.sla.report import ReportRow, attainment, csv_text, month_so_far, report_zone
from gateway.store.connection import Connection
from gateway.store.sessions import Session
from gateway.web.workspace import RANK, HttpProblem, Workspace

READER_ROLE = "lead"
# The chart's geometry, in SVG user units (it scales to the width it is given).
CHART_WIDTH = 360  # about a phone's width: its text stays legible there
BAR_LEFT = 0
BAR_SPAN = 290  # 100 %
ROW_HEIGHT = 42
BAR_HEIGHT = 16


@dataclass(frozen=True, slots=True)
class Period:
    since: date
    until: date  # included
    policy: str | None
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.since, time(0), tzinfo=self.zone)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.until + timedelta(days=1), time(0), tzinfo=self.zone)

    @property
    def query(self) -> str:
        params = {"since": self.since.isoformat(), "until": self.until.isoformat()}
        if self.policy:
            params["policy"] = self.policy
        return urlencode(params)

    @property
    def filename(self) -> str:
        # Only characters no header or file system reads specially.
        policy = "-" + re.sub(r"[^A-Za-z0-9_.-]", "_", self.policy) if self.policy else ""
        return f"sla-report-{self.since}-to-{self.until}{policy}.csv"


@dataclass(frozen=True, slots=True)
class Bar:
    row: ReportRow
    label: str
    y: int
    width: float  # user units; 0 when nothing is decided yet


class ReportPages:
    def __init__(self, workspace: Workspace) -> None:
        self.w = workspace

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/reports", self.w.staff(self.reports))
        app.router.add_get("/reports.csv", self.w.staff(self.reports_csv))

    def _policies(self) -> list[str]:
        settings = self.w.c.settings
        names = {d.policy for d in settings.desks} | {c.policy for c in settings.customers}
        return sorted(self.w.c.policies.get(name).name for name in names)

    def _period(self, request: web.Request, session: Session) -> Period:
        if RANK[session.staff.role] < RANK[READER_ROLE]:
            raise HttpProblem(
                403, f"Reports need the {READER_ROLE} role; you are {session.staff.role}."
            )
        q = request.query
        known = self._policies()
        policy = q.get("policy") or None
        if policy is not None and policy not in known:
            raise HttpProblem(400, f"No policy {policy!r} (known: {', '.join(known)}).")
        zone = report_zone(self.w.c.settings, self.w.c.policies, policy)
        month_start, now = month_so_far(self.w.c.clock.now(), zone)
        today = now.astimezone(zone).date()
        since = _date(q.get("since"), "From", month_start.date())
        until = _date(q.get("until"), "To", today)
        if since > until:
            raise HttpProblem(400, f"From ({since}) must not be after To ({until}).")
        return Period(since, until, policy, zone)

    async def _rows(self, period: Period) -> list[ReportRow]:
        now = self.w.c.clock.now()
        book = self.w.c.policies

        async def read(db: Connection) -> list[ReportRow]:
            return await attainment(
                db, book, since=period.start, until=period.end, now=now, policy=period.policy
            )

        return await self.w.c.store.read(read)

    async def reports(self, request: web.Request, session: Session) -> web.Response:
        period = self._period(request, session)
        rows = await self._rows(period)
        bars = [
            Bar(
                row,
                f"{row.policy} · {row.priority} · {row.clock}",
                i * ROW_HEIGHT,
                BAR_SPAN * (row.attainment or 0) / 100,
            )
            for i, row in enumerate(rows)
        ]
        return self.w.render(
            "reports.html.j2",
            session=session,
            period=period,
            rows=rows,
            bars=bars,
            policies=self._policies(),
            chart={
                "width": CHART_WIDTH,
                "height": max(1, len(rows)) * ROW_HEIGHT + 18,
                "left": BAR_LEFT,
                "span": BAR_SPAN,
                "bar": BAR_HEIGHT,
            },
        )

    async def reports_csv(self, request: web.Request, session: Session) -> web.Response:
        period = self._period(request, session)
        rows = await self._rows(period)
        return web.Response(
            text=csv_text(rows),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{period.filename}"'},
        )


def _date(text: str | None, field: str, default: date) -> date:
    if not text:
        return default
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise HttpProblem(400, f"{field}: {text!r} is not a date (YYYY-MM-DD).") from None
