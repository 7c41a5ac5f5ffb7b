"""A fake Twilio REST API on loopback, for the real twilio client to talk to.

Implements `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` the way Twilio does:
form-encoded request, HTTP basic auth with the account SID and auth token, `201` with a
message resource in JSON; and `GET` of the same URL, the Messages list (newest first,
filtered by `To` and `From`, `PageSize`), which reconciliation reads. Every request is
recorded; the next requests can be told to fail with a status and Twilio error body, to hang
until the server stops, or to create the message and then lose the answer: answer late,
answer `2xx` with a body that is not JSON, or drop the connection.

    async with FakeTwilio(SID, TOKEN) as fake:
        transport = TwilioSmsTransport(SID, TOKEN, api_base_url=fake.base_url, ...)
        fake.fail_next(1, status=400, code=21211)
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Self

from aiohttp import web


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    form: dict[str, str]
    headers: dict[str, str]
    authorized: bool


@dataclass
class _Plan:
    """What to do with one upcoming request instead of answering it normally."""

    status: int = 0
    body: str = ""
    hang: bool = False
    # Create the message as usual, then lose the answer: "late" (answer after `delay`
    # seconds), "garbage" (`status` with `body` instead of JSON) or "drop" (close the socket);
    # or "normal": answer it as usual.
    then: str = ""
    delay: float = 0.0


class FakeTwilio:
    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.requests: list[RecordedRequest] = []
        self.messages: list[dict[str, Any]] = []
        self._plans: list[_Plan] = []
        self._list_plans: list[_Plan] = []
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._stopping = asyncio.Event()
        # Called with each new message resource before it is answered: Twilio's status
        # callbacks can reach the sender before the answer to its request does.
        self.before_answer: Callable[[dict[str, Any]], Awaitable[None]] | None = None
        # Twilio's clock, for `date_created`: a test with a manual clock passes its own.
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def fail_next(
        self,
        count: int,
        status: int,
        code: int | None = None,
        message: str = "simulated failure",
        *,
        body: dict[str, Any] | str | None = None,
    ) -> None:
        """Answer the next `count` requests with `status` and Twilio's error JSON.

        `body` replaces the JSON (a dict is dumped, a str is sent as text/html).
        """
        if body is None:
            body = {
                "code": code if code is not None else status,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code or status}",
                "status": status,
            }
        text = body if isinstance(body, str) else json.dumps(body)
        self._plans.extend(_Plan(status=status, body=text) for _ in range(count))

    def hang_next(self, count: int = 1) -> None:
        """Never answer the next `count` requests (until the server stops)."""
        self._plans.extend(_Plan(hang=True) for _ in range(count))

    def answer_late_next(self, count: int = 1, *, delay: float = 60.0) -> None:
        """Create the next `count` messages but answer only after `delay` seconds."""
        self._plans.extend(_Plan(then="late", delay=delay) for _ in range(count))

    def answer_normally_next(self, count: int = 1) -> None:
        """Answer the next `count` requests as usual (before the plans queued after them)."""
        self._plans.extend(_Plan(then="normal") for _ in range(count))

    def answer_garbage_next(
        self, count: int = 1, *, status: int = 200, body: str = "<html>OK</html>"
    ) -> None:
        """Create the next `count` messages but answer `status` with a body that is not JSON."""
        self._plans.extend(_Plan(then="garbage", status=status, body=body) for _ in range(count))

    def drop_after_create_next(self, count: int = 1) -> None:
        """Create the next `count` messages, then close the connection without an answer."""
        self._plans.extend(_Plan(then="drop") for _ in range(count))

    def fail_list_next(self, count: int, status: int = 503) -> None:
        """Answer the next `count` Messages list requests with `status`."""
        body = json.dumps({"code": status, "message": "simulated failure", "status": status})
        self._list_plans.extend(_Plan(status=status, body=body) for _ in range(count))

    def messages_to(self, number: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["to"] == number]

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create_message)
        app.router.add_get("/2010-04-01/Accounts/{sid}/Messages.json", self._list_messages)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _create_message(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        authorized = self._authorized(request)
        self.requests.append(
            RecordedRequest(request.method, request.path, form, dict(request.headers), authorized)
        )
        plan = self._plans.pop(0) if self._plans else None
        if plan is not None and not plan.then:
            if plan.hang:
                await self._stopping.wait()
                raise web.HTTPServiceUnavailable()
            content_type = "text/html" if plan.body.startswith("<") else "application/json"
            return web.Response(status=plan.status, text=plan.body, content_type=content_type)
        if not authorized:
            return _error(401, 20003, "Authenticate")
        if request.match_info["sid"] != self.account_sid:
            return _error(404, 20404, "The requested resource was not found")
        if not form.get("To"):
            return _error(400, 21604, "A 'To' phone number is required.")
        if not form.get("Body"):
            return _error(400, 21602, "Message body is required.")
        resource = self._resource(form)
        self.messages.append(resource)
        if self.before_answer is not None:
            await self.before_answer(resource)
        if plan is not None:
            return await self._lose_answer(request, plan, resource)
        return web.json_response(resource, status=201)

    async def _lose_answer(
        self, request: web.Request, plan: _Plan, resource: dict[str, Any]
    ) -> web.StreamResponse:
        if plan.then == "normal":
            return web.json_response(resource, status=201)
        if plan.then == "garbage":
            return web.Response(status=plan.status, text=plan.body, content_type="text/html")
        if plan.then == "drop":
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=201)  # never reaches the client
        with contextlib.suppress(TimeoutError):  # "late"
            await asyncio.wait_for(self._stopping.wait(), plan.delay)
        return web.json_response(resource, status=201)

    async def _list_messages(self, request: web.Request) -> web.Response:
        authorized = self._authorized(request)
        query = dict(request.query)
        self.requests.append(
            RecordedRequest(request.method, request.path, query, dict(request.headers), authorized)
        )
        if self._list_plans:
            plan = self._list_plans.pop(0)
            return web.Response(status=plan.status, text=plan.body, content_type="application/json")
        if not authorized:
            return _error(401, 20003, "Authenticate")
        found = [
            m
            for m in reversed(self.messages)  # Twilio lists the newest first
            if m["to"] == query.get("To", m["to"]) and m["from"] == query.get("From", m["from"])
        ]
        size = int(query.get("PageSize", "50"))
        uri = request.path
        return web.json_response(
            {
                "messages": found[:size],
                "end": min(size, len(found)) - 1,
                "first_page_uri": f"{uri}?PageSize={size}&Page=0",
                "next_page_uri": None,  # one page is all reconciliation reads
                "page": 0,
                "page_size": size,
                "previous_page_uri": None,
                "start": 0,
                "uri": f"{uri}?PageSize={size}&Page=0",
            }
        )

    def _authorized(self, request: web.Request) -> bool:
        expected = f"{self.account_sid}:{self.auth_token}".encode()
        header = request.headers.get("Authorization", "")
        return header == "Basic " + base64.b64encode(expected).decode()

    def _resource(self, form: dict[str, str]) -> dict[str, Any]:
        sid = "SM" + secrets.token_hex(16)
        now = format_datetime(self.now().astimezone(UTC), usegmt=True)
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": form["Body"],
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": form["To"],
            "uri": f"{uri}.json",
        }


def _error(status: int, code: int, message: str) -> web.Response:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return web.json_response(body, status=status)
