"""Hostile and careless mail over real SMTP on loopback (issue 9 items 2, 3, 5; issue 10 item 6):
every accepted message keeps its text, a different message is never taken for a copy, the
desk answers no loop and relays no spam, and a stranger cannot join someone else's ticket."""

from __future__ import annotations

import email
import email.policy
import json
import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock

from .gateway_harness import (
    DefaultProposer,
    mail,
    make_settings,
    outgoing_mail,
    query,
    send,
    settle,
)

pytestmark = pytest.mark.asyncio


def _read(path: Path) -> EmailMessage:
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _acks(gw: Gateway) -> list[EmailMessage]:
    return [_read(path) for path in outgoing_mail(gw)]


def _events(gw: Gateway, kind: str) -> list[dict[str, Any]]:
    rows = query(gw, "SELECT ticket_id, detail FROM events WHERE kind = ? ORDER BY id", kind)
    return [{"ticket_id": r["ticket_id"], **json.loads(r["detail"])} for r in rows]


def _raw(
    subject: bytes, body: bytes = b"No dial tone on any phone since 8am.", **extra: str
) -> bytes:
    headers = [
        b"From: Pat Customer <pat@example.com>",
        b"To: support@localhost",
        b"Subject: " + subject,
        b"Date: Sat, 21 Nov 2026 10:00:00 -0500",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=utf-8",
        b"Content-Transfer-Encoding: 8bit",
    ]
    headers += [f"{k.replace('_', '-')}: {v}".encode() for k, v in extra.items()]
    return b"\r\n".join(headers) + b"\r\n\r\n" + body + b"\r\n"


async def _gateway(tmp_path: Path, clock: ManualClock, **overrides: Any) -> Gateway:
    gw = Gateway(
        make_settings(tmp_path, **overrides), clock=clock, proposer=DefaultProposer(), workers=False
    )
    await gw.start()
    return gw


@pytest.fixture
async def gw(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Gateway]:
    gateway = await _gateway(tmp_path, clock)
    try:
        yield gateway
    finally:
        await gateway.stop()


# -- 9.2: processing and acknowledging fail independently ----------------------------------

HOSTILE_SUBJECTS = {
    "U+2028": "[P1] Phones down\u2028now".encode(),
    "NEL": "[P1] Phones down\u0085now".encode(),
    "encoded LF": b"=?utf-8?q?=5BP1=5D_Phones_down=0Anow?=",
    "encoded CR LF": b"=?utf-8?q?=5BP1=5D_Phones_down=0D=0ABcc:_victim@example.org?=",
    "encoded U+2029": b"=?utf-8?b?W1AxXSBQaG9uZXMgZG93buKAqW5vdw==?=",
}


@pytest.mark.parametrize("case", sorted(HOSTILE_SUBJECTS))
async def test_a_subject_with_a_line_break_keeps_text_priority_and_acknowledgement(
    gw: Gateway, case: str
) -> None:
    await send(gw, _raw(HOSTILE_SUBJECTS[case]))
    await settle(gw)
    (ticket,) = query(gw, "SELECT * FROM tickets")
    assert ticket["subject"] != "(message could not be processed)"
    assert ticket["effective_priority"] == "P1"  # declared [P1], as the policy allows
    assert "\n" not in ticket["subject"] and "\u2028" not in ticket["subject"]
    (message,) = query(gw, "SELECT body_text FROM messages WHERE direction = 'in'")
    assert "No dial tone" in message["body_text"]
    (ack,) = _acks(gw)
    assert f"[#{ticket['number']}]" in ack["Subject"]
    assert "Bcc" not in ack and "victim" not in str(ack.get("To"))


async def test_a_huge_subject_is_kept_in_the_ticket_and_capped_in_the_acknowledgement(
    gw: Gateway,
) -> None:
    words = b"Phones down " * 24_075  # 288,900 characters
    folded = b"\r\n ".join(words[i : i + 900] for i in range(0, len(words), 900))
    await send(gw, _raw(b"[P1] " + folded))
    await settle(gw)
    (ticket,) = query(gw, "SELECT * FROM tickets")
    assert ticket["effective_priority"] == "P1"
    assert ticket["subject"].startswith("[P1] Phones down")
    (ack,) = _acks(gw)
    assert 50 < len(ack["Subject"]) <= 220 and ack["Subject"].endswith("…")


