"""parse_message: raw RFC 5322 bytes into a ParsedMessage, for any bytes whatsoever.

The email package (policy.default semantics) does the MIME work; everything it can get wrong
(charsets, headers its parser chokes on, broken structure) is caught per header and per part,
recorded in `problems`, and worked around, so that malformed mail still becomes a ticket.
"""

from __future__ import annotations

import email
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import errors, policy
from email.headerregistry import HeaderRegistry
from email.message import Message
from email.parser import BytesParser
from typing import Any, NamedTuple

from gateway.parsing import headers as hdr
from gateway.parsing.body import Attachment, read_body
from gateway.parsing.charset import decode_guessing
from gateway.parsing.declared import declared_hints
from gateway.parsing.reply import latest_reply

__all__ = ["Attachment", "ParsedMessage", "parse_message"]

DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_PROBLEMS = 50

AUTO_HEADERS = (
    "auto-submitted",
    "precedence",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "list-id",
    "list-unsubscribe",
    "return-path",
    "content-type",
)
_STRUCTURE_HEADERS = frozenset({"content-type", "content-transfer-encoding", "content-disposition"})
_CHARSET_HINT = re.compile(rb"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]{2,40})", re.I)


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    message_id: str | None = None  # without angle brackets or whitespace
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    from_addr: str = ""  # lower-cased; "" if the message has none
    from_name: str = ""
    reply_to: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str = ""
    date: datetime | None = None  # aware
    body_text: str = ""  # the whole readable text
    latest_text: str = ""  # the newest reply, without quoted history and signature
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    declared_hints: tuple[str, ...] = ()  # raw, most significant first; the policy maps them
    auto_headers: dict[str, str] = field(default_factory=dict, hash=False)  # lower-case names
    is_delivery_report: bool = False
    problems: tuple[str, ...] = ()
    content_hash: str = ""  # sha256 of the raw bytes
    headers: tuple[tuple[str, str], ...] = ()  # every header, decoded for display

    @property
    def referenced_ids(self) -> tuple[str, ...]:
        """In-Reply-To then References, without duplicates: what threading looks up."""
        return tuple(dict.fromkeys(self.in_reply_to + self.references))


def parse_message(
    raw: bytes, *, max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES
) -> ParsedMessage:
    """Parse `raw`; never raises. What could not be understood is listed in `problems`."""
    try:
        data = bytes(raw)
    except Exception:
        data = str(raw).encode("utf-8", "surrogateescape")
    try:
        return _parse(data, max_attachment_bytes)
    except Exception as exc:  # the last line of defence: keep the raw text as the body
        return _unparsed(data, exc)


class _HeaderFactory:
    """policy.default's header registry, memoised per message and never raising.

    The feedparser re-reads Content-Type a dozen times per part and the registry re-parses it
    each time; memoising per message (no state outlives the parse) makes parsing three times
    faster. The MIME structure headers are kept as plain strings: every Message method used
    here reads them as strings (parameters through the RFC 2231-aware legacy parser), and
    their structured parse alone would double the time of a typical parse. A value the
    registry cannot parse is kept as the plain string too.
    """

    def __init__(self) -> None:
        self._registry = HeaderRegistry()
        self._cache: dict[tuple[str, str], Any] = {}

    def __call__(self, name: str, value: str) -> Any:
        lower = name.lower()
        if lower in _STRUCTURE_HEADERS:
            return value
        key = (lower, value)
        header = self._cache.get(key)
        if header is None:
            try:
                header = self._registry(name, value)
            except Exception:
                header = value
            self._cache[key] = header
        return header

    def __getitem__(self, name: str) -> Any:
        return self._registry[name]

    def addresses(self, name: str, value: str) -> list[tuple[str, str]]:
        header = self(name, value)
        return [(a.display_name, a.addr_spec) for a in getattr(header, "addresses", ())]


def _parse(raw: bytes, max_attachment_bytes: int) -> ParsedMessage:
    factory = _HeaderFactory()
    msg, problems = _message(raw, policy.default.clone(header_factory=factory))
    hint_match = _CHARSET_HINT.search(raw, 0, 64 * 1024)
    hint = hint_match.group(1).decode("ascii") if hint_match else None
    raw_headers = _raw_headers(msg)
    first: dict[str, str] = {}
    for name, value in raw_headers:
        first.setdefault(name.lower(), value)
    subject = hdr.decode_text(first.get("subject", ""), "Subject", problems, hint)
    people = _people(first, factory, problems, hint)
    date = hdr.parse_date(first.get("date"))
    if date is None and first.get("date", "").strip():
        problems.append(f"Date header not understood: {_short(first['date'])!r}")

    body = read_body(msg, max_attachment_bytes, hint)
    body_text = body.text()
    if not body_text.strip() and not body.attachments:
        body.problems.append("message has no body")
    latest = latest_reply(body_text)
    display = tuple((name, hdr.decode_text(value, name, [], hint)) for name, value in raw_headers)
    decoded: dict[str, str] = {}
    for name, value in display:
        decoded.setdefault(name.lower(), value)
    # Decoding the parts is what reveals bad base64 and the like, so defects are read last.
    problems = _defects(msg) + problems + body.problems

    return ParsedMessage(
        message_id=hdr.message_id(first.get("message-id")),
        in_reply_to=hdr.message_ids(first.get("in-reply-to", "")),
        references=hdr.message_ids(first.get("references", "")),
        from_addr=people.from_addr,
        from_name=people.from_name,
        reply_to=people.reply_to,
        to=people.to,
        cc=people.cc,
        subject=subject,
        date=date,
        body_text=body_text,
        latest_text=latest,
        html=body.html(),
        attachments=tuple(body.attachments),
        declared_hints=declared_hints(subject, latest, decoded),
        auto_headers={k: decoded[k] for k in AUTO_HEADERS if k in decoded},
        is_delivery_report=body.delivery_report,
        problems=_unique(problems),
        content_hash=hashlib.sha256(raw).hexdigest(),
        headers=display,
    )


