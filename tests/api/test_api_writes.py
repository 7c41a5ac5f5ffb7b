"""The API's write routes: a reply reaches the customer threaded under their mail, once, even
when the POST is retried; notes never leave; status, assignee and priority changes are events
naming who made them."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
from datetime import timedelta

from gateway.app import Gateway
from gateway.clock import ManualClock

from ..gateway.gateway_harness import mail, outgoing_mail, query, send, settle
from .api_harness import Api, seed_tickets, staff_with_token


async def _ticket_from_mail(gateway: Gateway) -> int:
    message = mail(subject="No dial tone", Message_ID="<customer-1@example.com>")
    await send(gateway, message)
    await settle(gateway)
    return int(query(gateway, "SELECT MAX(number) FROM tickets")[0][0])


async def test_a_reply_reaches_the_customer_threaded_under_their_mail(
    api: Api, gateway: Gateway
) -> None:
    number = await _ticket_from_mail(gateway)
    acks = set(outgoing_mail(gateway))
    status, body = await api.call(
        "POST", f"/tickets/{number}/replies", json={"body": "A fix is rolling out now."}
    )
    assert status == 201, body
    assert (body["ticket"], body["kind"], body["delivery"]) == (number, "reply", "email")
    await settle(gateway)
    (sent,) = set(outgoing_mail(gateway)) - acks
    message = email.message_from_bytes(sent.read_bytes(), policy=email.policy.default)
    assert message["In-Reply-To"] == "<customer-1@example.com>"
    assert "<customer-1@example.com>" in message["References"]
    assert message["Subject"] == f"Re: [#{number}] No dial tone"
    assert message["To"] == "Pat Customer <pat@example.com>"
    assert message.get_content().strip() == "A fix is rolling out now."
    status, detail = await api.call("GET", f"/tickets/{number}")
    assert detail["messages"][-1]["purpose"] == "reply"
    replied = [e for e in detail["events"] if e["kind"] == "replied"]
    assert replied[0]["detail"]["by"] == "api:agent@example.com"
    respond = next(c for c in detail["clocks"] if c["name"] == "respond")
    assert (respond["state"], respond["remaining_seconds"]) == ("met", None)


async def test_a_retried_post_with_the_same_key_replies_once(api: Api, gateway: Gateway) -> None:
    number = await _ticket_from_mail(gateway)
    headers = {"Idempotency-Key": "retry-me-1"}
    path, reply = f"/tickets/{number}/replies", {"body": "We are on it."}
    first = await api.call("POST", path, json=reply, headers=headers)
    again = await api.call("POST", path, json=reply, headers=headers)
    assert first == again
    assert first[0] == 201
    # Racing retries (a client that timed out and retried at once) act once as well.
    racing = await asyncio.gather(
        *(api.call("POST", path, json=reply, headers={"Idempotency-Key": "race"}) for _ in range(5))
    )
    assert {json.dumps(r, sort_keys=True) for r in racing} == {
        json.dumps(racing[0], sort_keys=True)
    }
    replies = query(gateway, "SELECT COUNT(*) FROM outbox WHERE purpose = 'reply'")[0][0]
    assert replies == 2
    reused = await api.call("POST", path, json={"body": "Something else"}, headers=headers)
    assert (reused[0], reused[1]["error"]["code"]) == (422, "idempotency_key_reused")
    # Keys are per staff member: another agent's same key is their own request.
    other = await staff_with_token(gateway, "other@example.com")
    status, _ = await api.call("POST", path, json=reply, headers=headers, token=other)
    assert status == 201
    assert query(gateway, "SELECT COUNT(*) FROM outbox WHERE purpose = 'reply'")[0][0] == 3


async def test_a_replayed_answer_says_so(api: Api, gateway: Gateway) -> None:
    (number,) = await seed_tickets(gateway, 1)
    url = f"{api.base}/tickets/{number}/notes"
    headers = api.headers(**{"Idempotency-Key": "note-1"})
    async with api.session.post(url, json={"body": "x"}, headers=headers) as first:
        assert "Idempotent-Replayed" not in first.headers
    async with api.session.post(url, json={"body": "x"}, headers=headers) as second:
        assert second.status == 201
        assert second.headers["Idempotent-Replayed"] == "true"
    notes = query(gateway, "SELECT COUNT(*) FROM events WHERE kind = 'note'")[0][0]
    assert notes == 1


async def test_a_note_is_never_sent(api: Api, gateway: Gateway) -> None:
    number = await _ticket_from_mail(gateway)
    outbox_before = query(gateway, "SELECT COUNT(*) FROM outbox")[0][0]
    status, body = await api.call(
        "POST", f"/tickets/{number}/notes", json={"body": "Customer is on the old firmware."}
    )
    assert (status, body["kind"], body["delivery"]) == (201, "note", "none")
    assert query(gateway, "SELECT COUNT(*) FROM outbox")[0][0] == outbox_before
    _, detail = await api.call("GET", f"/tickets/{number}")
    (note,) = [e for e in detail["events"] if e["kind"] == "note"]
    assert note["detail"] == {
        "by": "api:agent@example.com",
        "body": "Customer is on the old firmware.",
    }
    assert all(m["text"] != "Customer is on the old firmware." for m in detail["messages"])


async def test_a_phone_ticket_is_answered_by_sms(api: Api, gateway: Gateway) -> None:
    (number,) = await seed_tickets(gateway, 1, channel="sms", customer="+12025550188")
    status, body = await api.call("POST", f"/tickets/{number}/replies", json={"body": "Call us"})
    assert (status, body["delivery"]) == (201, "sms")
    (row,) = query(gateway, "SELECT kind, recipient, payload FROM outbox WHERE purpose = 'reply'")
    assert (row["kind"], row["recipient"]) == ("sms", "+12025550188")
    assert json.loads(row["payload"])["body"] == f"Demo Support [#{number}]: Call us"
    (anonymous,) = await seed_tickets(gateway, 1, channel="voice", customer="anonymous")
    status, body = await api.call("POST", f"/tickets/{anonymous}/replies", json={"body": "Hi"})
    assert (status, body["error"]["code"]) == (409, "conflict")


async def test_status_assignee_and_priority_changes_are_events(api: Api, gateway: Gateway) -> None:
    (number,) = await seed_tickets(gateway, 1)
    await staff_with_token(gateway, "sam@example.com")
    path = f"/tickets/{number}"
    status, body = await api.call("PATCH", path, json={"assignee": "Sam@Example.com"})
    assert (status, body["assignee"]) == (200, "sam@example.com")
    status, body = await api.call("GET", "/tickets", params={"assignee": "sam@example.com"})
    assert [t["number"] for t in body["tickets"]] == [number]
    status, body = await api.call("PATCH", path, json={"assignee": ""})
    assert body["assignee"] is None
    status, body = await api.call("PATCH", path, json={"assignee": "ghost@example.com"})
    assert (status, body["error"]["field"]) == (422, "assignee")
    status, body = await api.call("PATCH", path, json={"status": "pending"})
    assert (status, body["status"]) == (200, "pending")
    lead = await staff_with_token(gateway, "lee@example.com", "lead")
    status, body = await api.call(
        "PATCH", path, json={"priority": "P9", "reason": "typo"}, token=lead
    )
    assert (status, body["error"]["field"]) == (422, "priority")
    assert "known: P1, P2, P3, P4" in body["error"]["message"]
    status, body = await api.call(
        "PATCH", path, json={"priority": "P1", "reason": "site down"}, token=lead
    )
    assert (status, body["priority"]) == (200, "P1")
    _, detail = await api.call("GET", path)
    kinds = [(e["kind"], e["detail"].get("by")) for e in detail["events"]]
    assert ("assigned", "api:agent@example.com") in kinds
    assert ("status-changed", "api:agent@example.com") in kinds
    assert ("priority-changed", "api:lee@example.com") in kinds


async def test_replying_to_a_closed_ticket_is_a_conflict(api: Api, gateway: Gateway) -> None:
    (number,) = await seed_tickets(gateway, 1, status="closed")
    status, body = await api.call("POST", f"/tickets/{number}/replies", json={"body": "x"})
    assert (status, body["error"]["code"]) == (409, "conflict")
    assert "closed" in body["error"]["message"]


async def test_a_key_is_remembered_for_seven_days(
    api: Api, gateway: Gateway, clock: ManualClock
) -> None:
    (number,) = await seed_tickets(gateway, 1)
    path, headers = f"/tickets/{number}/notes", {"Idempotency-Key": "weekly"}
    assert (await api.call("POST", path, json={"body": "a"}, headers=headers))[0] == 201
    clock.advance(timedelta(days=6))
    assert (await api.call("POST", path, json={"body": "b"}, headers=headers))[0] == 422
    clock.advance(timedelta(days=2))
    assert (await api.call("POST", path, json={"body": "b"}, headers=headers))[0] == 201
    assert query(gateway, "SELECT COUNT(*) FROM api_idempotency")[0][0] == 1
