"""Small policies built in memory for the policies tests (a uniquely named helper module)."""

from __future__ import annotations

import textwrap
import tomllib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from policies.loader import parse_policy
from policies.model import Policy

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
ALL_DAYS = (*WEEKDAYS, "sat", "sun")


def policy_from(text: str, source: str = "policies/test.toml") -> Policy:
    return parse_policy(tomllib.loads(textwrap.dedent(text)), source)


def hours_table(spans: str, days: tuple[str, ...] = WEEKDAYS) -> str:
    return "[hours]\n" + "".join(f'{day} = "{spans}"\n' for day in days)


def priorities(*targets: str, key: str = "respond") -> str:
    """One priority per target, ids T0, T1, ..."""
    return "".join(
        f'\n[[priority]]\nid = "T{index}"\n{key} = "{target}"\n'
        for index, target in enumerate(targets)
    )


def sample_policy(
    *targets: str,
    zone: str = "America/New_York",
    spans: str = "09:00-17:00",
    days: tuple[str, ...] = WEEKDAYS,
    holidays: str | None = "US",
    extra_holidays: tuple[str, ...] = (),
) -> Policy:
    head = f'name = "sample"\ntimezone = "{zone}"\n'
    if holidays:
        head += f'holidays = "{holidays}"\n'
    if extra_holidays:
        head += "extra_holidays = [" + ", ".join(f'"{d}"' for d in extra_holidays) + "]\n"
    return policy_from(head + hours_table(spans, days) + priorities(*targets))


def local(text: str, zone: str = "America/New_York") -> datetime:
    """The instant (in UTC) of ISO text; without an offset it is local time in ``zone``.

    Tests compare instants in UTC: Python compares two datetimes that share a tzinfo by wall
    clock, ignoring ``fold``, and never finds a ``fold=1`` time equal to one in another zone.
    """
    at = datetime.fromisoformat(text)
    return (at if at.tzinfo else at.replace(tzinfo=ZoneInfo(zone))).astimezone(UTC)


def utc(at: datetime | None) -> datetime | None:
    return None if at is None else at.astimezone(UTC)


def due(policy: Policy, target: str, received: str, which: str = "respond") -> datetime | None:
    """Deadline (in UTC) of the priority whose target text is ``target``."""
    for priority in policy.priorities:
        rule = priority.target(which)
        if rule is not None and rule.text == target:
            return utc(policy.deadline(priority.id, local(received, policy.tz.key), which))
    raise LookupError(target)
