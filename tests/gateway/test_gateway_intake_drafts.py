"""Acknowledgements drafted on the event loop before their ticket exists (`gateway.ack.AckDraft`):
the mail the customer gets is exactly the one the ticket's transaction would have rendered,
and a draft whose terms do not hold is never used."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from gateway.ack import render_ack_email, speaker_for
from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.config import Settings
from gateway.mailheaders import mail_address
from gateway.promise import promise_for
from gateway.store import tickets as tickets_sql

from .gateway_harness import DefaultProposer, mail, make_settings, query, send, settle

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def gw(settings: Settings, clock: ManualClock) -> AsyncIterator[Gateway]:
    gateway = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.stop()


def _acks(gw: Gateway) -> list[dict[str, Any]]:
    rows = query(
        gw, "SELECT ticket_id, recipient, payload FROM outbox WHERE purpose = 'ack' ORDER BY id"
    )
    return [{**dict(row), "payload": json.loads(row["payload"])} for row in rows]


def _unbounded(data: str) -> str:
    """The message with its random MIME boundary named the same every time."""
    return re.sub(r"=_intake_[0-9a-f]{24}", "=_intake_BOUNDARY", data)


async def _rendered_in_the_transaction(gw: Gateway, ack: dict[str, Any]) -> str:
    """What `render_ack_email` makes of the stored ticket, with the sent mail's own
    Message-ID and Date: the acknowledgement as the transaction used to render it."""
    ticket = await gw.store.read(lambda db: tickets_sql.ticket_by_id(db, ack["ticket_id"]))
    assert ticket is not None
    data = ack["payload"]["message"]
    message_id = re.search(r"^Message-ID: <([^>]+)>", data, re.M)
    date = re.search(r"^Date: (.+?)\r$", data, re.M)
    assert message_id and date
    thread = re.search(r"^In-Reply-To: <([^>]+)>", data, re.M)
    policy = gw.tickets.policy_of(ticket)
    rendered = render_ack_email(
        gw.tickets.notices._templates,
        ticket=ticket,
        promise=promise_for(policy, ticket),
        speaker=speaker_for(gw.settings, ticket, policy),
        to_address=mail_address(ack["recipient"]),
        thread=[thread.group(1)] if thread else [],
        message_id=message_id.group(1),
        now=gw.clock.now(),
    )
    assert f"Date: {date.group(1)}" in rendered.data
    return rendered.data


NAMES_AND_SUBJECTS = [
    ("Pat Customer <pat@example.com>", "Phones are down"),
    ("Zoë Ørsted <zoe@example.com>", "Téléphones en panne — urgent"),
    ('"<b>Bold</b> & Co" <bold@example.com>', "<script>alert(1)</script> & more"),
    ("Long Name <long@example.com>", "word " * 60),
    ("Replying <re@example.com>", "Re: Fwd: about #9999 [nothing]"),
]


@pytest.mark.parametrize(("sender", "subject"), NAMES_AND_SUBJECTS)
async def test_a_drafted_acknowledgement_is_the_one_the_transaction_would_render(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch, sender: str, subject: str
) -> None:
    await send(gw, mail(subject=subject, sender=sender, Message_ID="<m1@example.com>"))
    calls: list[object] = []
    original = render_ack_email

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs.get("ticket"))
        return original(*args, **kwargs)

    monkeypatch.setattr("gateway.ack.render_ack_email", counting)
    await settle(gw)
    assert calls == []  # drafted on the loop, only finished in the transaction
    monkeypatch.undo()
    (ack,) = _acks(gw)
    expected = await _rendered_in_the_transaction(gw, ack)
    assert _unbounded(ack["payload"]["message"]) == _unbounded(expected)
    number = query(gw, "SELECT number FROM tickets")[0]["number"]
    assert not re.search(r"No[0-9a-f]{16}", ack["payload"]["message"])
    assert f"X-Intake-Ticket: {number}" in ack["payload"]["message"]
    (sent,) = query(gw, "SELECT body_text FROM messages WHERE direction = 'out'")
    assert f"ticket #{number}" in sent["body_text"]


async def test_a_third_party_reply_to_is_answered_as_the_store_decides_not_as_drafted(
    gw: Gateway,
) -> None:
    message: EmailMessage = mail(Message_ID="<m2@example.com>")
    message["Reply-To"] = "someone@elsewhere.example"
    await send(gw, message)
    await settle(gw)
    (ack,) = _acks(gw)
    assert ack["recipient"] == "someone@elsewhere.example"
    expected = await _rendered_in_the_transaction(gw, ack)
    assert _unbounded(ack["payload"]["message"]) == _unbounded(expected)


async def test_a_draft_whose_terms_no_longer_hold_is_rendered_again_in_the_transaction(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The terms are checked against the ticket as written: a draft made for another
    subject (here: tampered with between the loop and the write) is never sent."""
    from gateway import intake

    drafted = intake.EmailIntake._draft_ack

    def stale(self: Any, item: Any, parsed: Any, routing: Any, decision: Any) -> Any:
        draft = drafted(self, item, parsed, routing, decision)
        assert draft is not None
        terms = draft.terms.__class__(**{**_fields(draft.terms), "subject": "something else"})
        return draft.__class__(
            terms,
            draft.to,
            draft.draft.__class__(**{**_fields(draft.draft), "subject": "something else"}),
        )

    monkeypatch.setattr(intake.EmailIntake, "_draft_ack", stale)
    await send(gw, mail(subject="Phones are down", Message_ID="<m3@example.com>"))
    await settle(gw)
    (ack,) = _acks(gw)
    assert "Subject: Re: [#1001] Phones are down" in ack["payload"]["message"]
    assert "something else" not in ack["payload"]["message"]


