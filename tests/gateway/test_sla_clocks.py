"""SLA clocks in the running gateway, with the injected clock: warnings then breaches (once
each), a breach while the process was stopped, priority changes, pauses, ThreePBX's resolve
and rfo clocks and Restcomm Premium's ongoing clock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.config import Settings
from gateway.sla.refresh import refresh_clocks
from gateway.sla.views import ticket_clocks_at
from gateway.store.connection import Connection
from gateway.store.records import Ticket
from gateway.store.tickets import NewMessage, add_event, ticket_by_number
from tests.pg_server import open_test_store

from .gateway_harness import DefaultProposer, mail, make_settings, query, send, settle

H = timedelta(hours=1)
# Tuesday 2026-06-02 14:00 UTC = 10:00 in New York: inside ThreePBX's 08:00-19:00 hours.
TUESDAY = datetime(2026, 6, 2, 14, 0, tzinfo=UTC)
# Tuesday 2026-06-02 01:00 UTC = Monday 21:00 in New York: after ThreePBX's hours.
MONDAY_NIGHT = datetime(2026, 6, 2, 1, 0, tzinfo=UTC)


def sla_settings(tmp_path: Path, store_url: str | None, policy: str = "threepbx") -> Settings:
    """A desk under `policy` that notifies SLA warnings and breaches, on either backend."""
    return make_settings(
        tmp_path,
        desks=[{"address": "support@localhost", "policy": policy}],
        sla={"notify": ["desk@example.com"], "leads": ["lead@example.com"]},
        store__url=store_url,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(TUESDAY)


@pytest.fixture
def settings(tmp_path: Path, store_url: str | None) -> Settings:
    return sla_settings(tmp_path, store_url)


@pytest.fixture
async def gw(settings: Settings, clock: ManualClock) -> AsyncIterator[Gateway]:
    gateway = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.stop()


async def open_ticket(gw: Gateway, **headers: str) -> Ticket:
    await send(gw, mail(**headers))
    await settle(gw)
    number = query(gw, "SELECT MAX(number) AS n FROM tickets")[0]["n"]
    ticket = await gw.store.read(lambda db: ticket_by_number(db, number))
    assert ticket is not None
    return ticket


def clocks(gw: Gateway, ticket: Ticket) -> dict[tuple[str, int], Any]:
    rows = query(gw, "SELECT * FROM sla_clocks WHERE ticket_id = ?", ticket.id)
    return {(r["clock"], r["cycle"]): r for r in rows}


def events(gw: Gateway, ticket: Ticket, kind: str) -> list[dict[str, Any]]:
    rows = query(
        gw,
        "SELECT at, detail FROM events WHERE ticket_id = ? AND kind = ? ORDER BY id",
        ticket.id,
        kind,
    )
    return [{"at": datetime.fromisoformat(r["at"]), **json.loads(r["detail"])} for r in rows]


def alert_mail(gw: Gateway, purpose: str) -> list[str]:
    rows = query(gw, "SELECT recipient FROM outbox WHERE purpose = ? ORDER BY id", purpose)
    return [r["recipient"] for r in rows]


def metric(gw: Gateway, name: str, **labels: str) -> float:
    return gw.metrics.registry.get_sample_value(name, labels) or 0.0


async def write(gw: Gateway, op: Any) -> Any:
    return await gw.store.write(op)


async def scan(gw: Gateway, clock: ManualClock, at: datetime | None = None) -> int:
    if at is not None:
        clock.set(at)
    return await gw.clocks.run_once()


# -- warning at 75 % then breach, once each -----------------------------------------------


async def test_warning_at_75_percent_then_breach_once_each(gw: Gateway, clock: ManualClock) -> None:
    ticket = await open_ticket(gw)  # ThreePBX default P4: respond within 8 hours
    assert ticket.effective_priority == "P4"
    respond = clocks(gw, ticket)[("respond", 0)]
    assert respond["due_at"] == (TUESDAY + 8 * H).isoformat(timespec="microseconds")
    assert respond["state"] == "pending"

    assert await scan(gw, clock, TUESDAY + 5 * H) == 0
    assert await scan(gw, clock, TUESDAY + 6 * H) == 1  # 75 % of 8 hours
    assert await scan(gw, clock) == 0
    assert metric(gw, "intake_sla_at_risk") == 1
    warned = events(gw, ticket, "sla-warning")
    assert [(w["clock"], w["point"], w["at"]) for w in warned] == [
        ("respond", "75%", TUESDAY + 6 * H)
    ]
    assert alert_mail(gw, "sla-warning") == ["desk@example.com"]

    assert await scan(gw, clock, TUESDAY + 7 * H + 45 * H / 60) == 1  # "15m" before
    assert await scan(gw, clock, TUESDAY + 8 * H) == 1  # the breach
    assert await scan(gw, clock, TUESDAY + 9 * H) == 0
    breached = events(gw, ticket, "sla-breached")
    assert [(b["clock"], b["at"]) for b in breached] == [("respond", TUESDAY + 8 * H)]
    assert alert_mail(gw, "sla-breach") == ["lead@example.com"]
    assert alert_mail(gw, "sla-warning") == ["desk@example.com"] * 2
    labels = {"policy": "threepbx", "priority": "P4", "clock": "respond"}
    assert metric(gw, "intake_sla_breaches_total", **labels) == 1
    assert metric(gw, "intake_sla_warnings_total", **labels) == 2
    assert metric(gw, "intake_sla_at_risk") == 0  # breached now, no longer "at risk"
    row = clocks(gw, ticket)[("respond", 0)]
    assert (row["state"], row["watch"]) == ("breached", 0)
    assert row["breached_at"] == (TUESDAY + 8 * H).isoformat(timespec="microseconds")
    await settle(gw)  # the outbox delivers the notices as mail
    out = [p.read_text() for p in sorted((gw.settings.data_dir / "mail-out").glob("*.eml"))]
    assert any("SLA breached: #1001 P4 respond" in text for text in out)


async def test_a_reply_in_time_means_no_breach(gw: Gateway, clock: ManualClock) -> None:
    ticket = await open_ticket(gw)
    clock.set(TUESDAY + 2 * H)
    await write(gw, lambda db: staff_reply(gw, db, ticket, clock.now()))
    assert clocks(gw, ticket)[("respond", 0)]["state"] == "met"
    assert await scan(gw, clock, TUESDAY + 9 * H) == 0
    assert events(gw, ticket, "sla-breached") == []


async def test_a_reply_recorded_without_a_refresh_is_seen_before_a_breach(
    gw: Gateway, clock: ManualClock
) -> None:
    """Whatever records a reply (the API, before it calls the ticket service) is read from the
    timeline when the deadline comes: no false breach."""
    ticket = await open_ticket(gw)

    async def raw_reply(db: Connection) -> None:
        await db.execute(
            "INSERT INTO messages (ticket_id, direction, channel, meta, created_at)"
            " VALUES (?, 'out', 'email', ?, ?)",
            (ticket.id, json.dumps({"purpose": "reply"}), (TUESDAY + H).isoformat()),
        )

    await write(gw, raw_reply)
    assert await scan(gw, clock, TUESDAY + 8 * H) == 0
    assert clocks(gw, ticket)[("respond", 0)]["state"] == "met"


# -- restart safety -----------------------------------------------------------------------


async def test_breach_while_stopped_is_recorded_on_restart_with_its_true_time(
    tmp_path: Path, store_url: str | None
) -> None:
    settings = sla_settings(tmp_path, store_url)
    clock = ManualClock(TUESDAY)
    first = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await first.start()
    try:
        ticket = await open_ticket(first)
    finally:
        await first.stop()
    clock.set(TUESDAY + 11 * H)  # down past the warnings and the 8-hour deadline
    second = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await second.start()
    try:
        assert await second.clocks.run_once() == 1
        assert await second.clocks.run_once() == 0
        breached = events(second, ticket, "sla-breached")
        assert [(b["clock"], b["at"]) for b in breached] == [("respond", TUESDAY + 8 * H)]
        assert breached[0]["noticed_at"] == (TUESDAY + 11 * H).isoformat()
        assert events(second, ticket, "sla-warning") == []  # too late to warn
        alert = query(second, "SELECT due_at, recorded_at FROM sla_alerts")
        assert [tuple(r) for r in alert] == [
            (
                (TUESDAY + 8 * H).isoformat(timespec="microseconds"),
                (TUESDAY + 11 * H).isoformat(timespec="microseconds"),
            )
        ]
    finally:
        await second.stop()
    third = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await third.start()
    try:
        assert await third.clocks.run_once() == 0  # once, across restarts too
        assert len(query(third, "SELECT * FROM sla_alerts WHERE point = 'breach'")) == 1
    finally:
        await third.stop()


async def test_tickets_opened_before_clocks_existed_are_adopted(
    gw: Gateway, clock: ManualClock
) -> None:
    ticket = await open_ticket(gw)
    await write(gw, lambda db: db.execute("DELETE FROM sla_clocks"))
    assert await gw.clocks.run_once() == 1  # adopted
    assert ("respond", 0) in clocks(gw, ticket)


# -- priority changes ---------------------------------------------------------------------


async def test_priority_change_recomputes_every_clock_from_arrival(
    gw: Gateway, clock: ManualClock
) -> None:
    ticket = await open_ticket(gw)
    before = clocks(gw, ticket)
    assert before[("resolve", 0)]["priority"] == "P4"
    clock.set(TUESDAY + 2 * H)

    async def raise_to_p3(db: Connection) -> None:
        await gw.tickets.change_priority(
            db, ticket, "P3", actor="cli:lead", reason="a call routing fault", now=clock.now()
        )

    await write(gw, raise_to_p3)
    after = clocks(gw, ticket)
    assert after[("respond", 0)]["due_at"] == (TUESDAY + 4 * H).isoformat(timespec="microseconds")
    # 8 business hours from 10:00 (desk 08:00-19:00 New York) -> 18:00 the same day
    assert after[("resolve", 0)]["due_at"] == (TUESDAY + 8 * H).isoformat(timespec="microseconds")
    moved = {m["clock"]: m for m in events(gw, ticket, "clock-moved")}
    assert set(moved) == {"respond", "resolve"}
    assert moved["respond"]["old_due"] == (TUESDAY + 8 * H).isoformat()
    assert moved["respond"]["new_due"] == (TUESDAY + 4 * H).isoformat()
    assert (moved["respond"]["old_priority"], moved["respond"]["new_priority"]) == ("P4", "P3")


async def test_raising_past_the_deadline_breaches_at_the_original_arrival_plus_target(
    gw: Gateway, clock: ManualClock
) -> None:
    ticket = await open_ticket(gw)
    clock.set(TUESDAY + 3 * H)

    async def raise_to_p1(db: Connection) -> None:
        await gw.tickets.change_priority(
            db, ticket, "P1", actor="cli:lead", reason="all phones down", now=clock.now()
        )

    await write(gw, raise_to_p1)
    assert await scan(gw, clock) == 1
    breached = events(gw, ticket, "sla-breached")
    assert [(b["clock"], b["priority"], b["at"]) for b in breached] == [
        ("respond", "P1", TUESDAY + H)
    ]


# -- ThreePBX: resolve and rfo; paging after hours ----------------------------------------


async def test_threepbx_resolve_pauses_while_pending_and_rfo_runs_from_resolution(
    gw: Gateway, clock: ManualClock
) -> None:
    ticket = await open_ticket(gw, X_Priority="3")  # P3: resolve within 8 business hours
    assert ticket.effective_priority == "P3"
    clock.set(TUESDAY + H)
    await write(gw, lambda db: staff_reply(gw, db, ticket, clock.now()))
    await write(gw, lambda db: set_status(gw, db, ticket, "pending", clock.now()))
    assert clocks(gw, ticket)[("resolve", 0)]["state"] == "paused"
    clock.set(TUESDAY + 5 * H)  # four hours waiting on the customer
    await write(gw, lambda db: set_status(gw, db, ticket, "open", clock.now()))
    resolve = clocks(gw, ticket)[("resolve", 0)]
    assert resolve["state"] == "pending"
    # 8 business hours from 10:00 New York: 18:00; plus the 4 open hours paused: 19:00 and
    # three hours of the next morning (the desk opens at 08:00) -> 11:00 New York.
    assert resolve["due_at"] == (TUESDAY + 25 * H).isoformat(timespec="microseconds")
    assert await scan(gw, clock, TUESDAY + 22 * H) == 0
    assert await scan(gw, clock, TUESDAY + 23 * H) == 1  # 75 %: 09:00 New York, after the pause
    assert await scan(gw, clock, TUESDAY + 24 * H + 45 * H / 60) == 1  # "15m" before
    assert await scan(gw, clock, TUESDAY + 25 * H) == 1
    assert [b["at"] for b in events(gw, ticket, "sla-breached")] == [TUESDAY + 25 * H]
    assert [b["clock"] for b in events(gw, ticket, "sla-breached")] == ["resolve"]


async def test_threepbx_rfo_clock_after_a_p1_is_resolved(gw: Gateway, clock: ManualClock) -> None:
    ticket = await open_ticket(gw, X_Priority="1")  # x-priority:1 is P2 here ("urgent")
    clock.set(TUESDAY + H / 2)
    await write(gw, lambda db: staff_reply(gw, db, ticket, clock.now()))
    assert ("rfo", 0) not in clocks(gw, ticket)
    clock.set(TUESDAY + 2 * H)
    await write(gw, lambda db: set_status(gw, db, ticket, "resolved", clock.now()))
    rfo = clocks(gw, ticket)[("rfo", 0)]
    assert rfo["started_at"] == (TUESDAY + 2 * H).isoformat(timespec="microseconds")
    assert rfo["due_at"] == (TUESDAY + 98 * H).isoformat(timespec="microseconds")  # 96 h, P2
    clock.set(TUESDAY + 50 * H)

    async def rfo_sent(db: Connection) -> None:
        await add_event(db, ticket.id, clock.now(), "rfo-sent", by="cli:lead")
        await refresh_clocks(db, gw.policies.get("threepbx"), ticket.id, clock.now())

    await write(gw, rfo_sent)
    assert clocks(gw, ticket)[("rfo", 0)]["state"] == "met"
    assert await scan(gw, clock, TUESDAY + 100 * H) == 0


async def test_a_breach_after_hours_on_a_paging_level_pages(
    tmp_path: Path, store_url: str | None
) -> None:
    settings = sla_settings(tmp_path, store_url)
    clock = ManualClock(MONDAY_NIGHT)
    gw = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gw.start()
    try:
        ticket = await open_ticket(gw, X_Priority="1")  # P2 pages after hours
        skipped = events(gw, ticket, "page-skipped")  # no [oncall] schedule in these tests
        assert len(skipped) == 1
        assert await scan(gw, clock, MONDAY_NIGHT + 2 * H) == 1
        reasons = [s["reason"] for s in events(gw, ticket, "page-skipped")]
        assert reasons[1] == "P2 respond deadline passed after hours, but no [oncall] schedule"
    finally:
        await gw.stop()


# -- Restcomm Premium: the ongoing clock --------------------------------------------------


async def test_restcomm_premium_ongoing_clock(tmp_path: Path, store_url: str | None) -> None:
    settings = sla_settings(tmp_path, store_url, "restcomm-premium")
    clock = ManualClock(TUESDAY)
    gw = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gw.start()
    try:
        ticket = await open_ticket(gw, subject="URGENT: phones are down")
        assert ticket.effective_priority == "P1"
        clock.set(TUESDAY + H)
        await write(gw, lambda db: staff_reply(gw, db, ticket, clock.now()))
        assert clocks(gw, ticket)[("respond", 0)]["state"] == "met"
        clock.set(TUESDAY + 3 * H)
        await write(gw, lambda db: customer_message(gw, db, ticket, clock.now()))
        ongoing = clocks(gw, ticket)[("ongoing", 1)]
        assert ongoing["due_at"] == (TUESDAY + 5 * H).isoformat(timespec="microseconds")
        # pending pauses the ongoing clock under this policy ("or as agreed")
        clock.set(TUESDAY + 4 * H)
        await write(gw, lambda db: set_status(gw, db, ticket, "pending", clock.now()))
        assert await scan(gw, clock, TUESDAY + 8 * H) == 0
        assert clocks(gw, ticket)[("ongoing", 1)]["state"] == "paused"
        await write(gw, lambda db: set_status(gw, db, ticket, "open", clock.now()))
        assert clocks(gw, ticket)[("ongoing", 1)]["due_at"] == (TUESDAY + 9 * H).isoformat(
            timespec="microseconds"
        )
        assert await scan(gw, clock, TUESDAY + 9 * H) == 1
        breached = events(gw, ticket, "sla-breached")
        assert [(b["clock"], b["cycle"], b["at"]) for b in breached] == [
            ("ongoing", 1, TUESDAY + 9 * H)
        ]
    finally:
        await gw.stop()


# -- helpers that stand in for staff actions not on this branch ----------------------------


async def staff_reply(gw: Gateway, db: Connection, ticket: Ticket, now: datetime) -> None:
    """A public staff reply as the API records it: an outbound message, purpose reply."""
    await gw.tickets.append_message(
        db,
        ticket,
        NewMessage(
            direction="out",
            channel="email",
            message_id=f"reply-{now.timestamp()}@localhost",
            content_hash=None,
            sender="support@localhost",
            subject="Re: Phones are down",
            body_text="We are on it.",
            latest_text="We are on it.",
            meta={"purpose": "reply", "by": "Sam"},
        ),
        now,
    )


async def customer_message(gw: Gateway, db: Connection, ticket: Ticket, now: datetime) -> None:
    await gw.tickets.append_message(
        db,
        ticket,
        NewMessage(
            direction="in",
            channel="email",
            message_id=f"customer-{now.timestamp()}@example.com",
            content_hash=None,
            sender="pat@example.com",
            subject="Re: Phones are down",
            body_text="Still broken.",
            latest_text="Still broken.",
            meta={},
        ),
        now,
    )


async def set_status(
    gw: Gateway, db: Connection, ticket: Ticket, status: str, now: datetime
) -> None:
    """A status change as the lifecycle records it: a `status-changed` event."""
    await db.execute("UPDATE tickets SET status = ? WHERE id = ?", (status, ticket.id))
    await add_event(db, ticket.id, now, "status-changed", old="", new=status, by="cli:sam")
    await refresh_clocks(db, gw.policies.get(ticket.policy), ticket.id, now)


async def test_a_change_recorded_outside_the_ticket_service_is_seen_next_round(
    gw: Gateway, clock: ManualClock
) -> None:
    """A priority set by code that does not call the ticket service (as the API's staff actions
    did before they moved into it): the next round recomputes, so the new, earlier deadline
    breaches on time rather than at the old one."""
    ticket = await open_ticket(gw)
    clock.set(TUESDAY + 2 * H)

    async def raw_priority(db: Connection) -> None:
        await db.execute(
            "UPDATE tickets SET effective_priority = 'P1', updated_at = ? WHERE id = ?",
            (clock.now().isoformat(timespec="microseconds"), ticket.id),
        )
        await add_event(db, ticket.id, clock.now(), "priority-changed", new="P1", by="api:sam")

    await write(gw, raw_priority)
    assert await scan(gw, clock) == 1  # refreshed, and the P1 hour has passed: breached
    breached = events(gw, ticket, "sla-breached")
    assert [(b["priority"], b["at"]) for b in breached] == [("P1", TUESDAY + H)]
    assert [m["new_priority"] for m in events(gw, ticket, "clock-moved")] == ["P1"]


async def test_readers_get_the_clocks_at_now(gw: Gateway, clock: ManualClock) -> None:
    ticket = await open_ticket(gw)
    clock.set(TUESDAY + 2 * H)
    found = await gw.store.read(lambda db: ticket_clocks_at(db, gw.policies, ticket, clock.now()))
    views = {v.name: v for v in found.clocks}
    assert views["respond"].state == "pending"
    assert views["respond"].remaining_seconds == 6 * 3600
    assert views["resolve"].business is True
    assert found.next_due is views["respond"]


def test_sla_settings_are_checked(tmp_path: Path) -> None:
    from gateway.config import ConfigError

    with pytest.raises(ConfigError, match=r"sla\.notify: .*not an email address: 'desk'"):
        make_settings(tmp_path, sla={"notify": ["desk"]})
    with pytest.raises(ConfigError, match=r"sla\.scan_interval"):
        make_settings(tmp_path, sla={"scan_interval": "soon"})
    settings = make_settings(tmp_path, sla={"notify": ["Desk@Example.com"]})
    assert settings.sla.breach_recipients == ("desk@example.com",)


async def test_two_scanners_on_one_database_record_a_breach_once(
    gw: Gateway, clock: ManualClock
) -> None:
    """Coordination only through the database: a second process scanning the same clocks at
    the same moment finds the breach already recorded (the unique alert key)."""
    from gateway.metrics import Metrics
    from gateway.policybook import PolicyBook
    from gateway.sla.worker import ClockWorker

    ticket = await open_ticket(gw)
    other_store = await open_test_store(gw.settings.store.url, gw.settings.data_dir)
    try:
        other = ClockWorker(other_store, clock, gw.settings, PolicyBook(gw.settings), Metrics())
        clock.set(TUESDAY + 9 * H)
        done = await asyncio.gather(gw.clocks.run_once(), other.run_once())
        assert sorted(done) == [0, 1]
    finally:
        await other_store.close()
    assert len(events(gw, ticket, "sla-breached")) == 1
    assert alert_mail(gw, "sla-breach") == ["lead@example.com"]


async def test_a_clock_whose_policy_is_gone_stops_being_watched(
    gw: Gateway, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    ticket = await open_ticket(gw)
    await write(
        gw, lambda db: db.execute("UPDATE tickets SET policy = 'gone' WHERE id = ?", (ticket.id,))
    )
    assert await scan(gw, clock, TUESDAY + 9 * H) == 0
    assert "policy gone cannot be loaded" in caplog.text
    assert clocks(gw, ticket)[("respond", 0)]["watch"] == 0  # due, so looked at, and let go
    caplog.clear()
    assert await scan(gw, clock) == 0
    assert "cannot be loaded" not in caplog.text  # not picked up again


async def test_warnings_and_breaches_reach_webhook_subscribers_once_each(
    tmp_path: Path, store_url: str | None, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sla.warning` and `sla.breached` go to the subscribers that want them, in the same
    transaction as the alert they describe, so a rescan or a restart never repeats them."""
    monkeypatch.setenv("SLA_HOOK_SECRET", "s3cret")
    settings = sla_settings(tmp_path, store_url).model_copy(
        update={
            "webhooks": make_settings(
                tmp_path,
                webhooks=[
                    {
                        "url": "http://127.0.0.1:9/hook",
                        "events": ["sla.warning", "sla.breached"],
                        "secret_env": "SLA_HOOK_SECRET",
                    }
                ],
            ).webhooks
        }
    )
    gw = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gw.start()
    try:
        ticket = await open_ticket(gw)  # ThreePBX default P4: respond within 8 hours
        for hours in (6, 7.75, 8, 9):
            await scan(gw, clock, TUESDAY + hours * H)
        rows = query(gw, "SELECT payload FROM outbox WHERE kind = 'webhook' ORDER BY id")
        sent = [json.loads(json.loads(r["payload"])["body"]) for r in rows]
        assert [(s["event"], s["data"]["sla"]["point"]) for s in sent] == [
            ("sla.warning", "75%"),
            ("sla.warning", "15m"),
            ("sla.breached", "breach"),
        ]
        breach = sent[-1]["data"]
        assert breach["ticket"]["number"] == ticket.number
        assert breach["sla"]["clock"] == "respond"
        assert breach["sla"]["at"] == (TUESDAY + 8 * H).isoformat()
    finally:
        await gw.stop()


