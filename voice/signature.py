"""Checking that a webhook request really comes from Twilio (X-Twilio-Signature).

Twilio signs the URL it was configured with plus the sorted POST parameters, using the
account's auth token (HMAC-SHA1). The URL is rebuilt from the configured public base URL
(`INTAKE_PUBLIC_URL`) and the request target exactly as received — never from the Host
header, which the caller controls — so a proxy in front of the gateway must pass the path
and query through unchanged.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import MultiDict
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_BODY = 64 * 1024  # Twilio's webhook forms are a few KiB; anything larger is not Twilio.
_FORM = "application/x-www-form-urlencoded"


def make_validator(auth_token: str | None) -> RequestValidator | None:
    """The validator for `auth_token`; None (every request refused) when there is no token."""
    return RequestValidator(auth_token) if auth_token else None


def public_url(public_base_url: str, request: web.Request) -> str:
    """The URL Twilio signed: the public base URL plus the request target as received."""
    # raw_path keeps the path and query byte for byte as Twilio sent them; path_qs is yarl's
    # re-encoding, which can differ (and only appears for absolute-form request targets).
    target = request.raw_path if request.raw_path.startswith("/") else request.path_qs
    return public_base_url.rstrip("/") + target


async def verify_twilio_request(
    request: web.Request,
    validator: RequestValidator | None,
    public_base_url: str,
    *,
    max_body: int = MAX_BODY,
) -> dict[str, str]:
    """The request's form parameters, once its Twilio signature has been checked.

    Raises `web.HTTPForbidden` (403) when no auth token is configured (`validator` None), the
    signature header is missing or does not match, `web.HTTPRequestEntityTooLarge` (413)
    past `max_body` bytes, `web.HTTPUnsupportedMediaType` (415) for a body that is not a
    form, `web.HTTPBadRequest` (400) for a form that is not UTF-8. Consumes the body: the
    handler works with the returned parameters (the first value of any repeated name).
    """
    if validator is None:
        log.warning("refused %s: no Twilio auth token configured", request.path)
        raise web.HTTPForbidden(text="Twilio webhooks are disabled: no auth token configured")
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        log.warning("refused %s: no %s header", request.path, SIGNATURE_HEADER)
        raise web.HTTPForbidden(text="missing Twilio signature")
    params = await read_form(request, max_body)
    url = public_url(public_base_url, request)
    if not validator.validate(url, params, signature):
        log.warning("refused %s: Twilio signature does not match %s", request.path, url)
        raise web.HTTPForbidden(text="invalid Twilio signature")
    return {name: params[name] for name in params}


async def read_form(request: web.Request, max_body: int) -> MultiDict[str]:
    """The urlencoded body as a MultiDict, read with a hard size limit."""
    body = await _read_limited(request, max_body)
    if not body:
        return MultiDict()
    if request.content_type != _FORM:
        raise web.HTTPUnsupportedMediaType(text=f"expected {_FORM}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise web.HTTPBadRequest(text="form is not UTF-8") from None
    return MultiDict(parse_qsl(text, keep_blank_values=True))


async def _read_limited(request: web.Request, max_body: int) -> bytes:
    declared = request.content_length
    if declared is not None and declared > max_body:
        raise web.HTTPRequestEntityTooLarge(max_size=max_body, actual_size=declared)
    if declared is not None:  # the usual case: a small form of known length, read at once
        return await request.read()
    body = bytearray()
    async for chunk in request.content.iter_chunked(16 * 1024):
        body += chunk
        if len(body) > max_body:
            raise web.HTTPRequestEntityTooLarge(max_size=max_body, actual_size=len(body))
    return bytes(body)
