"""Header values we write: the one place any text becomes safe for a header we generate.

Customer text is data, never headers. A subject arrives with U+2028, NEL or an RFC 2047
encoded line feed, is 288,889 characters long, or names an address in a script a relay
without SMTPUTF8 cannot carry; none of that may reach `EmailMessage.__setitem__` (which
raises `ValueError: Header values may not contain linefeed`) or a relay as is. Everything we
put in a header passes through here: text is made one line (control, line- and
paragraph-separator and invisible formatting characters become spaces), blanks are collapsed
and the length is capped with an ellipsis; the email package then folds and RFC 2047-encodes
the result (or `header_line` and `mailbox` below do, for mail we compose directly).
Addresses are checked and their domains IDNA-encoded.

Our own Message-IDs are made here too, with a random part: a Message-ID we will use must not
be guessable from numbers a customer can see (issue 9.3: a message carrying the future
acknowledgement's id took over the next customer's ticket).
"""

from __future__ import annotations

import base64
import re
import secrets
import unicodedata
from collections.abc import Sequence

# A Subject people can read in a mail client's list; RFC 5322 suggests lines of 78 and
# allows 998 characters, and the full text is in the ticket anyway.
MAX_SUBJECT_CHARS = 200
MAX_NAME_CHARS = 100
MAX_HEADER_CHARS = 900

# Line breaks in any of their Unicode forms, plus the categories that are never visible text:
# Cc (controls, NEL), Cf (bidi overrides, zero-width characters, BOM), Zl/Zp (U+2028/U+2029),
# Cs (lone surrogates from undecodable bytes), Co/Cn (private use, unassigned).
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_BLANKS = re.compile(r"\s+")
_ATEXT_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")
_DOMAIN_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_ID_PART = re.compile(r"[^A-Za-z0-9.-]+")


class UnusableAddress(ValueError):
    """An address we cannot write into a header or an envelope; the message says why."""


def header_text(value: str, limit: int = MAX_HEADER_CHARS) -> str:
    """`value` as one line of visible text, at most `limit` characters (an ellipsis marks a cut)."""
    head = value[: limit * 4]  # enough to fill `limit` after collapsing blanks
    if head.isascii() and head.isprintable():  # no character of an unsafe category
        cleaned = head
    else:
        cleaned = "".join(
            " " if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch for ch in head
        )
    text = _BLANKS.sub(" ", cleaned).strip()
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def subject_text(value: str) -> str:
    return header_text(value, MAX_SUBJECT_CHARS)


def display_name(value: str) -> str:
    return header_text(value, MAX_NAME_CHARS)


def mail_address(value: str) -> str:
    """`value` as an ASCII addr-spec for a header and an SMTP envelope: the domain IDNA-encoded.

    Raises `UnusableAddress` for anything that is not one plain address, and for a non-ASCII
    local part, which only a relay with SMTPUTF8 (RFC 6531) could carry.
    """
    address = value.strip().strip("<>").strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or header_text(address) != address or " " in address:
        raise UnusableAddress(f"not a plain email address: {header_text(address, 80)!r}")
    if not local.isascii():
        raise UnusableAddress(
            f"the address {header_text(address, 80)!r} has a non-ASCII local part, which needs "
            "SMTPUTF8 (RFC 6531) end to end"
        )
    if not _ATEXT_LOCAL.fullmatch(local) or local.startswith(".") or ".." in local:
        raise UnusableAddress(f"not a plain email address: {header_text(address, 80)!r}")
    try:
        ascii_domain = domain.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise UnusableAddress(f"the domain of {header_text(address, 80)!r} is invalid") from exc
    labels = ascii_domain.split(".")
    if not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        raise UnusableAddress(f"the domain of {header_text(address, 80)!r} is invalid")
    return f"{local}@{ascii_domain}"


def new_message_id(purpose: str, ticket_number: int, hostname: str) -> str:
    """`intake.ack.1001.<random>@host`: readable in logs, impossible to predict (96 bits)."""
    purpose = _ID_PART.sub("-", purpose) or "msg"
    host = _ID_PART.sub("-", hostname) or "localhost"
    return f"intake.{purpose}.{ticket_number}.{secrets.token_hex(12)}@{host}"


MAX_REFERENCES = 20
_MSG_ID_TEXT = re.compile(r"[!-;=?-~]{1,250}")  # printable ASCII without "<", ">" or spaces


