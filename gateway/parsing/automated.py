"""Loop protection: why a message must not get an automatic acknowledgement (RFC 3834)."""

from __future__ import annotations

import re
from collections.abc import Collection

from gateway.parsing.message import ParsedMessage

_DAEMON = re.compile(r"(mailer-daemon|postmaster)([-+._].*)?", re.I)
_NO_REPLY = re.compile(
    r".*(no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply)|(bounces?)([-+._].*)?", re.I
)
_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk", "auto_reply", "auto-reply"})
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|autoreply|"
    r"abwesenheitsnotiz|réponse automatique|respuesta automática|risposta automatica)\b",
    re.I,
)


def automated_reason(
    parsed: ParsedMessage,
    envelope_sender: str | None,
    own_addresses: Collection[str] = (),
    own_message_id_domain: str | None = None,
) -> str | None:
    """The reason not to acknowledge `parsed` automatically, or None if a reply is fine."""
    sender = (envelope_sender or "").strip().strip("<>").strip()
    if not sender:
        return "null envelope sender"
    for reason in (
        _sender_reason(sender, parsed.from_addr),
        "delivery report" if parsed.is_delivery_report else None,
        _header_reason(parsed.auto_headers),
        _own_reason(parsed, own_addresses, own_message_id_domain),
        "auto-reply subject" if _AUTO_REPLY_SUBJECT.match(parsed.subject) else None,
    ):
        if reason:
            return reason
    return None


def _sender_reason(*addresses: str) -> str | None:
    for address in addresses:
        local = address.rsplit("@", 1)[0]
        if _DAEMON.fullmatch(local):
            return "sender is MAILER-DAEMON/postmaster"
        if _NO_REPLY.fullmatch(local):
            return "sender is a no-reply address"
    return None


def _header_reason(headers: dict[str, str]) -> str | None:
    auto_submitted = _first_token(headers.get("auto-submitted"))
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {headers['auto-submitted'].strip()}"
    if _first_token(headers.get("precedence")) in _BULK_PRECEDENCE:
        return f"Precedence: {headers['precedence'].strip()}"
    if "x-autoreply" in headers or "x-autorespond" in headers:
        return "X-Autoreply/X-Autorespond header"
    if "x-auto-response-suppress" in headers:
        return f"X-Auto-Response-Suppress: {headers['x-auto-response-suppress'].strip()}"
    if "list-id" in headers:
        return "mailing list (List-Id)"
    if "list-unsubscribe" in headers:
        return "bulk mail (List-Unsubscribe)"
    return_path = headers.get("return-path")
    if return_path is not None and not return_path.strip().strip("<>").strip():
        return "null envelope sender"
    return None


def _own_reason(
    parsed: ParsedMessage, own_addresses: Collection[str], own_domain: str | None
) -> str | None:
    own = {address.strip().lower() for address in own_addresses}
    if parsed.from_addr and parsed.from_addr in own:
        return "our own message"
    if own_domain and parsed.message_id:
        domain = own_domain.strip().lstrip("@").lower()
        if domain and parsed.message_id.lower().endswith("@" + domain):
            return "our own message"
    return None


def _first_token(value: str | None) -> str:
    if not value:
        return ""
    return value.split(";", 1)[0].strip().lower()