async def test_lead_mail_is_composed_like_every_other_mail_we_send(
    tmp_path: Path, clock: ManualClock
) -> None:
    """The breach notice goes through gateway.outmail and gateway.mailheaders: an IDN lead's
    domain is IDNA-encoded in the header and the envelope, the customer's subject travels in a
    readable body, and a lead no relay could reach is skipped with the reason, not queued."""
    leads = ["lead@bücher.example", "jörg@example.com", "lead@example.com"]
    settings = make_settings(
        tmp_path,
        desks=[{"address": "support@localhost", "policy": "threepbx"}],
        sla={"notify": ["desk@example.com"], "leads": leads},
    )
    gateway = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gateway.start()
    try:
        ticket = await open_ticket(gateway, subject="Téléphones en panne")
        await scan(gateway, clock, TUESDAY + 8 * H)  # the P4 respond clock breaches
        rows = query(
            gateway,
            "SELECT recipient, payload FROM outbox WHERE purpose = 'sla-breach' ORDER BY id",
        )
        assert [r["recipient"] for r in rows] == ["lead@xn--bcher-kva.example", "lead@example.com"]
        payload = json.loads(rows[0]["payload"])
        assert payload["recipients"] == ["lead@xn--bcher-kva.example"]
        message = payload["message"]
        assert "\r\nTo: lead@xn--bcher-kva.example\r\n" in message
        assert "From: Intake SLA <support@localhost>\r\n" in message
        assert "Content-Transfer-Encoding: quoted-printable" in message  # not base64
        assert "T=C3=A9l=C3=A9phones en panne" in message
        assert message.isascii() and "\n" not in message.replace("\r\n", "")
        (skipped,) = events(gateway, ticket, "sla-notice-skipped")
        assert skipped["to"] == "jörg@example.com" and "SMTPUTF8" in skipped["reason"]
    finally:
        await gateway.stop()
