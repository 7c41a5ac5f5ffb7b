"""The `[oncall]` table of the config: staff, rotation, overrides, escalation.

Shape (TOML)::

    [oncall]
    timezone = "America/New_York"      # the zone hand-offs and naive override times are read in

    [[oncall.staff]]
    id = "alice"                       # letters, digits, "_-."; not primary/secondary/fallback
    name = "Alice Example"
    phone = "+12025550101"             # any format phonenumbers reads (US default), stored E.164

    [oncall.rotation]
    kind = "weekly"                    # "weekly" or "daily"
    handoff = "09:00"                  # local wall-clock time of every hand-off (DST-correct)
    handoff_day = "mon"                # weekly only, optional: must be the weekday of `start`
    start = "2026-01-05"               # the first person's shift starts at `handoff` on this date
    order = ["alice", "bob", "carol"]  # staff ids; a name may appear more than once

    [[oncall.override]]                # date-bounded: [start, end), no two may overlap
    staff = "carol"
    start = "2026-12-24T18:00"         # local to `timezone` unless it carries an offset
    end = "2026-12-26T09:00"
    reason = "holiday swap"            # optional

    [oncall.escalation]
    repeat = 1                         # run the steps this many extra times before the fallback
    fallback = "dana"                  # optional staff id paged last (e.g. the manager)
    fallback_delay = "15m"             # optional: wait after the fallback (default: last step's)

    [[oncall.escalation.step]]
    target = "primary"                 # "primary" (on call now), "secondary" (next in rotation)
    delay = "10m"                      #   or a staff id; wait this long for an ack ("90s", "1h30m")

Cross-references (ids, overlaps, hand-off weekday) are checked here, and every error names its
field (`rotation.order[2]`, `override[1].end`), so a config file error can point at the line.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from gateway.config.base import Duration, StrictModel
from gateway.phone import normalize_e164

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RESERVED_TARGETS = ("primary", "secondary", "fallback")


class Staff(StrictModel):
    """Someone who can be paged."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)
    name: str = Field(min_length=1, max_length=200)
    phone: str

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value.casefold() in RESERVED_TARGETS:
            raise PydanticCustomError("reserved_id", "'{value}' is reserved", {"value": value})
        return value

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str) -> str:
        normalized = normalize_e164(value)
        if normalized is None:
            raise PydanticCustomError(
                "phone", "'{value}' is not a valid phone number", {"value": value}
            )
        return normalized


