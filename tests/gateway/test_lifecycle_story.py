"""The ticket lifecycle as a customer and a support desk live it, with the injected clock:
mail -> ticket -> staff reply (CLI, then API) -> pending -> the customer answers (reopened) ->
resolved -> closed by itself -> a new mail opens a new ticket that links the closed one."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock

from ..api.api_harness import Api, staff_with_token
from .gateway_harness import mail, outgoing_mail, query, send, settle
from .lifecycle_harness import cli, events, new_mail, ticket


@pytest.fixture
async def api(gateway: Gateway) -> AsyncIterator[Api]:
    token = await staff_with_token(gateway, "alice@example.com", "agent")
    host, port = gateway.http_address
    async with aiohttp.ClientSession() as session:
        yield Api(session, f"http://{host}:{port}/api/v1", token)


async def test_from_first_mail_to_a_linked_new_ticket(
    gateway: Gateway, clock: ManualClock, api: Api
) -> None:
    # The command line runs on the wall clock: the story starts now, then the clock moves.
    clock.set(datetime.now(UTC))
    # The customer writes; a ticket opens.
    await send(gateway, mail(subject="No dial tone", Message_ID="<first@example.com>"))
    await settle(gateway)
    number = int(query(gateway, "SELECT MAX(number) FROM tickets")[0][0])
    assert ticket(gateway, number)["status"] == "open"

    # Alice answers from the command line and waits on the customer.
    before = set(outgoing_mail(gateway))
    result = await cli(
        gateway,
        "tickets",
        "reply",
        str(number),
        "--body-file",
        "-",
        "--then",
        "pending",
        stdin="Please power-cycle the handsets and tell us what you see.\n",
        INTAKE_STAFF="alice@example.com",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"ticket #{number}: reply queued by email to pat@example.com; now pending\n"
    )
    clock.set(datetime.now(UTC))  # the gateway's outbox picks up what the CLI queued
    await settle(gateway)
    (reply,) = new_mail(gateway, before)
    assert reply["In-Reply-To"] == "<first@example.com>"
    assert "<first@example.com>" in reply["References"]
    assert reply["Subject"] == f"Re: [#{number}] No dial tone"
    assert reply["To"] == "Pat Customer <pat@example.com>"
    assert "alice@example.com" not in str(reply["From"])
    assert "power-cycle" in reply.get_content()
    assert ticket(gateway, number)["status"] == "pending"
    (replied,) = events(gateway, number, "replied")
    assert (replied["public"], replied["by"], replied["channel"]) == (
        True,
        "cli:alice@example.com",
        "email",
    )
    outbound = query(
        gateway,
        "SELECT m.* FROM messages m JOIN tickets t ON t.id = m.ticket_id"
        " WHERE t.number = ? AND m.direction = 'out' AND m.meta LIKE '%\"reply\"%'",
        number,
    )
    assert len(outbound) == 1

    # The customer answers the reply: the pending ticket is reopened, saying who and why.
    clock.advance(timedelta(hours=1))
    await send(
        gateway,
        mail(
            subject=f"Re: [#{number}] No dial tone",
            body="Still no dial tone after the power cycle.",
            Message_ID="<second@example.com>",
            In_Reply_To=str(reply["Message-ID"]),
        ),
    )
    await settle(gateway)
    assert ticket(gateway, number)["status"] == "open"
    reopened = events(gateway, number, "status-changed")[-1]
    assert (reopened["old"], reopened["new"], reopened["by"]) == (
        "pending",
        "open",
        "email:pat@example.com",
    )
    assert reopened["reason"] == "customer wrote while waiting on the customer"

    # Alice answers over the API, threaded under the customer's latest mail, and resolves.
    before = set(outgoing_mail(gateway))
    status, body = await api.call(
        "POST", f"/tickets/{number}/replies", json={"body": "A carrier fault; fixed now."}
    )
    assert status == 201, body
    await settle(gateway)
    (second_reply,) = new_mail(gateway, before)
    assert second_reply["In-Reply-To"] == "<second@example.com>"
    status, body = await api.call("PATCH", f"/tickets/{number}", json={"status": "resolved"})
    assert (status, body["status"]) == (200, "resolved")
    resolved_at = clock.now()
    row = ticket(gateway, number)
    assert datetime.fromisoformat(row["auto_close_at"]) == resolved_at + timedelta(days=7)

    # Nothing closes early; seven days after resolution the closer closes it, by policy.
    clock.advance(timedelta(days=6, hours=23))
    assert await gateway.auto_closer.run_once() == 0
    clock.advance(timedelta(hours=2))
    assert await gateway.auto_closer.run_once() == 1
    assert ticket(gateway, number)["status"] == "closed"
    closed = events(gateway, number, "status-changed")[-1]
    assert (closed["new"], closed["by"]) == ("closed", "policy")
    assert datetime.fromisoformat(closed["due"]) == resolved_at + timedelta(days=7)

    # The customer writes again on the old thread: closed is final, a new ticket links it.
    before = set(outgoing_mail(gateway))
    await send(
        gateway,
        mail(
            subject=f"Re: [#{number}] No dial tone",
            body="It is happening again this morning.",
            Message_ID="<third@example.com>",
            In_Reply_To=str(second_reply["Message-ID"]),
        ),
    )
    await settle(gateway)
    assert ticket(gateway, number)["status"] == "closed"
    follow_up = int(query(gateway, "SELECT MAX(number) FROM tickets")[0][0])
    assert follow_up == number + 1
    new = ticket(gateway, follow_up)
    assert new["previous_ticket_id"] == ticket(gateway, number)["id"]
    assert new["status"] == "open"
    (linked,) = events(gateway, follow_up, "linked")
    assert (linked["previous"], linked["by"]) == (number, "email:pat@example.com")
    (followed,) = events(gateway, number, "followed-up")
    assert followed["next"] == follow_up
    (message,) = query(
        gateway,
        "SELECT ticket_id FROM messages WHERE message_id = 'third@example.com'",
    )
    assert message["ticket_id"] == new["id"]
    (ack,) = new_mail(gateway, before)
    assert f"[#{follow_up}]" in ack["Subject"]

    # `tickets show` names the link both ways.
    shown = await cli(gateway, "tickets", "show", str(follow_up), "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["previous_ticket"] == number
    shown = await cli(gateway, "tickets", "show", str(number))
    assert f"followed by ticket #{follow_up}" in shown.stdout


async def test_a_customer_message_reopens_a_resolved_ticket(
    gateway: Gateway, clock: ManualClock, api: Api
) -> None:
    await send(gateway, mail(Message_ID="<one@example.com>"))
    await settle(gateway)
    number = int(query(gateway, "SELECT MAX(number) FROM tickets")[0][0])
    status, _ = await api.call("PATCH", f"/tickets/{number}", json={"status": "resolved"})
    assert status == 200
    clock.advance(timedelta(days=2))
    await send(gateway, mail(subject=f"Re: [#{number}] Phones are down", body="Not fixed."))
    await settle(gateway)
    row = ticket(gateway, number)
    assert (row["status"], row["resolved_at"], row["auto_close_at"]) == ("open", None, None)
    reopened = events(gateway, number, "status-changed")[-1]
    assert (reopened["old"], reopened["reason"]) == ("resolved", "customer wrote while resolved")
    # Reopened, it is no longer due to close.
    clock.advance(timedelta(days=30))
    assert await gateway.auto_closer.run_once() == 0


async def test_closed_is_final_for_staff_too(gateway: Gateway, api: Api) -> None:
    await send(gateway, mail())
    await settle(gateway)
    number = int(query(gateway, "SELECT MAX(number) FROM tickets")[0][0])
    result = await cli(gateway, "tickets", "close", str(number), "--as", "alice@example.com")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"ticket #{number}: open -> closed\n"
    result = await cli(gateway, "tickets", "reopen", str(number), "--as", "alice@example.com")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"intake: ticket #{number} is closed, which is final")
    status, body = await api.call("PATCH", f"/tickets/{number}", json={"status": "open"})
    assert status == 409, body
    status, body = await api.call("POST", f"/tickets/{number}/replies", json={"body": "hi"})
    assert status == 409, body


async def test_an_auto_reply_does_not_reopen_a_pending_ticket(
    gateway: Gateway, clock: ManualClock, api: Api
) -> None:
    await send(gateway, mail(Message_ID="<ask@example.com>"))
    await settle(gateway)
    number = int(query(gateway, "SELECT MAX(number) FROM tickets")[0][0])
    status, _ = await api.call("PATCH", f"/tickets/{number}", json={"status": "pending"})
    assert status == 200
    await send(
        gateway,
        mail(
            subject=f"Automatic reply: [#{number}] Phones are down",
            body="I am out of the office until Monday.",
            Auto_Submitted="auto-replied",
            In_Reply_To="<ask@example.com>",
        ),
    )
    await settle(gateway)
    assert ticket(gateway, number)["status"] == "pending"
    (kept,) = events(gateway, number, "not-reopened")
    assert kept["reason"].startswith("automated message: ")
