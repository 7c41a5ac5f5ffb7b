"""The ticket page over plain HTTP: the thread's folded history, the sanitised HTML view, the
attachment and inline-image routes and their headers, voicemails, and the priority change
recorded as a correction the classifier learns from."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import aiohttp
import pytest

from gateway.app import Gateway
from gateway.web.workspace import SECURITY_HEADERS

from ..gateway.gateway_harness import mail, query, send, settle
from ..voice.conftest import fake_twilio, oncall_table, twilio_env  # noqa: F401 (fixtures)
from ..voice.fake_twilio import FakeTwilio
from ..voice.phone_harness import Desk, running_desk
from .conftest import add_staff
from .test_web_http import _csrf, _signed_in, client


def png_1x1() -> bytes:
    """A real one-pixel PNG, so a browser can show it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\x1f\x5f\xbf")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = png_1x1()
QUOTED = (
    "It is still broken after the restart.\n"
    "\n"
    "On Mon, 23 Nov 2026 at 10:00, Acme Support <support@localhost> wrote:\n"
    "> Please restart the phone system.\n"
    "> Regards, Acme\n"
    "\n"
    "-- \n"
    "Pat Customer\n"
    "Example Corp, 1 Long Street, Springfield\n"
)
HOSTILE_HTML = (
    "<html><head><style>body{background:url(http://127.0.0.1:9/css)}</style></head><body>"
    '<p onclick="alert(1)">Please look</p><script>alert("script")</script>'
    '<img src="http://127.0.0.1:9/pixel.gif" onerror="alert(2)">'
    '<img src="cid:logo@example.com" alt="logo">'
    '<form action="http://127.0.0.1:9/steal"><input name="pw"></form>'
    '<a href="javascript:alert(3)">js</a></body></html>'
)


def newest(gw: Gateway) -> int:
    return int(query(gw, "SELECT MAX(number) FROM tickets")[0][0])


def with_attachment(body: str = QUOTED) -> EmailMessage:
    message = mail(subject="Still broken", body=body)
    message.add_attachment(
        b"<script>alert('in the file')</script>",
        maintype="text",
        subtype="html",
        filename='Prüfbericht "final".html',
    )
    return message


def hostile_mail() -> EmailMessage:
    message = mail(subject="Look at this", body="Please look (text version)")
    message.add_alternative(HOSTILE_HTML, subtype="html")
    message.get_payload()[1].add_related(PNG, "image", "png", cid="<logo@example.com>")
    return message


async def page_text(session: aiohttp.ClientSession, url: str, status: int = 200) -> str:
    async with session.get(url, allow_redirects=False) as response:
        text = await response.text()
        assert response.status == status, text
        return text


async def test_thread_folds_the_quoted_history_and_lists_attachments(
    gateway: Gateway, base_url: str
) -> None:
    await send(gateway, with_attachment())
    await settle(gateway)
    n = newest(gateway)
    async with client() as session:
        await _signed_in(session, base_url)
        html = await page_text(session, f"{base_url}/tickets/{n}")
    new = re.search(r'<pre class="body">(.*?)</pre>', html, re.S)
    assert new is not None and new.group(1) == "It is still broken after the restart."
    folded = re.search(r'<details class="history">(.*?)</details>', html, re.S)
    assert folded is not None
    assert "quoted history and signature" in folded.group(1)
    assert "&gt; Please restart the phone system." in folded.group(1)
    assert "Example Corp, 1 Long Street" in folded.group(1)
    assert "oldest first" in html
    (attachment_id,) = (r[0] for r in query(gateway, "SELECT id FROM attachments"))
    link = f'href="/tickets/{n}/attachments/{attachment_id}" download>Prüfbericht _final_.html</a>'
    assert link in html
    assert "text/html, 37 bytes" in html
    assert re.search(r'<time datetime="[^"]+" class="viewer-zone"', html)


