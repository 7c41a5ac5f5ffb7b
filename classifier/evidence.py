"""One piece of evidence found by the rule components (kept free of spaCy imports)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Hit:
    """Signal `name`, found as `phrase` (the text as written) at token `start`."""

    name: str
    phrase: str
    start: int
