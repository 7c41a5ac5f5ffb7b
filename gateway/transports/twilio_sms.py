"""Sending SMS through Twilio's REST API with the official async client.

The outbox owns retries, so the library must not retry on its own: `AsyncTwilioHttpClient`
only wraps its session in aiohttp_retry when `max_retries` is set, and it is left unset. The
client's session is created lazily on the first send (aiohttp sessions belong to the running
loop) and closed by `aclose()`. Twilio's client passes no timeout to aiohttp (its own
`timeout` argument is not used by the async client), so the whole request runs under
`asyncio.timeout` here.

Twilio's Messages API has no idempotency key: a request that times out after Twilio accepted
it will be sent again when the outbox retries. The validity period bounds how stale such a
duplicate page can be.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from gateway.phone import mask
from gateway.transports.base import OutboundSms, TransportError

log = logging.getLogger(__name__)

# Twilio error codes that no retry can fix: invalid or unreachable numbers, opted-out
# recipients, regions not enabled, unknown/blocked/landline destinations, carrier filtering.
PERMANENT_CODES = frozenset({21211, 21408, 21610, 21614, *range(30003, 30008)})
# Queue overflow and unknown carrier errors: try again later.
TEMPORARY_CODES = frozenset({30001, 30008})
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 405, 410, 413, 422})
MAX_VALIDITY_PERIOD = 36_000  # seconds; Twilio accepts 1..36000


class TwilioSmsTransport:
    """`SmsTransport` over Twilio's Messages API; returns the MessageSid."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        sender: str | None = None,
        messaging_service_sid: str | None = None,
        api_base_url: str | None = None,
        timeout: float = 15.0,
    ) -> None:
        """`sender` is the default From number (E.164) or use a `messaging_service_sid`;
        `api_base_url` replaces https://api.twilio.com (the fake server in tests)."""
        self._account_sid = account_sid
        self._auth_token = auth_token
        self._sender = sender
        self._messaging_service_sid = messaging_service_sid
        self._api_base_url = api_base_url
        self._timeout = timeout
        self._http: AsyncTwilioHttpClient | None = None
        self._client: Client | None = None

    async def send_sms(self, sms: OutboundSms, idempotency_key: str) -> str | None:
        sender = sms.sender or self._sender
        if sender is None and self._messaging_service_sid is None:
            raise TransportError("no SMS sender configured", permanent=True, code="config")
        try:
            async with asyncio.timeout(self._timeout):
                message = await self._messages().create_async(
                    to=sms.to,
                    from_=sender,
                    messaging_service_sid=self._messaging_service_sid,
                    body=sms.body,
                    validity_period=_validity(sms.validity_period),
                    status_callback=sms.status_callback,
                )
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _rest_error(exc, sms.to) from exc
        except TimeoutError as exc:
            raise TransportError(
                f"Twilio did not answer within {self._timeout:g}s", permanent=False, code="timeout"
            ) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise TransportError(
                f"cannot reach Twilio: {exc!r}", permanent=False, code="connection"
            ) from exc
        except (TwilioException, ValueError) as exc:  # e.g. a 2xx answer that is not JSON
            raise TransportError(
                f"unexpected Twilio answer: {exc!r}", permanent=False, code="response"
            ) from exc
        sid = str(message.sid)
        log.info("SMS %s to %s sent as %s", idempotency_key, mask(sms.to), sid)
        return sid

    async def aclose(self) -> None:
        http, self._http, self._client = self._http, None, None
        if http is not None:
            await http.close()

    def _messages(self) -> Any:  # twilio ships no type hints
        if self._client is None:
            self._http = AsyncTwilioHttpClient(max_retries=None)
            self._client = Client(self._account_sid, self._auth_token, http_client=self._http)
            if self._api_base_url is not None:
                # Every domain builds URLs from its base_url; edge/region (from TWILIO_EDGE /
                # TWILIO_REGION) would rewrite the host name, so they are cleared too.
                self._client.api.base_url = self._api_base_url.rstrip("/")
                self._client.edge = None
                self._client.region = None
        return self._client.messages


def _validity(seconds: int | None) -> int | None:
    if seconds is None:
        return None
    return max(1, min(MAX_VALIDITY_PERIOD, seconds))


def _rest_error(exc: TwilioRestException | TwilioServiceException, to: str) -> TransportError:
    status = int(exc.status)
    code = int(exc.code) if exc.code is not None else status
    detail = getattr(exc, "msg", None) or getattr(exc, "detail", None) or getattr(exc, "title", "")
    message = f"Twilio answered {status} (error {code}) for {mask(to)}: {detail}"
    return TransportError(message, permanent=is_permanent(status, code), code=str(code))


def is_permanent(status: int, code: int) -> bool:
    """Whether a Twilio error (HTTP status, Twilio error code) can never succeed on retry."""
    if code in PERMANENT_CODES:
        return True
    if code in TEMPORARY_CODES or status == 429 or status >= 500:
        return False
    return status in PERMANENT_STATUSES
