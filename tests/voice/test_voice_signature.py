"""Twilio signature checks on a real aiohttp server on loopback, signed by RequestValidator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from voice.signature import make_validator, verify_twilio_request

from .twilio_account import AUTH_TOKEN

PUBLIC = "https://intake.example.com"
CALL = {"CallSid": "CA" + "1" * 32, "From": "+12025550123", "To": "+12025550100"}
Post = Callable[..., Any]


def sign(url: str, params: Mapping[str, Any], token: str = AUTH_TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


async def start_app(validator: RequestValidator | None, public: str = PUBLIC) -> web.AppRunner:
    async def echo(request: web.Request) -> web.Response:
        params = await verify_twilio_request(request, validator, public, max_body=4096)
        return web.json_response(params)

    app = web.Application()
    app.router.add_post("/voice/incoming", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


@pytest.fixture
async def server() -> AsyncIterator[str]:
    runner = await start_app(make_validator(AUTH_TOKEN))
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}"
    await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def post(
    session: aiohttp.ClientSession,
    server: str,
    target: str,
    data: Any,
    signature: str | None,
    **headers: str,
) -> tuple[int, Any]:
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    async with session.post(server + target, data=data, headers=headers) as response:
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.text()


async def test_a_correctly_signed_request_yields_its_form(
    server: str, session: aiohttp.ClientSession
) -> None:
    signature = sign(PUBLIC + "/voice/incoming", CALL)

    status, body = await post(session, server, "/voice/incoming", CALL, signature)

    assert (status, body) == (200, CALL)


async def test_a_signature_made_with_another_token_is_refused(
    server: str, session: aiohttp.ClientSession
) -> None:
    signature = sign(PUBLIC + "/voice/incoming", CALL, token="someone-elses-token")

    status, _ = await post(session, server, "/voice/incoming", CALL, signature)

    assert status == 403


async def test_a_tampered_parameter_is_refused(server: str, session: aiohttp.ClientSession) -> None:
    signature = sign(PUBLIC + "/voice/incoming", CALL)
    forged = {**CALL, "From": "+12025550999"}

    status, _ = await post(session, server, "/voice/incoming", forged, signature)

    assert status == 403


async def test_a_request_without_signature_is_refused(
    server: str, session: aiohttp.ClientSession
) -> None:
    status, body = await post(session, server, "/voice/incoming", CALL, None)

    assert status == 403 and "missing" in body


async def test_without_an_auth_token_every_request_is_refused(
    session: aiohttp.ClientSession,
) -> None:
    assert make_validator(None) is None and make_validator("") is None
    runner = await start_app(None)
    host, port = runner.addresses[0][:2]
    try:
        signature = sign(PUBLIC + "/voice/incoming", CALL)
        status, body = await post(
            session, f"http://{host}:{port}", "/voice/incoming", CALL, signature
        )
    finally:
        await runner.cleanup()

    assert status == 403 and "no auth token" in body


async def test_the_query_string_is_part_of_the_signed_url(
    server: str, session: aiohttp.ClientSession
) -> None:
    target = "/voice/incoming?desk=acme&note=a%20b"

    good = sign(PUBLIC + target, CALL)
    without_query = sign(PUBLIC + "/voice/incoming", CALL)

    assert (await post(session, server, target, CALL, good))[0] == 200
    assert (await post(session, server, target, CALL, without_query))[0] == 403


async def test_the_host_header_is_never_used(server: str, session: aiohttp.ClientSession) -> None:
    # Signed for the configured public URL: valid whatever Host says.
    signature = sign(PUBLIC + "/voice/incoming", CALL)
    status, _ = await post(session, server, "/voice/incoming", CALL, signature, Host="evil.example")
    assert status == 200
    # Signed for the URL the Host header claims: refused.
    spoofed = sign("https://evil.example/voice/incoming", CALL)
    status, _ = await post(session, server, "/voice/incoming", CALL, spoofed, Host="evil.example")
    assert status == 403


async def test_a_public_url_with_a_path_prefix_and_trailing_slash(
    session: aiohttp.ClientSession,
) -> None:
    runner = await start_app(make_validator(AUTH_TOKEN), public="https://example.com/intake/")
    host, port = runner.addresses[0][:2]
    try:
        signature = sign("https://example.com/intake/voice/incoming", CALL)
        status, _ = await post(session, f"http://{host}:{port}", "/voice/incoming", CALL, signature)
    finally:
        await runner.cleanup()

    assert status == 200


async def test_repeated_parameters_are_all_signed(
    server: str, session: aiohttp.ClientSession
) -> None:
    pairs = [("CallSid", "CA1"), ("Digits", "1"), ("Digits", "2")]
    signature = sign(PUBLIC + "/voice/incoming", MultiDict(pairs))

    status, body = await post(session, server, "/voice/incoming", pairs, signature)

    assert status == 200 and body == {"CallSid": "CA1", "Digits": "1"}
    status, _ = await post(session, server, "/voice/incoming", pairs[:2], signature)
    assert status == 403


async def test_an_empty_signed_body_is_accepted(
    server: str, session: aiohttp.ClientSession
) -> None:
    signature = sign(PUBLIC + "/voice/incoming", {})

    assert (await post(session, server, "/voice/incoming", b"", signature)) == (200, {})


async def test_an_oversize_body_is_refused_with_413(
    server: str, session: aiohttp.ClientSession
) -> None:
    big = {**CALL, "TranscriptionText": "x" * 5000}
    signature = sign(PUBLIC + "/voice/incoming", big)

    status, _ = await post(session, server, "/voice/incoming", big, signature)

    assert status == 413


async def test_an_oversize_chunked_body_is_refused_with_413(
    server: str, session: aiohttp.ClientSession
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 1000

    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _ = await post(session, server, "/voice/incoming", chunks(), "sig", **headers)

    assert status == 413


async def test_a_body_that_is_not_a_form_is_refused(
    server: str, session: aiohttp.ClientSession
) -> None:
    signature = sign(PUBLIC + "/voice/incoming", {})
    headers = {"Content-Type": "application/json"}

    status, _ = await post(session, server, "/voice/incoming", b'{"a": 1}', signature, **headers)

    assert status == 415
