"""The `[paging]` table of the config: when voicemails page, and per-recipient limits.

    [paging]
    voicemail = "always"          # after-hours voicemails page whatever their priority
                                  # ("priority": only when their priority pages after hours)
    sms_resends = 2               # re-sends after a temporary delivery failure (30001, 30008)

    reserve = 1                   # slots of every wider window kept for credible pages
    credible_confidence = 0.5     # the classifier's own reading pages, at least this sure

    [[paging.rate_limit]]         # per recipient and per SMS; pages waiting for one number
    count = 1                     # when an SMS may go are coalesced into it
    per = "1m"

Either way a policy none of whose priorities pages after hours never pages for a voicemail:
that contract has no on-call service. The default limits are GoAlert's for SMS alerts: one
message a minute, 5 per 15 minutes, 11 per hour, 21 per 3 hours to one number.

A page is credible when the classifier's own reading of its ticket (the proposed priority,
not the customer's declaration) pages after hours with at least `credible_confidence`. Pages
that are not credible may use every window wider than one message only up to `reserve` slots
short of its limit, so a flood of tickets only their senders call urgent cannot hold back the
page of a real outage.
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
    reserve: int = Field(1, ge=0)
    credible_confidence: float = Field(0.5, ge=0, le=1)
