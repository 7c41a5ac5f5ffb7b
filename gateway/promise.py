"""What we promise a customer: the policy's own words and the dated deadline in its zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from gateway.store.records import Ticket
from policies import Policy


def format_local(at: datetime, tz: ZoneInfo) -> str:
    """ "Tue 24 Nov 2026, 09:00 EST": a local date and hour nobody can misread."""
    local = at.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname()}"


@dataclass(frozen=True, slots=True)
class Promise:
    priority_id: str
    priority_name: str
    words: str  # "within 1 business day"
    due: datetime | None
    due_local: str | None
    after_hours: bool
    after_hours_note: str
    # A zero-length target ("immediate"): "we are responding now", never "immediately, by
    # 08:03" for a mail received at 08:03.
    immediate: bool = False

    def template_context(self) -> dict[str, object]:
        return {
            "priority_id": self.priority_id,
            "priority_name": self.priority_name,
            "promise": self.words,
            "due_local": self.due_local,
            "after_hours": self.after_hours,
            "after_hours_note": self.after_hours_note,
            "immediate": self.immediate,
        }


def promise_for(policy: Policy, ticket: Ticket) -> Promise:
    """The promise of a ticket as it stands: its deadline is the one the ticket service set."""
    return promise_of(
        policy, ticket.effective_priority, ticket.due_at, ticket.received_at, ticket.after_hours
    )


def promise_of(
    policy: Policy, priority_id: str, due: datetime | None, received_at: datetime, after_hours: bool
) -> Promise:
    """The promise for these terms (`promise_for` a ticket's, or a ticket's about to be opened)."""
    priority = policy.priority(priority_id)
    return Promise(
        priority_id=priority.id,
        priority_name=priority.name,
        words=priority.respond.describe(),
        due=due,
        due_local=format_local(due, policy.tz) if due else None,
        after_hours=after_hours,
        after_hours_note=policy.after_hours_message,
        immediate=priority.respond.kind == "immediate" or (due is not None and due <= received_at),
    )
