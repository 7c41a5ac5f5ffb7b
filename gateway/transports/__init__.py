"""Outbound transports: how a row of the outbox leaves the process (relay, file, Twilio)."""

from gateway.transports.base import (
    DeliveryUnconfirmed,
    EmailTransport,
    OutboundEmail,
    OutboundSms,
    SmsReconciler,
    SmsTransport,
    TransportError,
)

__all__ = [
    "DeliveryUnconfirmed",
    "EmailTransport",
    "OutboundEmail",
    "OutboundSms",
    "SmsReconciler",
    "SmsTransport",
    "TransportError",
]
