"""The API's request and response shapes (pydantic), which the OpenAPI document is built from.

Request models forbid unknown fields, so a misspelt field is a 422 naming it rather than a
silent no-op. Times are ISO 8601 with an offset (UTC).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

STATUSES = ("open", "pending", "resolved", "closed")
Status = Literal["open", "pending", "resolved", "closed"]
ClockState = Literal["pending", "met", "breached", "paused"]
ClockName = Literal["respond", "ongoing", "resolve", "rfo"]
MAX_PAGE = 200
DEFAULT_PAGE = 50


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests ----------------------------------------------------------------------------------


class TicketListQuery(_Request):
    """Filters and paging for `GET /tickets`, from the query string."""

    status: Status | None = Field(None, description="Only tickets in this status.")
    priority: str | None = Field(None, description="Only this effective priority id, e.g. P1.")
    policy: str | None = Field(None, description="Only tickets under this policy.")
    assignee: str | None = Field(
        None, description="A staff email, `me` for the caller, or `none` for unassigned."
    )
    sla: Literal["at-risk", "breached"] | None = Field(
        None,
        description="`breached`: a clock of the ticket (any of respond, ongoing, resolve, rfo) "
        "was not met by its deadline (overdue now, or met late); `at-risk`: a clock still "
        "running, not yet due, has passed one of its policy's warning points.",
    )
    limit: int = Field(
        DEFAULT_PAGE,
        ge=1,
        description=f"Page size; at most {MAX_PAGE}, larger values are capped (the response "
        "states the limit applied and the cap).",
    )
    cursor: str | None = Field(None, description="The `next` of the previous page.")


class ReplyRequest(_Request):
    body: str = Field(
        min_length=1, max_length=100_000, description="Plain text sent to the customer."
    )


class NoteRequest(_Request):
    body: str = Field(min_length=1, max_length=100_000, description="Internal: never sent.")


class TicketPatch(_Request):
    """One change at a time: a status, a priority with its reason, or an assignee."""

    status: Status | None = None
    priority: str | None = Field(None, description="A priority id of the ticket's policy.")
    reason: str | None = Field(None, min_length=1, description="Required with `priority`.")
    assignee: str | None = Field(None, description="A staff email, or an empty string to unassign.")

    @model_validator(mode="after")
    def _one_change(self) -> TicketPatch:
        changes = [
            name for name in ("status", "priority", "assignee") if name in self.model_fields_set
        ]
        if len(changes) != 1:
            raise ValueError("give exactly one of status, priority (with reason) or assignee")
        if "priority" in changes and not self.reason:
            raise ValueError("a priority change needs a reason")
        if "reason" in self.model_fields_set and "priority" not in changes:
            raise ValueError("reason goes with priority only")
        if changes != ["assignee"] and getattr(self, changes[0]) is None:
            raise ValueError(f"{changes[0]} must not be null")
        return self


class SlaReportQuery(_Request):
    since: str | None = Field(
        None,
        description="Clocks started at or after this date (2026-11-01) or ISO 8601 instant; "
        "without an offset it is read in the policy's zone, else the first desk's policy's "
        "(as on the workspace's /reports). Default: the start of this month in that zone.",
    )
    until: str | None = Field(
        None,
        description="... and before this instant, or until the end of this date (that day "
        "included), read like since; default: now.",
    )
    policy: str | None = Field(None, description="Only this policy.")


# -- responses ---------------------------------------------------------------------------------


class Clock(_Response):
    """One SLA clock of the ticket at the time of the request, from the clocks engine."""

    name: ClockName = Field(
        description="respond (first public staff reply), ongoing (the next public update after "
        "a customer message; one per cycle), resolve (first resolution), rfo (reason for outage)."
    )
    cycle: int = Field(description="0, or the ongoing clock's cycle from 1.")
    priority: str = Field(description="The level the clock runs at.")
    target: str = Field(description="The policy's target, as written: `4 business hours`.")
    business: bool = Field(description="Counted in the policy's business hours.")
    started_at: datetime
    due: datetime = Field(description="The deadline (moved by pauses), UTC.")
    state: ClockState = Field(description="A clock met after its deadline is `breached`.")
    remaining_seconds: int | None = Field(
        description="Until due; negative once overdue; null once met."
    )
    paused_seconds: int = Field(description="How far pauses (pending) moved the deadline.")
    at_risk: bool = Field(description="Still running, past a warning point of the policy.")
    met_at: datetime | None
    breached_at: datetime | None = Field(description="The deadline, once breached.")


class TicketOut(_Response):
    number: int
    channel: str
    customer: str
    customer_name: str
    desk: str
    policy: str
    subject: str
    status: str
    priority: str
    declared_priority: str | None
    proposed_priority: str | None
    confidence: float | None
    after_hours: bool
    assignee: str | None = Field(description="The assigned staff member's email.")
    received_at: datetime
    due_at: datetime | None = Field(
        description="The respond-by time promised in the acknowledgement; `clocks` has every "
        "clock as it stands now."
    )
    updated_at: datetime
    clocks: list[Clock] = Field(description="Every SLA clock of the ticket at the request.")


class TicketPage(_Response):
    tickets: list[TicketOut]
    limit: int = Field(description="The page size applied.")
    max_limit: int = Field(description="The cap on `limit`.")
    next: str | None = Field(description="Cursor of the next page; null on the last page.")


class MessageOut(_Response):
    direction: Literal["in", "out"]
    channel: str
    sender: str
    subject: str
    at: datetime
    text: str
    purpose: str | None = Field(description="ack, reply, ... for messages we sent.")


class EventOut(_Response):
    at: datetime
    kind: str
    detail: dict[str, Any]


class TicketDetail(TicketOut):
    reasons: list[str]
    messages: list[MessageOut]
    events: list[EventOut]


class ReplyOut(_Response):
    ticket: int
    kind: Literal["reply", "note"]
    at: datetime
    delivery: Literal["email", "sms", "none"] = Field(description="How it reaches the customer.")


class ReportRow(_Response):
    """One policy x priority x clock of the clocks engine's report (as `intake sla report`)."""

    policy: str
    priority: str
    clock: str
    count: int = Field(description="Clocks that started in the period.")
    met: int
    breached: int
    open: int = Field(description="Still running, not yet due.")
    attainment_percent: float | None = Field(description="met / (met + breached); null if none.")
    median: float | None = Field(description="Median time to meet the clock, in `unit`.")
    p90: float | None = Field(description="90th percentile (nearest rank), in `unit`.")
    unit: str = Field(description="`business hours` or `hours`.")


class SlaReport(_Response):
    since: datetime
    until: datetime
    rows: list[ReportRow]


class ErrorBody(_Response):
    code: str
    message: str
    field: str | None = None


class ErrorOut(_Response):
    error: ErrorBody
