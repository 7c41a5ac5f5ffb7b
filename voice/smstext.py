"""Text that fits one SMS: the GSM-7 alphabet and a 160-septet budget.

One character outside the GSM 03.38 alphabet (a "…", a curly quote, an emoji) makes the carrier
send the whole message as UCS-2, where a segment holds 70 characters instead of 160: a 183
character page with a "…" cost 4 segments, and some handsets show split pages out of order.
So every page is made of GSM-7 text only (letters with accents GSM-7 lacks lose the accent,
typographic punctuation becomes its ASCII look-alike, anything else is dropped) and its
variable parts are shortened, at a word boundary and marked with "...", until the whole
message fits `SINGLE_SMS` septets. Characters of the GSM-7 extension table (`^{}\\[~]|€`)
take two septets each.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

SINGLE_SMS = 160
MORE = "..."

# 3GPP TS 23.038, the default alphabet (less ESC) and its extension table.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

# Look-alikes for what NFKD does not reduce to GSM-7 (NFKD already turns "é" into "e" plus
# an accent, "™" into "TM" and the full-width forms into ASCII).
_LOOKALIKES = {
    **dict.fromkeys("‘’‚‛′`´", "'"),
    **dict.fromkeys("“”„‟″«»", '"'),
    **dict.fromkeys("‐‑‒–—―−", "-"),
    "…": "...",
    "•": "*",
    "·": ".",
    "⁄": "/",
    "‹": "<",
    "›": ">",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "þ": "th",
    "Þ": "Th",
    "œ": "oe",
    "Œ": "OE",
    "ı": "i",
    "×": "x",
}
_SPACES = re.compile(r"\s+")


def to_gsm7(text: str, *, one_line: bool = True) -> str:
    """`text` in the GSM-7 alphabet: transliterated where a look-alike exists, else dropped.

    With `one_line` (pages) every run of white space, line breaks included, is one space.
    """
    out: list[str] = []
    for char in text:
        if char in GSM7_BASIC or char in GSM7_EXTENSION:
            out.append(char)
        elif char in _LOOKALIKES:
            out.append(_LOOKALIKES[char])
        elif char.isspace():
            out.append(" ")
        else:
            decomposed = unicodedata.normalize("NFKD", char)
            out.extend(
                c if c in GSM7_BASIC or c in GSM7_EXTENSION else _LOOKALIKES.get(c, "")
                for c in decomposed
                if not unicodedata.combining(c)
            )
    result = "".join(out)
    if one_line:
        result = _SPACES.sub(" ", result.replace("\f", " ")).strip()
    return result


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def septets(text: str) -> int:
    """The length of GSM-7 `text` on the air: extension characters take two septets."""
    return sum(2 if c in GSM7_EXTENSION else 1 for c in text)


def shorten(text: str, budget: int) -> str:
    """`text` cut to at most `budget` septets, at a word boundary when one is near, and
    marked with "..." when anything was cut (empty when not even that fits)."""
    if septets(text) <= budget:
        return text
    if budget < len(MORE) + 1:
        return ""
    room = budget - len(MORE)
    cut, used = 0, 0
    for i, char in enumerate(text):
        used += septets(char)
        if used > room:
            break
        cut = i + 1
    head = text[:cut]
    space = head.rfind(" ")
    if space >= max(1, cut // 2):  # a word boundary in the second half: end on a whole word
        head = head[:space]
    return head.rstrip(" ,;:-") + MORE


def fit(
    render: Callable[[Sequence[str]], str],
    parts: Sequence[str],
    limit: int = SINGLE_SMS,
    *,
    floors: Sequence[int] = (),
) -> str:
    """`render(parts)` within `limit` septets of GSM-7, shortening `parts` first to last.

    `render` lays the parts out with fixed GSM-7 text (a template); the parts are customer
    or desk text, transliterated here. The first part gives way first, down to its floor in
    `floors` (0 when not given), then the next; when every part is at its floor, they give
    way in the same order down to nothing. If the fixed text alone is too long, the message
    is cut (never sent over budget).
    """
    current = [to_gsm7(part) for part in parts]
    message = to_gsm7(render(current))
    floor = [*floors, *[0] * len(current)][: len(current)]
    for minimum in (floor, [0] * len(current)):
        for index in range(len(current)):
            excess = septets(message) - limit
            if excess <= 0:
                return message
            size = septets(current[index])
            target = max(minimum[index], size - excess)
            if target < size:
                current[index] = shorten(current[index], target)
                message = to_gsm7(render(current))
    return message if septets(message) <= limit else shorten(message, limit)
