"""Webhook deliveries over HTTP (aiohttp): signed, never redirected, 4xx told from 5xx.

A 2xx is delivered. 408 and 429 and every 5xx, a timeout or a connection failure are
temporary: the outbox retries with backoff. Any other status (400, 401, 404, 410, a 3xx we do
not follow) is permanent: sending the same request again cannot change the answer. The
delivery id goes in `X-Intake-Delivery` on every attempt, so a receiver that saw it already
can drop the retry. That is why a timeout is simply temporary here, not `DeliveryUnconfirmed`
as for SMS and email: webhooks are at-least-once by contract, and the receiver deduplicates.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from gateway.transports.base import TransportError

USER_AGENT = "Intake-Webhooks/1"
RETRYABLE = frozenset({408, 429})
SIGNATURE_HEADER = "X-Intake-Signature"


def origin(url: str) -> str:
    """How a webhook URL is shown (outbox recipient, errors, logs): scheme and host only, since
    its path or query often carries a secret of its own (`/services/T0/B0/XXXX`)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def signature(secret: str, body: bytes) -> str:
    """The `X-Intake-Signature` value of `body` under `secret`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class OutboundWebhook:
    url: str
    event: str
    body: bytes  # exactly what is signed and sent
    secret_env: str
    timeout: float


class WebhookTransport:
    def __init__(self, secrets: Mapping[str, str]) -> None:
        self._secrets = secrets  # the environment, read at send time
        self._session: aiohttp.ClientSession | None = None

    async def send_webhook(self, hook: OutboundWebhook, idempotency_key: str) -> str | None:
        secret = self._secrets.get(hook.secret_env)
        if not secret:
            raise TransportError(
                f"cannot sign: the environment variable {hook.secret_env} is not set",
                permanent=True,
            )
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Intake-Event": hook.event,
            "X-Intake-Delivery": idempotency_key,
            SIGNATURE_HEADER: signature(secret, hook.body),
        }
        where = origin(hook.url)
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.post(
                hook.url,
                data=hook.body,
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=hook.timeout),
            ) as response:
                status = response.status
                await response.read()
        except TimeoutError as exc:
            raise TransportError(f"{where} timed out", permanent=False) from exc
        except aiohttp.ClientError as exc:
            problem = type(exc).__name__  # not str(exc): it may quote the whole URL
            raise TransportError(f"{where} unreachable ({problem})", permanent=False) from exc
        if 200 <= status < 300:
            return f"HTTP {status}"
        permanent = status < 500 and status not in RETRYABLE
        raise TransportError(f"{where} answered {status}", permanent=permanent, code=str(status))

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
