"""Customer messages as the ticket page shows them. Pure: stored rows and raw bytes in, text
and sanitised markup out.

Text is the default: the newest reply of each message (`latest_text`, quoted history and
signature already taken off by gateway/parsing/reply.py), with the whole message folded behind
it. The HTML part, when asked for, is parsed on demand from the raw mail the inbox keeps and
cleaned by nh3 (the Ammonia sanitiser) to an allow-list of harmless tags: no scripts, styles,
forms, frames or event handlers, links that open in a new tab without a referrer, and no
remote content: an image from the web is replaced by a "remote image blocked" placeholder (a
tracker learns nothing), an inline `cid:` image of a raster type is served by our own route.
The page's Content-Security-Policy (no inline script, `img-src 'self'`) is the second wall.
Quoted history is folded in the HTML too: `<blockquote>`s (`fold_quotes`), and Outlook's
"From: … Sent: …" block or "Original Message" line (`fold_history`, by the text view's rule).
"""

from __future__ import annotations

import email
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email import policy as email_policy
from email.message import Message as MimePart
from urllib.parse import urlsplit

import nh3
from markupsafe import Markup

from gateway.parsing.message import parse_message
from gateway.parsing.reply import history_start
from gateway.store.content import StoredAttachment
from gateway.store.records import Message
from gateway.store.voice import Voicemail

# Block and inline elements of ordinary mail. Nothing that runs, loads, submits or embeds.
ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "acronym", "address", "b", "bdi", "bdo", "big", "blockquote", "br",
        "caption", "center", "cite", "code", "col", "colgroup", "dd", "del", "dfn", "div", "dl",
        "dt", "em", "figcaption", "figure", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
        "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small",
        "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
        "thead", "time", "tr", "tt", "u", "ul", "var", "wbr",
    }
)  # fmt: skip
# No `style`, `class` or `id` (customer CSS could restyle or overlay our page), no `on*`.
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align", "valign"},
    "th": {"colspan", "rowspan", "align", "valign", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "reversed", "type"},
    "abbr": {"title"},
    "time": {"datetime"},
}
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
# Images a browser decodes as pictures and nothing else (not SVG: it can carry script).
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
BLOCKED_REMOTE = "remote image blocked"
BLOCKED_OTHER = "image not shown"

# nh3 serialises every attribute as name="value" with `"` escaped, so this reads its output
# exactly (a `>` inside a value is inside the quotes).
_IMG = re.compile(r'<img((?:\s+[^\s="/>]+(?:="[^"]*")?)*)\s*/?>')
_ATTR = re.compile(r'([^\s="/>]+)(?:="([^"]*)")?')
_BLOCKQUOTE = re.compile(r'<(/)?blockquote(?:\s+[^\s="/>]+(?:="[^"]*")?)*\s*>')
QUOTED_SUMMARY = "Show the quoted history"
# Any tag of nh3's output (see `_IMG`), and the tags after which a browser starts a new line.
_TAG = re.compile(r'<(/)?([A-Za-z][A-Za-z0-9]*)(?:\s+[^\s="/>]+(?:="[^"]*")?)*\s*/?>')
_LINE_BREAKS = frozenset(
    {"address", "br", "blockquote", "dd", "div", "dl", "dt", "figure", "h1", "h2", "h3", "h4",
     "h5", "h6", "hr", "li", "ol", "p", "pre", "table", "tr", "ul"}
)  # fmt: skip
_VOID = frozenset({"br", "col", "hr", "img", "wbr"})


@dataclass(frozen=True, slots=True)
class ShownText:
    """A message's text: what is new in it, and the whole of it when that holds more."""

    new: str
    whole: str | None  # with quoted history and signature; None when nothing was taken off

    @property
    def folded_lines(self) -> int:
        return 0 if self.whole is None else self.whole.count("\n") + 1


def shown_text(message: Message) -> ShownText:
    whole = message.body_text.strip("\n")
    new = message.latest_text.strip("\n") or whole
    return ShownText(new=new, whole=whole if whole.strip() != new.strip() else None)


@dataclass(frozen=True, slots=True)
class VoicemailView:
    state: str  # received | pending | failed | none
    status_text: str  # what the page says in place of a transcript, or ""
    recording_url: str | None  # only an http(s) URL
    duration: int | None


_TRANSCRIPT_STATES = {
    "pending": ("pending", "Transcription pending."),
    "failed": ("failed", "Transcription failed."),
    "timed-out": ("failed", "Transcription failed: none arrived in time."),
    "none": ("none", "No transcription: there was no recording to transcribe."),
}


def voicemail_view(voicemail: Voicemail, transcript: str) -> VoicemailView:
    if transcript.strip():
        state, text = "received", ""
    else:
        state, text = _TRANSCRIPT_STATES.get(
            voicemail.transcript_state, ("failed", "Transcription failed.")
        )
    return VoicemailView(
        state=state,
        status_text=text,
        recording_url=web_url(voicemail.recording_url),
        duration=voicemail.duration,
    )


