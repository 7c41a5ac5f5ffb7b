"""The lifecycle's seed rules and its edges: ThreePBX's P4 on resolution and P3 while
monitored, notes that never reach the customer, a staff member's own mail relayed as their
reply, and an auto-close that survives the process being down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.config import Settings
from gateway.store.connection import Connection
from gateway.store.tickets import ticket_by_number

from ..api.api_harness import Api, seed_tickets, staff_with_token
from .gateway_harness import (
    DefaultProposer,
    mail,
    make_settings,
    outgoing_mail,
    query,
    send,
    settle,
)
from .lifecycle_harness import cli, events, new_mail, ticket

# Staff replies by mail need proof (gateway/staffauth.py): the MTA in front of the desk vouches.
TRUSTED_MTA = "mx.example.com"
VOUCHED = {"Authentication_Results": f"{TRUSTED_MTA}; dmarc=pass header.from=example.com"}


@pytest.fixture
def settings(tmp_path: Path, store_url: str | None) -> Settings:
    return make_settings(tmp_path, store__url=store_url, email__trusted_authserv_ids=[TRUSTED_MTA])


@pytest.fixture
async def api(gateway: Gateway) -> AsyncIterator[Api]:
    token = await staff_with_token(gateway, "alice@example.com", "agent")
    host, port = gateway.http_address
    async with aiohttp.ClientSession() as session:
        yield Api(session, f"http://{host}:{port}/api/v1", token)


async def _mailed_ticket(gateway: Gateway, message_id: str = "<m1@example.com>") -> int:
    await send(gateway, mail(subject="No dial tone", Message_ID=message_id))
    await settle(gateway)
    return int(query(gateway, "SELECT MAX(number) FROM tickets")[0][0])


# -- ThreePBX: "Final priority of all 1,2 & 3 priority tickets before being set to AutoClose
#    or Resolved", and "de-escalation of Priority 1 & 2 ticket issues resolved and left open
#    for monitoring" ------------------------------------------------------------------------


async def test_a_resolved_threepbx_p1_becomes_p4_by_policy(gateway: Gateway, api: Api) -> None:
    (number,) = await seed_tickets(gateway, 1, policy="threepbx", effective_priority="P1")
    before_outbox = query(gateway, "SELECT COUNT(*) FROM outbox")[0][0]
    status, body = await api.call("PATCH", f"/tickets/{number}", json={"status": "resolved"})
    assert (status, body["status"], body["priority"]) == (200, "resolved", "P4")
    kinds = [(e["kind"], e["by"]) for e in events(gateway, number)]
    assert kinds[-2:] == [
        ("status-changed", "api:alice@example.com"),
        ("priority-changed", "policy"),
    ]
    change = events(gateway, number, "priority-changed")[-1]
    assert (change["old"], change["new"]) == ("P1", "P4")
    assert "threepbx" in change["reason"]
    # Bookkeeping the contract prescribes: the customer is sent no new promise for it.
    assert query(gateway, "SELECT COUNT(*) FROM outbox WHERE purpose != 'webhook'")[0][0] == (
        before_outbox
    )


async def test_a_threepbx_p4_stays_p4_and_other_policies_keep_their_priority(
    gateway: Gateway, api: Api
) -> None:
    (p4,) = await seed_tickets(gateway, 1, policy="threepbx", effective_priority="P4")
    (other,) = await seed_tickets(gateway, 1, policy="msp", effective_priority="P1")
    for number in (p4, other):
        status, _ = await api.call("PATCH", f"/tickets/{number}", json={"status": "resolved"})
        assert status == 200
        assert events(gateway, number, "priority-changed") == []
    assert ticket(gateway, other)["effective_priority"] == "P1"


async def test_resolved_and_left_open_for_monitoring_is_p3_then_p4(
    gateway: Gateway, api: Api
) -> None:
    (number,) = await seed_tickets(gateway, 1, policy="threepbx", effective_priority="P2")
    result = await cli(
        gateway, "tickets", "resolve", str(number), "--monitor", "--as", "alice@example.com"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"ticket #{number}: open -> open (monitoring); priority P2 -> P3 (policy)\n"
    )
    row = ticket(gateway, number)
    assert (row["status"], row["monitoring"], row["effective_priority"]) == ("open", 1, "P3")
    (monitoring,) = events(gateway, number, "monitoring")
    assert monitoring["by"] == "cli:alice@example.com"
    # Once the watch is over: resolved, and P3 takes the final P4.
    result = await cli(gateway, "tickets", "resolve", str(number), "--as", "alice@example.com")
    assert result.exit_code == 0, result.output
    assert "open (monitoring) -> resolved" not in result.stdout
    assert "priority P3 -> P4 (policy)" in result.stdout
    row = ticket(gateway, number)
    assert (row["status"], row["monitoring"], row["effective_priority"]) == ("resolved", 0, "P4")


# -- internal notes ----------------------------------------------------------------------------


async def test_notes_never_reach_the_customer(gateway: Gateway, api: Api) -> None:
    number = await _mailed_ticket(gateway)
    sent_before = set(outgoing_mail(gateway))
    outbox_before = query(gateway, "SELECT COUNT(*) FROM outbox")[0][0]
    result = await cli(
        gateway,
        "tickets",
        "note",
        str(number),
        "--body-file",
        "-",
        "--as",
        "alice@example.com",
        stdin="Customer is on the old firmware; SECRET-NOTE-CLI\n",
    )
    assert result.exit_code == 0, result.output
    status, _ = await api.call(
        "POST", f"/tickets/{number}/notes", json={"body": "SECRET-NOTE-API: check billing"}
    )
    assert status == 201
    await settle(gateway)
    assert query(gateway, "SELECT COUNT(*) FROM outbox")[0][0] == outbox_before
    assert set(outgoing_mail(gateway)) == sent_before
    notes = events(gateway, number, "note")
    assert [n["by"] for n in notes] == ["cli:alice@example.com", "api:alice@example.com"]
    # A later public reply carries its own words only, never a note.
    status, _ = await api.call("POST", f"/tickets/{number}/replies", json={"body": "On it."})
    assert status == 201
    await settle(gateway)
    (reply,) = new_mail(gateway, sent_before)
    assert "SECRET-NOTE" not in reply.as_string()
    payloads = " ".join(r[0] for r in query(gateway, "SELECT payload FROM outbox"))
    assert "SECRET-NOTE" not in payloads
    texts = " ".join(r[0] for r in query(gateway, "SELECT body_text FROM messages"))
    assert "SECRET-NOTE" not in texts


# -- a staff member replying from their own mail client ----------------------------------------


async def test_a_staff_members_mail_becomes_their_reply_threaded_to_the_customer(
    gateway: Gateway, api: Api
) -> None:
    number = await _mailed_ticket(gateway, "<customer-1@example.com>")
    (ack_id,) = query(gateway, "SELECT message_id FROM messages WHERE meta LIKE '%\"ack\"%'")
    before = set(outgoing_mail(gateway))
    staff_mail = mail(
        subject=f"Re: [#{number}] No dial tone",
        body=(
            "The carrier confirmed the fault is fixed; please try again.\n\n"
            "On Saturday, Pat wrote:\n> None of our phones get a dial tone\n"
        ),
        sender="Alice Agent <Alice@Example.com>",
        Message_ID="<alice-1@corp.example.com>",
        In_Reply_To=f"<{ack_id[0]}>",
        **VOUCHED,
    )
    await send(gateway, staff_mail, sender="alice@example.com")
    await settle(gateway)
    # Not a customer message: nothing inbound from Alice, the ticket's customer unchanged.
    inbound = query(gateway, "SELECT sender FROM messages WHERE direction = 'in'")
    assert [r[0] for r in inbound] == ["pat@example.com"]
    (relayed,) = new_mail(gateway, before)
    assert relayed["To"] == "Pat Customer <pat@example.com>"
    assert "alice@example.com" not in str(relayed["From"]).lower()
    assert "support@localhost" in str(relayed["From"])
    assert relayed["In-Reply-To"] == "<customer-1@example.com>"
    assert relayed["Subject"] == f"Re: [#{number}] No dial tone"
    assert relayed.get_content().strip() == (
        "The carrier confirmed the fault is fixed; please try again."
    )
    (replied,) = events(gateway, number, "replied")
    assert (replied["public"], replied["by"], replied["channel"]) == (
        True,
        "email:alice@example.com",
        "email",
    )
    # The same mail delivered twice (a client's retry) is relayed once.
    await send(gateway, staff_mail, sender="alice@example.com")
    await settle(gateway)
    assert len(new_mail(gateway, before)) == 1
    assert len(events(gateway, number, "replied")) == 1


async def test_staff_mail_on_a_closed_ticket_is_not_relayed(gateway: Gateway, api: Api) -> None:
    number = await _mailed_ticket(gateway)
    status, _ = await api.call("PATCH", f"/tickets/{number}", json={"status": "closed"})
    assert status == 200
    before = set(outgoing_mail(gateway))
    await send(
        gateway,
        mail(
            subject=f"Re: [#{number}] No dial tone",
            body="Late answer.",
            sender="alice@example.com",
            **VOUCHED,
        ),
        sender="alice@example.com",
    )
    await settle(gateway)
    assert new_mail(gateway, before) == []
    (ignored,) = events(gateway, number, "staff-mail-ignored")
    assert ignored["reason"] == "the ticket is closed"
    assert int(query(gateway, "SELECT MAX(number) FROM tickets")[0][0]) == number


async def test_mail_from_an_address_that_is_not_staff_is_a_customer_message(
    gateway: Gateway, api: Api
) -> None:
    number = await _mailed_ticket(gateway)
    await send(
        gateway,
        mail(subject=f"Re: [#{number}] No dial tone", body="Me too!", sender="bob@example.com"),
        sender="bob@example.com",
    )
    await settle(gateway)
    # A customer message: on a ticket of its own that references this one, since Bob is not
    # on this ticket's thread (issue 9.5), and never a staff reply.
    senders = [
        r[0]
        for r in query(gateway, "SELECT sender FROM messages WHERE direction = 'in' ORDER BY id")
    ]
    assert senders == ["pat@example.com", "bob@example.com"]
    assert events(gateway, number, "replied") == []


async def test_staff_writing_on_their_own_ticket_are_its_customer(
    gateway: Gateway, api: Api
) -> None:
    await send(gateway, mail(sender="alice@example.com"), sender="alice@example.com")
    await settle(gateway)
    number = int(query(gateway, "SELECT MAX(number) FROM tickets")[0][0])
    await send(
        gateway,
        mail(
            subject=f"Re: [#{number}] Phones are down",
            body="More detail.",
            sender="alice@example.com",
        ),
        sender="alice@example.com",
    )
    await settle(gateway)
    senders = [r[0] for r in query(gateway, "SELECT sender FROM messages WHERE direction = 'in'")]
    assert senders == ["alice@example.com", "alice@example.com"]
    assert events(gateway, number, "replied") == []


# -- auto-close across a restart ---------------------------------------------------------------


async def test_a_ticket_due_to_close_while_the_gateway_was_down_closes_when_it_is_back(
    settings: Settings, clock: ManualClock
) -> None:
    gw = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gw.start()
    try:
        number = await _mailed_ticket(gw)

        async def resolve(db: Connection) -> None:
            found = await ticket_by_number(db, number)
            assert found is not None
            await gw.tickets.lifecycle.resolve(db, found, actor="test", now=clock.now())

        await gw.store.write(resolve)
        due = datetime.fromisoformat(ticket(gw, number)["auto_close_at"])
    finally:
        await gw.stop()
    clock.set(due + timedelta(days=3))  # down for days
    back = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await back.start()
    try:
        assert await back.auto_closer.run_once() == 1
        closed = events(back, number, "status-changed")[-1]
        assert (closed["new"], closed["by"]) == ("closed", "policy")
        assert datetime.fromisoformat(closed["due"]) == due
        assert datetime.fromisoformat(closed["at"]).astimezone(UTC) == clock.now()
        assert await back.auto_closer.run_once() == 0
    finally:
        await back.stop()
