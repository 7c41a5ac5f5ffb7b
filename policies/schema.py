"""The policy file format, validated with pydantic: what a support lead may write in a TOML file.

Field-level rules live on the models; rules that relate several fields (unique priority ids,
the default priority exists, aliases name one priority) are in ``cross_field_problems`` so each
problem can name its own field. Unknown fields are errors everywhere.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from policies.hours import DAY_KEYS, parse_day_hours
from policies.targets import parse_target
from policies.triage import SIGNALS, TriageRules
from policies.warnpoints import parse_warn_point

TARGET_FIELDS = ("respond", "resolve", "rfo", "ongoing")
ClockField = Literal["respond", "resolve", "rfo", "ongoing"]
_PRIORITY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
_POLICY_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def normalise_hint(text: str) -> str:
    """Casefold, keep letters and digits: "Sev 2" -> "sev2", "x-priority:1" -> "xpriority1"."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


class HoursSpec(_Strict):
    """``[hours]``: one entry per weekday; a day left out (or "closed") is closed."""

    mon: str | None = None
    tue: str | None = None
    wed: str | None = None
    thu: str | None = None
    fri: str | None = None
    sat: str | None = None
    sun: str | None = None

    @field_validator(*DAY_KEYS)
    @classmethod
    def _spans_parse(cls, value: str | None) -> str | None:
        if value is not None:
            parse_day_hours(value)
        return value

    @model_validator(mode="after")
    def _some_day_open(self) -> HoursSpec:
        if not any(parse_day_hours(getattr(self, key) or "") for key in DAY_KEYS):
            raise ValueError("no day has any open hours")
        return self

    def table(self) -> dict[str, str | None]:
        return {key: getattr(self, key) for key in DAY_KEYS}


class ScopeSpec(_Strict):
    """``[scope.NAME]``: what a kind of support covers and what it does not."""

    summary: str = ""
    covered: tuple[str, ...] = ()
    out_of_scope: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


