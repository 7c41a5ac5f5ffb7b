"""What staff can text back to a page, GoAlert style; case, spacing and a "#" do not matter.

    1001 A   (or "A 1001", "1001a", "1001 ack")   acknowledge ticket 1001's page
    1001 C   (or "C 1001", "1001 close")          close ticket 1001 (and stop its paging)
    A        acknowledge my open page; if I have several, the reply asks which
    AA       acknowledge all of my open pages
    C        close: asks for the number (closing the wrong ticket is not undone by a text)

Anything else is not a command: the caller records it as a note on the sender's latest paged
ticket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Action = Literal["acknowledge", "close", "acknowledge-all"]

_WORDS: dict[str, Action] = {
    "a": "acknowledge",
    "ack": "acknowledge",
    "acknowledge": "acknowledge",
    "c": "close",
    "close": "close",
    "resolve": "close",
}
_WORD = "|".join(sorted(_WORDS, key=len, reverse=True))
_WITH_CODE = re.compile(
    rf"^\s*#?(?P<n1>\d{{1,12}})\s*(?P<w1>{_WORD})\s*[.!]?\s*$"
    rf"|^\s*(?P<w2>{_WORD})\s+#?(?P<n2>\d{{1,12}})\s*[.!]?\s*$",
    re.I,
)
_BARE = re.compile(rf"^\s*(?P<w>{_WORD})\s*[.!]?\s*$", re.I)
_ALL = re.compile(r"^\s*(?:aa|ack\s*all|a\s*all)\s*[.!]?\s*$", re.I)


@dataclass(frozen=True, slots=True)
class Command:
    action: Action
    ticket_number: int | None = None  # None: "my page" (whichever is open)


def parse_staff_text(text: str) -> Command | None:
    """The command in a staff member's text, or None if it is not one (then it is a note)."""
    if _ALL.match(text):
        return Command("acknowledge-all")
    bare = _BARE.match(text)
    if bare:
        return Command(_WORDS[bare.group("w").lower()])
    match = _WITH_CODE.match(text)
    if match:
        word = match.group("w1") or match.group("w2")
        number = match.group("n1") or match.group("n2")
        return Command(_WORDS[word.lower()], int(number))
    return None
