"""Outbound email through an SMTP relay (aiosmtplib), with 4xx/5xx told apart."""

from __future__ import annotations

import os

import aiosmtplib

from gateway.config import RelaySettings
from gateway.transports.base import OutboundEmail, TransportError


class RelayEmailTransport:
    """Hands each message to the configured relay.

    SMTP gives no idempotency beyond the Message-ID, which stays the same on every retry, so
    receiving systems that deduplicate by Message-ID see one message.
    """

    def __init__(self, settings: RelaySettings, hostname: str) -> None:
        self._settings = settings
        self._hostname = hostname
        self._username = os.environ.get(settings.username_env) if settings.username_env else None
        self._password = os.environ.get(settings.password_env) if settings.password_env else None

    async def send_email(self, email: OutboundEmail, idempotency_key: str) -> str | None:
        try:
            errors, response = await aiosmtplib.send(
                email.message,
                sender=email.envelope_from,
                recipients=list(email.recipients),
                hostname=self._settings.host,
                port=self._settings.port,
                start_tls=self._settings.starttls,
                username=self._username,
                password=self._password,
                local_hostname=self._hostname,
                timeout=self._settings.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise TransportError(
                f"relay refused every recipient: {exc}", permanent=all(c >= 500 for c in codes)
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise TransportError(
                f"relay answered {exc.code} {exc.message}",
                permanent=exc.code >= 500,
                code=str(exc.code),
            ) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TransportError(f"relay unreachable: {exc}", permanent=False) from exc
        refused = {addr: err for addr, err in errors.items()}
        if refused:
            raise TransportError(f"relay refused {sorted(refused)}", permanent=True)
        return response

    async def aclose(self) -> None:
        return None
