"""What every settings model shares: strictness and the one way to write a duration.

Every table of the config file is a `StrictModel`: an unknown key is an error (a typo must not
silently fall back to a default) and a loaded value is frozen. Every duration field is a
`Duration`, so `"1h30m"` means the same thing in `[twilio]`, `[paging]` and `[oncall]`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError

# Units largest first, each at most once, optionally separated by spaces: "2d", "1h30m",
# "1h 30m 15s". Lower case after folding, so "10M" is ten minutes, never months.
_DURATION = re.compile(r"(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?")
_EXAMPLES = "'90s', '10m', '1h30m' or '2d'"


class StrictModel(BaseModel):
    """Base of every settings model: unknown keys are errors, loaded settings are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_duration(value: object) -> timedelta:
    """A duration from the config: `"90s"`, `"10m"`, `"1h30m"`, `"2d"`, or a number of seconds.

    Raises a pydantic error whose message is fit for the user (`load_settings` prints it after
    the file and the key): a unit-less string, a negative number or a bool is refused rather
    than guessed at.
    """
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool):
        raise PydanticCustomError("duration", f"expected a duration like {_EXAMPLES}")
    elif isinstance(value, int | float):
        seconds = value
    elif isinstance(value, str):
        return _parse_text(value)
    else:
        raise PydanticCustomError("duration", f"expected a duration like {_EXAMPLES}")
    if seconds < 0:
        raise PydanticCustomError("duration", "a duration cannot be negative")
    try:
        return value if isinstance(value, timedelta) else timedelta(seconds=seconds)
    except OverflowError:
        raise PydanticCustomError("duration", "duration is too long") from None


def _parse_text(text: str) -> timedelta:
    folded = text.strip().lower()
    match = _DURATION.fullmatch(folded)
    if not folded or match is None:
        hint = " (add a unit: s, m, h or d)" if folded.isdigit() else ""
        raise PydanticCustomError(
            "duration",
            "expected a duration like {examples}, got '{value}'{hint}",
            {"examples": _EXAMPLES, "value": text, "hint": hint},
        )
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    try:
        return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:
        raise PydanticCustomError(
            "duration", "duration '{value}' is too long", {"value": text}
        ) from None


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
"""A `timedelta` field written in the config as `"1h30m"` (or a number of seconds)."""
