"""The HTML view folds Outlook's quoted history ("From: … Sent: … To: …" under the new text,
or "-----Original Message-----") as the text view does: before, only `<blockquote>` history
(Gmail, Apple Mail, Thunderbird) was folded, and Outlook's was shown in full."""

from __future__ import annotations

from email.message import EmailMessage
from html.parser import HTMLParser

from gateway.parsing import parse_message
from gateway.web.thread import sanitise_html

FOLD = '<details class="history"><summary>Show the quoted history</summary>'
# Outlook for Windows, as it writes a reply (the styles and classes nh3 removes).
OUTLOOK = (
    '<html><body><div class="WordSection1">'
    '<p class="MsoNormal">Still no dial tone after the restart.</p>'
    '<p class="MsoNormal">&nbsp;</p>'
    '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in">'
    '<p class="MsoNormal"><b>From:</b> Demo Support &lt;support@localhost&gt;<br>'
    "<b>Sent:</b> Monday, November 23, 2026 9:14 AM<br>"
    "<b>To:</b> Pat Customer &lt;pat@example.com&gt;<br>"
    "<b>Subject:</b> [#1001] No dial tone</p></div>"
    '<p class="MsoNormal">We received your request and will respond by 10:14.</p>'
    "</div></body></html>"
)


def _clean(source: str) -> str:
    return str(sanitise_html(source, lambda cid: None))


VOID = frozenset({"br", "hr", "img", "wbr", "col"})


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag, f"</{tag}> closes nothing open"


def _balanced(markup: str) -> bool:
    parser = _Balance()
    parser.feed(markup)
    parser.close()
    return parser.open == []


def test_outlooks_from_sent_block_is_folded_with_everything_below_it() -> None:
    out = _clean(OUTLOOK)
    assert out == (
        "<div><p>Still no dial tone after the restart.</p><p>&nbsp;</p></div>"
        f"{FOLD}<div><div><p><b>From:</b> Demo Support &lt;support@localhost&gt;<br>"
        "<b>Sent:</b> Monday, November 23, 2026 9:14 AM<br>"
        "<b>To:</b> Pat Customer &lt;pat@example.com&gt;<br>"
        "<b>Subject:</b> [#1001] No dial tone</p></div>"
        "<p>We received your request and will respond by 10:14.</p></div></details>"
    )
    assert _balanced(out)


def test_the_fold_starts_where_the_text_view_cuts() -> None:
    # The same mail's text part: the text view keeps exactly the new line.
    mail = EmailMessage()
    mail["From"] = "pat@example.com"
    mail.set_content(
        "Still no dial tone after the restart.\n\nFrom: Demo Support <support@localhost>\n"
        "Sent: Monday, November 23, 2026 9:14 AM\nTo: Pat Customer <pat@example.com>\n"
        "Subject: [#1001] No dial tone\n\nWe received your request.\n"
    )
    mail.add_alternative(OUTLOOK, subtype="html")
    parsed = parse_message(mail.as_bytes())
    assert parsed.latest_text.strip() == "Still no dial tone after the restart."
    shown = _clean(parsed.html or "").split(FOLD)[0]
    assert "Still no dial tone" in shown and "From:" not in shown


def test_an_original_message_separator_is_folded() -> None:
    out = _clean(
        "<p>Hi, any news?</p><p>-----Original Message-----<br>From: Desk<br>"
        "Sent: Monday<br>To: Pat</p><p>old text</p>"
    )
    assert out == (
        f"<p>Hi, any news?</p>{FOLD}<p>-----Original Message-----<br>From: Desk<br>"
        "Sent: Monday<br>To: Pat</p><p>old text</p></details>"
    )


def test_a_forward_with_no_new_text_stays_shown_and_blockquotes_fold_as_before() -> None:
    forward = "<div><b>From:</b> x<br><b>Sent:</b> y<br><b>To:</b> z</div><p>forwarded</p>"
    assert "<details" not in _clean(forward)
    gmail = (
        "<div>Still broken.</div><div>On Mon, Pat wrote:<blockquote>Restart it</blockquote></div>"
    )
    assert _clean(gmail).count("<details") == 1
    assert f"{FOLD}<blockquote>" in _clean(gmail)
    # A header-like line inside the new text is only a fold when it is a header block.
    assert "<details" not in _clean("<p>Thanks</p><p>From: my phone</p>")
