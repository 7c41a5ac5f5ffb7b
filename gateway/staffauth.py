"""Whether mail from a staff address really comes from that staff member.

A staff member's mail to the desk becomes their public reply, sent to the customer as the
desk; anyone can write a staff address into From, so the address alone proves nothing. The
proof is an `Authentication-Results` header (RFC 8601) that an MTA in front of Intake added:
its authserv-id is one of `[email] trusted_authserv_ids`, and it says `dmarc=pass` for the
From domain (`header.from`) or `dkim=pass` with a signing domain (`header.d`) equal to it.

Only the topmost run of `Authentication-Results` headers counts, the ones the last hop (the
trusted MTA) added; any further down were written by earlier hops or by the sender, and are
ignored even when they name a trusted authserv-id. The trusted MTA must remove headers that
arrive bearing its own authserv-id (RFC 8601 section 5; OpenDMARC and Rspamd do).

For the demo desk, which has no MTA in front of it, `[email] trust_loopback_staff_mail`
accepts staff mail handed over from this machine (127.0.0.1 or ::1) instead. Never set it
where an MTA on the same machine relays mail from elsewhere.

Unproven mail from a staff address is not a reply: the caller keeps it as an ordinary message
on the ticket (never sent on to the customer); `vouched_for` logs it and notes it on the
ticket, so that staff see why.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from gateway.config import EmailSettings
from gateway.parsing import ParsedMessage
from gateway.store import tickets as sql
from gateway.store.connection import Connection
from gateway.store.records import Ticket

log = logging.getLogger(__name__)

HEADER = "authentication-results"
_RESULT = re.compile(r"^\s*(dkim|dmarc)\s*=\s*([a-z]+)\b(.*)$", re.IGNORECASE | re.DOTALL)
_PROPERTY = re.compile(r"\b(header\.d|header\.from|header\.i)\s*=\s*\"?([^\s;\"]+)", re.I)
_COMMENT = re.compile(r"\([^()]*\)")


def topmost_results(headers: Iterable[tuple[str, str]]) -> list[str]:
    """The values of the first run of Authentication-Results headers, from the top."""
    run: list[str] = []
    for name, value in headers:
        if name.lower() == HEADER:
            run.append(value)
        elif run:
            break
    return run


def _passes(value: str, trusted: frozenset[str], domain: str) -> str | None:
    """What in one header value proves `domain` (e.g. "dmarc=pass by mx.example.com")."""
    text = _COMMENT.sub(" ", value)
    authserv, _, rest = text.partition(";")
    authserv_id = authserv.split()[0].lower() if authserv.split() else ""
    if authserv_id not in trusted:
        return None
    for clause in rest.split(";"):
        match = _RESULT.match(clause)
        if match is None or match.group(2).lower() != "pass":
            continue
        method = match.group(1).lower()
        props = {k.lower(): v.lower() for k, v in _PROPERTY.findall(match.group(3))}
        if method == "dmarc" and props.get("header.from") == domain:
            return f"dmarc=pass for {domain} by {authserv_id}"
        signer = props.get("header.d") or props.get("header.i", "").rpartition("@")[2]
        if method == "dkim" and signer == domain:
            return f"dkim=pass for {domain} by {authserv_id}"
    return None


def proof(message: ParsedMessage, peer: str | None, settings: EmailSettings) -> str | None:
    """What proves that the message comes from its From address, or None."""
    domain = message.from_addr.rpartition("@")[2].lower()
    trusted = frozenset(a.lower() for a in settings.trusted_authserv_ids)
    if domain and trusted:
        for value in topmost_results(message.headers):
            if (found := _passes(value, trusted, domain)) is not None:
                return found
    if settings.trust_loopback_staff_mail and peer is not None:
        try:
            if ipaddress.ip_address(peer).is_loopback:
                return f"handed over from this machine ({peer})"
        except ValueError:
            pass
    return None


async def vouched_for(
    db: Connection,
    ticket: Ticket,
    message: ParsedMessage,
    meta: dict[str, Any],
    settings: EmailSettings,
    now: datetime,
) -> bool:
    """True if the staff member's mail may go to the customer as their reply; otherwise the
    ticket gets a note saying why it did not, and the log an INFO line. `meta` is the inbox
    row's: an imported mailbox (`imported`) is history, not delivered, and needs no proof."""
    if meta.get("imported") or proof(message, meta.get("peer"), settings) is not None:
        return True
    reason = (
        f"mail from staff address {message.from_addr} was not proven to come from them"
        " (no Authentication-Results from a trusted MTA with dmarc or dkim pass for its"
        " domain): kept as a message, not sent to the customer"
    )
    await sql.add_event(db, ticket.id, now, "staff-mail-unverified", reason=reason)
    log.info(
        "ticket %d: %s",
        ticket.number,
        reason,
        extra={"ticket": ticket.number, "event": "staff-mail-unverified"},
    )
    return False