async def test_an_unwritable_address_holds_only_the_acknowledgement(gw: Gateway) -> None:
    raw = _raw(b"[P1] Phones down").replace(
        b"From: Pat Customer <pat@example.com>", "From: Jörg <jörg@exämple.de>".encode()
    )
    await send(gw, raw, sender="joerg@example.de")
    await settle(gw)
    (ticket,) = query(gw, "SELECT * FROM tickets")
    assert ticket["subject"] == "[P1] Phones down" and ticket["effective_priority"] == "P1"
    (message,) = query(gw, "SELECT body_text FROM messages WHERE direction = 'in'")
    assert "No dial tone" in message["body_text"]
    assert _acks(gw) == []
    (held,) = _events(gw, "ack-suppressed")
    assert "SMTPUTF8" in held["reason"]


async def test_an_internationalised_domain_is_acknowledged_in_ascii(gw: Gateway) -> None:
    raw = _raw(b"Phones down").replace(
        b"From: Pat Customer <pat@example.com>", "From: Pat <pat@exämple.de>".encode()
    )
    await send(gw, raw, sender="pat@xn--exmple-cua.de")
    await settle(gw)
    (ack,) = _acks(gw)
    assert ack["To"] == "pat@xn--exmple-cua.de"
    (outbox,) = query(gw, "SELECT recipient, state FROM outbox")
    assert outbox["state"] == "sent"