class Rotation(StrictModel):
    """Who is on call when no override applies: `order` taking turns, one shift each."""

    kind: Literal["daily", "weekly"]
    handoff: time
    handoff_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] | None = None
    start: date
    order: tuple[str, ...] = Field(min_length=1)

    @field_validator("handoff")
    @classmethod
    def _naive_time(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise PydanticCustomError("handoff", "hand-off time is local: drop the offset")
        return value

    @model_validator(mode="after")
    def _handoff_day_matches_start(self) -> Rotation:
        if self.handoff_day is None:
            return self
        if self.kind == "daily":
            _fail("handoff_day", self.handoff_day, "only weekly rotations have a hand-off day")
        start_day = WEEKDAYS[self.start.weekday()]
        if start_day != self.handoff_day:
            _fail(
                "start", str(self.start), f"is a {start_day}, but handoff_day is {self.handoff_day}"
            )
        return self

    @property
    def period(self) -> timedelta:
        """How many calendar days one shift lasts (hand-offs keep local wall time across DST)."""
        return timedelta(days=7 if self.kind == "weekly" else 1)


class Override(StrictModel):
    """`staff` is on call from `start` (inclusive) to `end` (exclusive), whatever the rotation."""

    staff: str
    start: datetime
    end: datetime
    reason: str | None = None

    def window(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The override's [start, end) as aware datetimes; naive times are local to `tz`."""
        return _localize(self.start, tz), _localize(self.end, tz)


class Step(StrictModel):
    target: str = Field(min_length=1)
    delay: Duration

    @field_validator("delay")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise PydanticCustomError("duration", "must be longer than zero")
        return value


class Escalation(StrictModel):
    step: tuple[Step, ...] = Field(min_length=1)
    repeat: int = Field(default=0, ge=0, le=10)
    fallback: str | None = None
    fallback_delay: Duration | None = None


class OnCallConfig(StrictModel):
    """The whole `[oncall]` table (see the module docstring for the TOML shape)."""

    timezone: str
    staff: tuple[Staff, ...] = Field(min_length=1)
    rotation: Rotation
    override: tuple[Override, ...] = ()
    escalation: Escalation

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError(
                "timezone", "unknown time zone '{value}'", {"value": value}
            ) from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @model_validator(mode="after")
    def _cross_references(self) -> OnCallConfig:
        problems = [
            *_duplicate_staff(self.staff),
            *_unknown_rotation_staff(self),
            *_override_problems(self),
            *_escalation_problems(self),
        ]
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self


# -- cross-field checks: each yields errors located at the offending field ---------------------


def _problem(loc: tuple[str | int, ...], value: Any, message: str) -> InitErrorDetails:
    error = PydanticCustomError("oncall", message)
    return InitErrorDetails(type=error, loc=loc, input=value)


def _fail(field: str, value: Any, message: str) -> None:
    raise ValidationError.from_exception_data("Rotation", [_problem((field,), value, message)])


def _duplicate_staff(staff: tuple[Staff, ...]) -> list[InitErrorDetails]:
    problems = []
    ids: dict[str, int] = {}
    phones: dict[str, int] = {}
    for i, person in enumerate(staff):
        key = person.id.casefold()
        if key in ids:
            problems.append(
                _problem(("staff", i, "id"), person.id, f"duplicate of staff[{ids[key]}]")
            )
        ids.setdefault(key, i)
        if person.phone in phones:
            message = f"same number as staff[{phones[person.phone]}]"
            problems.append(_problem(("staff", i, "phone"), person.phone, message))
        phones.setdefault(person.phone, i)
    return problems


def _known_ids(config: OnCallConfig) -> set[str]:
    return {person.id for person in config.staff}


def _unknown_rotation_staff(config: OnCallConfig) -> list[InitErrorDetails]:
    known = _known_ids(config)
    return [
        _problem(("rotation", "order", i), name, f"unknown staff {name!r}")
        for i, name in enumerate(config.rotation.order)
        if name not in known
    ]


def _override_problems(config: OnCallConfig) -> list[InitErrorDetails]:
    known = _known_ids(config)
    problems = []
    windows: list[tuple[int, datetime, datetime]] = []
    for i, override in enumerate(config.override):
        if override.staff not in known:
            message = f"unknown staff {override.staff!r}"
            problems.append(_problem(("override", i, "staff"), override.staff, message))
        start, end = override.window(config.tz)
        if end <= start:
            problems.append(
                _problem(("override", i, "end"), str(override.end), "must be after start")
            )
            continue
        for j, other_start, other_end in windows:
            if start < other_end and other_start < end:
                message = f"overlaps override[{j}]"
                problems.append(_problem(("override", i, "start"), str(override.start), message))
        windows.append((i, start, end))
    return problems


def _escalation_problems(config: OnCallConfig) -> list[InitErrorDetails]:
    known = _known_ids(config)
    problems = []
    for i, step in enumerate(config.escalation.step):
        if step.target not in known and step.target not in ("primary", "secondary"):
            message = f"unknown target {step.target!r}: use primary, secondary or a staff id"
            problems.append(_problem(("escalation", "step", i, "target"), step.target, message))
    fallback = config.escalation.fallback
    if fallback is not None and fallback not in known:
        problems.append(
            _problem(("escalation", "fallback"), fallback, f"unknown staff {fallback!r}")
        )
    return problems


def _localize(value: datetime, tz: ZoneInfo) -> datetime:
    return value.replace(tzinfo=tz) if value.tzinfo is None else value
