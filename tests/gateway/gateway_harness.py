"""Helpers for gateway tests: settings, a stand-in proposer, mail and SMTP helpers, DB reads."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib

from gateway.app import Gateway
from gateway.config import Settings, load_settings
from gateway.triage import Decision
from policies import Policy
from tests.pg_server import query_sync

# Saturday 2026-11-21 15:00 UTC = 10:00 in New York: outside Mon-Fri hours for most policies.
SATURDAY_MORNING = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
DESK = "support@localhost"


class DefaultProposer:
    """Triage stand-in: the declared priority if any, else the policy's default. Fast, no spaCy."""

    def decide(
        self, policy: Policy, subject: str, body: str, declared_hints: Sequence[str]
    ) -> Decision:
        declared = policy.match_declared(declared_hints)
        default = policy.default_priority.id
        return Decision(
            declared=declared,
            proposed=default,
            effective=declared or default,
            confidence=0.0,
            reasons=("no clear signal",),
            reclassified=None,
        )


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    base: dict[tuple[str, ...], Any] = {
        ("data_dir",): str(data_dir),
        ("smtp", "port"): 0,
        ("http", "port"): 0,
    }
    for key, value in overrides.items():
        base[tuple(key.split("__"))] = value
    return load_settings(None, environ={}, overrides=base)


def mail(
    subject: str = "Phones are down",
    body: str = "None of our phones get a dial tone since this morning.",
    sender: str = "Pat Customer <pat@example.com>",
    to: str = DESK,
    **headers: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


async def send(
    gw: Gateway,
    message: EmailMessage | bytes,
    *,
    sender: str = "pat@example.com",
    recipients: Sequence[str] = (DESK,),
) -> Any:
    """One SMTP transaction with exactly this envelope ("" sends the null sender `<>`)."""
    host, port = gw.smtp.address
    data = message if isinstance(message, bytes) else message.as_bytes()
    async with aiosmtplib.SMTP(hostname=host, port=port) as client:
        return await client.sendmail(sender, list(recipients), data)


async def settle(gw: Gateway) -> None:
    """Run every worker until none has anything left to do now (no sleeps, no real time)."""
    for _ in range(100):
        done = await gw.intake.run_once()
        done += await gw.voice.worker.run_once()
        done += await gw.voice.escalation.run_once()
        done += await gw.outbox.run_once()
        if not done:
            return
    raise AssertionError("workers did not settle")


def query(gw: Gateway, sql: str, *args: Any) -> list[sqlite3.Row]:
    """Read with a separate plain connection: what is there is on disk, committed."""
    if gw.settings.store.url is not None:  # PostgreSQL
        return query_sync(gw.settings.store.url, sql, *args)
    db = sqlite3.connect(gw.store.path)
    db.row_factory = sqlite3.Row
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def outgoing_mail(gw: Gateway) -> list[Path]:
    return sorted((gw.settings.data_dir / "mail-out").glob("*.eml"))


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