async def test_any_fault_building_the_acknowledgement_holds_only_the_acknowledgement(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("template store unreadable")

    monkeypatch.setattr("gateway.ack.draft_ack_email", broken)
    await send(gw, mail(subject="[P1] Phones down"))
    await settle(gw)
    (ticket,) = query(gw, "SELECT * FROM tickets")
    assert ticket["subject"] == "[P1] Phones down" and ticket["effective_priority"] == "P1"
    (inbox,) = query(gw, "SELECT state, attempts FROM inbox")
    assert inbox["state"] == "done" and inbox["attempts"] == 0
    assert _acks(gw) == [] and query(gw, "SELECT * FROM outbox") == []
    (held,) = _events(gw, "ack-suppressed")
    assert "template store unreadable" in held["reason"]


# -- 9.3: deduplication never drops a different message ------------------------------------


async def test_an_appliance_reusing_one_message_id_loses_no_alert(gw: Gateway) -> None:
    for host in ("pbx1", "pbx2", "pbx3"):
        alert = mail(
            subject=f"ALERT disk full on {host}",
            body=f"/var on {host} is 97% full.",
            sender="monitor@appliance.example",
            Message_ID="<static-id@appliance>",
        )
        await send(gw, alert, sender="monitor@appliance.example")
    await settle(gw)
    texts = [
        r["body_text"] for r in query(gw, "SELECT body_text FROM messages WHERE direction = 'in'")
    ]
    assert len(texts) == 3 and all(any(h in t for t in texts) for h in ("pbx1", "pbx2", "pbx3"))
    reused = _events(gw, "message-id-reused")
    assert len(reused) == 2 and all(e["message_id"] == "static-id@appliance" for e in reused)


async def test_a_true_copy_is_still_stored_once(gw: Gateway) -> None:
    message = mail(Message_ID="<once@example.com>")
    await send(gw, message)
    await send(gw, b"Received: from second.route.example by mx\r\n" + message.as_bytes())
    await settle(gw)
    assert len(query(gw, "SELECT * FROM messages WHERE direction = 'in'")) == 1
    assert len(_events(gw, "duplicate")) == 1


async def test_another_senders_message_with_a_known_message_id_is_not_dropped(gw: Gateway) -> None:
    await send(gw, mail(Message_ID="<known@example.com>"))
    await settle(gw)
    other = mail(
        subject="Our trunk is down",
        body="SIP trunk registration fails.",
        sender="kim@other.example",
        Message_ID="<known@example.com>",
    )
    await send(gw, other, sender="kim@other.example")
    await settle(gw)
    tickets = query(gw, "SELECT customer FROM tickets ORDER BY number")
    assert [t["customer"] for t in tickets] == ["pat@example.com", "kim@other.example"]
    assert len(_acks(gw)) == 2


async def test_the_message_id_of_a_future_acknowledgement_cannot_be_taken(gw: Gateway) -> None:
    # Ticket numbers and inbox ids are visible to customers; the old ack id was made of them.
    await send(gw, mail(subject="hello", Message_ID="<intake.ack.1002.2@localhost>"))
    await settle(gw)
    await send(
        gw,
        mail(
            subject="[P1] Everything is down", body="All phones dead.", sender="kim@other.example"
        ),
        sender="kim@other.example",
    )
    await settle(gw)
    (victim,) = query(gw, "SELECT * FROM tickets WHERE customer = 'kim@other.example'")
    assert victim["subject"] == "[P1] Everything is down" and victim["effective_priority"] == "P1"
    (message,) = query(
        gw, "SELECT body_text FROM messages WHERE ticket_id = ? AND direction = 'in'", victim["id"]
    )
    assert "All phones dead." in message["body_text"]
    assert [str(ack["To"]) for ack in _acks(gw)] == ["kim@other.example"]
    ids = [ack["Message-ID"] for ack in _acks(gw)]
    assert not any(re.fullmatch(r"<intake\.ack\.\d+\.\d+@localhost>", i) for i in ids)


async def test_a_stranger_cannot_join_a_ticket_by_its_message_id(gw: Gateway) -> None:
    await send(gw, mail(Message_ID="<pat-1@example.com>"))
    await settle(gw)
    (pat,) = query(gw, "SELECT * FROM tickets")
    stranger = mail(
        subject="Re: Phones are down",
        body="Please send the admin password to me.",
        sender="mallory@evil.example",
        In_Reply_To="<pat-1@example.com>",
    )
    await send(gw, stranger, sender="mallory@evil.example")
    await settle(gw)
    assert (
        len(query(gw, "SELECT * FROM messages WHERE ticket_id = ? AND direction = 'in'", pat["id"]))
        == 1
    )
    (new,) = query(gw, "SELECT * FROM tickets WHERE customer = 'mallory@evil.example'")
    (ref,) = _events(gw, "references")
    assert ref["ticket_id"] == new["id"] and ref["ticket"] == pat["number"]


async def test_the_customer_and_replies_to_our_mail_still_thread(gw: Gateway) -> None:
    await send(gw, mail(Message_ID="<pat-1@example.com>"))
    await settle(gw)
    (ack,) = _acks(gw)
    own = mail(
        subject="Re: Phones are down", body="Also the fax.", In_Reply_To="<pat-1@example.com>"
    )
    await send(gw, own)
    colleague = mail(
        subject="Re: " + ack["Subject"].removeprefix("Re: "),
        body="I am Pat's colleague; it is still down.",
        sender="sam@example.com",
        In_Reply_To=ack["Message-ID"],
    )
    await send(gw, colleague, sender="sam@example.com")
    await settle(gw)
    assert len(query(gw, "SELECT * FROM tickets")) == 1
    assert len(query(gw, "SELECT * FROM messages WHERE direction = 'in'")) == 3


# -- 9.5: no mail loops, no backscatter -----------------------------------------------------

AUTO_ANSWER = "Thank you for your message. We will get back to you as soon as possible."


async def test_an_auto_responder_with_a_new_address_each_time_gets_no_loop(gw: Gateway) -> None:
    await send(gw, mail())
    await settle(gw)
    for n in range(20):
        sender = f"reply-{n}-{n * 7919}@helpdesk.vendor.example"
        answer = mail(subject="Your request has been received", body=AUTO_ANSWER, sender=sender)
        await send(gw, answer, sender=sender)
        await settle(gw)
    acks = _acks(gw)
    assert len(acks) <= 3, f"{len(acks)} acknowledgements to a loop"
    suppressed = [e["reason"] for e in _events(gw, "ack-suppressed")]
    assert suppressed and all("loop" in r for r in suppressed)


async def test_the_desk_has_an_acknowledgement_budget(tmp_path: Path, clock: ManualClock) -> None:
    gw = await _gateway(tmp_path, clock, ack__desk_budget=5, ack__desk_window="10m")
    try:
        for n in range(8):
            sender = f"customer{n}@example{n}.com"
            await send(
                gw, mail(subject=f"problem {n}", body=f"text {n}", sender=sender), sender=sender
            )
        await settle(gw)
        assert len(query(gw, "SELECT * FROM tickets")) == 8
        assert len(_acks(gw)) == 5
        reasons = [e["reason"] for e in _events(gw, "ack-suppressed")]
        assert len(reasons) == 3 and all("budget" in r for r in reasons)
        clock.advance(timedelta(minutes=11))
        await send(gw, mail(subject="later", sender="late@example.com"), sender="late@example.com")
        await settle(gw)
        assert len(_acks(gw)) == 6
    finally:
        await gw.stop()


async def test_each_desk_has_its_own_budget_and_old_outbox_rows_learn_their_desk(
    tmp_path: Path, clock: ManualClock
) -> None:
    desks = [
        {"address": "support@localhost", "policy": "threepbx"},
        {"address": "noc@localhost", "policy": "threepbx"},
    ]
    gw = await _gateway(tmp_path, clock, desks=desks, ack__desk_budget=2)
    try:
        for n in range(3):
            sender = f"customer{n}@example{n}.com"
            message = mail(subject=f"problem {n}", body=f"text {n}", sender=sender)
            await send(gw, message, sender=sender)
        await send(
            gw,
            mail(sender="ops@example.net"),
            sender="ops@example.net",
            recipients=["noc@localhost"],
        )
        await settle(gw)
        assert len(_acks(gw)) == 3  # two of support's three, and noc's own
        rows = query(gw, "SELECT desk, COUNT(*) AS n FROM outbox GROUP BY desk ORDER BY desk")
        assert [tuple(r) for r in rows] == [("noc@localhost", 1), ("support@localhost", 2)]
    finally:
        await gw.stop()
    # A database from before the desk migration (and any after it): its outbox rows are given
    # their ticket's desk.
    from gateway.store.schema import MIGRATIONS

    desk_migration = next(n for n, m in enumerate(MIGRATIONS, 1) if "ADD COLUMN desk" in m)
    search = next(n for n, m in enumerate(MIGRATIONS, 1) if "ticket search by trigram" in m)
    chains = next(n for n, m in enumerate(MIGRATIONS, 1) if "page chains: one per ticket" in m)
    urgent = next(n for n, m in enumerate(MIGRATIONS, 1) if "outbox_urgent_due" in m)
    lane = next(n for n, m in enumerate(MIGRATIONS, 1) if "inbox_lane_urgent" in m)
    assert (desk_migration, search, chains, urgent, lane) == (
        len(MIGRATIONS) - 4,
        len(MIGRATIONS) - 3,
        len(MIGRATIONS) - 2,
        len(MIGRATIONS) - 1,
        len(MIGRATIONS),
    ), "undo the later migrations here too"
    path = tmp_path / "intake.db"
    with sqlite3.connect(path) as db:
        # 16 (page chains) rebuilds its table when it runs again: dropping its indexes is enough.
        db.executescript(
            "DROP TABLE inbox_lane; DROP INDEX outbox_urgent_due;"
            " DROP INDEX page_chains_one_running; DROP INDEX page_chains_ticket;"
            " DROP TRIGGER tickets_search_insert; DROP TRIGGER tickets_search_delete;"
            " DROP TRIGGER tickets_search_update; DROP TABLE tickets_search;"
            " DROP INDEX outbox_desk_acks; ALTER TABLE outbox DROP COLUMN desk;"
            f" PRAGMA user_version = {desk_migration - 1};"
        )
    gw = await _gateway(tmp_path, clock, desks=desks, ack__desk_budget=2)
    try:
        rows = query(gw, "SELECT desk FROM outbox ORDER BY id")
        assert [r["desk"] for r in rows] == ["support@localhost"] * 2 + ["noc@localhost"]
    finally:
        await gw.stop()


@pytest.mark.parametrize(
    ("header", "value"),
    [("X-Loop", "helpdesk@vendor.example"), ("X-OTRS-Loop", "yes"), ("X-Autorespond", "yes")],
)
async def test_loop_headers_of_other_helpdesks_get_no_acknowledgement(
    gw: Gateway, header: str, value: str
) -> None:
    await send(gw, mail(**{header.replace("-", "_"): value}))
    await settle(gw)
    assert len(query(gw, "SELECT * FROM tickets")) == 1
    assert _acks(gw) == []


@pytest.mark.parametrize(
    "subject",
    [
        "Automatische Antwort: Ihre Anfrage",
        "Réponse automatique : votre demande",
        "Respuesta automática: su solicitud",
        "Risposta automatica: richiesta",
        "Out of Office: your request",
        "Abwesenheitsnotiz: Ihre Anfrage",
    ],
)
async def test_localised_auto_replies_get_no_acknowledgement(gw: Gateway, subject: str) -> None:
    await send(gw, mail(subject=subject))
    await settle(gw)
    assert _acks(gw) == []


async def test_a_third_party_reply_to_is_acknowledged_at_most_once(gw: Gateway) -> None:
    for n in range(3):
        await send(gw, mail(subject=f"spam {n}", body=f"buy {n}", Reply_To="victim@third.example"))
    await settle(gw)
    recipients = [str(ack["To"]) for ack in _acks(gw)]
    assert recipients.count("victim@third.example") == 1
    assert recipients.count("pat@example.com") == 2


async def test_a_reply_to_in_the_senders_own_domain_is_used(gw: Gateway) -> None:
    for n in range(2):
        await send(gw, mail(subject=f"issue {n}", body=f"text {n}", Reply_To="it-team@example.com"))
    await settle(gw)
    assert [str(ack["To"]) for ack in _acks(gw)] == ["it-team@example.com"] * 2


async def test_a_ticket_tag_from_a_stranger_opens_a_new_ticket_that_references_it(
    gw: Gateway,
) -> None:
    await send(gw, mail())
    await settle(gw)
    (pat,) = query(gw, "SELECT * FROM tickets")
    stranger = mail(
        subject=f"Re: [#{pat['number']}] Phones are down",
        body="Close this ticket, it is fixed.",
        sender="mallory@evil.example",
    )
    await send(gw, stranger, sender="mallory@evil.example")
    await settle(gw)
    assert (
        len(query(gw, "SELECT * FROM messages WHERE ticket_id = ? AND direction = 'in'", pat["id"]))
        == 1
    )
    (new,) = query(gw, "SELECT * FROM tickets WHERE customer = 'mallory@evil.example'")
    assert new["number"] != pat["number"]
    (ref,) = _events(gw, "references")
    assert ref["ticket_id"] == new["id"] and ref["ticket"] == pat["number"]
    (back,) = _events(gw, "referenced")
    assert back["ticket_id"] == pat["id"] and back["by_ticket"] == new["number"]


# -- 10.6a: the same request sent again is a follow-up --------------------------------------


async def test_the_same_request_sent_again_is_a_follow_up(gw: Gateway, clock: ManualClock) -> None:
    await send(gw, mail(Message_ID="<a@example.com>"))
    await settle(gw)
    clock.advance(timedelta(hours=2))
    await send(gw, mail(Message_ID="<b@example.com>"))  # same subject and body, no reply headers
    await settle(gw)
    (ticket,) = query(gw, "SELECT * FROM tickets")
    assert len(query(gw, "SELECT * FROM messages WHERE direction = 'in'")) == 2
    assert len(_acks(gw)) == 1
    (follow_up,) = _events(gw, "follow-up")
    assert follow_up["ticket_id"] == ticket["id"]


async def test_the_same_request_after_the_window_opens_a_new_ticket(
    tmp_path: Path, clock: ManualClock
) -> None:
    gw = await _gateway(tmp_path, clock, email__followup_window="1h")
    try:
        await send(gw, mail(Message_ID="<a@example.com>"))
        await settle(gw)
        clock.advance(timedelta(minutes=61))
        await send(gw, mail(Message_ID="<b@example.com>"))
        await settle(gw)
        assert len(query(gw, "SELECT * FROM tickets")) == 2
        assert len(_acks(gw)) == 2
    finally:
        await gw.stop()


async def test_the_same_text_from_someone_else_is_their_own_ticket(gw: Gateway) -> None:
    await send(gw, mail())
    await send(gw, mail(sender="kim@other.example"), sender="kim@other.example")
    await settle(gw)
    assert len(query(gw, "SELECT * FROM tickets")) == 2