def _fields(value: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__slots__}


async def test_dying_after_drafting_and_before_the_commit_acknowledges_exactly_once(
    gw: Gateway, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A draft lives only in memory and is sent only with its ticket's commit: a worker that
    dies in between leaves the inbox row claimed and nothing written; when the claim runs out
    the message is processed again, and there is one ticket and one acknowledgement."""
    from gateway import intake

    async def dies(self: Any, mails: Any) -> None:
        assert all(m.ack is not None for m in mails)  # drafted, then gone

    await send(gw, mail(subject="Phones are down", Message_ID="<m4@example.com>"))
    monkeypatch.setattr(intake.EmailIntake, "_write", dies)
    assert await gw.intake.run_once() == 1
    monkeypatch.undo()
    assert query(gw, "SELECT * FROM tickets") == [] and _acks(gw) == []
    clock.advance(gw.settings.worker.claim_lease + timedelta(seconds=1))
    await settle(gw)
    assert len(query(gw, "SELECT * FROM tickets")) == 1
    (ack,) = _acks(gw)
    assert "Subject: Re: [#1001] Phones are down" in ack["payload"]["message"]
    assert query(gw, "SELECT state FROM outbox WHERE purpose = 'ack'")[0]["state"] == "sent"


async def test_no_drafts_while_the_desk_budget_is_spent_and_again_once_one_is_sent(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a storm past the desk's budget every acknowledgement is withheld: drafting them on
    the loop would be wasted work, so a desk whose last new ticket went unanswered gets no
    drafts until one of its acknowledgements is sent again (rendered in the transaction)."""
    gw = Gateway(
        make_settings(tmp_path, ack__desk_budget=2),
        clock=clock,
        proposer=DefaultProposer(),
        workers=False,
    )
    await gw.start()
    try:
        drafted: list[str] = []
        draft = gw.tickets.notices.draft_email_ack

        def counting(policy: Any, terms: Any) -> Any:
            drafted.append(terms.subject)
            return draft(policy, terms)

        monkeypatch.setattr(gw.tickets.notices, "draft_email_ack", counting)
        for n in range(3):
            await send(gw, mail(subject=f"first {n}", sender=f"c{n}@example.com"))
        assert await gw.intake.run_once() == 3
        assert drafted == ["first 0", "first 1", "first 2"]
        assert len(_acks(gw)) == 2  # the third is over the budget
        await send(gw, mail(subject="second", sender="d@example.com"))
        assert await gw.intake.run_once() == 1
        assert drafted == ["first 0", "first 1", "first 2"] and len(_acks(gw)) == 2
        clock.advance(gw.settings.ack.desk_window + timedelta(seconds=1))
        await send(gw, mail(subject="third", sender="e@example.com"))
        assert await gw.intake.run_once() == 1  # rendered in the transaction, and sent
        assert len(_acks(gw)) == 3 and "third" not in drafted
        await send(gw, mail(subject="fourth", sender="f@example.com"))
        assert await gw.intake.run_once() == 1
        assert drafted[-1] == "fourth" and len(_acks(gw)) == 4
    finally:
        await gw.stop()


async def test_bodies_rendered_once_per_shape_are_the_ones_jinja_renders_for_each_mail() -> None:
    import templates
    from gateway.ack import AckBodies, Speaker, _ack_bodies
    from gateway.promise import Promise

    environment = templates.environment()
    speaker = Speaker("Desk & Co", "support@localhost", "Contract <1>", "We are closed.")
    promise = Promise("P1", "Urgent", "within 1 hour", None, "Sat 21 Nov", True, "Closed", False)
    bodies = AckBodies(environment)
    renders: list[object] = []
    original = environment.get_template

    def counting(name: str) -> Any:
        renders.append(name)
        return original(name)

    environment.get_template = counting  # type: ignore[method-assign]
    names = ["Pat", "", "<b>Bold</b> & 'Co'", 'Zoë "Z" Ørsted', "{{ x }}", "a\\nb"]
    for name in names:
        assert bodies.of(name, "Phones <down>", promise, speaker) == _ack_bodies(
            environment, name, "Phones <down>", promise, speaker
        )
    # Two shapes (a name, no name), two templates each, plus the direct renders compared.
    assert len(renders) == 2 * 2 + 2 * len(names)