def message_id_refs(ids: Sequence[str]) -> list[str]:
    """Message-IDs (without brackets) safe to quote in In-Reply-To/References: printable
    ASCII without spaces or brackets, at most 250 characters each; the last
    `MAX_REFERENCES`, which keep the thread's root (first) and its newest messages."""
    usable = [i for i in dict.fromkeys(ids) if _MSG_ID_TEXT.fullmatch(i)]
    if len(usable) > MAX_REFERENCES:
        usable = [usable[0], *usable[-(MAX_REFERENCES - 1) :]]
    return usable


# Header lines we compose ourselves (`gateway.outmail`), without the email package's header
# registry, which parses back every value it is given and costs more than the rest of an
# acknowledgement. RFC 5322 asks for lines of at most 78 characters; RFC 2047 for encoded
# words of at most 75.
LINE_CHARS = 78
_ENCODED_WORD_CHARS = 75
_EW_OVERHEAD = len("=?utf-8?b??=")
_NEEDS_QUOTES = re.compile(r'[][\\()<>@,:;".]')
_QUOTED_SPECIALS = re.compile(r'([\\"])')


def _plain(text: str) -> bool:
    """Text a header can carry as it is: printable ASCII that no reader would take for an
    RFC 2047 encoded word (customer text reading "=?utf-8?b?...?=" stays that text)."""
    return text.isascii() and "=?" not in text


def _encoded_words(text: str, first: int) -> list[str]:
    """`text` as RFC 2047 base64 words of UTF-8, the first at most `first` characters long,
    the others at most 75; split between characters, never inside one."""
    words: list[str] = []
    budget = max(first, _EW_OVERHEAD + 8)
    chunk: list[bytes] = []
    size = 0
    for ch in text:
        data = ch.encode("utf-8", "surrogatepass")
        limit = (budget - _EW_OVERHEAD) // 4 * 3  # bytes whose base64 fits the budget
        if chunk and size + len(data) > limit:
            words.append(_encoded_word(b"".join(chunk)))
            chunk, size, budget = [], 0, _ENCODED_WORD_CHARS
        chunk.append(data)
        size += len(data)
    if chunk or not words:
        words.append(_encoded_word(b"".join(chunk)))
    return words


def _encoded_word(data: bytes) -> str:
    return f"=?utf-8?b?{base64.b64encode(data).decode('ascii')}?="


def _folded(name: str, words: Sequence[str], *, tail: str = "") -> str:
    """`Name: words tail`, folded (CRLF and a space) before a word that would cross 78."""
    lines: list[str] = []
    line = f"{name}:"
    for word in [*words, *([tail] if tail else [])]:
        if len(line) + 1 + len(word) > LINE_CHARS and line != f"{name}:":
            lines.append(line)
            line = ""
        line = f"{line} {word}"
    lines.append(line)
    return "\r\n".join(lines)


def header_line(name: str, value: str, limit: int = MAX_HEADER_CHARS) -> str:
    """One unstructured header (`Subject`, `X-...`) as folded 7-bit text, CRLF between its
    lines and none at the end: `value` made one line by `header_text`, then RFC 2047-encoded
    if it is not plain ASCII."""
    text = header_text(value, limit)
    if _plain(text):
        return _folded(name, text.split(" ") if text else [])
    return _folded(name, _encoded_words(text, LINE_CHARS - len(name) - 2))


def mailbox(name: str, address: str) -> str:
    """`name <address>` for From/To: the name made one line (`display_name`) and quoted or
    RFC 2047-encoded as it needs; the address checked (`mail_address`, which raises
    `UnusableAddress`). Just the address when there is no name."""
    addr = mail_address(address)
    text = display_name(name)
    if not text:
        return addr
    if _plain(text):
        if _NEEDS_QUOTES.search(text):
            text = '"' + _QUOTED_SPECIALS.sub(r"\\\1", text) + '"'
        return f"{text} <{addr}>"
    return " ".join([*_encoded_words(text, LINE_CHARS - len("From: ") - 2), f"<{addr}>"])


def address_header(name: str, mailbox_text: str) -> str:
    """`Name: mailbox` (from `mailbox`), folded between its encoded words."""
    return _folded(name, mailbox_text.split(" "))
