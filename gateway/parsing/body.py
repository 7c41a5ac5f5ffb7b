"""Walking the MIME tree: the text bodies, the HTML, the attachments and what was wrong.

Text parts that are not attachments make the body: in a multipart/alternative the plain text
is preferred and the HTML kept alongside; parts of a multipart/mixed are read in order.
Everything else, inline images included, is an attachment. Nothing here raises: a part that
cannot be read is noted as a problem and the walk goes on.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from email import policy
from email.message import Message

from gateway.parsing.charset import decode_bytes
from gateway.parsing.headers import decode_text, fix_surrogates
from gateway.parsing.html_text import html_to_text

MAX_DEPTH = 40  # nesting beyond this is an attack or a loop, not a message
MAX_FILENAME_CHARS = 200
MAX_HTML_CHARS = 2_000_000  # converting more would hold the worker for seconds

_REPORT_PARTS = frozenset(
    {
        "message/delivery-status",
        "message/global-delivery-status",
        "message/disposition-notification",
        "message/global-disposition-notification",
    }
)
_EXTENSIONS = {
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/rfc822-headers": ".txt",
    "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "application/octet-stream": ".bin",
}
_UNSAFE_FILENAME_CHARS = re.compile(r'[<>:"|?*]')
_MIME_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]{1,64}/[a-z0-9!#$&^_.+-]{1,128}")
_LINE_ENDS = re.compile(r"\r\n?")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Serialising an embedded message must give back its own bytes, not refolded headers.
_AS_IS = policy.default.clone(refold_source="none")


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    content: bytes | None  # None when over the size limit (size is still recorded)


@dataclass(slots=True)
class Segment:
    """One stretch of body: its plain text, its HTML, or both (multipart/alternative)."""

    plain: str = ""
    html: str = ""

    def text(self) -> str:
        if self.plain.strip() or not self.html:
            return self.plain
        return html_to_text(self.html[:MAX_HTML_CHARS])


@dataclass(slots=True)
class Body:
    segments: list[Segment] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    delivery_report: bool = False

    def text(self) -> str:
        if any(not s.plain.strip() and len(s.html) > MAX_HTML_CHARS for s in self.segments):
            self.problems.append(
                f"HTML body over {MAX_HTML_CHARS} characters: only its start was turned into text"
            )
        texts = (segment.text().strip("\n") for segment in self.segments)
        return "\n\n".join(text for text in texts if text.strip())

    def html(self) -> str | None:
        parts = [segment.html for segment in self.segments if segment.html.strip()]
        return "\n".join(parts) if parts else None


def read_body(msg: Message, max_attachment_bytes: int, hint: str | None) -> Body:
    body = Body()
    _Walker(body, max_attachment_bytes, hint).walk(msg, 0)
    return body


class _Walker:
    def __init__(self, body: Body, max_attachment_bytes: int, hint: str | None) -> None:
        self.body = body
        self.limit = max_attachment_bytes
        self.hint = hint

    def walk(self, part: Message, depth: int) -> None:
        try:
            self._walk(part, depth)
        except Exception as exc:  # one unreadable part must not cost the rest
            self.body.problems.append(f"a MIME part could not be read ({_describe(exc)})")

    def _walk(self, part: Message, depth: int) -> None:
        ctype = _content_type(part)
        if ctype in _REPORT_PARTS or ctype == "multipart/report":
            self.body.delivery_report = True
        if ctype.startswith("message/") or not part.is_multipart():
            self._leaf(part, ctype)
        elif depth >= MAX_DEPTH:
            self.body.problems.append(f"MIME nesting deeper than {MAX_DEPTH}: read as flat parts")
            for leaf in _leaves(part):
                self._leaf(leaf, _content_type(leaf))
        elif ctype == "multipart/alternative":
            self._alternative(part, depth)
        else:
            for child in _children(part):
                self.walk(child, depth + 1)

    def _leaf(self, part: Message, ctype: str) -> None:
        if ctype.startswith("multipart/"):
            ctype = "text/plain"  # a multipart without parts: its text is all there is
        if ctype in ("text/plain", "text/html") and not _is_attachment(part):
            text = self._text(part, ctype)
            segment = Segment(plain=text) if ctype == "text/plain" else Segment(html=text)
            self.body.segments.append(segment)
        else:
            self._attachment(part, ctype)

    def _alternative(self, part: Message, depth: int) -> None:
        """The first non-empty plain text and the last HTML (the richest, per RFC 2046)."""
        chosen = Segment()
        for child in _children(part):
            sub = Body(attachments=self.body.attachments, problems=self.body.problems)
            _Walker(sub, self.limit, self.hint).walk(child, depth + 1)
            self.body.delivery_report |= sub.delivery_report
            plain = "\n\n".join(s.plain for s in sub.segments if s.plain.strip())
            html = "\n".join(s.html for s in sub.segments if s.html.strip())
            if plain and not chosen.plain:
                chosen.plain = plain
            if html:
                chosen.html = html
        self.body.segments.append(chosen)

    def _text(self, part: Message, ctype: str) -> str:
        data = _payload(part)
        decoded = decode_bytes(data, _charset(part), f"{ctype} part")
        if decoded.problem:
            self.body.problems.append(decoded.problem)
        text = _TEXT_CONTROL.sub("", _LINE_ENDS.sub("\n", decoded.text))
        if ctype == "text/plain" and _param(part, "format").lower() == "flowed":
            text = unflow(text, delsp=_param(part, "delsp").lower() == "yes")
        return text

    def _attachment(self, part: Message, ctype: str) -> None:
        content = _embedded_messages(part) if part.is_multipart() else _payload(part)
        number = len(self.body.attachments) + 1
        name = self._filename(part, ctype, number)
        size = len(content)
        if size > self.limit:
            self.body.problems.append(
                f"attachment {name!r} over the {_size_text(self.limit)} limit: not stored"
            )
            self.body.attachments.append(Attachment(name, ctype, size, None))
        else:
            self.body.attachments.append(Attachment(name, ctype, size, content))

    def _filename(self, part: Message, ctype: str, number: int) -> str:
        try:
            raw = part.get_filename()
        except Exception:
            raw = None
        name = ""
        if isinstance(raw, str) and raw:
            name = fix_surrogates(raw, "attachment filename", self.body.problems, self.hint)
            name = decode_text(name, "filename", self.body.problems, self.hint)
        return sanitise_filename(name) or f"attachment-{number}{_extension(ctype)}"


def unflow(text: str, delsp: bool) -> str:
    """RFC 3676 format=flowed: soft line breaks (a trailing space) joined, stuffing removed."""
    out: list[str] = []
    joining = False
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        quote = ">" * depth
        if joining and out and out[-1].startswith(quote) and _depth(out[-1]) == depth:
            out[-1] += content
        else:
            out.append(f"{quote} {content}" if depth else content)
        joining = content.endswith(" ") and content != "-- "
        if joining and delsp:
            out[-1] = out[-1][:-1]
    return "\n".join(out)


def _depth(line: str) -> int:
    return len(line) - len(line.lstrip(">"))


def sanitise_filename(name: str) -> str:
    """A filename safe to show and to store: no directories, controls or reserved characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(_UNSAFE_FILENAME_CHARS.sub("_", name).split()).strip(". ")
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_FILENAME_CHARS - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_FILENAME_CHARS]
    return name