def _message(raw: bytes, mail_policy: policy.Policy) -> tuple[Message, list[str]]:
    try:
        return email.message_from_bytes(raw, policy=mail_policy), []
    except Exception as exc:  # e.g. RecursionError on absurd nesting: keep headers, flat body
        msg = BytesParser(policy=mail_policy).parsebytes(raw, headersonly=True)
        return msg, [f"MIME structure could not be parsed ({_describe(exc)}); body read as text"]


class _People(NamedTuple):
    from_addr: str
    from_name: str
    reply_to: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]


def _people(
    first: dict[str, str], factory: _HeaderFactory, problems: list[str], hint: str | None
) -> _People:
    senders = _addresses(first, ("from", "sender"), factory, problems, hint)
    if not senders:
        problems.append("no sender address (From header missing or unreadable)")
    from_name, from_addr = senders[0] if senders else ("", "")
    reply_to = _addresses(first, ("reply-to",), factory, problems, hint)
    return _People(
        from_addr=from_addr,
        from_name=from_name,
        reply_to=reply_to[0][1] if reply_to else None,
        to=tuple(a for _, a in _addresses(first, ("to",), factory, problems, hint)),
        cc=tuple(a for _, a in _addresses(first, ("cc",), factory, problems, hint)),
    )


def _raw_headers(msg: Message) -> list[tuple[str, str]]:
    out = []
    for name, value in msg.raw_items():
        out.append((str(name), value if isinstance(value, str) else str(value)))
    return out


def _addresses(
    first: dict[str, str],
    names: tuple[str, ...],
    factory: _HeaderFactory,
    problems: list[str],
    hint: str | None,
) -> list[tuple[str, str]]:
    """The addresses of the first of `names` that has any."""
    for name in names:
        value = first.get(name)
        if value is None:
            continue

        def parse(text: str, name: str = name) -> list[tuple[str, str]]:
            return factory.addresses(name, text)

        found = hdr.addresses(value, name.title(), parse, problems, hint)
        if found:
            return found
        if value.strip():
            problems.append(f"{name.title()} header has no readable address: {_short(value)!r}")
    return []


_DEFECT_TEXT: dict[type[errors.MessageDefect], str] = {
    errors.NoBoundaryInMultipartDefect: "multipart message without a boundary; read as text",
    errors.StartBoundaryNotFoundDefect: "multipart boundary never appears; read as text",
    errors.CloseBoundaryNotFoundDefect: "closing multipart boundary missing (truncated?)",
    errors.FirstHeaderLineIsContinuationDefect: "first header line is a continuation line",
    errors.MisplacedEnvelopeHeaderDefect: "envelope 'From ' line inside the headers",
    errors.MissingHeaderBodySeparatorDefect: "a line in the headers is not a header; "
    "the rest was read as body",
    errors.MultipartInvariantViolationDefect: "declared multipart but has no parts",
    errors.InvalidMultipartContentTransferEncodingDefect: "multipart with an invalid "
    "Content-Transfer-Encoding",
    errors.InvalidBase64PaddingDefect: "base64 with bad padding",
    errors.InvalidBase64CharactersDefect: "base64 with invalid characters",
    errors.InvalidBase64LengthDefect: "base64 of impossible length (truncated?)",
    errors.UndecodableBytesDefect: "undecodable bytes",
}


def _defects(msg: Message) -> list[str]:
    problems = []
    for part in _all_parts(msg):
        for defect in getattr(part, "defects", ()):
            text = _DEFECT_TEXT.get(type(defect)) or str(defect) or type(defect).__name__
            problems.append(f"MIME structure defective: {text}")
    return problems


def _all_parts(msg: Message) -> Iterator[Message]:
    stack = [msg]
    while stack:
        part = stack.pop()
        yield part
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend(child for child in reversed(payload) if isinstance(child, Message))


def _unparsed(raw: bytes, exc: Exception) -> ParsedMessage:
    text = ""
    try:
        text = decode_guessing(raw).text.replace("\r\n", "\n").replace("\x00", "")
    except Exception:
        text = raw.decode("utf-8", "replace")
    return ParsedMessage(
        body_text=text,
        latest_text=text,
        problems=(f"message could not be parsed ({_describe(exc)}); the raw text is the body",),
        content_hash=hashlib.sha256(raw).hexdigest(),
    )


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {_short(str(exc))}" if str(exc) else type(exc).__name__


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unique(problems: list[str]) -> tuple[str, ...]:
    # Problems quote raw input, which may hold undecodable bytes: keep them storable as UTF-8.
    safe = (p.encode("utf-8", "backslashreplace").decode("utf-8") for p in problems)
    return tuple(dict.fromkeys(safe))[:MAX_PROBLEMS]
