"""One API route as data, and the wrapper that runs it.

A `Route` names its method, path, the least role it needs, its query, body and response
models; the same table mounts the routes and writes the OpenAPI document, so the two cannot
drift apart. `endpoint(route, context)` authenticates, validates the query and the JSON body,
runs the handler inside one store read or write and serialises its answer. A POST carrying an
`Idempotency-Key` runs, and stores its answer under that key, in the same write transaction:
a retry (even one racing the first attempt, on another node) gets the first answer back and
changes nothing; see `answer_once`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from gateway.api.auth import Caller, authenticate
from gateway.api.errors import ApiError
from gateway.clock import Clock
from gateway.config import Settings
from gateway.policybook import PolicyBook
from gateway.store import Store
from gateway.store import staff as staff_sql
from gateway.store.connection import Connection
from gateway.ticketing import StaffActions

M = TypeVar("M", bound=BaseModel)
MAX_IDEMPOTENCY_KEY = 200
# How long a key is remembered: far beyond any client's retries (Stripe keeps 24 hours).
IDEMPOTENCY_WINDOW = timedelta(days=7)


@dataclass
class ApiContext:
    """What handlers work with; built once by the gateway."""

    store: Store
    clock: Clock
    settings: Settings
    policies: PolicyBook
    ticket_ops: StaffActions  # the ticket service's staff operations, for the write routes


@dataclass
class Call:
    """One request, authenticated and validated."""

    context: ApiContext
    caller: Caller
    path: dict[str, str]
    query: Any
    body: Any

    def ticket_number(self) -> int:
        raw = self.path["number"]
        if not raw.isdigit() or len(raw) > 18:
            raise ApiError(404, f"no ticket {raw!r}")
        return int(raw)


Handler = Callable[[Call, Connection], Awaitable[BaseModel]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # under /api/v1, aiohttp syntax: /tickets/{number}
    handler: Handler | None
    summary: str
    role: str | None = "agent"  # None: public, for the OpenAPI document only (no handler)
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    writes: bool = False
    errors: tuple[int, ...] = field(default=())

    @property
    def idempotent(self) -> bool:
        return self.method == "POST"


def _field_of(error: Any) -> str:
    return ".".join(str(part) for part in error["loc"]) or "(body)"


def validation_error(exc: ValidationError, where: str) -> ApiError:
    first = exc.errors()[0]
    name = _field_of(first)
    if first["type"] == "extra_forbidden":
        message = f"unknown {where} field {name!r}"
    elif first["type"] == "missing":
        message = f"missing {where} field {name!r}"
    elif first["loc"]:
        message = f"{where} field {name!r}: {first['msg'].removeprefix('Value error, ')}"
    else:
        message = f"{first['msg'].removeprefix('Value error, ')}"
    return ApiError(422, message, field=name if first["loc"] else None)


def parse_query(request: web.Request, model: type[M]) -> M:
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise validation_error(exc, "query") from None


def parse_body(raw: bytes, model: type[M]) -> M:
    if not raw.strip():
        raise ApiError(400, "the request needs a JSON body")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(422, "the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, "body") from None


def endpoint(route: Route, context: ApiContext) -> Callable[[web.Request], Awaitable[web.Response]]:
    assert route.handler is not None and route.role is not None, "handlers need a role"
    handler, role = route.handler, route.role

    async def handle(request: web.Request) -> web.Response:
        store, now = context.store, context.clock.now()
        caller = await authenticate(store, request, now)
        caller.require(role)
        query = parse_query(request, route.query) if route.query else None
        raw = await request.read()
        body = parse_body(raw, route.body) if route.body else None
        call = Call(context, caller, dict(request.match_info), query, body)
        key = request.headers.get("Idempotency-Key") if route.idempotent else None
        if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
            raise ApiError(400, f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")
        if not route.writes:
            result = await store.read(lambda db: handler(call, db))
            return _json(route.status, result.model_dump_json())
        if key is None:
            result = await store.write(lambda db: handler(call, db))
            return _json(route.status, result.model_dump_json())
        fingerprint = hashlib.sha256(
            b"\0".join((request.method.encode(), request.path.encode(), raw))
        ).hexdigest()

        async def once(db: Connection) -> tuple[int, str, bool]:
            return await answer_once(
                db,
                caller.staff.id,
                key,
                fingerprint,
                now,
                lambda: handler(call, db),
                status=route.status,
            )

        status, answer, replayed = await store.write(once)
        response = _json(status, answer)
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return response

    return handle


async def answer_once(
    db: Connection,
    staff_id: int,
    key: str,
    fingerprint: str,
    now: datetime,
    run: Callable[[], Awaitable[BaseModel]],
    *,
    status: int,
) -> tuple[int, str, bool]:
    """(status, JSON answer, replayed): run the request once per key, inside `db`'s transaction.

    The key is claimed before the handler runs, and the claim commits with the answer. A
    retry of an answered request replays the answer; one racing an attempt that is still
    running (on another node) gets a 409 `idempotency_key_in_use` at once and retries, as
    Stripe answers: waiting for the other node inside a group commit could deadlock. If the
    first attempt failed and rolled back, its claim went with it and a retry runs.
    """
    await staff_sql.forget_responses(db, staff_id, now - IDEMPOTENCY_WINDOW)
    try:
        claimed = await staff_sql.claim_key(db, staff_id, key, request_hash=fingerprint, now=now)
    except staff_sql.KeyInUse:
        raise ApiError(
            409,
            "a request with this Idempotency-Key is still in progress; retry it in a moment",
            code="idempotency_key_in_use",
            headers={"Retry-After": "1"},
        ) from None
    if not claimed:
        earlier = await staff_sql.stored_response(db, staff_id, key)
        assert earlier is not None, "a key is claimed only inside the transaction answering it"
        if earlier.request_hash != fingerprint:
            raise ApiError(
                422,
                "this Idempotency-Key was used for a different request",
                code="idempotency_key_reused",
            )
        return earlier.status, earlier.response, True
    answer = (await run()).model_dump_json()
    await staff_sql.store_response(db, staff_id, key, status=status, response=answer)
    return status, answer, False


def _json(status: int, body: str) -> web.Response:
    return web.Response(status=status, text=body, content_type="application/json")
