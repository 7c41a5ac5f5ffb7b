"""The queue's next deadline as people read it: "due in 42 min", "3 h 10 min overdue"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# Under this share of its whole window (and never less than AT_RISK_FLOOR) a deadline is at risk.
AT_RISK_SHARE = 0.25
AT_RISK_FLOOR = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Deadline:
    text: str
    risk: str  # ok | at-risk | breached | met | none


def span(seconds: int) -> str:
    minutes = max(seconds, 0) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def deadline(
    due: datetime | None, received: datetime, met_at: datetime | None, now: datetime
) -> Deadline:
    if met_at is not None:
        return Deadline("met", "met" if due is None or met_at <= due else "breached")
    if due is None:
        return Deadline("no deadline", "none")
    left = int((due - now).total_seconds())
    if left < 0:
        return Deadline(f"{span(-left)} overdue", "breached")
    window = due - received
    risky = max(window * AT_RISK_SHARE, AT_RISK_FLOOR)
    return Deadline(f"due in {span(left)}", "at-risk" if due - now <= risky else "ok")