def web_url(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) URL, else None (never a javascript: link)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


# -- HTML ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HtmlPart:
    html: str | None  # the message's HTML as sent (None when it has no HTML part)
    inline: dict[str, int]  # Content-ID (no angle brackets) -> index of its raster image part


def html_part(raw: bytes) -> HtmlPart:
    """The HTML of a raw message and where its inline images are, by their Content-ID."""
    html_text = parse_message(raw).html
    inline: dict[str, int] = {}
    for index, part in enumerate(_parts(raw)):
        cid = _content_id(part)
        if cid and _content_type(part) in INLINE_IMAGE_TYPES:
            inline.setdefault(cid, index)
    return HtmlPart(html=html_text, inline=inline)


def inline_image(raw: bytes, index: int) -> tuple[str, bytes] | None:
    """The content type and bytes of the raster image part at `index`, or None."""
    for number, part in enumerate(_parts(raw)):
        if number == index:
            ctype = _content_type(part)
            if ctype not in INLINE_IMAGE_TYPES:
                return None
            try:
                data = part.get_payload(decode=True)
            except Exception:
                return None
            return (ctype, data) if isinstance(data, bytes) else None
    return None


def _parts(raw: bytes) -> list[MimePart]:
    try:
        return list(email.message_from_bytes(raw, policy=email_policy.default).walk())
    except Exception:  # the parser's worst case (absurd nesting): no inline images then
        return []


def _content_id(part: MimePart) -> str:
    try:
        value = str(part.get("Content-ID", "") or "")
    except Exception:
        return ""
    return value.strip().strip("<>").strip()


def _content_type(part: MimePart) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


def sanitise_html(source: str, inline_src: Callable[[str], str | None]) -> Markup:
    """Customer HTML made inert. `inline_src` gives our URL for a `cid:` image, or None."""
    cleaned = nh3.clean(
        source,
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "cid"},
        attribute_filter=_attribute,
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )
    imaged = _IMG.sub(lambda m: _image(m.group(1), inline_src), cleaned)
    return Markup(fold_quotes(fold_history(imaged)))


def fold_history(cleaned: str) -> str:
    """Quoted history that is not a `<blockquote>` (Outlook's "From: … Sent: … To: …" block,
    "-----Original Message-----") folded into a `<details>` from where it starts to the end.

    Where it starts is the text view's rule (`gateway.parsing.reply.history_start`) applied
    to the HTML's text, line by line as a browser breaks it. The fold starts at the outermost
    element that begins there; the elements still open at that point are closed before the
    `<details>` and opened again inside it, so the markup stays balanced however deep it is.
    History that has a `<blockquote>` (Gmail, Apple Mail, Thunderbird) is `fold_quotes`'s;
    a message that is all history (a forward) keeps it shown, as the text view does.
    """
    lines: list[str] = [""]
    # Where each line starts: its offset, the elements open there, visible characters before.
    starts: list[tuple[int, list[tuple[str, int, int]]]] = [(0, [])]
    stack: list[tuple[str, int, int]] = []  # (opening tag, its offset, visible chars before)
    visible = 0
    position = 0
    for tag in _TAG.finditer(cleaned):
        text = html.unescape(cleaned[position : tag.start()])
        lines[-1] += text
        visible += len("".join(text.split()))
        position = tag.end()
        name = tag.group(2).lower()
        if tag.group(1) is not None:  # a closing tag: nh3's output is balanced
            if stack and _name(stack[-1][0]) == name:
                stack.pop()
            if name in _LINE_BREAKS:
                lines.append("")
                starts.append((tag.end(), list(stack)))
            continue
        if name in _LINE_BREAKS:
            lines.append("")
            starts.append((tag.start(), list(stack)))
        if name not in _VOID:
            stack.append((tag.group(0), tag.start(), visible))
    lines[-1] += html.unescape(cleaned[position:])
    first = history_start(lines)
    if first >= len(lines):
        return cleaned
    at, open_elements = starts[first]
    before = _visible_before(cleaned, at)
    if before == 0 or "<blockquote" in cleaned[at:]:
        return cleaned
    while open_elements and open_elements[-1][2] == before:
        at = open_elements.pop()[1]  # nothing shown in it before the history: fold it whole
    closes = "".join(f"</{_name(opening)}>" for opening, _, _ in reversed(open_elements))
    reopens = "".join(opening for opening, _, _ in open_elements)
    return (
        f"{cleaned[:at]}{closes}"
        f'<details class="history"><summary>{QUOTED_SUMMARY}</summary>'
        f"{reopens}{cleaned[at:]}</details>"
    )


def _visible_before(cleaned: str, at: int) -> int:
    """How many visible characters (not tags, not whitespace) come before offset `at`."""
    return len("".join(html.unescape(_TAG.sub("", cleaned[:at])).split()))


def _name(opening: str) -> str:
    match = _TAG.match(opening)
    return match.group(2).lower() if match else ""


