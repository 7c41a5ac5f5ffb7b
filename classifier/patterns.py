"""A token-pattern matcher for the lexicon's `PATTERNS`, compiled to regular expressions.

spaCy's `Matcher` tries every pattern at every token; on short support messages that cost about
150 µs a message, and walking the patterns token by token in Python cost as much again on
longer mail. Here each token becomes one character that stands for its *class*: which of the
words the patterns name its NORM is (or, for any other word, which of the patterns' `REGEX`es
it matches), and whether it is `LIKE_NUM` and `IS_ALPHA`. Each pattern step is then a character
class (the token classes it accepts) with its quantifier, each pattern one compiled regular
expression, and `re` finds the starts and does the walking in C. A pattern is searched for only
when, for each of its mandatory steps that names words, one of those words is in the message.

It understands the subset of the `Matcher` syntax the lexicon uses: `NORM` (a string, or `IN` /
`NOT_IN` / `REGEX`), `ORTH` (compared on NORM), `LIKE_NUM`, `IS_ALPHA`, and `OP` in `?`, `*`,
`+`, `{m,n}`. Per start, each pattern gives its greedy match (each step takes as many tokens as
it can, then backs off: the regular expression's own order), which is the `Matcher`'s
greedy="LONGEST" per start; `tests/classifier` checks that against spaCy's `Matcher` and checks
the results, in order, against the token-walking matcher this replaced.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from spacy.strings import StringStore, get_string_id
from spacy.tokens import Doc

from classifier.tokenizer import COLUMNS, Columns, columns, lexical_key

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

    # A token is accepted when its NORM is `allowed` (if given), not `denied`, matches `regex`
    # (if given), and its LIKE_NUM / IS_ALPHA flags are as required: `AnchoredMatcher._ranges`
    # applies the NORM conditions to token classes, `accepts_flags` the rest.
    def accepts_flags(self, num: bool, alpha: bool) -> bool:
        """The `LIKE_NUM` and `IS_ALPHA` conditions alone."""
        return (self.like_num is None or num == self.like_num) and (
            self.is_alpha is None or alpha == self.is_alpha
        )


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


# Token classes are characters from here on (the Private Use Area and up: the encoded string
# never holds text, so nothing can be confused with a class).
_BASE = 0xE000
MAX_REGEXES = 12  # 4,096 classes of unnamed words, times 4 flags: still a cheap alphabet
# A doc's LIKE_NUM or IS_ALPHA column: a list, or the column of `Doc.to_array` as it is.
Column = Sequence[int] | np.ndarray

# Characters remembered per NORM and flags: far more than a day of mail's vocabulary, and
# bounded (cleared when full) so that a stream of random tokens cannot grow it for ever.
CACHE_LIMIT = 200_000


class AnchoredMatcher:
    """Find `(label, start, end)` for labelled token patterns: each pattern's greedy match at
    every start where it matches, by start, then in the order the patterns are given (those
    anchored on a number, `LIKE_NUM`, after those anchored on words)."""

    def __init__(self, patterns: Mapping[str, Sequence[Sequence[Mapping[str, Any]]]]) -> None:
        compiled: list[tuple[str, tuple[Step, ...]]] = []
        words: dict[int, str] = {}  # every NORM a step names, by hash
        for label, alternatives in patterns.items():
            for pattern in alternatives:
                steps = tuple(compile_step(spec) for spec in pattern)
                first = steps[0]
                if first.low != 1 or first.high != 1:
                    raise ValueError(f"{label}: a pattern must start with one fixed token")
                if first.allowed is None and not first.like_num:
                    raise ValueError(f"{label}: a pattern must start with NORM/ORTH or LIKE_NUM")
                compiled.append((label, steps))
                words.update(_named_words(pattern))
        # Classes: one per named word, then one per set of the patterns' regexes an unnamed
        # word matches (2 ** regexes of them); times 4 for LIKE_NUM and IS_ALPHA.
        regexes = {
            (step.regex.pattern, step.regex.flags): step.regex
            for _, steps in compiled
            for step in steps
            if step.regex is not None
        }
        if len(regexes) > MAX_REGEXES:
            raise ValueError(
                f"{len(regexes)} different REGEX steps: at most {MAX_REGEXES} "
                "(each doubles the token classes); name the words instead"
            )
        self._regexes = list(regexes.values())
        self._bit = {key: 1 << i for i, key in enumerate(regexes)}
        self._word_class = {norm: i for i, norm in enumerate(words)}
        self._words = list(words.values())
        self._norms = list(words)
        # The named words each regex matches, worked out once (not once per step).
        self._regex_words = {
            key: frozenset(i for i, word in enumerate(self._words) if regex.search(word))
            for key, regex in regexes.items()
        }
        self._classes = len(words) + 2 ** len(regexes)
        # Anchored on a word first, on a number last; each in the order given.
        order = sorted(range(len(compiled)), key=lambda i: (compiled[i][1][0].allowed is None, i))
        self._labels = [compiled[i][0] for i in order]
        self._searches = [
            (re.compile(self._expression(compiled[i][1])), self._needs(compiled[i][1]))
            for i in order
        ]
        # Each pattern under the words of its most selective need: a message is searched only
        # with the patterns whose first needed word it holds (one set intersection, instead of
        # a look at every pattern's needs).
        by_word: dict[int, list[int]] = {}
        for index, (_, needs) in enumerate(self._searches):
            for norm in needs[0] if needs else ():
                by_word.setdefault(norm, []).append(index)
        self._by_word = {norm: tuple(indexes) for norm, indexes in by_word.items()}
        self._first_words = frozenset(by_word)
        self._always = frozenset(i for i, (_, needs) in enumerate(self._searches) if not needs)
        # Each token's character, by its `tokenizer.lexical_key` (NORM, LIKE_NUM, IS_ALPHA).
        self._cache: dict[int, str] = {}

    def __call__(self, doc: Doc) -> list[tuple[str, int, int]]:
        if not len(doc):
            return []
        table = columns(doc)
        return self.match(table.norms, table.like_num, table.is_alpha, doc)

    def match(
        self, norms: list[int], nums: Column, alphas: Column, doc: Doc
    ) -> list[tuple[str, int, int]]:
        """As `__call__`, on the doc's NORM (a list), LIKE_NUM and IS_ALPHA columns already
        extracted."""
        present = set(norms)  # a pattern whose needed word is absent cannot match anywhere
        candidates = set(self._always)
        by_word = self._by_word
        for norm in present.intersection(self._first_words):
            candidates.update(by_word[norm])
        if not candidates:
            return []
        table = doc.user_data.get(COLUMNS)
        if isinstance(table, Columns) and table.norms is norms and table.like_num is nums:
            # the columns the tokenizer left on the doc: their keys are already made
            text = self.encode_keys(table.keys, doc.vocab.strings)
        else:
            text = self.encode(norms, nums, alphas, doc.vocab.strings)
        found = []
        searches = self._searches
        for index in candidates:  # in any order: the hits are sorted below
            expression, needs = searches[index]
            for need in needs:
                if present.isdisjoint(need):
                    break
            else:
                position = 0
                while (hit := expression.search(text, position)) is not None:
                    start = hit.start()
                    found.append((start, index, hit.end()))
                    position = start + 1
        found.sort()
        labels = self._labels
        return [(labels[index], start, end) for start, index, end in found]

    def encode(self, norms: list[int], nums: Column, alphas: Column, strings: StringStore) -> str:
        """One character per token: its class (by NORM) shifted by its flags."""
        return self.encode_keys(list(map(lexical_key, norms, nums, alphas)), strings)

    def encode_keys(self, keys: list[int], strings: StringStore) -> str:
        """As `encode`, from the tokens' `tokenizer.lexical_key`s: each character remembered
        per key (one dictionary look-up per token, no arrays to build)."""
        cache = self._cache
        try:
            return "".join(map(cache.__getitem__, keys))
        except KeyError:
            if len(cache) > CACHE_LIMIT:
                cache.clear()
            for token in keys:
                if token not in cache:
                    flags = token & 3  # 2 * LIKE_NUM + IS_ALPHA
                    cls = self._class(token >> 2, strings)
                    cache[token] = chr(_BASE + flags * self._classes + cls)
            return "".join(map(cache.__getitem__, keys))

    def _class(self, norm: int, strings: StringStore) -> int:
        """A named word's own class; for any other word, the set of regexes it matches."""
        cls = self._word_class.get(norm)
        if cls is not None:
            return cls
        text = strings[norm]
        bits = self._bit
        return len(self._words) + sum(
            bits[(r.pattern, r.flags)] for r in self._regexes if r.search(text)
        )

    def _ranges(self, step: Step) -> list[tuple[int, int]]:
        """The code points of the token classes `step` accepts, as inclusive ranges."""
        named = len(self._words)
        if step.allowed is not None:
            classes = [self._word_class[norm] for norm in step.allowed]
        else:
            classes = list(range(self._classes))
        regex = step.regex
        key = None if regex is None else (regex.pattern, regex.flags)
        bit = 0 if key is None else self._bit[key]
        matching = frozenset() if key is None else self._regex_words[key]
        norms, denied = self._norms, step.denied
        accepted = []
        for cls in classes:
            if cls < named:
                if norms[cls] in denied or (bit and cls not in matching):
                    continue
            elif bit and not (cls - named) & bit:
                continue
            accepted.append(cls)
        accepted.sort()
        runs: list[tuple[int, int]] = []
        for cls in accepted:
            if runs and runs[-1][1] == cls - 1:
                runs[-1] = (runs[-1][0], cls)
            else:
                runs.append((cls, cls))
        ranges = []
        for num in (False, True):
            for alpha in (False, True):
                if step.accepts_flags(num, alpha):
                    offset = _BASE + (2 * num + alpha) * self._classes
                    ranges += [(offset + first, offset + last) for first, last in runs]
        return ranges

    def _expression(self, steps: Sequence[Step]) -> str:
        """The pattern as a regular expression over token classes: greedy quantifiers that back
        off one token at a time, as the `Matcher` walks them."""
        parts = []
        for step in steps:
            charset = _charset(self._ranges(step))
            if (step.low, step.high) != (1, 1):
                charset = f"(?:{charset}){{{step.low},{step.high}}}"
            parts.append(charset)
        return "".join(parts)

    def _needs(self, steps: Sequence[Step]) -> tuple[frozenset[int], ...]:
        """For each mandatory step that names its words: their NORMs, one of which must be in
        the message for the pattern to match anywhere; the fewest first (the cheapest test,
        and the likeliest to fail)."""
        needs = [
            step.allowed - step.denied
            for step in steps
            if step.low >= 1 and step.allowed is not None
        ]
        return tuple(sorted(needs, key=len))


def _named_words(pattern: Sequence[Mapping[str, Any]]) -> Iterator[tuple[int, str]]:
    for spec in pattern:
        for key in ("NORM", "ORTH"):
            value = spec.get(key)
            if isinstance(value, str):
                values: list[str] = [value]
            elif isinstance(value, Mapping):
                values = [*value.get("IN", ()), *value.get("NOT_IN", ())]
            else:
                continue
            for word in values:
                yield get_string_id(word.lower()), word.lower()


def _charset(ranges: Sequence[tuple[int, int]]) -> str:
    """A regular-expression character class for inclusive code point `ranges`; one that never
    matches when there are none."""
    if not ranges:
        return "(?!)"
    return "[" + "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges) + "]"
