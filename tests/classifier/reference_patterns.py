"""REFERENCE ONLY: `classifier/patterns.py` (the anchored token-pattern matcher) as it was
before issue 14's speed work (commit c8202c7), kept unchanged so that
`test_classifier_engine_equivalence.py` can check the current engine finds the same matches, in
the same order. Do not optimise or "fix" this copy.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from spacy.attrs import IS_ALPHA, LIKE_NUM, NORM
from spacy.strings import StringStore, get_string_id
from spacy.tokens import Doc

_RANGE = re.compile(r"^\{(\d*),(\d*)\}$|^\{(\d+)\}$")


@dataclass(frozen=True, slots=True)
class Step:
    allowed: frozenset[int] | None  # NORM hashes, or None for any
    denied: frozenset[int]
    regex: re.Pattern[str] | None
    like_num: bool | None
    is_alpha: bool | None
    low: int
    high: int
    simple: bool = False  # only `allowed`: a set lookup decides, no call needed

    def __post_init__(self) -> None:
        simple = (
            self.allowed is not None
            and not self.denied
            and self.regex is None
            and self.like_num is None
            and self.is_alpha is None
        )
        object.__setattr__(self, "simple", simple)

    def accepts(self, norm: int, num: int, alpha: int, strings: StringStore) -> bool:
        if self.allowed is not None and norm not in self.allowed:
            return False
        if norm in self.denied:
            return False
        if self.like_num is not None and bool(num) != self.like_num:
            return False
        if self.is_alpha is not None and bool(alpha) != self.is_alpha:
            return False
        return self.regex is None or bool(self.regex.search(strings[norm]))


def compile_step(spec: Mapping[str, Any]) -> Step:
    allowed: frozenset[int] | None = None
    denied: frozenset[int] = frozenset()
    regex = None
    for key in ("NORM", "ORTH"):
        value = spec.get(key)
        if isinstance(value, str):
            allowed = frozenset({get_string_id(value.lower())})
        elif isinstance(value, Mapping):
            if "IN" in value:
                allowed = frozenset(get_string_id(v.lower()) for v in value["IN"])
            if "NOT_IN" in value:
                denied = frozenset(get_string_id(v.lower()) for v in value["NOT_IN"])
            if "REGEX" in value:
                regex = re.compile(value["REGEX"])
    low, high = _quantity(spec.get("OP", ""))
    return Step(allowed, denied, regex, spec.get("LIKE_NUM"), spec.get("IS_ALPHA"), low, high)


def _quantity(op: str) -> tuple[int, int]:
    if not op:
        return 1, 1
    fixed = {"?": (0, 1), "*": (0, 10_000), "+": (1, 10_000), "!": (0, 0)}
    if op in fixed:
        return fixed[op]
    match = _RANGE.match(op)
    if not match:
        raise ValueError(f"unsupported OP {op!r}")
    if match.group(3):
        n = int(match.group(3))
        return n, n
    return int(match.group(1) or 0), int(match.group(2) or 10_000)


class AnchoredMatcher:
    """Find `(label, start, end)` for labelled token patterns; the longest match per start."""

    def __init__(self, patterns: Mapping[str, Sequence[Sequence[Mapping[str, Any]]]]) -> None:
        self.by_first: dict[int, list[Candidate]] = defaultdict(list)
        self.numeric_first: list[Candidate] = []
        for label, alternatives in patterns.items():
            for pattern in alternatives:
                steps = tuple(compile_step(spec) for spec in pattern)
                first = steps[0]
                if first.low != 1 or first.high != 1:
                    raise ValueError(f"{label}: a pattern must start with one fixed token")
                candidate = (label, steps, _required(steps))
                if first.allowed is not None:
                    for key in first.allowed:
                        self.by_first[key].append(candidate)
                elif first.like_num:
                    self.numeric_first.append(candidate)
                else:
                    raise ValueError(f"{label}: a pattern must start with NORM/ORTH or LIKE_NUM")

    def __call__(self, doc: Doc) -> list[tuple[str, int, int]]:
        if not len(doc):
            return []
        table = doc.to_array([NORM, LIKE_NUM, IS_ALPHA])
        return self.match(table[:, 0].tolist(), table[:, 1].tolist(), table[:, 2].tolist(), doc)

    def match(
        self, norms: list[int], nums: list[int], alphas: list[int], doc: Doc
    ) -> list[tuple[str, int, int]]:
        """As `__call__`, on the doc's NORM, LIKE_NUM and IS_ALPHA columns already extracted."""
        strings = doc.vocab.strings
        by_first = self.by_first
        numeric = self.numeric_first
        present = set(norms)  # a pattern whose required word is absent cannot match anywhere
        found = []
        for start, norm in enumerate(norms):
            candidates = by_first.get(norm)
            if numeric and nums[start]:
                candidates = (candidates or []) + numeric
            if not candidates:
                continue
            alpha = alphas[start]
            for label, steps, required in candidates:
                if required is not None and present.isdisjoint(required):
                    continue
                first = steps[0]
                if not first.simple and not first.accepts(norm, nums[start], alpha, strings):
                    continue
                end = _walk(steps, 1, start + 1, norms, nums, alphas, strings)
                if end is not None:
                    found.append((label, start, end))
        return found


Candidate = tuple[str, tuple[Step, ...], frozenset[int] | None]


def _required(steps: Sequence[Step]) -> frozenset[int] | None:
    """The words of the last mandatory plain step after the first: one of them must be in the
    text for the pattern to match ("the lobby ... intercom" needs a device word), a set test
    that skips most walks."""
    for step in reversed(steps[1:]):
        if step.simple and step.low >= 1:
            return step.allowed
    return None


def _walk(
    steps: Sequence[Step],
    index: int,
    position: int,
    norms: list[int],
    nums: list[int],
    alphas: list[int],
    strings: StringStore,
) -> int | None:
    """The end of the longest match of `steps[index:]` from `position`, or None."""
    if index == len(steps):
        return position
    step = steps[index]
    taken = 0
    limit = min(step.high, len(norms) - position)
    if step.simple:
        allowed = step.allowed
        assert allowed is not None
        while taken < limit and norms[position + taken] in allowed:
            taken += 1
    else:
        while taken < limit and step.accepts(
            norms[position + taken], nums[position + taken], alphas[position + taken], strings
        ):
            taken += 1
    if taken < step.low:
        return None
    for count in range(taken, step.low - 1, -1):  # greedy, then back off
        end = _walk(steps, index + 1, position + count, norms, nums, alphas, strings)
        if end is not None:
            return end
    return None
