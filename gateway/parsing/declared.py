"""Raw hints of a priority the customer declared; the policy maps them, we never decide.

Order matters (the policy takes the first hint that matches): bracket tags in the subject,
"Priority: 2"-style labels in the subject and then in the first lines of the latest reply, the
words urgent / emergency / critical / asap in the subject, and the priority headers mail
clients set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MAX_TAG_CHARS = 12
BODY_LINES = 5

_BRACKET = re.compile(r"\[([^\[\]\n]{1,60})\]")
_PRIORITY_WORDS = frozenset(
    {
        "urgent", "emergency", "critical", "asap", "high", "highest", "medium", "normal",
        "low", "lowest", "blocker", "major", "minor", "trivial", "severe", "important",
    }
)  # fmt: skip
_TAG_SHAPE = re.compile(
    r"(p|pri|prio|priority|sev|severity|s|l|lvl|level|tier)\s*[-:#]?\s*[0-9a-e]", re.I
)
_LABEL = r"\b(?:priority|prio|severity|sev|level|lvl)(?![a-z])"
_LABELLED_NUMBER = re.compile(rf"{_LABEL}\s*(?:[:=#-]\s*)?(p?[0-9])(?![\w.])", re.I)
# What every match of _LABEL contains, for lower-case ASCII text (re.I also folds non-ASCII
# letters such as the Kelvin sign into ASCII ones, so other text goes the long way).
_MAY_BE_LABELLED = re.compile(r"(?:priority|prio|severity|sev|level|lvl)(?![a-z])")
_LABELLED_WORD = re.compile(rf"{_LABEL}\s*[:=]\s*([a-z]+)\b", re.I)
_BARE_P = re.compile(r"(?<![\w#\[])P([0-9])(?![\w.])")
_URGENT_WORD = re.compile(r"\b(urgent|emergency|critical|asap)\b", re.I)
_NEGATION = re.compile(r"\b(not|non|no|less)[\s-]*$", re.I)
_X_PRIORITY = re.compile(r"\s*([1-5])")


def declared_hints(subject: str, latest_text: str, headers: Mapping[str, str]) -> tuple[str, ...]:
    """Every hint in order, duplicates (ignoring case and spaces) removed.

    `headers` maps lower-case header names to their values.
    """
    hints: list[str] = []
    hints += bracket_tags(subject)
    hints += labelled(subject)
    hints += [f"P{m.group(1)}" for m in _BARE_P.finditer(subject)]
    hints += labelled(_first_lines(latest_text, BODY_LINES))
    hints += urgent_words(subject)
    hints += header_hints(headers)
    return _unique(hints)


def bracket_tags(subject: str) -> list[str]:
    """`[P1]` -> "P1", `[Sev 2]` -> "Sev 2"; not our `[#123]` nor tags like `[EXTERNAL]`."""
    tags = []
    for match in _BRACKET.finditer(subject):
        tag = " ".join(match.group(1).split())
        if not tag or tag.startswith("#") or len(tag) > MAX_TAG_CHARS:
            continue
        if (
            any(ch.isdigit() for ch in tag)
            or tag.casefold() in _PRIORITY_WORDS
            or _TAG_SHAPE.fullmatch(tag)
        ):
            tags.append(tag)
    return tags


def labelled(text: str) -> list[str]:
    """ "Priority: 2", "Sev 1", "Level 2" -> the number; "Priority: high" -> "high"."""
    found: list[tuple[int, str]] = []
    if text.isascii() and not _MAY_BE_LABELLED.search(text.lower()):
        return []  # the usual text: no label word at all (re.I alone scans ten times slower)
    for match in _LABELLED_NUMBER.finditer(text):
        value = match.group(1)
        found.append((match.start(), value.upper() if value[0] in "pP" else value))
    for match in _LABELLED_WORD.finditer(text):
        word = match.group(1).lower()
        if word in _PRIORITY_WORDS:
            found.append((match.start(), word))
    return [value for _, value in sorted(found)]


def urgent_words(subject: str) -> list[str]:
    words = []
    for match in _URGENT_WORD.finditer(subject):
        if not _NEGATION.search(subject[max(match.start() - 12, 0) : match.start()]):
            words.append(match.group(1).lower())
    return words


def header_hints(headers: Mapping[str, str]) -> list[str]:
    hints = []
    x_priority = _X_PRIORITY.match(headers.get("x-priority", ""))
    if x_priority:
        hints.append(f"x-priority:{x_priority.group(1)}")
    for name in ("importance", "priority", "x-msmail-priority"):
        words = headers.get(name, "").split()
        if words:
            hints.append(f"{name}:{words[0].lower().strip(';,')}")
    return hints


def _first_lines(text: str, count: int) -> str:
    lines: list[str] = []
    for line in text.split("\n"):
        if line.strip():
            lines.append(line)
            if len(lines) == count:
                break
    return "\n".join(lines)


def _unique(hints: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out = []
    for hint in hints:
        key = "".join(hint.casefold().split())
        if key and key not in seen:
            seen.add(key)
            out.append(hint)
    return tuple(out)
