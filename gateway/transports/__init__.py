"""Outbound transports: how a row of the outbox leaves the process.

- `gateway.transports.base`: the `EmailTransport` / `SmsTransport` protocols, `TransportError`.
- `gateway.transports.relay`, `gateway.transports.file_email`: email by SMTP relay or to files.
- `gateway.transports.twilio_sms`, `gateway.transports.file_sms`: SMS by Twilio or to a file.
- `gateway.transports.factory`: which of them the settings ask for (used by `gateway.app`).
"""

from gateway.transports.base import (
    DeliveryUnconfirmed,
    EmailTransport,
    IdempotentTransport,
    LocalTransport,
    OutboundEmail,
    OutboundSms,
    SmsReconciler,
    SmsTransport,
    TransportError,
)

__all__ = [
    "DeliveryUnconfirmed",
    "EmailTransport",
    "IdempotentTransport",
    "LocalTransport",
    "OutboundEmail",
    "OutboundSms",
    "SmsReconciler",
    "SmsTransport",
    "TransportError",
]
