"""The `[paging]` table of the config: when voicemails page, and per-recipient limits.

    [paging]
    voicemail = "always"          # after-hours voicemails page whatever their priority
                                  # ("priority": only when their priority pages after hours)
    sms_resends = 2               # re-sends after a temporary delivery failure (30001, 30008)

    [[paging.rate_limit]]         # per recipient; a page over a limit waits until it fits
    count = 1
    per = "1m"

Either way a policy none of whose priorities pages after hours never pages for a voicemail:
that contract has no on-call service. The default limits are GoAlert's for SMS alerts: one
message a minute, 5 per 15 minutes, 11 per hour, 21 per 3 hours to one number.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from gateway.config.base import Duration, StrictModel


class RateLimit(StrictModel):
    """At most `count` pages to one number within any window of `per`."""

    count: int = Field(gt=0)
    per: Duration


GOALERT_SMS_LIMITS = (
    RateLimit(count=1, per=timedelta(minutes=1)),
    RateLimit(count=5, per=timedelta(minutes=15)),
    RateLimit(count=11, per=timedelta(hours=1)),
    RateLimit(count=21, per=timedelta(hours=3)),
)


class PagingSettings(StrictModel):
    voicemail: Literal["always", "priority"] = "always"
    rate_limit: tuple[RateLimit, ...] = GOALERT_SMS_LIMITS
    sms_resends: int = Field(2, ge=0, le=10)
