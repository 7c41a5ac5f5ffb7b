"""Per-recipient page limits, GoAlert style: a page over a limit is held back, not dropped.

Limits count SMS, not pages: every page queued for one number when an SMS may go is carried
by that one SMS (see `voice.paging`). A `reserve` keeps the last slots of every window wider
than one message for pages the classifier itself reads as urgent: a flood of pages nobody but
the sender calls urgent cannot use up the budget a real outage needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from gateway.config.paging import RateLimit


def earliest_send(
    sent: Sequence[datetime], limits: Sequence[RateLimit], now: datetime, *, reserve: int = 0
) -> datetime:
    """The first instant, not before `now`, at which one more SMS keeps within every limit.

    `sent` are the send times of the recipient's earlier SMS (some may lie in the future if
    they were scheduled ahead); pages to one number stay in order. With `reserve`, a limit of
    more than one message counts as `reserve` fewer (never fewer than one).
    """
    times = sorted(sent)
    at = max([now, *times])
    moved = True
    while moved:
        moved = False
        for limit in limits:
            count = limit.count if limit.count == 1 else max(1, limit.count - reserve)
            in_window = [t for t in times if at - limit.per < t <= at]
            if len(in_window) >= count:
                at = in_window[len(in_window) - count] + limit.per
                moved = True
    return at


def longest_window(limits: Sequence[RateLimit]) -> RateLimit | None:
    return max(limits, key=lambda limit: limit.per, default=None)
