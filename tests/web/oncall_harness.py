"""A phone desk with an on-call rota for the workspace's /oncall tests: pages start from an
after-hours outage mail (Saturday 03:00 in New York, alice on call), so the workspace can run
on a plain-http public URL (its cookies are then not `Secure`, as on loopback they must not be).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from gateway.store import staff as staff_sql
from gateway.store.connection import Connection

from ..gateway.gateway_harness import mail, send
from ..voice.fake_twilio import FakeTwilio
from ..voice.phone_harness import DESK_ADDRESS, Desk, running_desk
from ..voice.twilio_account import ACCOUNT_SID, AUTH_TOKEN
from .conftest import PASSWORD_HASH

PUBLIC_HTTP = "http://intake.example.com"
HOOK_SECRET_ENV = "WEB_ONCALL_HOOK_SECRET"
ONCALL: dict[str, Any] = {
    "timezone": "America/New_York",
    "staff": [
        {"id": "alice", "name": "Alice Example", "phone": "+12025550101"},
        {"id": "bob", "name": "Bob Example", "phone": "+12025550102"},
        {"id": "carol", "name": "Carol Example", "phone": "+12025550103"},
        {"id": "dana", "name": "Dana Manager", "phone": "+442079460000"},
    ],
    "rotation": {
        "kind": "weekly",
        "handoff": "09:00",
        "handoff_day": "mon",
        "start": "2026-01-05",
        "order": ["alice", "bob", "carol"],
    },
    "override": [
        {
            "staff": "carol",
            "start": "2026-11-26T18:00",
            "end": "2026-11-28T09:00",
            "reason": "Thanksgiving swap",
        },
    ],
    "escalation": {
        "fallback": "dana",
        "step": [
            {"target": "primary", "delay": "10m"},
            {"target": "secondary", "delay": "5m"},
        ],
    },
}


@asynccontextmanager
async def paging_desk(
    tmp_path: Path, monkeypatch: Any, store_url: str | None = None
) -> AsyncIterator[Desk]:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv(HOOK_SECRET_ENV, "s" * 32)
    hooks = [{"url": "http://127.0.0.1:9/hooks", "events": ["*"], "secret_env": HOOK_SECRET_ENV}]
    async with (
        FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake,
        running_desk(
            tmp_path,
            ONCALL,
            fake,
            public_url=PUBLIC_HTTP,
            webhooks=hooks,
            store__url=store_url,
        ) as desk,
    ):
        yield desk


async def add_account(
    desk: Desk, email: str, role: str = "agent", phone: str | None = None
) -> None:
    async def write(db: Connection) -> None:
        await staff_sql.insert_staff(
            db,
            email=email,
            name=email.split("@")[0].title(),
            role=role,
            phone=phone,
            password_hash=PASSWORD_HASH,
            now=desk.clock.now(),
        )

    await desk.gw.store.write(write)


async def outage(desk: Desk, n: int = 1) -> int:
    """An after-hours outage mail: a P1 ticket whose page goes to alice. Its number."""
    message = mail(
        subject=f"Complete outage at site {n}",
        body="None of our phones have a dial tone: complete outage.",
        sender=f"Pat {n} <pat{n}@example.com>",
        to=DESK_ADDRESS,
    )
    await send(desk.gw, message, sender=f"pat{n}@example.com", recipients=(DESK_ADDRESS,))
    await desk.settle()
    ((number,),) = desk.query(
        "SELECT number FROM tickets WHERE customer = ?", f"pat{n}@example.com"
    )
    return int(number)
