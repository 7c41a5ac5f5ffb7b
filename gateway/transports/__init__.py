"""Outbound transports: how a row of the outbox leaves the process (relay, file, Twilio)."""

from gateway.transports.base import (
    EmailTransport,
    OutboundEmail,
    OutboundSms,
    SmsTransport,
    TransportError,
)

__all__ = ["EmailTransport", "OutboundEmail", "OutboundSms", "SmsTransport", "TransportError"]