def _leaves(part: Message) -> list[Message]:
    """The non-multipart parts under `part`, in order, without recursion."""
    leaves, stack = [], [part]
    while stack:
        current = stack.pop()
        if current.is_multipart() and not _content_type(current).startswith("message/"):
            stack.extend(reversed(_children(current)))
        else:
            leaves.append(current)
    return leaves


def _children(part: Message) -> list[Message]:
    payload = part.get_payload()
    return (
        [child for child in payload if isinstance(child, Message)]
        if isinstance(payload, list)
        else []
    )


def _content_type(part: Message) -> str:
    try:
        ctype = part.get_content_type()
    except Exception:
        return "text/plain"
    return ctype if _MIME_TYPE.fullmatch(ctype) else "application/octet-stream"


def _is_attachment(part: Message) -> bool:
    try:
        if part.get_content_disposition() == "attachment":
            return True
        return bool(part.get_filename())
    except Exception:
        return False


def _param(part: Message, name: str) -> str:
    try:
        value = part.get_param(name)
    except Exception:
        return ""
    return value if isinstance(value, str) else ""


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:
        return _param(part, "charset") or None


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _embedded_messages(part: Message) -> bytes:
    """The bytes of a message/rfc822 part (or the field blocks of a delivery-status part)."""
    return b"".join(_serialise(child) for child in _children(part))


def _serialise(msg: Message) -> bytes:
    try:
        return msg.as_bytes(policy=_AS_IS)
    except Exception:
        return str(msg).encode("utf-8", "surrogateescape")


def _extension(ctype: str) -> str:
    return _EXTENSIONS.get(ctype) or mimetypes.guess_extension(ctype) or ".bin"


def _size_text(size: int) -> str:
    if size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MiB"
    if size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size} bytes"


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
