"""What `/healthz` says: each check with its reason, and whether to keep sending us traffic.

Two kinds of bad news. *Failing* means the gateway cannot keep its promise (`250` = durable):
the store does not take writes or the disk is nearly full; the answer is 503 so a load
balancer sends mail and webhooks elsewhere. *Degraded* means intake works but something behind
it needs a person (mail not being processed, acknowledgements or pages not leaving, a page
chain that ran out unanswered); the answer stays 200, with the reasons, for monitoring.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from gateway.clock import Clock
from gateway.store import Store
from gateway.store.health import (
    exhausted_open_chains,
    oldest_unprocessed,
    outbox_trouble,
    prove_writable,
)
from gateway.store.paging import overdue_page_tickets

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fatal: bool = False  # failing (503) rather than degraded

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass
class Health:
    store: Store
    clock: Clock
    data_dir: Path
    min_free_bytes: int  # less than this free on the data disk is failing
    page_validity: timedelta = timedelta(minutes=30)  # a page waiting longer is overdue
    backlog_age: timedelta = timedelta(minutes=5)  # [health] backlog_age
    outbox_failure_window: timedelta = timedelta(hours=24)  # [health] outbox_failure_window

    async def checks(self) -> list[Check]:
        return [
            await self._store_writable(),
            self._disk_space(),
            *await self._behind_intake(),
        ]

    async def report(self) -> tuple[int, dict[str, Any]]:
        checks = await self.checks()
        failing = [c for c in checks if not c.ok and c.fatal]
        degraded = [c for c in checks if not c.ok and not c.fatal]
        status = "failing" if failing else "degraded" if degraded else "ok"
        body = {
            "status": status,
            "reasons": [f"{c.name}: {c.detail}" for c in (*failing, *degraded)],
            "checks": [c.as_json() for c in checks],
        }
        return (503 if failing else 200), body

    async def _store_writable(self) -> Check:
        try:
            await self.store.write(prove_writable)
        except Exception as exc:
            log.warning("health: store not writable: %s", exc)
            return Check("store_writable", False, f"the database refuses writes: {exc}", True)
        return Check("store_writable", True, "the database takes writes")

    def _disk_space(self) -> Check:
        try:
            free = shutil.disk_usage(self.data_dir).free
        except OSError as exc:
            return Check("disk_space", False, f"cannot read free space: {exc.strerror}", True)
        detail = f"{free // 2**20:,} MiB free in {self.data_dir}"
        if free < self.min_free_bytes:
            return Check("disk_space", False, f"only {detail}", True)
        return Check("disk_space", True, detail)

    async def _behind_intake(self) -> list[Check]:
        now = self.clock.now()
        try:
            oldest = await self.store.read(oldest_unprocessed)
            failed, retrying, error = await self.store.read(
                lambda db: outbox_trouble(db, now - self.outbox_failure_window)
            )
            exhausted = await self.store.read(exhausted_open_chains)
            overdue = await self.store.read(
                lambda db: overdue_page_tickets(db, now, self.page_validity)
            )
        except Exception as exc:
            log.warning("health: store not readable: %s", exc)
            return [Check("store_readable", False, f"the database cannot be read: {exc}", True)]
        checks = []
        age = timedelta(0) if oldest is None else now - oldest
        minutes = int(age.total_seconds() // 60)
        if age > self.backlog_age:
            checks.append(
                Check("intake_backlog", False, f"oldest unprocessed message waits {minutes} min")
            )
        else:
            checks.append(Check("intake_backlog", True, "accepted messages are being processed"))
        if failed or retrying:
            window = _span(self.outbox_failure_window)
            detail = f"{failed} failed in the last {window}, {retrying} retrying after an error"
            checks.append(Check("outbox", False, f"{detail}; last error: {error}"))
        else:
            checks.append(Check("outbox", True, "deliveries are going out"))
        if exhausted:
            numbers = ", ".join(f"#{n}" for n in exhausted[:10])
            more = f" and {len(exhausted) - 10} more" if len(exhausted) > 10 else ""
            detail = f"{len(exhausted)} page chain(s) ran out unacknowledged: {numbers}{more}"
            checks.append(Check("page_chains", False, detail))
        else:
            checks.append(Check("page_chains", True, "no page chain ran out unanswered"))
        if overdue:
            numbers = ", ".join(f"#{n}" for n in overdue[:10])
            more = f" and {len(overdue) - 10} more" if len(overdue) > 10 else ""
            detail = (
                f"{len(overdue)} page(s) waited past {self.page_validity} without reaching"
                f" the carrier: {numbers}{more}"
            )
            checks.append(Check("pages_overdue", False, detail))
        else:
            checks.append(Check("pages_overdue", True, "pages leave within their validity"))
        return checks


def _span(span: timedelta) -> str:
    hours, seconds = divmod(int(span.total_seconds()), 3600)
    if hours and not seconds:
        return f"{hours} h"
    return f"{hours * 60 + seconds // 60} min"
