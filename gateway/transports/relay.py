"""Outbound email through an SMTP relay (aiosmtplib), with 4xx/5xx told apart.

Timeouts follow RFC 5321 section 4.5.3.2 (`RelaySettings`): 5 minutes for the greeting and
each command, 10 minutes for the reply to the final "." of DATA, because a relay that is
slow to answer has usually taken the message already. Once the message text has gone out,
a dropped connection or a silent relay leaves the outcome unknown: that is
`DeliveryUnconfirmed`, never a plain retryable failure.
"""

from __future__ import annotations

import os
from typing import Any, Literal

import aiosmtplib
from aiosmtplib.response import SMTPResponse
from aiosmtplib.typing import Default

from gateway.config import RelaySettings
from gateway.transports.base import DeliveryUnconfirmed, OutboundEmail, TransportError


class _RelaySession(aiosmtplib.SMTP):
    """aiosmtplib's client with the DATA reply awaited for `data_timeout`, and a record of
    whether the DATA phase began (after that, silence does not mean "not delivered")."""

    def __init__(self, *, data_timeout: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_timeout = data_timeout
        self.data_started = False

    async def data(
        self,
        message: str | bytes,
        /,
        *,
        timeout: float | Literal[Default.token] | None = Default.token,  # noqa: ASYNC109 (the library signature)
    ) -> SMTPResponse:
        self.data_started = True
        return await super().data(message, timeout=self.data_timeout)


class RelayEmailTransport:
    """Hands each message to the configured relay.

    SMTP gives no idempotency beyond the Message-ID, which stays the same on every retry, so
    receiving systems that deduplicate by Message-ID see one message; the outbox resends an
    unconfirmed message only `outbox.unconfirmed_resends` times.
    """

    def __init__(self, settings: RelaySettings, hostname: str) -> None:
        self._settings = settings
        self._hostname = hostname
        self._username = os.environ.get(settings.username_env) if settings.username_env else None
        self._password = os.environ.get(settings.password_env) if settings.password_env else None

    async def send_email(self, email: OutboundEmail, idempotency_key: str) -> str | None:
        settings = self._settings
        session = _RelaySession(
            data_timeout=settings.data_timeout,
            hostname=settings.host,
            port=settings.port,
            start_tls=settings.starttls,
            username=self._username,
            password=self._password,
            local_hostname=self._hostname,
            timeout=settings.timeout,
        )
        try:
            async with session:
                errors, response = await session.sendmail(
                    email.envelope_from, list(email.recipients), email.message
                )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise TransportError(
                f"relay refused every recipient: {exc}", permanent=all(c >= 500 for c in codes)
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            if session.data_started and not 400 <= exc.code < 600:
                # A reply to DATA that is neither 4xx nor 5xx (or no SMTP reply at all) does
                # not say the message was refused: it may have been taken.
                raise DeliveryUnconfirmed(
                    f"relay answered DATA with {exc.code} {exc.message}", code=str(exc.code)
                ) from exc
            # 4xx means not taken (try again later), 5xx never will be.
            raise TransportError(
                f"relay answered {exc.code} {exc.message}",
                permanent=exc.code >= 500,
                code=str(exc.code),
            ) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            if session.data_started:
                raise DeliveryUnconfirmed(
                    f"relay gave no answer after DATA: {exc}", code="no-answer"
                ) from exc
            raise TransportError(f"relay unreachable: {exc}", permanent=False) from exc
        if errors:
            raise TransportError(f"relay refused {sorted(errors)}", permanent=True)
        return response

    async def aclose(self) -> None:
        return None