async def test_an_attachment_is_only_ever_a_download(gateway: Gateway, base_url: str) -> None:
    await send(gateway, with_attachment())
    await send(gateway, mail(subject="other", sender="Sam <sam@example.com>"))
    await settle(gateway)
    first, other = (r[0] for r in query(gateway, "SELECT number FROM tickets ORDER BY number"))
    (attachment_id,) = (r[0] for r in query(gateway, "SELECT id FROM attachments"))
    url = f"{base_url}/tickets/{first}/attachments/{attachment_id}"
    async with client() as session:
        async with session.get(url, allow_redirects=False) as response:
            assert response.status == 303  # no session: to the sign-in page
            assert response.headers["Location"].startswith("/login?")
        await _signed_in(session, base_url)
        async with session.get(url) as response:
            assert response.status == 200
            assert await response.read() == b"<script>alert('in the file')</script>"
            headers = response.headers
        assert headers["Content-Type"] == "application/octet-stream"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        disposition = headers["Content-Disposition"]
        assert disposition.startswith('attachment; filename="Pr_fbericht _final_.html"; ')
        assert unquote(disposition.split("filename*=UTF-8''")[1]) == "Prüfbericht _final_.html"
        # Another ticket's number with this attachment's id finds nothing.
        other_url = f"{base_url}/tickets/{other}/attachments/{attachment_id}"
        assert "has no attachment" in await page_text(session, other_url, 404)
        await page_text(session, f"{base_url}/tickets/{first}/attachments/999", 404)


