"""Warning points of an SLA clock, as a policy file writes them: ``"75%"`` or ``"15m"``.

``"75%"`` is reached when three quarters of the clock's span has run, counted in the clock's
own units (open time for a business clock, elapsed time otherwise); ``"15m"``, ``"2h"`` or
``"1d"`` is that much elapsed time before the deadline. Parsing is pure and strict: the
schema uses it, so a bad point names its field when the file loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

_PERCENT = re.compile(r"^(\d{1,2})\s*%$")
_BEFORE = re.compile(r"^(\d+)\s*(m|h|d)$")
_UNIT = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}


@dataclass(frozen=True, slots=True)
class WarnPoint:
    """``fraction`` of the span (0 < f < 1), or ``before`` the deadline; ``text`` as written."""

    text: str
    fraction: float | None = None
    before: timedelta | None = None


def parse_warn_point(text: str) -> WarnPoint:
    """A warning point; ValueError saying what is expected."""
    folded = " ".join(text.split()).casefold()
    percent = _PERCENT.match(folded)
    if percent is not None:
        value = int(percent[1])
        if not 0 < value < 100:
            raise ValueError(f"warning point {text!r} must be between 1% and 99%")
        return WarnPoint(text=f"{value}%", fraction=value / 100)
    before = _BEFORE.match(folded)
    if before is not None and int(before[1]) > 0:
        return WarnPoint(
            text=f"{int(before[1])}{before[2]}", before=int(before[1]) * _UNIT[before[2]]
        )
    raise ValueError(
        f"cannot read warning point {text!r}: expected a share of the time like '75%' or a time"
        " before the deadline like '15m', '2h' or '1d'"
    )
