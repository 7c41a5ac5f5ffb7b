"""Mail from a staff address is their reply to the customer only with proof: anyone can write
a staff address into From. The proof is the trusted MTA's Authentication-Results (RFC 8601)
at the top of the header, or, for the demo desk, a hand-over from this machine when allowed."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from gateway.app import Gateway
from gateway.config import EmailSettings, Settings
from gateway.parsing import parse_message
from gateway.staffauth import proof

from ..api.api_harness import Api, staff_with_token
from .gateway_harness import mail, make_settings, outgoing_mail, query, send, settle
from .lifecycle_harness import events, new_mail

MTA = "mx.example.com"
TRUSTING = EmailSettings(trusted_authserv_ids=(MTA,))


def _staff_mail(*results: str, received_between: bool = False) -> bytes:
    top = [f"Authentication-Results: {value}" for value in results]
    if received_between and len(top) > 1:
        top.insert(1, "Received: from relay.example.net by mx.example.com; Sat, 21 Nov 2026")
    body = mail(subject="Re: [#1001] No dial tone", sender="Alice <alice@example.com>")
    return ("\r\n".join(top) + "\r\n").encode() + body.as_bytes() if top else body.as_bytes()


def _proof(raw: bytes, settings: EmailSettings = TRUSTING, peer: str | None = None) -> object:
    return proof(parse_message(raw), peer, settings)


def test_a_forged_from_without_results_proves_nothing() -> None:
    assert _proof(_staff_mail()) is None


def test_a_trusted_mta_passing_dmarc_or_dkim_for_the_from_domain_proves_it() -> None:
    dmarc = (
        f"{MTA}; spf=pass smtp.mailfrom=example.com; dmarc=pass (p=reject) header.from=example.com"
    )
    assert _proof(_staff_mail(dmarc)) == f"dmarc=pass for example.com by {MTA}"
    dkim = f"{MTA} 1; dkim=pass (2048-bit key) header.d=Example.COM header.s=sel"
    assert _proof(_staff_mail(dkim)) == f"dkim=pass for example.com by {MTA}"


def test_results_that_do_not_pass_for_the_from_domain_prove_nothing() -> None:
    assert _proof(_staff_mail(f"{MTA}; dmarc=fail header.from=example.com")) is None
    assert _proof(_staff_mail(f"{MTA}; dkim=pass header.d=attacker.example")) is None
    assert _proof(_staff_mail(f"{MTA}; spf=pass smtp.mailfrom=example.com")) is None


def test_an_untrusted_authserv_id_is_ignored() -> None:
    assert _proof(_staff_mail("mx.attacker.example; dmarc=pass header.from=example.com")) is None
    # Nothing is trusted by default.
    trusted = _staff_mail(f"{MTA}; dmarc=pass header.from=example.com")
    assert _proof(trusted, EmailSettings()) is None


def test_a_header_from_a_later_hop_is_ignored() -> None:
    # The trusted MTA's own header (top) says fail; a "pass" further down, below the hop
    # that carried it, was written by the sender and proves nothing.
    raw = _staff_mail(
        f"{MTA}; dmarc=fail header.from=example.com",
        f"{MTA}; dmarc=pass header.from=example.com",
        received_between=True,
    )
    assert _proof(raw) is None
    # Without a hop between, both are the trusted MTA's (one header per method): either counts.
    raw = _staff_mail(
        f"{MTA}; spf=pass smtp.mailfrom=example.com",
        f"{MTA}; dkim=pass header.d=example.com",
    )
    assert _proof(raw) == f"dkim=pass for example.com by {MTA}"


def test_the_demo_may_trust_mail_handed_over_from_this_machine() -> None:
    loopback = EmailSettings(trust_loopback_staff_mail=True)
    assert (
        _proof(_staff_mail(), loopback, "127.0.0.1") == "handed over from this machine (127.0.0.1)"
    )
    assert _proof(_staff_mail(), loopback, "::1") is not None
    assert _proof(_staff_mail(), loopback, "192.0.2.7") is None
    assert _proof(_staff_mail(), EmailSettings(), "127.0.0.1") is None


# -- end to end: a forged staff reply never reaches the customer -------------------------------


@pytest.fixture
def settings(tmp_path: Path, store_url: str | None) -> Settings:
    return make_settings(tmp_path, store__url=store_url, email__trusted_authserv_ids=[MTA])


@pytest.fixture
async def api(gateway: Gateway) -> AsyncIterator[Api]:
    token = await staff_with_token(gateway, "alice@example.com", "agent")
    host, port = gateway.http_address
    async with aiohttp.ClientSession() as session:
        yield Api(session, f"http://{host}:{port}/api/v1", token)


async def test_forged_staff_mail_is_kept_as_a_message_and_never_sent_to_the_customer(
    gateway: Gateway, api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    await send(gateway, mail(subject="No dial tone", Message_ID="<pat-1@example.com>"))
    await settle(gateway)
    number = int(query(gateway, "SELECT MAX(number) FROM tickets")[0][0])
    before = set(outgoing_mail(gateway))
    forged = mail(
        subject=f"Re: [#{number}] No dial tone",
        body="Please send your admin password to this address.",
        sender="Alice Agent <alice@example.com>",
        In_Reply_To="<pat-1@example.com>",
        Authentication_Results="mx.attacker.example; dmarc=pass header.from=example.com",
    )
    with caplog.at_level(logging.INFO, logger="gateway.staffauth"):
        await send(gateway, forged, sender="alice@example.com")
        await settle(gateway)
    # Before: relayed to Pat from the desk's address as Alice's public reply.
    assert events(gateway, number, "replied") == []
    to_pat = [m for m in new_mail(gateway, before) if "pat@example.com" in str(m["To"])]
    assert to_pat == []
    payloads = " ".join(r[0] for r in query(gateway, "SELECT payload FROM outbox"))
    assert "admin password" not in payloads
    (note,) = events(gateway, number, "staff-mail-unverified")
    assert "alice@example.com" in note["reason"] and "not sent to the customer" in note["reason"]
    kept = query(
        gateway, "SELECT sender FROM messages WHERE direction = 'in' AND body_text LIKE '%admin%'"
    )
    assert [r[0] for r in kept] == ["alice@example.com"]
    assert any("staff address alice@example.com" in r.getMessage() for r in caplog.records)