async def test_an_attachment_over_the_limit_says_so(tmp_path: Path, clock: Any) -> None:
    from gateway.app import Gateway as Gw

    from ..gateway.gateway_harness import DefaultProposer, make_settings

    settings = make_settings(tmp_path, smtp__max_attachment_size=16)
    gw = Gw(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gw.start()
    try:
        await add_staff(gw, "agent@example.com")
        host, port = gw.http_address
        base = f"http://{host}:{port}"
        await send(gw, with_attachment())
        await settle(gw)
        n = newest(gw)
        (attachment_id,) = (r[0] for r in query(gw, "SELECT id FROM attachments"))
        async with client() as session:
            await _signed_in(session, base)
            html = await page_text(session, f"{base}/tickets/{n}")
            assert "(over the size limit: not kept)" in html
            assert f"/attachments/{attachment_id}" not in html
            text = await page_text(session, f"{base}/tickets/{n}/attachments/{attachment_id}", 410)
            assert "over the size limit" in text
    finally:
        await gw.stop()


async def test_html_view_is_sanitised_with_remote_images_blocked(
    gateway: Gateway, base_url: str
) -> None:
    await send(gateway, hostile_mail())
    await settle(gateway)
    n = newest(gateway)
    async with client() as session:
        await _signed_in(session, base_url)
        text_view = await page_text(session, f"{base_url}/tickets/{n}")
        assert "Please look (text version)" in text_view
        assert f'href="/tickets/{n}?view=html#thread"' in text_view
        async with session.get(f"{base_url}/tickets/{n}?view=html") as response:
            html = await response.text()
            assert response.status == 200
            assert (
                response.headers["Content-Security-Policy"]
                == (SECURITY_HEADERS["Content-Security-Policy"])
            )
        body = html.split('<div class="body html-body">')[1].split("</div>")[0]
        for gone in ("<script", "alert(", "onclick", "onerror", "<form", "<input", "<style",
                     "javascript:", "127.0.0.1:9/"):  # fmt: skip
            assert gone not in body, gone
        assert "<p>Please look</p>" in body
        assert "[remote image blocked (127.0.0.1)]" in body
        inline = re.search(r'<img src="(/tickets/\d+/messages/\d+/inline/\d+)" alt="logo">', body)
        assert inline is not None
        async with session.get(base_url + inline.group(1)) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "image/png"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert await response.read() == PNG
        # The multipart container is not an image; nor is a part of another ticket's mail.
        container = re.sub(r"/inline/\d+$", "/inline/0", inline.group(1))
        await page_text(session, base_url + container, 404)
        await page_text(session, f"{base_url}/tickets/{n}?view=source", 400)


async def test_the_csp_allows_no_remote_image_and_no_plugin() -> None:
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["img-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"


async def test_a_priority_change_from_the_browser_is_a_correction(
    gateway: Gateway, base_url: str
) -> None:
    await send(gateway, mail(subject="Phones are down", body="No dial tone since 9."))
    await settle(gateway)
    n = newest(gateway)
    before = query(gateway, "SELECT effective_priority FROM tickets")[0][0]
    target = "P1" if before != "P1" else "P2"
    async with client() as session:
        await _signed_in(session, base_url, "lead@example.com")
        csrf = _csrf(await page_text(session, f"{base_url}/tickets/{n}"))
        async with session.post(
            f"{base_url}/tickets/{n}/priority",
            data={"csrf": csrf, "priority": target, "reason": "The whole office is down"},
            allow_redirects=False,
        ) as response:
            assert response.status == 303, await response.text()
    rows = query(gateway, "SELECT * FROM corrections")
    assert [dict(r) for r in rows] == [
        {
            "id": 1,
            "ticket_number": n,
            "policy": rows[0]["policy"],
            "subject": "Phones are down",
            "body": "No dial tone since 9.",
            "old_priority": before,
            "new_priority": target,
            "reason": "The whole office is down",
            "created_at": rows[0]["created_at"],
        }
    ]


# -- voicemail ----------------------------------------------------------------------------


@pytest.fixture
async def phone_desk(
    tmp_path: Path,
    oncall_table: dict[str, Any],  # noqa: F811
    fake_twilio: FakeTwilio,  # noqa: F811
    twilio_env: None,  # noqa: F811
) -> AsyncIterator[tuple[Desk, str]]:
    async with running_desk(tmp_path, oncall_table, fake_twilio) as desk:
        await add_staff(desk.gw, "agent@example.com")
        host, port = desk.gw.http_address
        yield desk, f"http://{host}:{port}"


async def test_voicemail_shows_its_transcript_and_recording_link(
    phone_desk: tuple[Desk, str],
) -> None:
    desk, base = phone_desk
    heard = await desk.voicemail(1, "Our PBX lost every trunk at 3 am.")
    waiting = await desk.voicemail(2, None)
    # The desk's public URL is https, so its cookies are Secure: this loopback origin is trusted.
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base])
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        await _signed_in(session, base)
        html = await page_text(session, f"{base}/tickets/{heard}")
        assert '<p class="transcript-label">Transcript</p>' in html
        assert "Our PBX lost every trunk at 3 am." in html
        link = (
            f'<a href="https://api.twilio.com/Recordings/{"RE" + f"{1:032x}"}" target="_blank"'
            ' rel="noopener noreferrer">Listen to the recording</a> (42 s)'
        )
        assert link in html
        html = await page_text(session, f"{base}/tickets/{waiting}")
        assert '<p class="transcript-pending">Transcription pending.</p>' in html
        assert "Listen to the recording" in html


async def test_an_mms_shows_its_media_as_links_only(phone_desk: tuple[Desk, str]) -> None:
    desk, base = phone_desk
    media = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
    form = {
        "AccountSid": "AC1",
        "MessageSid": "MM" + "1" * 32,
        "From": "+12025550177",
        "To": "+12025550100",
        "Body": "Photo of the error on the handset",
        "NumMedia": "1",
        "MediaUrl0": media,
        "MediaContentType0": "image/jpeg",
    }
    status, text = await desk.phone.post("/sms/inbound", form)
    assert status in (200, 204), text
    await desk.settle()
    n = newest(desk.gw)
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base])
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        await _signed_in(session, base)
        html = await page_text(session, f"{base}/tickets/{n}")
    assert "Photo of the error on the handset" in html
    assert f'<a href="{media}" target="_blank" rel="noopener noreferrer">Media 1</a>' in html
    assert "<img" not in html
