"""The demo desk `make run` starts: no config file, so these defaults.

Two addresses under the `threepbx` contract, and an on-call rotation of fictional people with
fictional numbers (555-01xx is reserved for fiction in North America) whose pages land in
`<data-dir>/sms-out.jsonl` like every SMS of a desk without Twilio credentials:

- `support@localhost` behaves as the contract says: an urgent ticket pages only after hours
  (ThreePBX's full-capacity desk is staffed 08:00-19:00 New York time every day).
- `urgent@localhost` is the demo's emergency address: its urgent tickets page at any hour
  (`paging = "always"` on the desk), so a new user sees a page whatever the time of day.

Only a run without any config file gets the demo rotation (a config file without an
`[oncall]` table pages nobody, and one that names its desks serves only those): nobody is
paged by a demo by accident. Do not export Twilio credentials to the demo: its pages would
go to Twilio, for numbers that do not exist.
"""

from __future__ import annotations

from typing import Any

DEMO_DESK_ADDRESS = "support@localhost"
DEMO_URGENT_ADDRESS = "urgent@localhost"
DEMO_POLICY = "threepbx"

DEMO_DESKS: tuple[dict[str, Any], ...] = (
    {"address": DEMO_DESK_ADDRESS, "policy": DEMO_POLICY, "name": "Demo Support"},
    {
        "address": DEMO_URGENT_ADDRESS,
        "policy": DEMO_POLICY,
        "name": "Demo Support (urgent line)",
        "paging": "always",
    },
)

DEMO_ONCALL: dict[str, Any] = {
    "timezone": "America/New_York",
    "staff": [
        {"id": "alex", "name": "Alex Demo", "phone": "+1 202 555 0171"},
        {"id": "blake", "name": "Blake Demo", "phone": "+1 202 555 0172"},
        {"id": "casey", "name": "Casey Demo", "phone": "+1 202 555 0173"},
        {"id": "morgan", "name": "Morgan Demo (manager)", "phone": "+1 202 555 0179"},
    ],
    "rotation": {
        "kind": "weekly",
        "handoff": "09:00",
        "handoff_day": "mon",
        "start": "2026-01-05",
        "order": ["alex", "blake", "casey"],
    },
    "escalation": {
        "fallback": "morgan",
        "step": [
            {"target": "primary", "delay": "5m"},
            {"target": "secondary", "delay": "5m"},
        ],
    },
}


def with_demo_defaults(data: dict[str, Any]) -> dict[str, Any]:
    """`data` (settings given without a config file) with the demo desks and rotation, unless
    it names desks of its own."""
    if "desks" in data:
        return data
    return {**data, "desks": list(DEMO_DESKS), "oncall": data.get("oncall", DEMO_ONCALL)}
