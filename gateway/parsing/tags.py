"""Our ticket tag in subjects: `[#123]`."""

from __future__ import annotations

import re

_TAG = re.compile(r"\[\s*#(\d{1,18})\s*\]")
_SPACES = re.compile(r"\s+")


def ticket_tag(subject: str) -> int | None:
    """The ticket number of the first `[#N]` tag in `subject`, or None."""
    match = _TAG.search(subject)
    return int(match.group(1)) if match else None


def strip_ticket_tag(subject: str) -> str:
    """`subject` without its `[#N]` tags, spaces collapsed."""
    return _SPACES.sub(" ", _TAG.sub(" ", subject)).strip()
