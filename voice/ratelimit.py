"""Per-recipient page limits, GoAlert style: a page over a limit is held back, not dropped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from gateway.config.paging import RateLimit


def earliest_send(
    scheduled: Sequence[datetime], limits: Sequence[RateLimit], now: datetime
) -> datetime:
    """The first instant, not before `now`, at which one more page keeps within every limit.

    `scheduled` are the send times of the recipient's earlier pages (some may lie in the
    future if they were held back themselves); pages to one number stay in order.
    """
    times = sorted(scheduled)
    at = max([now, *times])
    moved = True
    while moved:
        moved = False
        for limit in limits:
            in_window = [t for t in times if at - limit.per < t <= at]
            if len(in_window) >= limit.count:
                at = in_window[len(in_window) - limit.count] + limit.per
                moved = True
    return at


def longest_window(limits: Sequence[RateLimit]) -> RateLimit | None:
    return max(limits, key=lambda limit: limit.per, default=None)
