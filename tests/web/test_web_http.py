"""The workspace over plain HTTP (no browser): headers, cookies, sessions, roles, deadlines."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.web.workspace import SECURITY_HEADERS, STATIC_DIR

from ..gateway.gateway_harness import mail, query, send, settle
from .conftest import PASSWORD

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_vendored_htmx_matches_its_record() -> None:
    record = (STATIC_DIR / "vendor" / "VENDORED.md").read_text()
    digest = hashlib.sha256((STATIC_DIR / "vendor" / "htmx.min.js").read_bytes()).hexdigest()
    assert f"`{digest}`" in record


async def _signed_in(
    session: aiohttp.ClientSession, base: str, email: str = "agent@example.com"
) -> None:
    async with session.get(f"{base}/login") as response:
        csrf = _csrf(await response.text())
    async with session.post(
        f"{base}/login",
        data={"email": email, "password": PASSWORD, "csrf": csrf, "next": "/"},
        allow_redirects=False,
    ) as response:
        assert response.status == 303, await response.text()


def client() -> aiohttp.ClientSession:
    """A client that keeps cookies for 127.0.0.1 (aiohttp's jar refuses IP hosts by default)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


async def test_pages_carry_the_security_headers(base_url: str) -> None:
    async with client() as session:
        for path in ("/login", "/static/workspace.css", "/static/vendor/htmx.min.js"):
            async with session.get(f"{base_url}{path}") as response:
                assert response.status == 200
                for name, value in SECURITY_HEADERS.items():
                    assert response.headers[name] == value, (path, name)
        async with session.get(f"{base_url}/static/vendor/htmx.min.js") as response:
            assert response.content_type == "application/javascript"
    assert "'unsafe-inline'" not in SECURITY_HEADERS["Content-Security-Policy"]


async def test_templates_put_no_inline_script_or_style_on_a_page(base_url: str) -> None:
    for template in (Path(__file__).parents[2] / "templates" / "web").glob("*.j2"):
        text = template.read_text()
        assert "<style" not in text and " style=" not in text, template.name
        assert re.search(r"<script(?![^>]*\bsrc=)", text) is None, template.name


async def test_login_without_csrf_is_refused(base_url: str) -> None:
    async with (
        client() as session,
        session.post(
            f"{base_url}/login", data={"email": "agent@example.com", "password": PASSWORD}
        ) as response,
    ):
        assert response.status == 403


async def test_session_expires_on_the_server(base_url: str, clock: ManualClock) -> None:
    async with client() as session:
        await _signed_in(session, base_url)
        async with session.get(f"{base_url}/", allow_redirects=False) as response:
            assert response.status == 200
        clock.advance(timedelta(hours=12, seconds=1))
        async with session.get(f"{base_url}/", allow_redirects=False) as response:
            assert response.status == 303
            assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("settings_overrides", [{"public_url": "https://desk.example"}])
async def test_session_cookie_is_secure_behind_https(base_url: str) -> None:
    async with client() as session:
        async with session.get(f"{base_url}/login") as response:
            csrf = _csrf(await response.text())
            assert "Secure" in response.headers["Set-Cookie"]
        async with session.post(
            f"{base_url}/login",
            data={"email": "agent@example.com", "password": PASSWORD, "csrf": csrf},
            # The client will not send a Secure cookie over plain http; send it as a browser
            # behind the https proxy would.
            headers={"Cookie": f"intake_login_csrf={csrf}"},
            allow_redirects=False,
        ) as response:
            assert response.status == 303
            cookie = [c for c in response.headers.getall("Set-Cookie") if "intake_session" in c]
            assert cookie and "Secure" in cookie[0] and "HttpOnly" in cookie[0]
            assert "SameSite=Lax" in cookie[0]


async def test_an_agent_may_not_change_a_priority(base_url: str, gateway: Gateway) -> None:
    await send(gateway, mail())
    await settle(gateway)
    n = query(gateway, "SELECT MAX(number) FROM tickets")[0][0]
    async with client() as session:
        await _signed_in(session, base_url)
        async with session.get(f"{base_url}/tickets/{n}") as response:
            csrf = _csrf(await response.text())
        async with session.post(
            f"{base_url}/tickets/{n}/priority",
            data={"csrf": csrf, "priority": "P1", "reason": "I say so"},
            allow_redirects=False,
        ) as response:
            assert response.status == 403
            assert "needs the lead role" in await response.text()
    assert not query(gateway, "SELECT * FROM events WHERE kind LIKE '%priority%'")


async def test_unknown_ticket_and_status_filter_answer_plainly(base_url: str) -> None:
    async with client() as session:
        await _signed_in(session, base_url)
        async with session.get(f"{base_url}/tickets/99") as response:
            assert response.status == 404
            assert "no ticket #99" in await response.text()
        async with session.get(f"{base_url}/?status=bogus") as response:
            assert response.status == 400
            assert "No status &#39;bogus&#39;" in await response.text()
