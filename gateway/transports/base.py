"""The contract between the outbox worker and whatever actually delivers a message."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable


class TransportError(Exception):
    """Delivery failed. `permanent` says whether trying again could ever help.

    Permanent failures (an invalid number, a recipient the relay rejects with 5xx) end the
    outbox row as `failed`; temporary ones (timeouts, 4xx, HTTP 5xx/429) are retried with
    backoff by the outbox, never inside the transport.
    """

    def __init__(self, message: str, *, permanent: bool, code: str | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code


class DeliveryUnconfirmed(TransportError):
    """The message reached the provider and may have been accepted, but its answer was lost.

    A relay that drops the connection (or falls silent) after the final "." of DATA, Twilio
    answering after our timeout or with a 2xx body that is not JSON: the message may well
    be on its way, so sending it again blindly is how one acknowledgement turns into nine.
    The outbox records the row as unconfirmed and reconciles it (`ReconcilingTransport`) or
    sends it again only a capped number of times, with the same Message-ID.
    """

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message, permanent=False, code=code)


@dataclass(frozen=True, slots=True)
class OutboundSms:
    to: str  # E.164
    body: str
    sender: str | None = None  # E.164 "From"; None lets the transport use its default
    validity_period: int | None = None  # seconds; the carrier drops the SMS after that
    status_callback: str | None = None  # absolute URL for delivery status callbacks


@dataclass(frozen=True, slots=True)
class OutboundEmail:
    envelope_from: str
    recipients: tuple[str, ...]
    message: bytes  # the complete RFC 5322 message, Message-ID included


class SmsTransport(Protocol):
    async def send_sms(self, sms: OutboundSms, idempotency_key: str) -> str | None:
        """Deliver one SMS; returns the provider's id for it (e.g. a Twilio MessageSid)."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class SmsReconciler(Protocol):
    """An SMS transport that can tell, after an unconfirmed send, whether the provider has it."""

    async def find_sent_sms(
        self, sms: OutboundSms, idempotency_key: str, since: datetime, exclude: Set[str]
    ) -> str | None:
        """The provider's id of the message sent for this key, or None if it has none.

        `since` is when the outbox row was created, `exclude` the provider ids other rows
        own. Raises `TransportError` when the provider cannot be asked right now.
        """
        ...


@runtime_checkable
class IdempotentTransport(Protocol):
    """A transport that delivers each idempotency key at most once by itself.

    The file transports check for the key before they write, so an attempt that a crash cut
    off is simply made again: it cannot make a second copy, and nothing needs reconciling.
    """

    idempotent_by_key: Literal[True]


@runtime_checkable
class LocalTransport(Protocol):
    """A transport that writes on this machine and writes concurrent sends as one batch (the
    demo desk's files): many deliveries in flight cost no provider anything, and the outbox
    starts up to `LOCAL_SLICE` at once so that one fsync of the batch serves them all."""

    writes_locally: Literal[True]


class EmailTransport(Protocol):
    async def send_email(self, email: OutboundEmail, idempotency_key: str) -> str | None:
        """Deliver one email; returns an id for it (e.g. the file written)."""
        ...

    async def aclose(self) -> None: ...
