"""The `[[webhooks]]` tables: where signed event notifications are POSTed.

    [[webhooks]]
    url = "https://hooks.example.com/intake"     # http(s); redirects are not followed
    events = ["ticket.created", "sla.breached"]  # or ["*"] for every event
    secret_env = "INTAKE_WEBHOOK_SECRET"         # the HMAC key comes from this variable
    timeout = "10s"                              # optional, per attempt

The secret never sits in the file: `secret_env` names the environment variable holding it.
"""

from __future__ import annotations

import re
from datetime import timedelta

from pydantic import Field, field_validator

from gateway.config.base import Duration, StrictModel

WEBHOOK_EVENTS = (
    "ticket.created",
    "ticket.updated",
    "ticket.replied",
    "sla.warning",
    "sla.breached",
    "page.acknowledged",
)


class WebhookSettings(StrictModel):
    url: str
    events: tuple[str, ...] = Field(min_length=1)
    secret_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    timeout: Duration = timedelta(seconds=10)

    @field_validator("url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"must be an absolute http(s) URL, got {value!r}")
        return value

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "*" in value:
            return WEBHOOK_EVENTS
        for event in value:
            if event not in WEBHOOK_EVENTS:
                raise ValueError(f"unknown event {event!r} (known: {', '.join(WEBHOOK_EVENTS)})")
        return tuple(dict.fromkeys(value))

    def wants(self, event: str) -> bool:
        return event in self.events
