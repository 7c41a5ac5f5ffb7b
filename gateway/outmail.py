"""Our outgoing mail as RFC 5322 text, composed directly: headers, then one or more text parts.

An acknowledgement was built with `email.message.EmailMessage`, whose header registry parses
back every value set on it and whose generator re-folds everything on output: ~4 ms of CPU
per acknowledgement, more than classifying the customer's mail. What we send is always the
same shape (a few headers; a text part, perhaps with its HTML alternative), so it is
written out here instead. Every header value still goes through `gateway.mailheaders`
(one line, capped, RFC 2047-encoded when not plain ASCII); bodies are UTF-8, sent as 7bit
when they are ASCII with short lines and as quoted-printable otherwise, so the message is
7-bit clean whatever the relay (the old path labelled non-ASCII text `8bit` and then lost
it to `decode("ascii", "replace")`). Line ends are CRLF throughout.
"""

from __future__ import annotations

import binascii
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

# RFC 5322's limit on a line, CRLF excluded; longer lines in a body are sent quoted-printable.
MAX_LINE = 998


@dataclass(frozen=True, slots=True)
class TextPart:
    subtype: str  # plain | html
    text: str


def compose(headers: Sequence[str], parts: Sequence[TextPart]) -> str:
    """The whole message: `headers` are complete header lines (from `gateway.mailheaders`),
    without line ends; one part is the body itself, several a multipart/alternative in the
    given order (plain first, the richest last, as RFC 2046 asks)."""
    head = "\r\n".join([*headers, "MIME-Version: 1.0"])
    if len(parts) == 1:
        return f"{head}\r\n{_part(parts[0])}"
    bodies = [_part(part) for part in parts]
    boundary = _boundary(bodies)
    # The CRLF before each delimiter belongs to the delimiter (RFC 2046): a body's own last
    # line end stays part of the body.
    inner = "".join(f"--{boundary}\r\n{body}\r\n" for body in bodies)
    return (
        f'{head}\r\nContent-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n\r\n'
        f"{inner}--{boundary}--\r\n"
    )


def _part(part: TextPart) -> str:
    """A text part's own headers, a blank line and its encoded body (ending in CRLF)."""
    encoding, body = _encoded_body(part.text)
    return (
        f'Content-Type: text/{part.subtype}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n{body}"
    )


def _encoded_body(text: str) -> tuple[str, str]:
    """(transfer encoding, body with CRLF line ends). The decoded body is the text's lines,
    each ending in a line break, as the email package writes it."""
    lines = text.encode("utf-8", "surrogateescape").splitlines()
    data = b"\n".join(lines) + b"\n"
    if data.isascii() and b"\0" not in data and all(len(line) <= MAX_LINE for line in lines):
        return "7bit", data.decode("ascii").replace("\n", "\r\n")
    quoted = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)
    return "quoted-printable", quoted.decode("ascii").replace("\n", "\r\n")


def _boundary(bodies: Sequence[str]) -> str:
    """A random boundary found in no body. "=_" never occurs in quoted-printable, and the
    random part (96 bits) in no text by chance; the check makes sure of it."""
    while True:
        boundary = f"=_intake_{secrets.token_hex(12)}"
        if not any(boundary in body for body in bodies):
            return boundary
