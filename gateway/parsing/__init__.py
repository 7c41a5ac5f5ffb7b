"""Mail parsing: raw bytes into a ParsedMessage (text in any charset, the latest reply,
attachments, declared priority hints, threading ids) plus loop protection and ticket tags.

    parsed = parse_message(raw)                  # never raises
    reason = automated_reason(parsed, envelope_sender, own_addresses, own_message_id_domain)
    number = ticket_tag(parsed.subject)          # [#123] -> 123
"""

from gateway.parsing.automated import automated_reason
from gateway.parsing.body import Attachment
from gateway.parsing.declared import declared_hints
from gateway.parsing.message import ParsedMessage, parse_message
from gateway.parsing.tags import strip_ticket_tag, ticket_tag

__all__ = [
    "Attachment",
    "ParsedMessage",
    "automated_reason",
    "declared_hints",
    "parse_message",
    "strip_ticket_tag",
    "ticket_tag",
]
