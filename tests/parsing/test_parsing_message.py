"""parse_message: headers, threading ids, bodies, attachments, reports and problems."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

from gateway.parsing import Attachment, ParsedMessage, parse_message

from .parsing_mail import mail, multipart, part

# -- headers ------------------------------------------------------------------------------------


def test_typical_message() -> None:
    raw = mail(
        "The printer on floor 3 is jammed.\r\n",
        subject="Printer   jammed",
        headers=[
            ("Cc", "Ops <OPS@example.com>, boss@example.com"),
            ("Reply-To", "Helpdesk Contact <Contact@Example.com>"),
            ("In-Reply-To", "<ack-12@desk.example>"),
        ],
    )
    parsed = parse_message(raw)
    assert parsed.message_id == "m1@example.com"
    assert parsed.in_reply_to == ("ack-12@desk.example",)
    assert parsed.from_addr == "jane@example.com"
    assert parsed.from_name == "Jane Customer"
    assert parsed.reply_to == "contact@example.com"
    assert parsed.to == ("support@desk.example",)
    assert parsed.cc == ("ops@example.com", "boss@example.com")
    assert parsed.subject == "Printer jammed"
    assert parsed.date == datetime(2024, 3, 4, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    assert parsed.body_text == parsed.latest_text == "The printer on floor 3 is jammed."
    assert parsed.html is None
    assert parsed.attachments == ()
    assert parsed.problems == ()
    assert parsed.is_delivery_report is False
    assert parsed.content_hash == hashlib.sha256(raw).hexdigest()
    assert ("Subject", "Printer jammed") in parsed.headers
    assert parsed.auto_headers == {"content-type": "text/plain; charset=utf-8"}


def test_folded_subject_is_unfolded() -> None:
    parsed = parse_message(mail(subject="A very long subject\r\n\tthat was folded\r\n  twice"))
    assert parsed.subject == "A very long subject that was folded twice"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<abc@example.com>", "abc@example.com"),
        ("  < abc@exam\r\n ple.com >  ", "abc@example.com"),
        ("abc@example.com", "abc@example.com"),
        ("<>", None),
        ("", None),
        ("<first@x> <second@y>", "first@x"),
    ],
)
def test_message_id_is_normalised(value: str, expected: str | None) -> None:
    parsed = parse_message(mail(headers=[("Message-ID", value)]))
    assert parsed.message_id == expected


def test_missing_message_id() -> None:
    raw = mail().replace(b"Message-ID: <m1@example.com>\r\n", b"")
    assert parse_message(raw).message_id is None


def test_references_folded_with_garbage_and_commas() -> None:
    refs = "<a@x.com>,\r\n <b@y.com> garbage (comment)\r\n\t<c@z.com>, <a@x.com> <d@\r\n w.com>"
    parsed = parse_message(mail(headers=[("References", refs), ("In-Reply-To", "<c@z.com> (x)")]))
    assert parsed.references == ("a@x.com", "b@y.com", "c@z.com", "d@w.com")
    assert parsed.in_reply_to == ("c@z.com",)
    assert parsed.referenced_ids == ("c@z.com", "a@x.com", "b@y.com", "d@w.com")


def test_references_without_brackets() -> None:
    parsed = parse_message(mail(headers=[("References", "a@x.com b@y.com,c@z.com")]))
    assert parsed.references == ("a@x.com", "b@y.com", "c@z.com")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mon, 04 Mar 2024 10:00:00 +0000", datetime(2024, 3, 4, 10, tzinfo=UTC)),
        ("4 Mar 2024 10:00:00 -0000", datetime(2024, 3, 4, 10, tzinfo=UTC)),
        ("Mon, 4 Mar 2024 10:00:00 GMT", datetime(2024, 3, 4, 10, tzinfo=UTC)),
        ("yesterday at noon", None),
        ("Mon, 99 Foo 20245 99:99:99 +9999", None),
    ],
)
def test_dates(value: str, expected: datetime | None) -> None:
    parsed = parse_message(mail(headers=[("Date", value)]))
    assert parsed.date == expected
    if expected is None:
        assert any(p.startswith("Date header not understood") for p in parsed.problems)
    else:
        assert parsed.date is not None and parsed.date.tzinfo is not None


@pytest.mark.parametrize(
    ("value", "name", "address"),
    [
        ('"Doe, John" <John.Doe@Example.com>', "Doe, John", "john.doe@example.com"),
        ("=?utf-8?q?Doe=2C_J=C3=B6hn?= <j@x.com>", "Doe, Jöhn", "j@x.com"),
        ("j@x.com (John Doe)", "John Doe", "j@x.com"),
        ("<j@x.com>", "", "j@x.com"),
        ("MAILER-DAEMON", "", "mailer-daemon"),
        ('"Jane \\"JJ\\" Doe" <jj@x.com>', 'Jane "JJ" Doe', "jj@x.com"),
    ],
)
def test_from_forms(value: str, name: str, address: str) -> None:
    parsed = parse_message(mail(sender=value))
    assert (parsed.from_name, parsed.from_addr) == (name, address)


def test_unparseable_from_is_a_problem_not_a_crash() -> None:
    parsed = parse_message(mail(sender="<<<@@@>>>"))
    assert parsed.from_addr == "" or "@" in parsed.from_addr
    missing = parse_message(mail(sender=None))
    assert missing.from_addr == ""
    assert "no sender address (From header missing or unreadable)" in missing.problems


def test_sender_header_is_used_when_from_is_missing() -> None:
    parsed = parse_message(mail(sender=None, headers=[("Sender", "Bot <bot@example.com>")]))
    assert parsed.from_addr == "bot@example.com"


def test_groups_and_undisclosed_recipients() -> None:
    parsed = parse_message(
        mail(headers=[("To", "undisclosed-recipients:;"), ("Cc", "Team: a@x.com, b@y.com;")])
    )
    assert parsed.to == ()
    assert parsed.cc == ("a@x.com", "b@y.com")


def test_headers_keep_every_header_decoded() -> None:
    raw = mail(
        subject="=?utf-8?q?caf=C3=A9?=",
        headers=[("Received", "from a by b;\r\n Mon, 4 Mar 2024"), ("Received", "from c by d")],
    )
    parsed = parse_message(raw)
    assert [v for n, v in parsed.headers if n == "Received"] == [
        "from a by b; Mon, 4 Mar 2024",
        "from c by d",
    ]
    assert ("Subject", "café") in parsed.headers


def test_auto_headers_are_collected() -> None:
    raw = mail(
        headers=[
            ("Auto-Submitted", "auto-replied"),
            ("Precedence", "bulk"),
            ("List-Id", "<support.lists.example.com>"),
            ("Return-Path", "<>"),
            ("X-Unrelated", "x"),
        ]
    )
    assert parse_message(raw).auto_headers == {
        "auto-submitted": "auto-replied",
        "precedence": "bulk",
        "list-id": "<support.lists.example.com>",
        "return-path": "<>",
        "content-type": "text/plain; charset=utf-8",
    }


def test_nul_bytes_and_control_characters_are_removed() -> None:
    parsed = parse_message(mail("body\x00with nul\x07\r\n", subject="sub\x00ject"))
    assert parsed.subject == "subject"
    assert parsed.body_text == "bodywith nul"


# -- bodies -------------------------------------------------------------------------------------


def test_mixed_parts_are_read_in_order() -> None:
    raw = multipart(
        "mixed",
        part("text/plain", "First part."),
        part("image/jpeg", b"\xff\xd8\xff", "Content-Disposition: inline"),
        part("text/plain", "Second part."),
    )
    parsed = parse_message(raw)
    assert parsed.body_text == "First part.\n\nSecond part."
    assert [a.filename for a in parsed.attachments] == ["attachment-1.jpg"]


def test_format_flowed_is_unwrapped() -> None:
    raw = mail(
        "This line was \r\nwrapped by the mailer.\r\n\r\n> quoted \r\n> text\r\n",
        content_type="text/plain; charset=utf-8; format=flowed",
    )
    parsed = parse_message(raw)
    assert parsed.body_text == "This line was wrapped by the mailer.\n\n> quoted text"
    assert parsed.latest_text == "This line was wrapped by the mailer."


def test_empty_message_has_no_body() -> None:
    parsed = parse_message(b"")
    assert parsed.body_text == ""
    assert "message has no body" in parsed.problems


def test_message_without_headers_is_all_body() -> None:
    parsed = parse_message(b"my printer is broken\nplease help\n")
    assert parsed.body_text == "my printer is broken\nplease help"


def test_base64_with_bad_padding() -> None:
    raw = mail("aGVsbG8gd29ybGQ\r\n", headers=[("Content-Transfer-Encoding", "base64")])
    parsed = parse_message(raw)
    assert parsed.body_text == "hello world"
    assert "MIME structure defective: base64 with bad padding" in parsed.problems


def test_quoted_printable_errors_are_kept_as_text() -> None:
    raw = mail(
        "caf=C3=A9 =ZZ soft=\r\nbreak=",
        headers=[("Content-Transfer-Encoding", "quoted-printable")],
    )
    assert parse_message(raw).body_text == "café =ZZ softbreak"


def test_huge_single_line() -> None:
    parsed = parse_message(mail("x" * 2_000_000))
    assert len(parsed.body_text) == 2_000_000


# -- broken structure ---------------------------------------------------------------------------


def test_multipart_without_boundary_is_read_as_text() -> None:
    parsed = parse_message(mail("just text", content_type="multipart/mixed"))
    assert parsed.body_text == "just text"
    assert any("without a boundary" in p for p in parsed.problems)


def test_boundary_never_found() -> None:
    parsed = parse_message(mail("just text\r\n", content_type='multipart/mixed; boundary="nope"'))
    assert parsed.body_text == "just text"
    assert any("boundary never appears" in p for p in parsed.problems)


def test_truncated_multipart_keeps_what_arrived() -> None:
    raw = multipart("mixed", part("text/plain", "complete part"), part("text/plain", "cut off"))
    raw = raw[: raw.rindex(b"off") + 3]
    parsed = parse_message(raw)
    assert parsed.body_text == "complete part\n\ncut off"
    assert any("closing multipart boundary missing" in p for p in parsed.problems)


def test_absurd_nesting_keeps_headers() -> None:
    raw = b"From: a@example.com\nSubject: deep\n" + b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(3000)
    )
    parsed = parse_message(raw)
    assert (parsed.subject, parsed.from_addr) == ("deep", "a@example.com")
    assert parsed.problems[0].startswith("MIME structure could not be parsed (RecursionError")


def test_deep_but_parseable_nesting_is_flattened() -> None:
    raw = b"From: a@example.com\n" + b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(100)
    )
    parsed = parse_message(raw + b"Content-Type: text/plain\n\ndeep text\n")
    assert parsed.body_text == "deep text"
    assert any("nesting deeper than" in p for p in parsed.problems)


def test_binary_garbage_becomes_text_with_problems() -> None:
    parsed = parse_message(bytes(range(256)) * 10)
    assert isinstance(parsed, ParsedMessage)
    assert parsed.problems


# -- attachments --------------------------------------------------------------------------------


def test_attachments_with_names_types_and_sizes() -> None:
    raw = multipart(
        "mixed",
        part("text/plain", "See attached."),
        part(
            "application/pdf; name=report.pdf",
            "JVBERi0xLjQK",
            "Content-Transfer-Encoding: base64",
            "Content-Disposition: attachment; filename=report.pdf",
        ),
        part(
            "text/plain; charset=utf-8; name=log.txt",
            "log line",
            "Content-Disposition: attachment; filename=log.txt",
        ),
        part("application/octet-stream", b"\x00\x01\x02", "Content-Disposition: attachment"),
    )
    parsed = parse_message(raw)
    assert parsed.body_text == "See attached."
    assert parsed.attachments == (
        Attachment("report.pdf", "application/pdf", 9, b"%PDF-1.4\n"),
        Attachment("log.txt", "text/plain", 8, b"log line"),
        Attachment("attachment-3.bin", "application/octet-stream", 3, b"\x00\x01\x02"),
    )


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ("attachment; filename*=utf-8''r%C3%A9sum%C3%A9%20final.pdf", "résumé final.pdf"),
        (
            "attachment; filename*0*=utf-8''%E6%97%A5%E6%9C%AC; filename*1=.txt",
            "日本.txt",
        ),
        ('attachment; filename="=?utf-8?b?w6lsw6luZS5wZGY=?="', "éléne.pdf"),
        ('attachment; filename="=?iso-8859-1?q?r=E9sum=E9.pdf?="', "résumé.pdf"),
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ('attachment; filename="C:\\\\Users\\\\x\\\\evil.exe"', "evil.exe"),
        ('attachment; filename="a\x01b\x7fc.txt"', "abc.txt"),
        ('attachment; filename="what?<>.txt"', "what___.txt"),
        ('attachment; filename="..."', "attachment-1.pdf"),
        ("attachment", "attachment-1.pdf"),
    ],
)
def test_filenames_are_decoded_and_sanitised(disposition: str, expected: str) -> None:
    raw = multipart("mixed", part("application/pdf", "%PDF", f"Content-Disposition: {disposition}"))
    assert parse_message(raw).attachments[0].filename == expected


def test_content_type_name_parameter_is_a_filename() -> None:
    raw = multipart("mixed", part('image/png; name="=?utf-8?q?sch=C3=B6n.png?="', "png"))
    assert parse_message(raw).attachments[0].filename == "schön.png"


def test_attachment_over_the_limit_is_recorded_without_content() -> None:
    raw = multipart(
        "mixed",
        part("text/plain", "big one attached"),
        part("application/zip", b"x" * 2048, "Content-Disposition: attachment; filename=x.zip"),
        part("application/zip", b"y" * 1024, "Content-Disposition: attachment; filename=y.zip"),
    )
    parsed = parse_message(raw, max_attachment_bytes=1024)
    assert parsed.attachments == (
        Attachment("x.zip", "application/zip", 2048, None),
        Attachment("y.zip", "application/zip", 1024, b"y" * 1024),
    )
    assert "attachment 'x.zip' over the 1 KiB limit: not stored" in parsed.problems


def test_default_limit_is_ten_mebibytes() -> None:
    big = b"z" * (10 * 1024 * 1024 + 1)
    raw = multipart("mixed", part("application/zip", big, "Content-Disposition: attachment"))
    parsed = parse_message(raw)
    assert parsed.attachments[0].content is None
    assert parsed.attachments[0].size == len(big)
    assert "attachment 'attachment-1.zip' over the 10 MiB limit: not stored" in parsed.problems


def test_forwarded_message_is_an_eml_attachment() -> None:
    inner = b"From: boss@example.com\r\nSubject: Original\r\n\r\nThe original text.\r\n"
    raw = multipart("mixed", part("text/plain", "Forwarding this."), part("message/rfc822", inner))
    parsed = parse_message(raw)
    assert parsed.body_text == "Forwarding this."
    (attachment,) = parsed.attachments
    assert (attachment.filename, attachment.content_type) == ("attachment-1.eml", "message/rfc822")
    assert attachment.content is not None
    assert attachment.content.replace(b"\r\n", b"\n") == inner.replace(b"\r\n", b"\n")


def test_calendar_alternative_is_an_attachment() -> None:
    raw = multipart(
        "alternative",
        part("text/plain", "Meeting"),
        part("text/calendar; method=REQUEST", "BEGIN:VCALENDAR"),
    )
    parsed = parse_message(raw)
    assert parsed.body_text == "Meeting"
    assert [a.filename for a in parsed.attachments] == ["attachment-1.ics"]


def test_garbage_content_type_on_a_part() -> None:
    raw = multipart("mixed", part("text/plain", "ok"), part("ima\xe9ge/p ng", "data"))
    parsed = parse_message(raw)
    assert parsed.body_text == "ok"
    assert isinstance(parsed.attachments[0].content_type, str)


# -- delivery reports and duplicates ------------------------------------------------------------

DSN = b"""\
From: MAILER-DAEMON@mx.example.com
To: support@desk.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn1@mx.example.com>
Content-Type: multipart/report; report-type=delivery-status; boundary="D"

