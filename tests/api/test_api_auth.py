"""API authentication and roles: no token, a bad or revoked one, a disabled account, a role."""

from __future__ import annotations

from gateway.app import Gateway
from gateway.store import staff as staff_sql
from gateway.store.connection import Connection

from .api_harness import Api, seed_tickets, staff_with_token


async def test_no_token_is_401_with_json_error(api: Api) -> None:
    async with api.session.get(api.base + "/tickets") as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        body = await response.json()
    assert body["error"]["code"] == "unauthorized"
    assert "Bearer" in body["error"]["message"]


async def test_unknown_and_malformed_tokens_are_401(api: Api) -> None:
    status, body = await api.call("GET", "/tickets", token="itk_not-a-token")
    assert (status, body["error"]["code"]) == (401, "unauthorized")
    status, body = await api.call(
        "GET", "/tickets", headers={"Authorization": "Basic YWxpY2U6cHc="}
    )
    assert status == 401
    assert "Bearer" in body["error"]["message"]


async def test_a_valid_token_lists_tickets(api: Api, gateway: Gateway) -> None:
    await seed_tickets(gateway, 3)
    status, body = await api.call("GET", "/tickets")
    assert status == 200
    assert [t["number"] for t in body["tickets"]] == [1003, 1002, 1001]


async def test_revoked_token_is_401(api: Api, gateway: Gateway) -> None:
    token = await staff_with_token(gateway, "ruth@example.com", token_name="laptop")

    async def revoke(db: Connection) -> None:
        member = await staff_sql.staff_by_email(db, "ruth@example.com")
        assert member is not None
        for t in await staff_sql.list_tokens(db, member.id):
            await staff_sql.revoke_token(db, t.id, gateway.clock.now())

    assert (await api.call("GET", "/tickets", token=token))[0] == 200
    await gateway.store.write(revoke)
    status, body = await api.call("GET", "/tickets", token=token)
    assert status == 401
    assert body["error"]["message"] == "the token is unknown or revoked"


async def test_disabled_staff_token_is_401(api: Api, gateway: Gateway) -> None:
    token = await staff_with_token(gateway, "dave@example.com")

    async def disable(db: Connection) -> None:
        member = await staff_sql.staff_by_email(db, "dave@example.com")
        assert member is not None
        await staff_sql.disable_staff(db, member.id, gateway.clock.now())

    await gateway.store.write(disable)
    assert (await api.call("GET", "/tickets", token=token))[0] == 401


async def test_wrong_role_is_403(api: Api, gateway: Gateway) -> None:
    query = {"since": "2026-11-01T00:00:00Z", "until": "2026-12-01T00:00:00Z"}
    status, body = await api.call("GET", "/sla/report", params=query)
    assert status == 403
    assert body["error"] == {
        "code": "forbidden",
        "message": "this needs the lead role; agent@example.com is agent",
    }
    lead = await staff_with_token(gateway, "lee@example.com", "lead")
    assert (await api.call("GET", "/sla/report", params=query, token=lead))[0] == 200


async def test_an_agent_cannot_change_a_priority_but_a_lead_can(api: Api, gateway: Gateway) -> None:
    (number,) = await seed_tickets(gateway, 1)
    change = {"priority": "P1", "reason": "whole site down"}
    status, body = await api.call("PATCH", f"/tickets/{number}", json=change)
    assert (status, body["error"]["code"]) == (403, "forbidden")
    lead = await staff_with_token(gateway, "lee@example.com", "lead")
    status, body = await api.call("PATCH", f"/tickets/{number}", json=change, token=lead)
    assert (status, body["priority"]) == (200, "P1")


async def test_token_use_is_recorded_at_most_hourly(api: Api, gateway: Gateway) -> None:
    before = gateway.store.commits
    for _ in range(5):
        assert (await api.call("GET", "/tickets"))[0] == 200
    assert gateway.store.commits - before == 1  # the first use; reads write nothing else
    tokens = await gateway.store.read(staff_sql.list_tokens)
    assert tokens[0].last_used_at == gateway.clock.now()
