"""Bearer-token authentication and roles for the API.

`Authorization: Bearer <token>`: the token's SHA-256 must name a live token of an active staff
member (unknown, revoked or disabled all answer 401, with no hint which). Roles are ordered
agent < lead < admin; a route names the least role it needs and a lower one answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web

from gateway.api.errors import ApiError
from gateway.credentials import token_hash
from gateway.store import Store
from gateway.store import staff as sql
from gateway.store.staff import ROLES, StaffMember

RANK = {role: rank for rank, role in enumerate(ROLES)}
# `last_used_at` is refreshed at most this often, so reading the API costs no write per request.
LAST_USED_RESOLUTION = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Caller:
    staff: StaffMember
    token_id: int
    token_name: str

    @property
    def actor(self) -> str:
        """How events name this caller: the channel and the person (`api:alice@example.com`)."""
        return f"api:{self.staff.email}"

    def require(self, role: str) -> None:
        if RANK[self.staff.role] < RANK[role]:
            raise ApiError(
                403,
                f"this needs the {role} role; {self.staff.email} is {self.staff.role}",
            )


async def authenticate(store: Store, request: web.Request, now: datetime) -> Caller:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise ApiError(401, "send an API token: Authorization: Bearer <token>")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "the Authorization header must be 'Bearer <token>'")
    found = await store.read(lambda db: sql.bearer(db, token_hash(token.strip())))
    if found is None:
        raise ApiError(401, "the token is unknown or revoked")
    staff, api_token = found
    if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_RESOLUTION:
        await store.write(lambda db: sql.touch_token(db, api_token.id, now))
    return Caller(staff, api_token.id, api_token.name)
