"""What staff can text back to a page: "4821 A" (or "A 4821") acknowledges ticket 4821, a bare
"A" acknowledges the latest page sent to them. "ack" is accepted for "A"; case and spacing
do not matter."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ACK = r"(?:a|ack|acknowledge)"
_WITH_CODE = re.compile(
    rf"^\s*#?(\d{{1,12}})\s*{_ACK}\s*[.!]?\s*$|^\s*{_ACK}\s+#?(\d{{1,12}})\s*$", re.I
)
_BARE = re.compile(rf"^\s*{_ACK}\s*[.!]?\s*$", re.I)


@dataclass(frozen=True, slots=True)
class Acknowledge:
    ticket_number: int | None  # None: the latest page sent to whoever texted


def parse_staff_text(text: str) -> Acknowledge | None:
    """The command in a staff member's text, or None if it is not one."""
    if _BARE.match(text):
        return Acknowledge(None)
    match = _WITH_CODE.match(text)
    if match:
        return Acknowledge(int(match.group(1) or match.group(2)))
    return None
