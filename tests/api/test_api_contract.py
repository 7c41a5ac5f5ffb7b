"""The API's contract: JSON errors for bad input, pagination, and an OpenAPI document that
lists exactly the routes the server answers."""

from __future__ import annotations

import re

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import BaseModel

from gateway.api.app import API_PREFIX, ROUTES, build_api
from gateway.api.endpoint import ApiContext, Call, Route
from gateway.app import Gateway
from gateway.store.connection import Connection

from .api_harness import Api, seed_tickets


async def test_openapi_documents_every_route_and_nothing_else(api: Api, gateway: Gateway) -> None:
    async with api.session.get(api.base + "/openapi.json") as response:  # no token needed
        assert response.status == 200
        document = await response.json()
    assert document["openapi"].startswith("3.1")
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    served = set()
    for resource in gateway.http_app.router.resources():
        if isinstance(resource, web.PrefixedSubAppResource) and resource.canonical == API_PREFIX:
            for route in resource._app.router.routes():
                info = route.resource.get_info() if route.resource else {}
                path = info.get("path") or info.get("formatter")
                served.add((route.method, path))
    assert served == documented
    assert {(r.method, API_PREFIX + r.path) for r in ROUTES} == documented


async def test_openapi_references_resolve_and_bodies_are_described(api: Api) -> None:
    status, document = await api.call("GET", "/openapi.json")
    assert status == 200
    text = str(document)
    for name in set(re.findall(r"#/components/schemas/(\w+)", text)):
        assert name in document["components"]["schemas"], name
    reply = document["paths"]["/api/v1/tickets/{number}/replies"]["post"]
    assert reply["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ReplyRequest"
    )
    assert {"201", "400", "401", "403", "404", "409", "422"} <= set(reply["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in reply["parameters"])
    listing = document["paths"]["/api/v1/tickets"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"status", "priority", "policy", "assignee", "sla", "limit", "cursor"} <= names
    schemas = document["components"]["schemas"]
    assert schemas["ReplyRequest"]["additionalProperties"] is False


async def test_bad_json_is_400(api: Api, gateway: Gateway) -> None:
    (number,) = await seed_tickets(gateway, 1)
    status, body = await api.call(
        "POST",
        f"/tickets/{number}/notes",
        data=b'{"body": "unterminated',
        headers={"Content-Type": "application/json"},
    )
    assert status == 400
    assert body["error"]["code"] == "bad_request"
    assert "not valid JSON" in body["error"]["message"]
    status, body = await api.call("POST", f"/tickets/{number}/notes", data=b"")
    assert status == 400


async def test_unknown_fields_are_422_naming_the_field(api: Api, gateway: Gateway) -> None:
    (number,) = await seed_tickets(gateway, 1)
    status, body = await api.call(
        "POST", f"/tickets/{number}/notes", json={"body": "x", "colour": "red"}
    )
    assert status == 422
    assert body["error"] == {
        "code": "invalid",
        "message": "unknown body field 'colour'",
        "field": "colour",
    }
    status, body = await api.call("GET", "/tickets", params={"stauts": "open"})
    assert (status, body["error"]["field"]) == (422, "stauts")
    status, body = await api.call("PATCH", f"/tickets/{number}", json={"status": "snoozed"})
    assert (status, body["error"]["field"]) == (422, "status")
    status, body = await api.call("PATCH", f"/tickets/{number}", json={"priority": "P1"})
    assert status == 422
    assert "reason" in body["error"]["message"]
    status, body = await api.call("POST", f"/tickets/{number}/notes", json=["body"])
    assert status == 422


async def test_unknown_ticket_route_and_method_are_json(api: Api) -> None:
    status, body = await api.call("GET", "/tickets/999999")
    assert (status, body["error"]["message"]) == (404, "no ticket #999999")
    status, body = await api.call("GET", "/tickets/abc")
    assert status == 404
    status, body = await api.call("GET", "/nothing-here")
    assert (status, body["error"]["code"]) == (404, "not_found")
    status, body = await api.call("DELETE", "/tickets")
    assert (status, body["error"]["code"]) == (405, "method_not_allowed")


async def test_pagination_walks_every_ticket_once(api: Api, gateway: Gateway) -> None:
    numbers = await seed_tickets(gateway, 1234)
    seen: list[int] = []
    params: dict[str, object] = {"limit": 100}
    pages = 0
    while True:
        status, body = await api.call("GET", "/tickets", params=params)
        assert status == 200
        assert body["limit"] == 100
        seen += [t["number"] for t in body["tickets"]]
        pages += 1
        if body["next"] is None:
            break
        params = {"limit": 100, "cursor": body["next"]}
    assert pages == 13
    assert seen == sorted(numbers, reverse=True)


async def test_a_limit_over_the_cap_is_capped_and_says_so(api: Api, gateway: Gateway) -> None:
    await seed_tickets(gateway, 250)
    status, body = await api.call("GET", "/tickets", params={"limit": 1000})
    assert status == 200
    assert (body["limit"], body["max_limit"], len(body["tickets"])) == (200, 200, 200)
    assert body["next"] is not None
    status, body = await api.call("GET", "/tickets", params={"limit": 0})
    assert (status, body["error"]["field"]) == (422, "limit")
    status, body = await api.call("GET", "/tickets", params={"cursor": "garbage!"})
    assert status == 400


async def test_filters(api: Api, gateway: Gateway) -> None:
    await seed_tickets(gateway, 3)
    await seed_tickets(gateway, 2, effective_priority="P1")
    status, body = await api.call("GET", "/tickets", params={"priority": "P1"})
    assert [t["priority"] for t in body["tickets"]] == ["P1", "P1"]
    status, body = await api.call("GET", "/tickets", params={"policy": "threepbx"})
    assert len(body["tickets"]) == 5
    status, body = await api.call("GET", "/tickets", params={"assignee": "none"})
    assert len(body["tickets"]) == 5
    status, body = await api.call("GET", "/tickets", params={"assignee": "me"})
    assert body["tickets"] == []
    status, body = await api.call("GET", "/tickets", params={"assignee": "who@example.com"})
    assert (status, body["error"]["field"]) == (422, "assignee")
    status, body = await api.call("GET", "/tickets", params={"policy": "nope"})
    assert (status, body["error"]["field"]) == (422, "policy")
    assert "known: threepbx" in body["error"]["message"]
    status, body = await api.call("GET", "/tickets", params={"priority": "P7"})
    assert (status, body["error"]["field"]) == (422, "priority")


async def test_a_body_over_the_limit_is_413_json(api: Api, gateway: Gateway) -> None:
    (number,) = await seed_tickets(gateway, 1)
    huge = {"body": "x" * (gateway.settings.http.max_body + 1)}
    status, body = await api.call("POST", f"/tickets/{number}/notes", json=huge)
    assert (status, body["error"]["code"]) == (413, "too_large")


async def test_an_unexpected_error_is_500_json_without_a_traceback(
    api: Api, gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(call: Call, db: Connection) -> BaseModel:
        raise RuntimeError("secret internals")

    context = ApiContext(gateway.store, gateway.clock, gateway.settings, gateway.policies, None)  # type: ignore[arg-type]
    routes = (Route("GET", "/broken", broken, "Always fails."),)
    server = TestServer(build_api(context, routes))
    async with TestClient(server) as client:
        response = await client.get("/broken", headers=api.headers())
        assert response.status == 500
        body = await response.json()
    assert body == {
        "error": {"code": "internal", "message": "internal error; the gateway log has the details"}
    }
    assert "secret internals" in caplog.text  # in the log, for the operator
