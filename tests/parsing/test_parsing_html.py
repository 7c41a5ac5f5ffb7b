"""HTML mail into readable text."""

from __future__ import annotations

import pytest

from gateway.parsing import body, parse_message
from gateway.parsing.html_text import html_to_text

from .parsing_mail import mail, multipart, part


def test_paragraphs_breaks_and_inline_markup() -> None:
    html = "<p>Hello <b>world</b>,</p><p>second\n   paragraph<br>new line</p>"
    assert html_to_text(html) == "Hello world,\n\nsecond paragraph\nnew line"


def test_entities_are_decoded() -> None:
    html = (
        "<p>Tom&nbsp;&amp;&nbsp;Jerry &lt;3 &eacute;t&eacute; &#8364;5 &#x2014; &quot;ok&quot;</p>"
    )
    assert html_to_text(html) == 'Tom & Jerry <3 été €5 — "ok"'


def test_scripts_styles_and_head_are_dropped() -> None:
    html = (
        "<html><head><title>Newsletter</title><style>p { color: red }</style>"
        "<script>var x = '<p>no</p>';</script></head>"
        "<body><!-- a comment --><p>Visible</p><script>alert(1)</script>"
        "<noscript>enable js</noscript></body></html>"
    )
    assert html_to_text(html) == "Visible"


def test_lists() -> None:
    html = "<p>Steps:</p><ol><li>Open</li><li>Close<ul><li>nested</li></ul></li></ol><ul><li>a</li></ul>"
    assert html_to_text(html) == "Steps:\n\n1. Open\n2. Close\n  - nested\n\n- a"


def test_links_show_their_target() -> None:
    html = (
        '<p>See <a href="https://status.example.com/incident/1">the status page</a>, '
        '<a href="https://example.com">https://example.com</a>, '
        '<a href="mailto:ops@example.com">ops@example.com</a>, '
        '<a href="#top">top</a> and <a href="javascript:void(0)">this</a>.</p>'
    )
    assert html_to_text(html) == (
        "See the status page (https://status.example.com/incident/1), https://example.com, "
        "ops@example.com, top and this."
    )


def test_tables_become_rows_of_cells() -> None:
    html = (
        "<table><tr><th>Host</th><th>Status</th></tr>"
        "<tr><td>db1</td><td>down</td></tr><tr><td>web1</td><td>up</td></tr></table><p>after</p>"
    )
    assert html_to_text(html) == "Host | Status\ndb1 | down\nweb1 | up\n\nafter"


def test_images_show_alt_text() -> None:
    assert html_to_text('<p>Logo: <img src="cid:1" alt="ACME"> <img src="x"></p>') == "Logo: [ACME]"


def test_preformatted_text_keeps_its_layout() -> None:
    assert html_to_text("<pre>a  b\n   c</pre>") == "a  b\n   c"


def test_blockquotes_are_quoted() -> None:
    html = "<p>New</p><blockquote><p>old</p><blockquote>older</blockquote></blockquote>"
    assert html_to_text(html) == "New\n\n> old\n\n> > older"


def test_malformed_html_does_not_raise() -> None:
    for html in (
        "<![if !mso]>x<![endif]>",
        "<p>unclosed <b>bold",
        "</p></div>stray",
        "<a<a<a",
        "<",
    ):
        assert isinstance(html_to_text(html), str)
    assert html_to_text("<p>unclosed <b>bold") == "unclosed bold"


def test_hostile_markup_is_linear() -> None:
    # Unclosed "<" made HTMLParser rescan the whole input for each one (hours for 1 MB).
    assert html_to_text("<a" * 200_000).startswith("<a<a")


def test_html_only_message() -> None:
    raw = mail(
        "<html><body><div>Our <b>VPN</b> is down&hellip;</div><div><br></div>"
        "<div>Regards,<br>Jane</div></body></html>",
        content_type="text/html; charset=utf-8",
    )
    parsed = parse_message(raw)
    assert parsed.body_text == "Our VPN is down…\nRegards,\nJane"
    assert parsed.html is not None and parsed.html.startswith("<html>")


def test_alternative_prefers_plain_but_keeps_html() -> None:
    raw = multipart(
        "alternative",
        part("text/plain; charset=utf-8", "Plain version"),
        part("text/html; charset=utf-8", "<p>HTML version</p>"),
    )
    parsed = parse_message(raw)
    assert parsed.body_text == "Plain version"
    assert parsed.html == "<p>HTML version</p>"


def test_alternative_with_empty_plain_uses_html() -> None:
    raw = multipart(
        "alternative",
        part("text/plain; charset=utf-8", "\r\n"),
        part("text/html; charset=utf-8", "<p>Only here</p>"),
    )
    assert parse_message(raw).body_text == "Only here"


def test_related_html_with_inline_image() -> None:
    related = (
        b'Content-Type: multipart/related; boundary="REL"\r\n\r\n'
        b"--REL\r\n"
        + part("text/html; charset=utf-8", '<p>Screenshot: <img src="cid:shot" alt="error"></p>')
        + b"\r\n--REL\r\n"
        + part(
            "image/png",
            "iVBORw0KGgo=",
            "Content-Transfer-Encoding: base64",
            "Content-ID: <shot>",
            "Content-Disposition: inline",
        )
        + b"\r\n--REL--"
    )
    raw = multipart("alternative", part("text/plain", "Screenshot attached"), related)
    parsed = parse_message(raw)
    assert parsed.body_text == "Screenshot attached"
    assert parsed.html == '<p>Screenshot: <img src="cid:shot" alt="error"></p>'
    assert [(a.filename, a.content_type, a.size) for a in parsed.attachments] == [
        ("attachment-1.png", "image/png", 8)
    ]


def test_huge_html_is_cut_and_noted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(body, "MAX_HTML_CHARS", 40)
    raw = mail("<p>" + "word " * 100 + "</p>", content_type="text/html; charset=utf-8")
    parsed = parse_message(raw)
    assert parsed.body_text == "word " * 7 + "wo"  # cut at 40 characters of markup
    assert "HTML body over 40 characters: only its start was turned into text" in parsed.problems
