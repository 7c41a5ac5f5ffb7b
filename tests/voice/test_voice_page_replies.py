"""A page fits one SMS and links to its ticket; staff answer it GoAlert style.

Pages used to run 183-223 characters with a "…" that forced UCS-2 (4 segments a page); a
bare "A" with two open pages silently acknowledged the latest while the other escalated to
the manager; "1001 C", "AA" and any other text were answered with a usage hint and lost.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from voice.smstext import SINGLE_SMS, is_gsm7, septets

from .phone_harness import ALICE, BOB, CUSTOMER, DANA, Desk, sids

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:twilio")

LONG_TRANSCRIPT = (
    "Bonjour, c’est Zoë de l’équipe réseau — “urgent”: none of our phones in Łódź have a dial"
    " tone 📞… complete outage since 02:40, every site, every handset, please call back on"
    " +33 1 23 45 67 89 as soon as possible, we have a trading floor opening at 07:00."
)


def page_bodies(desk: Desk, number: str) -> list[str]:
    return [r.form["Body"] for r in desk.fake.requests if r.form.get("To") == number]


async def test_a_page_is_one_gsm7_sms_with_a_link_to_its_ticket(desk: Desk) -> None:
    number = await desk.voicemail(1, LONG_TRANSCRIPT)
    (body,) = page_bodies(desk, ALICE)
    assert is_gsm7(body), body
    assert septets(body) <= SINGLE_SMS, (septets(body), body)
    assert "…" not in body and "“" not in body
    assert body.startswith(
        f"P1 #{number}: voicemail from {CUSTOMER}: Bonjour, c'est Zoe de l'équipe"
    )
    assert f"https://intake.example.com/t/{number} " in body
    assert "Due Sat 04:00 EST." in body
    assert body.endswith(f"Reply {number} A to ack.")

    # Escalated pages fit too, with their longer prefix.
    desk.clock.advance(timedelta(minutes=10, seconds=1))
    await desk.settle()
    (escalated,) = page_bodies(desk, BOB)
    assert escalated.startswith(f"P1 #{number} (escalated, page 2): voicemail from")
    assert septets(escalated) <= SINGLE_SMS and is_gsm7(escalated)


async def test_a_bare_a_with_several_open_pages_asks_which(desk: Desk) -> None:
    first = await desk.voicemail(1)
    second = await desk.voicemail(2, caller="+12025550124")
    desk.clock.advance(timedelta(seconds=61))
    await desk.settle()
    assert len(page_bodies(desk, ALICE)) == 2

    _, reply = await desk.phone.text(ALICE, "A", sids("SM", 1))
    assert "2 open pages" in reply and str(first) in reply and str(second) in reply
    assert desk.events("page-acknowledged") == []

    _, reply = await desk.phone.text(ALICE, f"{first} A", sids("SM", 2))
    assert f"acknowledged ticket {first}" in reply
    _, reply = await desk.phone.text(ALICE, "A", sids("SM", 3))  # one left: no question
    assert f"acknowledged ticket {second}" in reply
    desk.clock.advance(timedelta(hours=1))
    await desk.settle()
    assert page_bodies(desk, BOB) == [] and page_bodies(desk, DANA) == []


async def test_aa_acknowledges_all_of_mine(desk: Desk) -> None:
    numbers = [await desk.voicemail(n, caller=f"+1202555012{n}") for n in (1, 2, 3)]
    desk.clock.advance(timedelta(seconds=61))
    await desk.settle()
    first, bundle = page_bodies(desk, ALICE)  # the two held back go together, a minute later
    assert first.startswith(f"P1 #{numbers[0]}:")
    assert bundle.startswith(f"P1 #{numbers[1]}:") and f"+1 more: #{numbers[2]}." in bundle
    assert bundle.endswith(f"Reply {numbers[1]} A, or AA for all.")
    assert septets(bundle) <= SINGLE_SMS
    _, reply = await desk.phone.text(ALICE, "AA", sids("SM", 1))
    assert "acknowledged 3 pages" in reply and all(str(n) in reply for n in numbers)
    acks = [json.loads(e["detail"]) for e in desk.events("page-acknowledged")]
    assert [a["staff"] for a in acks] == ["alice"] * 3
    desk.clock.advance(timedelta(hours=1))
    await desk.settle()
    assert page_bodies(desk, BOB) == []
    _, reply = await desk.phone.text(ALICE, "aa", sids("SM", 2))
    assert "no open pages" in reply


async def test_1001_c_closes_the_ticket_and_stops_paging(desk: Desk) -> None:
    number = await desk.voicemail(1)
    _, reply = await desk.phone.text(ALICE, "C", sids("SM", 1))
    assert f'"{number} C"' in reply  # a bare C asks for the number
    _, reply = await desk.phone.text(ALICE, f"{number} c", sids("SM", 2))
    assert f"closed ticket {number}" in reply
    (ticket,) = desk.query("SELECT status FROM tickets WHERE number = ?", number)
    assert ticket["status"] == "closed"
    (resolved,) = desk.events("resolved-by-page")
    assert json.loads(resolved["detail"])["staff"] == "alice"
    # Through the ticket service's lifecycle, like every other status change.
    (changed,) = desk.events("status-changed")
    assert json.loads(changed["detail"])["new"] == "closed"
    assert json.loads(changed["detail"])["by"] == "sms:alice"
    (chain,) = desk.query("SELECT state, acked_by FROM page_chains")
    assert (chain["state"], chain["acked_by"]) == ("acknowledged", "alice")
    desk.clock.advance(timedelta(hours=1))
    await desk.settle()
    assert page_bodies(desk, BOB) == []
    _, reply = await desk.phone.text(BOB, f"{number} C", sids("SM", 3))
    assert "already closed" in reply


async def test_anything_else_a_staff_member_texts_is_a_note(desk: Desk) -> None:
    number = await desk.voicemail(1)
    _, reply = await desk.phone.text(ALICE, "On my way, 10 min. Customer’s VPN?", sids("SM", 1))
    assert f"noted on ticket {number}" in reply and f'"{number} A"' in reply
    (note,) = desk.events("note")
    detail = json.loads(note["detail"])
    assert detail["author"] == "alice" and detail["name"] == "Alice Example"
    assert detail["text"] == "On my way, 10 min. Customer’s VPN?"
    assert desk.events("page-acknowledged") == []  # a note is not an acknowledgement
    assert desk.query("SELECT * FROM tickets WHERE channel = 'sms'") == []
