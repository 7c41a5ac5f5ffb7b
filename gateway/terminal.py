"""Text safe to print on a terminal: what a customer (or a config, or a policy) wrote, minus
anything the terminal would act on instead of print.

Used by every CLI output (`gateway.cli.common`) and by the log formatters (`gateway.logs`),
since a log on stderr is terminal output too.
"""

from __future__ import annotations

import re

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), other two-byte escapes, then any C0/C1
# control except tab and newline, and the Unicode bidi overrides and isolates (which can make
# "gpj.exe" read as "exe.jpg"). What remains is text a terminal prints as text.
_TERMINAL_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|\x9d[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
    r"|[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def clean(text: str | None) -> str:
    """Customer (or config) text made safe to print: escapes and bidi controls removed."""
    return _TERMINAL_ESCAPES.sub("", text or "")
