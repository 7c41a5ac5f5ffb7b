"""parse_message never raises, whatever the bytes, and never returns unstorable text."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.parsing import Attachment, ParsedMessage, automated_reason, parse_message

VALID = (
    b"From: =?utf-8?q?Ren=C3=A9?= <rene@example.com>\r\n"
    b'To: support@desk.example, "Ops, Team" <ops@example.com>\r\n'
    b"Subject: =?iso-8859-1?q?Probl=E8me?= [P1] [#42]\r\n"
    b"Date: Mon, 4 Mar 2024 10:00:00 +0100\r\n"
    b"Message-ID: <abc@example.com>\r\n"
    b"References: <a@x> <b@y>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="outer"\r\n'
    b"\r\n"
    b"--outer\r\n"
    b'Content-Type: multipart/alternative; boundary="alt"\r\n'
    b"\r\n"
    b"--alt\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Caf=C3=A9 is down.\r\n"
    b"\r\n"
    b"On Mon, 4 Mar 2024 at 09:00, Desk <support@desk.example> wrote:\r\n"
    b"> old\r\n"
    b"--alt\r\n"
    b"Content-Type: text/html; charset=iso-8859-1\r\n"
    b"\r\n"
    b"<p>Caf\xe9 is <b>down</b>.</p><blockquote>old</blockquote>\r\n"
    b"--alt--\r\n"
    b"--outer\r\n"
    b"Content-Type: application/pdf\r\n"
    b"Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"JVBERi0xLjQK\r\n"
    b"--outer\r\n"
    b"Content-Type: message/rfc822\r\n"
    b"\r\n"
    b"From: inner@example.com\r\n"
    b"Subject: inner\r\n"
    b"\r\n"
    b"inner body\r\n"
    b"--outer--\r\n"
)

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_well_formed(parsed: ParsedMessage) -> None:
    assert isinstance(parsed, ParsedMessage)
    for field in dataclasses.fields(parsed):
        _assert_storable(getattr(parsed, field.name), field.name)
    assert parsed.date is None or (
        isinstance(parsed.date, datetime) and parsed.date.tzinfo is not None
    )
    assert len(parsed.content_hash) == 64
    for attachment in parsed.attachments:
        assert isinstance(attachment, Attachment)
        assert attachment.filename and "/" not in attachment.filename
        assert "\\" not in attachment.filename
        assert attachment.content is None or len(attachment.content) == attachment.size
    assert automated_reason(parsed, "someone@example.com") is None or True


def _assert_storable(value: object, where: str) -> None:
    """Every text must be valid UTF-8 (no lone surrogates): it goes into SQLite."""
    if isinstance(value, str):
        value.encode("utf-8")
    elif isinstance(value, tuple | list):
        for item in value:
            _assert_storable(item, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            _assert_storable(key, where)
            _assert_storable(item, where)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            _assert_storable(getattr(value, field.name), where)


def test_valid_sample_parses_fully() -> None:
    parsed = parse_message(VALID)
    assert_well_formed(parsed)
    assert parsed.subject == "Problème [P1] [#42]"
    assert parsed.latest_text == "Café is down."
    assert [a.filename for a in parsed.attachments] == ["résumé.pdf", "attachment-2.eml"]
    assert parsed.problems == ()


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(raw: bytes) -> None:
    assert_well_formed(parse_message(raw))


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(VALID)),
            st.integers(min_value=0, max_value=40),
            st.binary(max_size=30),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_mutated_valid_message_never_raises(edits: list[tuple[int, int, bytes]]) -> None:
    raw = bytearray(VALID)
    for position, length, replacement in edits:
        raw[position : position + length] = replacement
    assert_well_formed(parse_message(bytes(raw)))


@FUZZ
@given(st.text(max_size=300), st.sampled_from(["utf-8", "latin-1", "koi8-r", "shift_jis"]))
def test_header_text_in_any_charset_never_raises(text: str, charset: str) -> None:
    encoded = text.encode(charset, "replace")
    raw = b"Subject: " + encoded + b"\nFrom: " + encoded + b"\nMessage-ID: " + encoded
    raw += b"\nContent-Type: text/plain; charset=" + charset.encode() + b"\n\n" + encoded
    assert_well_formed(parse_message(raw))


def test_deep_nesting_and_garbage_never_raise() -> None:
    nested = b"Subject: deep\n" + b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(3000)
    )
    for raw in (
        nested,
        b"\x00" * 5000,
        b"\xff\xfe" * 3000,
        b"Content-Type: text/html\n\n" + b"<" * 20000 + b"<!--" + b"<![" * 1000,
        b"Subject: " + b"=?utf-8?b?" * 5000,
        b"From: " + b"<" * 5000 + b"@" * 5000,
        b"A" * 300_000,
    ):
        assert_well_formed(parse_message(raw))
