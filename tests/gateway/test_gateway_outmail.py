"""Acknowledgements composed directly (`gateway.outmail`) read back as the email package's did.

The reference is the builder the acknowledgement used before: `EmailMessage` with the SMTP
policy and the same header sanitising. Both are parsed with the stdlib parser and compared
header by header; the bodies are compared with the rendered text itself (the old builder
labelled non-ASCII text `8bit` and lost it when the bytes were decoded as ASCII).
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.utils import format_datetime, formataddr
from pathlib import Path

import pytest

import templates
from gateway.ack import RenderedEmail, Speaker, render_ack_email, threaded_subject
from gateway.config import load_settings
from gateway.mailheaders import (
    display_name,
    header_line,
    mail_address,
    mailbox,
    message_id_refs,
    subject_text,
)
from gateway.outmail import TextPart, compose
from gateway.promise import promise_for
from gateway.replies import staff_reply
from gateway.store.records import Ticket
from policies import load_policy

NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
POLICY = load_policy("threepbx")

TRICKY_SUBJECTS = [
    "Phones down",
    "Téléphones en panne à l'agence de Besançon",
    "障害: 全ての電話が繋がらない " * 8,
    "Emoji 🔥☎️ and combining e\u0301 text",
    "Hi\r\nBcc: victim@example.org",
    "Line\u2028separator\u0085and NEL\x00nul",
    "=?utf-8?b?SGVsbG8=?= looks encoded",
    "x" * 300,
    "a " * 150,
    "Re: Fwd: [#1001] already tagged",
    'quotes " and \\ backslash, commas; <angle> (paren)',
    "مرحبا، الهاتف لا يعمل \u202e reversed",
    "",
]
TRICKY_NAMES = [
    "Pat Customer",
    "Jürgen Müller-Lüdenscheidt",
    'Smith, "Bob" <bob@evil.example>',
    "Desk\r\nBcc: victim@example.org",
    "=?utf-8?q?Fake?= Name",
    "李小龍 " * 20,
    "",
]


def ticket(subject: str, name: str) -> Ticket:
    return Ticket(
        id=1,
        number=1001,
        channel="email",
        customer="pat@example.com",
        customer_name=name,
        desk="support@localhost",
        policy="threepbx",
        subject=subject,
        declared_priority=None,
        proposed_priority="P2",
        effective_priority="P2",
        confidence=0.5,
        reasons=(),
        received_at=NOW,
        due_at=NOW + timedelta(hours=2),
        after_hours=False,
        status="new",
        created_at=NOW,
        updated_at=NOW,
    )


def old_ack(t: Ticket, speaker: Speaker, thread: list[str], message_id: str) -> str:
    """The acknowledgement as `EmailMessage` built it before (gateway/ack.py until issue 14)."""
    environment = templates.environment()
    context = {
        "ticket_number": t.number,
        "customer_name": t.customer_name,
        "subject": t.subject,
        **promise_for(POLICY, t).template_context(),
        **speaker.template_context(),
    }
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = formataddr((display_name(speaker.name), mail_address(speaker.address)))
    message["To"] = mail_address("pat@example.com")
    message["Subject"] = subject_text(threaded_subject(t.number, t.subject))
    message["Date"] = format_datetime(NOW)
    message["Message-ID"] = f"<{message_id}>"
    refs = message_id_refs(thread)
    if refs:
        message["In-Reply-To"] = f"<{refs[-1]}>"
        message["References"] = " ".join(f"<{ref}>" for ref in refs)
    message["X-Auto-Response-Suppress"] = "All"
    message["X-Loop"] = mail_address(speaker.address)
    message["X-Intake-Ticket"] = str(t.number)
    message["Auto-Submitted"] = "auto-replied"
    message.set_content(environment.get_template("ack_email.txt.j2").render(context))
    message.add_alternative(
        environment.get_template("ack_email.html.j2").render(context), subtype="html"
    )
    return message.as_bytes().decode("ascii", "replace")


def new_ack(t: Ticket, speaker: Speaker, thread: list[str], message_id: str) -> RenderedEmail:
    return render_ack_email(
        templates.environment(),
        ticket=t,
        promise=promise_for(POLICY, t),
        speaker=speaker,
        to_address="pat@example.com",
        thread=thread,
        message_id=message_id,
        now=NOW,
    )


def parse(data: str) -> Message:
    """As a mail reader does: CRLF becomes its own line end first."""
    return email.message_from_string(data.replace("\r\n", "\n"), policy=email.policy.default)


def assert_well_formed(data: str) -> None:
    assert data.isascii()
    assert "\n" not in data.replace("\r\n", "")
    assert "\r" not in data.replace("\r\n", "")
    head = data.split("\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split("\r\n") if "<" not in line)
    assert all(len(line) <= 998 for line in data.split("\r\n"))


HEADERS = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "X-Auto-Response-Suppress",
    "X-Loop",
    "X-Intake-Ticket",
    "Auto-Submitted",
]


@pytest.mark.parametrize("subject", TRICKY_SUBJECTS)
@pytest.mark.parametrize("name", TRICKY_NAMES)
def test_the_composed_acknowledgement_parses_as_the_email_package_wrote_it(
    subject: str, name: str
) -> None:
    t = ticket(subject, name)
    speaker = Speaker(name or "Bench Support", "support@localhost", "ThreePBX", "")
    thread = ["root@example.com", f"{'r' * 240}@example.com", "latest@example.com"]
    rendered = new_ack(t, speaker, thread, "intake.ack.1001.abc@localhost")
    assert_well_formed(rendered.data)
    new, old = parse(rendered.data), parse(old_ack(t, speaker, thread, rendered.message_id))
    assert sorted(new.keys()) == sorted(old.keys())  # no header more, none injected
    assert "Bcc" not in new
    for header in HEADERS:
        if "=?" in subject and header == "Subject":
            # The email package decodes text that merely looks like an encoded word; we keep
            # the customer's text as text.
            assert str(new[header]).endswith(subject_text(subject))
            continue
        if header == "From":
            # The display name as RFC 2047 reads it (the email package's own phrase parser
            # puts a space between adjacent encoded words, so it is not the judge here).
            raw = dict(new.raw_items())["From"]
            if raw.startswith("=?"):
                decoded = str(make_header(decode_header(raw.rpartition("<")[0].strip())))
            else:
                decoded = new[header].addresses[0].display_name
            assert decoded == display_name(speaker.name)
            assert new[header].addresses[0].addr_spec == old[header].addresses[0].addr_spec
            continue
        assert str(new[header]) == str(old[header]), header
    assert str(new["Subject"]) == rendered.subject
    plain, html = new.get_payload()
    assert plain.get_content_type() == "text/plain"
    assert plain.get_content() == "\n".join(rendered.text.splitlines()) + "\n"
    assert html.get_content_type() == "text/html"
    # (The old builder's base64 parts carried CRLF inside: the same text.)
    assert html.get_content() == old.get_payload()[1].get_content().replace("\r\n", "\n")
    if name.isascii():  # the old builder kept ASCII text intact
        assert plain.get_content() == old.get_payload()[0].get_content().replace("\r\n", "\n")


def test_non_ascii_text_survives_in_the_plain_part() -> None:
    t = ticket("Café ☕ en panne", "Jürgen Müller")
    rendered = new_ack(t, Speaker("Desk", "support@localhost", "", ""), [], "m@localhost")
    plain = parse(rendered.data).get_payload()[0]
    assert plain["Content-Transfer-Encoding"] == "quoted-printable"
    assert "Hello Jürgen Müller," in plain.get_content()


def test_header_lines_fold_and_encode() -> None:
    line = header_line("Subject", "é" * 100)
    assert all(len(part) <= 78 for part in line.split("\r\n"))
    assert str(parse(line + "\r\n\r\n")["Subject"]) == "é" * 100
    assert mailbox("", "Pat@Exämple.com") == "Pat@xn--exmple-cua.com"
    assert mailbox("A, B", "a@b.example") == '"A, B" <a@b.example>'


def test_a_single_part_is_the_body_itself() -> None:
    data = compose(["Subject: hi"], [TextPart("plain", "line one\nline two")])
    message = parse(data)
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == "line one\nline two\n"
    long_line = compose(["Subject: hi"], [TextPart("plain", "x" * 2000)])
    assert_well_formed(long_line)
    assert parse(long_line).get_content() == "x" * 2000 + "\n"


def test_a_staff_reply_in_any_language_reaches_the_customer_intact(tmp_path: Path) -> None:
    settings = load_settings(None, environ={}, overrides={("data_dir",): str(tmp_path)})
    t = ticket("Café ☕ down\r\nBcc: victim@example.org", "Jürgen Müller")
    body = "Grüße aus Köln: wir schauen es uns an.\n— Anna"
    reply = staff_reply(settings, t, [], body, author_name="Anna Müller", now=NOW, token="t1")
    data = reply.payload["message"]
    assert_well_formed(data)
    message = parse(data)
    assert message.get_content() == body + "\n"
    assert "Bcc" not in message
    assert str(message["Subject"]) == "Re: [#1001] Café ☕ down Bcc: victim@example.org"
    assert message["To"].addresses[0].addr_spec == "pat@example.com"
    assert message["From"].addresses[0].addr_spec == "support@localhost"
    raw_from = dict(message.raw_items())["From"]
    name = str(make_header(decode_header(raw_from.rpartition("<")[0].strip())))
    assert name == "Anna Müller (Demo Support)"
