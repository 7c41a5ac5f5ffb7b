"""Building raw test messages as bytes, header by header."""

from __future__ import annotations

from collections.abc import Sequence

Header = tuple[str, str | bytes]


def mail(
    body: str | bytes = "Hello, the printer is on fire.\n",
    *,
    subject: str | bytes | None = "Printer",
    sender: str | bytes | None = "Jane Customer <jane@example.com>",
    content_type: str | None = "text/plain; charset=utf-8",
    headers: Sequence[Header] = (),
) -> bytes:
    """A message with the given headers (bytes values go in raw) and body (str: as UTF-8)."""
    lines: list[bytes] = []
    standard: list[tuple[str, str | bytes | None]] = [
        ("From", sender),
        ("To", "Support <support@desk.example>"),
        ("Subject", subject),
        ("Date", "Mon, 04 Mar 2024 10:00:00 +0100"),
        ("Message-ID", "<m1@example.com>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", content_type),
    ]
    overridden = {name.lower() for name, _ in headers}
    for name, value in [*standard, *headers]:
        if value is None or (name.lower() in overridden and (name, value) in standard):
            continue
        raw = value if isinstance(value, bytes) else value.encode("utf-8")
        lines.append(name.encode("ascii") + b": " + raw)
    data = body if isinstance(body, bytes) else body.encode("utf-8")
    return b"\r\n".join(lines) + b"\r\n\r\n" + data


def multipart(
    subtype: str,
    *parts: bytes,
    boundary: str = "BOUNDARY",
    subject: str = "Printer",
    headers: Sequence[Header] = (),
) -> bytes:
    """A multipart message whose `parts` are each a header block, a blank line and a body."""
    b = boundary.encode()
    body = b"".join(b"--" + b + b"\r\n" + p + b"\r\n" for p in parts) + b"--" + b + b"--\r\n"
    ctype = f'multipart/{subtype}; boundary="{boundary}"'
    return mail(body, content_type=ctype, subject=subject, headers=headers)


def part(content_type: str, body: str | bytes, *extra: str) -> bytes:
    head = "\r\n".join([f"Content-Type: {content_type}", *extra]).encode()
    data = body if isinstance(body, bytes) else body.encode("utf-8")
    return head + b"\r\n\r\n" + data
