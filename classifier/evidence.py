"""One piece of evidence found by the rule components (kept free of spaCy imports).

A named tuple: a message yields several, and building a frozen dataclass costs three times as
much (measured in `bench/classifier.py`)."""

from __future__ import annotations

from typing import NamedTuple


class Hit(NamedTuple):
    """Signal `name`, found as `phrase` (the text as written) at token `start`."""

    name: str
    phrase: str
    start: int