class PrioritySpec(_Strict):
    """One ``[[priority]]`` entry."""

    id: str
    name: str = ""
    definition: str = ""
    respond: str
    resolve: str | None = None
    rfo: str | None = None  # reason-for-outage report deadline
    ongoing: str | None = None  # follow-up response cadence, counted from the last response
    after_hours: Literal["page", "queue"] = "queue"
    warn: tuple[str, ...] | None = None  # this level's warning points; else [clocks] warn
    aliases: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    # Lifecycle transitions a contract prescribes: the priority a ticket of this level takes
    # when it is resolved, and when it is resolved but left open for monitoring.
    resolved_priority: str | None = None
    monitoring_priority: str | None = None

    @field_validator("id")
    @classmethod
    def _plain_id(cls, value: str) -> str:
        if not _PRIORITY_ID.match(value):
            raise ValueError(
                f"priority id {value!r} must be 1-32 letters, digits, '.', '_' or '-', like 'P1'"
            )
        return value

    @field_validator(*TARGET_FIELDS)
    @classmethod
    def _target_parses(cls, value: str | None) -> str | None:
        if value is not None:
            parse_target(value)
        return value

    @field_validator("warn")
    @classmethod
    def _warn_points_parse(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for point in value or ():
            parse_warn_point(point)
        return value

    @field_validator("aliases")
    @classmethod
    def _aliases_have_letters(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for alias in value:
            if not normalise_hint(alias):
                raise ValueError(f"alias {alias!r} has no letters or digits")
        return value


class ClocksSpec(_Strict):
    """``[clocks]``: how the SLA clocks of every level run (policies/clocks.py)."""

    # Clocks that stop while the ticket is `pending` (waiting on the customer).
    pending_pauses: tuple[ClockField, ...] = ()
    # When the reason-for-outage clock starts: at the ticket's arrival, or when the ticket is
    # first resolved (or left open for monitoring).
    rfo_from: Literal["arrival", "resolved"] = "arrival"
    # Warning points of every clock (a level's own `warn` replaces them): "75%", "15m".
    warn: tuple[str, ...] = ("75%",)

    @field_validator("warn")
    @classmethod
    def _warn_points_parse(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for point in value:
            parse_warn_point(point)
        return value

    @field_validator("pending_pauses")
    @classmethod
    def _no_repeats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a clock is named twice")
        return value


class PolicySpec(_Strict):
    """A whole policy file."""

    name: str
    title: str = ""
    timezone: str
    holidays: str | None = None  # country code for the holidays package, "US" or "DE-BY"
    extra_holidays: tuple[date, ...] = ()
    hours: HoursSpec
    priorities: tuple[PrioritySpec, ...] = Field(alias="priority", min_length=1)
    default_priority: str | None = None
    customer_sets_priority: StrictBool = False
    reclassify: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    after_hours_message: str = ""
    notes: tuple[str, ...] = ()
    scope: dict[str, ScopeSpec] = Field(default_factory=dict)
    triage: TriageRules = Field(default_factory=TriageRules)
    # How long a resolved ticket stays resolved (a customer message reopens it) before it is
    # closed for good: a target ("7 days", "5 business days") counted from the resolution, or
    # "none" to close only by hand. The default (seven calendar days, a common help-desk
    # choice) applies when a file says nothing; the shipped policies each state theirs.
    auto_close_after: str = "7 days"

    @field_validator("auto_close_after")
    @classmethod
    def _auto_close_parses(cls, value: str) -> str:
        target = parse_target(value)
        if target.kind == "immediate":
            raise ValueError("auto_close_after cannot be 'immediate': use a duration or 'none'")
        return value

    clocks: ClocksSpec = Field(default_factory=ClocksSpec)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not _POLICY_NAME.match(value):
            raise ValueError(
                f"policy name {value!r} must be lowercase letters, digits, '-' or '_', "
                "like 'acme-gold'"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("holidays")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is not None:
            country, subdivision = split_holiday_code(value)
            check_holiday_code(country, subdivision)
        return value


def split_holiday_code(code: str) -> tuple[str, str | None]:
    country, _, subdivision = code.partition("-")
    return country.upper(), (subdivision.upper() or None)


def check_holiday_code(country: str, subdivision: str | None) -> None:
    import holidays  # slow to import; only needed when a file names a country

    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValueError(f"unknown country code {country!r} for the holidays package")
    if subdivision is not None and subdivision not in supported[country]:
        raise ValueError(f"unknown subdivision {subdivision!r} of {country}")


def cross_field_problems(spec: PolicySpec) -> list[tuple[str, str]]:
    """(field, problem) pairs for rules that involve more than one field."""
    problems: list[tuple[str, str]] = []
    owner_of: dict[str, str] = {}
    for index, priority in enumerate(spec.priorities):
        key = normalise_hint(priority.id)
        if key in owner_of:
            problems.append((f"priority[{index}].id", f"duplicate priority id {priority.id!r}"))
        owner_of[key] = priority.id
    for index, priority in enumerate(spec.priorities):
        for alias_index, alias in enumerate(priority.aliases):
            key = normalise_hint(alias)
            owner = owner_of.setdefault(key, priority.id)
            if owner != priority.id:
                problems.append(
                    (
                        f"priority[{index}].aliases[{alias_index}]",
                        f"alias {alias!r} already names priority {owner!r}",
                    )
                )
    for index, signal in enumerate(spec.reclassify):
        if signal not in SIGNALS:
            problems.append((f"reclassify[{index}]", f"unknown triage signal {signal!r}"))
    ids = [priority.id for priority in spec.priorities]
    for text in spec.triage.check_levels(ids):
        field, _, problem = text.partition(": ")
        problems.append((field, problem))
    for index, priority in enumerate(spec.priorities):
        for field in ("resolved_priority", "monitoring_priority"):
            named = getattr(priority, field)
            if named is not None and named not in ids:
                problems.append(
                    (
                        f"priority[{index}].{field}",
                        f"unknown priority {named!r} (known: {', '.join(ids)})",
                    )
                )
    if spec.default_priority is not None and spec.default_priority not in ids:
        problems.append(
            (
                "default_priority",
                f"unknown priority {spec.default_priority!r} (known: {', '.join(ids)})",
            )
        )
    return problems
