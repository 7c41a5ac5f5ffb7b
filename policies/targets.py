"""Response and resolution targets as the contracts word them: "4 business hours", "immediate".

Grammar: ``<N> [business|calendar] <minute|hour|day|week>[s]`` (calendar when neither word is
given), ``[business|calendar] immediate`` or ``none``. Parsing is case-insensitive; ``text``
keeps the file's words. A business ``immediate`` is due at the next opening.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Unit = Literal["minute", "hour", "day", "week"]
Kind = Literal["duration", "immediate", "none"]

UNITS: tuple[Unit, ...] = ("minute", "hour", "day", "week")
_UNIT_BY_WORD: dict[str, Unit] = {unit: unit for unit in UNITS} | {
    f"{unit}s": unit for unit in UNITS
}
_DURATION = re.compile(r"^(?P<amount>\S+)\s+(?:(?P<clock>business|calendar)\s+)?(?P<unit>\S+)$")
_IMMEDIATE = re.compile(r"^(?:(?P<clock>business|calendar)\s+)?immediate(?:ly)?$")
_GRAMMAR = "'<N> [business|calendar] <minute|hour|day|week>[s]', 'immediate' or 'none'"


@dataclass(frozen=True, slots=True)
class Target:
    """One deadline rule. ``business`` counts only open time; otherwise elapsed (calendar) time."""

    text: str
    kind: Kind
    amount: int = 0
    unit: Unit = "hour"
    business: bool = False

    def describe(self) -> str:
        """Short words for acknowledgements: "within 1 business day", "immediately"."""
        if self.kind == "immediate":
            return "immediately"
        if self.kind == "none":
            return "no fixed deadline"
        return f"within {self.text}"

    @property
    def has_deadline(self) -> bool:
        return self.kind != "none"

    def __str__(self) -> str:
        return self.text


def parse_target(text: str) -> Target:
    """Parse a target; raises ValueError with a short problem statement."""
    words = " ".join(text.split())
    folded = words.casefold()
    immediate = _IMMEDIATE.match(folded)
    if immediate is not None:
        return Target(text=words, kind="immediate", business=immediate["clock"] == "business")
    if folded == "none":
        return Target(text=words, kind="none")
    match = _DURATION.match(folded)
    if match is None:
        raise ValueError(f"cannot read target {text!r}: expected {_GRAMMAR}")
    amount_text = match["amount"]
    if not amount_text.isdigit():
        raise ValueError(f"amount {amount_text!r} is not a whole number in target {text!r}")
    amount = int(amount_text)
    if amount == 0:
        raise ValueError(f"amount must be at least 1 in target {text!r} (use 'immediate')")
    unit = _UNIT_BY_WORD.get(match["unit"])
    if unit is None:
        raise ValueError(f"unknown unit {match['unit']!r}")
    return Target(
        text=words, kind="duration", amount=amount, unit=unit, business=match["clock"] == "business"
    )
