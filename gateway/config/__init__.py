"""Every settings model of the config file, and how the file is loaded.

- `gateway.config.base`: `StrictModel` (the one base: unknown keys are errors) and `Duration`
  (the one duration type: `"90s"`, `"10m"`, `"1h30m"`, `"2d"` in every duration field).
- `gateway.config.settings`: `Settings` (the whole file, `[smtp]` … `[twilio]`) and
  `load_settings` (defaults < TOML file < INTAKE_* environment < command-line flags).
- `gateway.config.oncall`: the `[oncall]` table (staff, rotation, overrides, escalation).
- `gateway.config.paging`: the `[paging]` table (voicemail rule, per-recipient rate limits).
- `gateway.config.demo`: the demo desk and its on-call rotation, used when no desk is named.

The package is core: it imports no channel (`voice`, `gateway.smtp`), so both channels can
read their settings from it.
"""

from gateway.config.base import Duration, StrictModel, parse_duration
from gateway.config.demo import DEMO_DESK_ADDRESS, DEMO_POLICY, DEMO_URGENT_ADDRESS
from gateway.config.oncall import (
    Escalation,
    OnCallConfig,
    Override,
    Rotation,
    Staff,
    Step,
)
from gateway.config.paging import GOALERT_SMS_LIMITS, PagingSettings, RateLimit
from gateway.config.settings import (
    AckSettings,
    ConfigError,
    CustomerSettings,
    DeskSettings,
    HttpSettings,
    OutboxSettings,
    RelaySettings,
    Settings,
    SmtpSettings,
    TwilioSettings,
    WorkerSettings,
    load_settings,
)
from gateway.config.webhooks import WEBHOOK_EVENTS, WebhookSettings

__all__ = [
    "DEMO_DESK_ADDRESS",
    "DEMO_POLICY",
    "DEMO_URGENT_ADDRESS",
    "GOALERT_SMS_LIMITS",
    "WEBHOOK_EVENTS",
    "AckSettings",
    "ConfigError",
    "CustomerSettings",
    "DeskSettings",
    "Duration",
    "Escalation",
    "HttpSettings",
    "OnCallConfig",
    "OutboxSettings",
    "Override",
    "PagingSettings",
    "RateLimit",
    "RelaySettings",
    "Rotation",
    "Settings",
    "SmtpSettings",
    "Staff",
    "Step",
    "StrictModel",
    "TwilioSettings",
    "WebhookSettings",
    "WorkerSettings",
    "load_settings",
    "parse_duration",
]