--D
Content-Type: text/plain

The mail system could not deliver your message.
--D
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; nobody@example.com
Action: failed
Status: 5.1.1
--D
Content-Type: text/rfc822-headers

From: support@desk.example
Subject: [#12] Re: hello
--D--
"""


def test_delivery_status_notification() -> None:
    parsed = parse_message(DSN)
    assert parsed.is_delivery_report
    assert parsed.body_text == "The mail system could not deliver your message."
    assert [a.content_type for a in parsed.attachments] == [
        "message/delivery-status",
        "text/rfc822-headers",
    ]
    status = parsed.attachments[0].content
    assert status is not None and b"Status: 5.1.1" in status


def test_read_receipt_is_a_report() -> None:
    raw = multipart(
        "report",
        part("text/plain", "Your message was read."),
        part(
            "message/disposition-notification",
            "Disposition: manual-action/MDN-sent-manually; displayed",
        ),
    )
    assert parse_message(raw).is_delivery_report


def test_bare_delivery_status_part_is_a_report() -> None:
    raw = multipart(
        "mixed", part("text/plain", "bounce"), part("message/delivery-status", "Action: failed")
    )
    assert parse_message(raw).is_delivery_report


def test_same_bytes_same_hash_and_different_bytes_different_hash() -> None:
    raw = mail()
    assert parse_message(raw).content_hash == parse_message(bytes(raw)).content_hash
    assert parse_message(raw).content_hash != parse_message(raw + b" ").content_hash


def test_parsed_message_is_frozen() -> None:
    parsed = parse_message(mail())
    with pytest.raises(AttributeError):
        parsed.subject = "changed"  # type: ignore[misc]


def test_parsed_message_is_hashable_and_comparable() -> None:
    raw = mail(headers=[("Precedence", "bulk")])
    assert parse_message(raw) == parse_message(raw)
    assert hash(parse_message(raw)) == hash(parse_message(raw))
