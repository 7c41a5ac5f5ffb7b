"""The queue's next deadline as people read it: "respond due in 42 min", "resolve 3 h 10 min
overdue", from the clocks of the ticket at `now` (gateway/sla/views.py, the clocks the API and
the CLI show), never worked out here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.sla.views import ClockView, TicketClocks


@dataclass(frozen=True, slots=True)
class Deadline:
    text: str
    risk: str  # ok | at-risk | breached | paused | met | none
    due_at: datetime | None = None  # the next running clock's deadline, for sorting


def span(seconds: int) -> str:
    minutes = max(seconds, 0) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def clock_words(clock: ClockView) -> str:
    """How long is left on one clock: "due in 42 min", "3 h overdue", "met", "met late"."""
    if clock.met_at is not None:
        return "met" if clock.state == "met" else "met late"
    left = clock.remaining_seconds or 0
    if clock.state == "paused":
        return f"paused, {span(left)} left"
    if left < 0 or clock.state == "breached":
        return f"{span(-left)} overdue"
    return f"due in {span(left)}"


def clock_risk(clock: ClockView) -> str:
    if clock.state == "breached":
        return "breached"
    if clock.met_at is not None:
        return "met"
    if clock.state == "paused":
        return "paused"
    return "at-risk" if clock.at_risk else "ok"


def deadline(clocks: TicketClocks) -> Deadline:
    """The ticket's next running clock, or how its clocks ended."""
    upcoming = clocks.next_due
    if upcoming is not None:
        return Deadline(
            f"{upcoming.label} {clock_words(upcoming)}", clock_risk(upcoming), upcoming.due_at
        )
    if not clocks.clocks:
        return Deadline("no deadline", "none")
    if clocks.breached:
        return Deadline("met late", "breached")
    return Deadline("met", "met")


def respond_deadline(clocks: TicketClocks) -> Deadline:
    """The respond clock alone (the ticket page's "Respond by" line; every clock is listed
    below it)."""
    respond = next((c for c in clocks.clocks if c.name == "respond"), None)
    if respond is None:
        return Deadline("no deadline", "none")
    return Deadline(clock_words(respond), clock_risk(respond), respond.due_at)


@dataclass(frozen=True, slots=True)
class ClockLine:
    """One clock as the ticket page shows it (templates/web/ticket_clocks.html.j2)."""

    label: str
    target: str
    state: str
    at_risk: bool
    risk: str
    words: str
    due_local: str  # in the policy's zone, where the contract's hours are counted
    due_utc: str  # ISO 8601 UTC, for the viewer's zone (filled in by the page's script)
    due_utc_text: str  # what the page says until the script has run
    met_local: str | None


LOCAL_FORMAT = "%a %d %b %Y %H:%M %Z"


def clock_lines(clocks: TicketClocks) -> list[ClockLine]:
    return [
        ClockLine(
            label=c.label,
            target=c.target,
            state=c.state,
            at_risk=c.at_risk,
            risk=clock_risk(c),
            words=clock_words(c),
            due_local=c.due_at.astimezone(c.zone).strftime(LOCAL_FORMAT),
            due_utc=c.due_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            due_utc_text=c.due_at.astimezone(UTC).strftime(LOCAL_FORMAT),
            met_local=c.met_at.astimezone(c.zone).strftime(LOCAL_FORMAT) if c.met_at else None,
        )
        for c in clocks.clocks
    ]
