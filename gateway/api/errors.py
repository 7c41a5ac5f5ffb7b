"""Every API failure is JSON, `{"error": {"code": ..., "message": ...}}`, never a traceback.

Handlers raise `ApiError`; the middleware turns it, aiohttp's own HTTP errors (unknown route,
wrong method, body too large) and anything unexpected into that shape. An unexpected exception
is logged with its traceback here and answered 500 without one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The statuses the API documents, with the code each carries when nothing more precise applies.
ERROR_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    500: "internal",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        **detail: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or ERROR_CODES.get(status, "error")
        self.message = message
        self.headers = headers or {}
        self.detail = detail


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **detail: Any
) -> web.Response:
    body: dict[str, Any] = {"code": code, "message": message, **detail}
    return web.json_response({"error": body}, status=status, headers=headers)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        headers = dict(exc.headers)
        if exc.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="intake"'
        return error_response(exc.status, exc.code, exc.message, headers or None, **exc.detail)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = {
            404: f"no such endpoint: {request.path}",
            405: f"{request.method} is not allowed on {request.path}",
            413: "the request body is too large",
        }.get(exc.status, exc.reason)
        return error_response(exc.status, ERROR_CODES.get(exc.status, "error"), message)
    except Exception:
        log.exception("API request %s %s failed", request.method, request.path)
        return error_response(500, "internal", "internal error; the gateway log has the details")
