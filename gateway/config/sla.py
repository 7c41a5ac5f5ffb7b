"""The `[sla]` table of the config: who hears of SLA warnings and breaches, and how often the
clocks are scanned.

    [sla]
    notify = ["desk-staff@example.com"]   # warnings, when a ticket has no assignee
    leads = ["lead@example.com"]          # breaches (default: the notify list)
    scan_interval = "30s"

With a staff table (`intake staff`), a warning goes to the ticket's assignee and a breach to
every enabled lead; these lists are the fallback for tickets without one and for desks that
keep no staff accounts.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, field_validator

from gateway.config.base import Duration, StrictModel


class SlaSettings(StrictModel):
    notify: tuple[str, ...] = Field((), description="Who is warned before a deadline passes.")
    leads: tuple[str, ...] = Field((), description="Who hears of a breach (default: notify).")
    scan_interval: Duration = Field(
        timedelta(seconds=30), description="How often the clocks are scanned for what fell due."
    )

    @field_validator("notify", "leads")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            if "@" not in address or any(ch.isspace() for ch in address.strip()):
                raise ValueError(f"not an email address: {address!r}")
        return tuple(a.strip().lower() for a in value)

    @property
    def breach_recipients(self) -> tuple[str, ...]:
        return self.leads or self.notify