def fold_quotes(cleaned: str) -> str:
    """Every outermost `<blockquote>` (the quoted history of Gmail, Apple Mail, Thunderbird)
    folded into a `<details>`, like the text view's. Reads nh3's output, in which a `<` in
    text is always escaped, so the tags found are exactly the elements."""
    out: list[str] = []
    depth = 0
    position = 0
    for tag in _BLOCKQUOTE.finditer(cleaned):
        out.append(cleaned[position : tag.start()])
        position = tag.end()
        if tag.group(1) is None:  # an opening tag
            if depth == 0:
                out.append(f'<details class="history"><summary>{QUOTED_SUMMARY}</summary>')
            depth += 1
            out.append(tag.group(0))
        elif depth > 0:
            depth -= 1
            out.append(tag.group(0))
            if depth == 0:
                out.append("</details>")
    out.append(cleaned[position:])
    out.extend("</blockquote>" for _ in range(depth))  # never in nh3's balanced output
    if depth:
        out.append("</details>")
    return "".join(out)


def _attribute(tag: str, name: str, value: str) -> str | None:
    if tag == "a" and name == "href":
        # Only absolute web and mail links: a relative one would point into the workspace.
        scheme = urlsplit(value.strip()).scheme.lower() if value.strip() else ""
        return value if scheme in LINK_SCHEMES else None
    return value


def _image(attributes: str, inline_src: Callable[[str], str | None]) -> str:
    attrs = {name.lower(): html.unescape(value or "") for name, value in _ATTR.findall(attributes)}
    src = attrs.get("src", "").strip()
    alt = attrs.get("alt", "").strip()
    if src.lower().startswith("cid:"):
        ours = inline_src(src[4:].strip().strip("<>"))
        if ours is not None:
            kept = [(k, v) for k, v in attrs.items() if k in ("alt", "width", "height")]
            return (
                "<img"
                + "".join(f' {k}="{html.escape(v)}"' for k, v in [("src", ours), *kept])
                + ">"
            )
        return _placeholder(BLOCKED_OTHER, alt)
    host = urlsplit(src).hostname if src else None
    if host:
        return _placeholder(f"{BLOCKED_REMOTE} ({host})", alt)
    return _placeholder(BLOCKED_OTHER, alt)


def _placeholder(text: str, alt: str) -> str:
    label = f"{text}: {alt}" if alt else text
    return f'<span class="blocked-image">[{html.escape(label)}]</span>'


# -- the thread ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShownMessage:
    message: Message
    text: ShownText
    attachments: Sequence[StoredAttachment]
    voicemail: VoicemailView | None
    html: Markup | None  # sanitised, when the HTML view was asked for and there is HTML
    html_missing: bool  # the HTML view was asked for but the message has no HTML part
    media: tuple[str, ...] = ()  # an MMS's media: links to the carrier's copies, never loaded


def mms_media(message: Message) -> tuple[str, ...]:
    """The http(s) URLs of a text's media (Twilio's MediaUrl0, MediaUrl1, ...), in order."""
    if message.channel != "sms":
        return ()
    keys = sorted(
        (k for k in message.meta if k.startswith("MediaUrl") and k[8:].isdigit()),
        key=lambda k: int(k[8:]),
    )
    return tuple(url for k in keys if (url := web_url(str(message.meta[k]))) is not None)


def show_thread(
    number: int,
    messages: Sequence[Message],
    attachments: Sequence[StoredAttachment],
    voicemails: dict[int, Voicemail],
    raws: dict[int, bytes] | None,
) -> list[ShownMessage]:
    """The ticket's messages oldest first (the newest last, next to the reply box).

    `raws` (message id -> raw mail) is given for the HTML view only; without it no HTML is
    parsed, so the default text view costs no MIME work.
    """
    by_message: dict[int, list[StoredAttachment]] = {}
    for attachment in attachments:
        by_message.setdefault(attachment.message_id, []).append(attachment)
    shown = []
    for m in messages:
        sanitised, missing = None, False
        if raws is not None and m.channel == "email" and m.direction == "in":
            raw = raws.get(m.id)
            part = html_part(raw) if raw is not None else None
            if part is not None and part.html is not None:
                sanitised = sanitise_html(part.html, _inline_route(number, m.id, part.inline))
            else:
                missing = True
        voicemail = voicemails.get(m.id)
        shown.append(
            ShownMessage(
                message=m,
                text=shown_text(m),
                attachments=by_message.get(m.id, ()),
                voicemail=voicemail_view(voicemail, m.body_text) if voicemail else None,
                html=sanitised,
                html_missing=missing,
                media=mms_media(m),
            )
        )
    return shown


def _inline_route(
    number: int, message_id: int, inline: dict[str, int]
) -> Callable[[str], str | None]:
    def route(cid: str) -> str | None:
        index = inline.get(cid)
        if index is None:
            return None
        return f"/tickets/{number}/messages/{message_id}/inline/{index}"

    return route
