"""A policy and its deadlines in plain words, for ``intake policies show`` and ``sla explain``."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta

from policies.hours import DAY_NAMES
from policies.model import TARGET_WORDS, Policy, Priority

_WIDTH = 92


def format_instant(at: datetime) -> str:
    """ "Wed 25 Nov 2026 09:00 EST" (seconds only when they are not zero)."""
    clock = "%H:%M:%S" if at.second or at.microsecond else "%H:%M"
    return at.strftime(f"%a %d %b %Y {clock} %Z")


def _format_start(start: datetime, received: datetime) -> str:
    """ "Mon 09:00" within the coming week, else with the date."""
    if start - received < timedelta(days=6):
        return start.strftime("%a %H:%M")
    return start.strftime("%a %d %b %Y %H:%M")


def explain(policy: Policy, priority_id: str, received: datetime, target: str = "respond") -> str:
    """One sentence: the target, the deadline, and how the arrival time affected it."""
    priority = policy.priority(priority_id)
    rule = priority.target(target)
    words = TARGET_WORDS[target]
    if rule is None:
        return f"{priority.label}: no {words} target in {policy.name}."
    due = policy.deadline(priority_id, received, target)
    head = f"{priority.label}: {words} {'with ' if due is None else ''}{rule.describe()}"
    if due is not None:
        head += f", by {format_instant(due)}"
    return f"{head}; {_arrival(policy, priority, received, business=rule.business)}."


def _arrival(policy: Policy, priority: Priority, received: datetime, *, business: bool) -> str:
    local = received.astimezone(policy.tz)
    day = local.strftime("%A")
    holiday = policy.holiday_name(local.date())
    if holiday is not None:
        day += f" ({holiday})"
    if policy.is_open(local):
        return f"received {day} {local:%H:%M %Z}, during business hours"
    text = f"received {day} {local:%H:%M %Z}, outside business hours"
    if business:
        start = policy.next_opening(local)
        text += f", the clock starts {_format_start(start, local)}"
    else:
        text += ", calendar time runs from receipt"
    if priority.pages_after_hours:
        text += "; the on-call engineer is paged"
    return text


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, _WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


def describe_policy(policy: Policy) -> str:
    """The whole contract in plain words."""
    lines = [f"{policy.title} ({policy.name})", f"Source: {policy.source}", ""]
    lines += _hours_lines(policy)
    lines += ["", *_priority_setting_lines(policy), "", "Priorities, most urgent first:"]
    for priority in policy.priorities:
        lines += _priority_lines(priority, default=priority is policy.default_priority)
    lines += ["", "After hours, callers and senders are told:"]
    lines += _wrap(policy.after_hours_message, "  ")
    for scope in policy.scope:
        lines += ["", f"Scope of coverage, {scope.name}: {scope.summary}".rstrip(": ")]
        for item in scope.covered:
            lines += _wrap(f"covered: {item}", "  ")
        for item in scope.out_of_scope:
            lines += _wrap(f"out of scope: {item}", "  ")
        for item in scope.notes:
            lines += _wrap(f"note: {item}", "  ")
    if policy.notes:
        lines += ["", "Other terms:"]
        for note in policy.notes:
            lines += _wrap(f"- {note}", "  ")
    return "\n".join(lines)


def _hours_lines(policy: Policy) -> list[str]:
    lines = [f"Business hours, local time in {policy.tz.key}:"]
    for weekday, name in enumerate(DAY_NAMES):
        lines.append(f"  {name:<10} {policy.hours.describe_day(weekday)}")
    if policy.holidays:
        holidays = f"Closed on {policy.holidays} public holidays"
    else:
        holidays = "Open on public holidays"
    if policy.extra_holidays:
        holidays += ", and closed on " + ", ".join(day.isoformat() for day in policy.extra_holidays)
    lines.append(holidays + ".")
    return lines


def _priority_setting_lines(policy: Policy) -> list[str]:
    if policy.customer_sets_priority:
        who = "The customer sets the priority; the declared priority stands"
        if policy.reclassify:
            who += ", unless triage finds: " + ", ".join(policy.reclassify)
        else:
            who += " (no automatic reclassification)"
    else:
        who = "The support team assigns the priority; a declared priority is only a hint"
    lines = _wrap(who + ".", "")
    lines.append(f"Without a clear priority a ticket is {policy.default_priority.label}.")
    if policy.channels:
        lines.append("Channels: " + ", ".join(policy.channels) + ".")
    return lines


def _priority_lines(priority: Priority, *, default: bool) -> list[str]:
    title = f"  {priority.label}" + (" (default)" if default else "")
    lines = [title]
    if priority.definition:
        lines += _wrap(priority.definition, "    ")
    for which in ("respond", "ongoing", "resolve", "rfo"):
        rule = priority.target(which)
        if rule is not None:
            lines.append(f"    {TARGET_WORDS[which]}: {rule.describe()}")
    if priority.pages_after_hours:
        lines.append("    after hours: pages the on-call engineer")
    else:
        lines.append("    after hours: queued, no page")
    for note in priority.notes:
        lines += _wrap(f"note: {note}", "    ")
    return lines
