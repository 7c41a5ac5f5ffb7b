"""Header values into text, addresses, message ids and dates, tolerating any garbage.

Raw values come from the email package with 8-bit bytes as surrogates (it decodes bytes as
ASCII with surrogateescape). Those bytes, and RFC 2047 encoded words in any charset, declared
wrongly or not at all, go through `charset` so that no surrogate ever reaches the ticket.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime

from gateway.parsing.charset import decode_bytes, decode_guessing

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,60})\?([bBqQ])\?([^?]*)\?=")
_FOLD = re.compile(r"\r?\n|\r")
_BLANKS = re.compile(r"[ \t]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Line breaks a decoded value may still hold (an encoded "=0A", NEL, U+2028/U+2029): one
# header is one line of text, so each becomes a space.
_LINE_BREAK = re.compile(r"[\n\r\x0b\x0c\x85\u2028\u2029]")
_SURROGATE = re.compile(r"[\udc80-\udcff]")
_TRAILING_COMMENT = re.compile(r"[^()]*\(([^()]+)\)\s*")
_MSG_ID = re.compile(r"<([^<>]*)>")
_SIMPLE_ADDRESS = re.compile(
    r"\s*(?:\"([^\"\\]*)\"|([^<>\",;:@\\()\[\]]*?))\s*<\s*([^<>\s@,;]+@[^<>\s@,;]+)\s*>\s*"
    r"|\s*([^<>\s@,;\"()]+@[^<>\s@,;\"()]+)\s*"
)

MAX_ADDRESS_HEADER_CHARS = 32 * 1024

AddressParser = Callable[[str], list[tuple[str, str]]]


def unfold(raw: str) -> str:
    return _FOLD.sub("", raw)


def decode_text(raw: str, name: str, problems: list[str], hint: str | None = None) -> str:
    """An unstructured header value as display text: unfolded, encoded words and raw 8-bit
    bytes decoded, control characters removed, blanks collapsed."""
    if raw.isascii() and raw.isprintable() and "  " not in raw and "=?" not in raw:
        return raw.strip()  # the usual header: nothing below would change it but the strip
    value = unfold(raw)
    if "=?" in value:
        value = _decode_words(value, name, problems, hint)
    elif _SURROGATE.search(value):
        value = fix_surrogates(value, f"header {name}", problems, hint)
    return _BLANKS.sub(" ", _CONTROL.sub("", _LINE_BREAK.sub(" ", value))).strip()


def fix_surrogates(text: str, context: str, problems: list[str], hint: str | None) -> str:
    """Text in which the email package left undecodable bytes as surrogates, decoded properly."""
    if not _SURROGATE.search(text):
        return text
    data = text.encode("utf-8", "surrogateescape")
    decoded = decode_guessing(data, context, hint)
    if decoded.problem:
        problems.append(decoded.problem)
    return decoded.text


def _decode_words(value: str, name: str, problems: list[str], hint: str | None) -> str:
    """RFC 2047, leniently: adjacent words in one charset are joined before decoding (mailers
    split multibyte characters across them) and whitespace between encoded words is dropped."""
    out: list[str] = []
    pending: list[bytes] = []  # bytes of consecutive encoded words in one charset
    pending_charset = ""
    pos = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        charset = match.group(1).split("*", 1)[0]  # drop an RFC 2231 language suffix
        adjacent = bool(pending) and not between.strip()
        if pending and not (adjacent and charset.lower() == pending_charset.lower()):
            out.append(_decode_word_bytes(b"".join(pending), pending_charset, name, problems))
            pending = []
        if not adjacent:
            out.append(fix_surrogates(between, f"header {name}", problems, hint))
        pending.append(_word_bytes(match.group(2), match.group(3)))
        pending_charset = charset
        pos = match.end()
    if pending:
        out.append(_decode_word_bytes(b"".join(pending), pending_charset, name, problems))
    out.append(fix_surrogates(value[pos:], f"header {name}", problems, hint))
    return "".join(out)


def _word_bytes(encoding: str, text: str) -> bytes:
    data = text.encode("ascii", "surrogateescape")
    if encoding in "qQ":
        return binascii.a2b_qp(data, header=True)
    data = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    data = data[: len(data) - len(data) % 4] if len(data) % 4 == 1 else data
    try:
        return base64.b64decode(data + b"=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return b""


def _decode_word_bytes(data: bytes, charset: str, name: str, problems: list[str]) -> str:
    decoded = decode_bytes(data, charset, f"header {name}")
    if decoded.problem:
        problems.append(decoded.problem)
    return decoded.text


def addresses(
    raw: str,
    name: str,
    parse: AddressParser,
    problems: list[str],
    hint: str | None = None,
) -> list[tuple[str, str]]:
    """(display name, lower-cased address) pairs of an address header; `parse` is the
    policy.default parser for the hard cases (quoted pairs, comments, groups, encoded words)."""
    value = unfold(raw)
    if len(value) > MAX_ADDRESS_HEADER_CHARS:  # the full parser is superlinear on garbage
        problems.append(f"{name} header longer than {MAX_ADDRESS_HEADER_CHARS} characters: cut")
        value = value[:MAX_ADDRESS_HEADER_CHARS]
    if _SURROGATE.search(value):
        value = fix_surrogates(value, f"header {name}", problems, hint)
    pairs = _simple_addresses(value)
    if pairs is None:
        try:
            pairs = parse(value)
        except Exception:
            pairs = getaddresses([value])
    if len(pairs) == 1 and not pairs[0][0] and (comment := _TRAILING_COMMENT.fullmatch(value)):
        pairs = [(comment.group(1).strip(), pairs[0][1])]  # old style: a@b (Name)
    result = []
    for display, address in pairs:
        display = fix_surrogates(display, f"header {name}", problems, hint)
        display = decode_text(display, name, problems, hint)
        address = fix_surrogates(address, f"header {name}", problems, hint)
        address = _CONTROL.sub("", "".join(address.split())).strip("<>").lower()
        if address:
            result.append((display, address))
    return result


def _simple_addresses(value: str) -> list[tuple[str, str]] | None:
    """The common `Name <a@b>, c@d` forms without the full RFC 5322 parser; None otherwise."""
    if "=?" in value or "(" in value or "\\" in value or value.count('"') > 2:
        return None
    pairs = []
    for item in value.split(","):
        if not item.strip():
            continue
        match = _SIMPLE_ADDRESS.fullmatch(item)
        if not match:
            return None
        if match.group(3):
            pairs.append(((match.group(1) or match.group(2) or "").strip(), match.group(3)))
        else:
            pairs.append(("", match.group(4)))
    return pairs


def message_ids(raw: str) -> tuple[str, ...]:
    """Normalised ids (no angle brackets, no whitespace) in order, without duplicates."""
    value = fix_surrogates(unfold(raw), "message id", [], None)
    found = _MSG_ID.findall(value)
    if not found:
        found = re.split(r"[\s,;]+", value)
    ids: list[str] = []
    for item in found:
        normal = _CONTROL.sub("", "".join(item.split())).strip("<>")
        if normal and normal not in ids:
            ids.append(normal)
    return tuple(ids)


def message_id(raw: str | None) -> str | None:
    if raw is None:
        return None
    ids = message_ids(raw)
    return ids[0] if ids else None


def parse_date(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        value = parsedate_to_datetime(_BLANKS.sub(" ", unfold(raw)).strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # "-0000": the time is UTC, the zone unknown
    return value
