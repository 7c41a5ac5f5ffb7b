"""Sending SMS through Twilio's REST API with the official async client.

The outbox owns retries, so the library must not retry on its own: `AsyncTwilioHttpClient`
only wraps its session in aiohttp_retry when `max_retries` is set, and it is left unset. The
client's session is created lazily on the first send (aiohttp sessions belong to the running
loop) and closed by `aclose()`. Twilio's client passes no timeout to aiohttp (its own
`timeout` argument is not used by the async client), so the whole request runs under
`asyncio.timeout` here.

Twilio's Messages API has no idempotency key. A request whose answer is lost after it may
have reached Twilio (a timeout, a dropped connection, a 2xx whose body is not JSON) raises
`DeliveryUnconfirmed`, and the outbox later asks `find_sent_sms` whether Twilio has the
message before sending it again. The Message resource does not echo the StatusCallback URL,
so a tag there cannot be found in the list; what identifies our message is what we sent:
the same To and From, created after the outbox row, with the same text (compared after
folding case, accents and punctuation, which a Messaging Service's smart encoding may
rewrite, and allowing a footer it may append), whose MessageSid no other row owns. The text
of every message names its ticket and purpose, so two rows never share it within a window.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from collections.abc import Set
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from gateway.phone import mask
from gateway.transports.base import DeliveryUnconfirmed, OutboundSms, TransportError

log = logging.getLogger(__name__)

# Twilio error codes that no retry can fix: invalid or unreachable numbers, opted-out
# recipients, regions not enabled, unknown/blocked/landline destinations, carrier filtering.
PERMANENT_CODES = frozenset({21211, 21408, 21610, 21614, *range(30003, 30008)})
# Queue overflow and unknown carrier errors: try again later.
TEMPORARY_CODES = frozenset({30001, 30008})
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 405, 410, 413, 422})
MAX_VALIDITY_PERIOD = 36_000  # seconds; Twilio accepts 1..36000
# Reconciling reads at most this many recent messages to the number (newest first).
RECONCILE_LIMIT = 50
# Twilio's clock and ours may disagree a little about when the row was created.
CLOCK_SKEW = timedelta(minutes=5)


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
            raise DeliveryUnconfirmed(
                f"Twilio did not answer within {self._timeout:g}s", code="timeout"
            ) from exc
        except aiohttp.ClientConnectorError as exc:  # never connected: nothing was sent
            raise TransportError(
                f"cannot reach Twilio: {exc!r}", permanent=False, code="connection"
            ) from exc
        except (aiohttp.ClientError, OSError) as exc:  # the request may have been taken
            raise DeliveryUnconfirmed(
                f"Twilio connection lost before its answer: {exc!r}", code="connection-lost"
            ) from exc
        except (TwilioException, ValueError) as exc:  # a 2xx answer that is not JSON
            raise DeliveryUnconfirmed(
                f"unreadable Twilio answer: {exc!r}", code="response"
            ) from exc
        sid = str(message.sid)
        log.info("SMS %s to %s sent as %s", idempotency_key, mask(sms.to), sid)
        return sid

    async def find_sent_sms(
        self, sms: OutboundSms, idempotency_key: str, since: datetime, exclude: Set[str]
    ) -> str | None:
        """The MessageSid of the message sent for this row, from Twilio's Messages list.

        `since` is when the outbox row was created; `exclude` holds MessageSids other rows
        own. None means Twilio has no such message; `TransportError` that it cannot be asked.
        """
        sender = sms.sender or self._sender
        wanted = fingerprint(sms.body)
        earliest = since - CLOCK_SKEW
        try:
            async with asyncio.timeout(self._timeout):
                recent = await self._messages().list_async(
                    to=sms.to,
                    from_=sender,
                    limit=RECONCILE_LIMIT,
                )
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _rest_error(exc, sms.to) from exc
        except (TimeoutError, aiohttp.ClientError, OSError, TwilioException, ValueError) as exc:
            raise TransportError(
                f"cannot list Twilio messages: {exc!r}", permanent=False, code="reconcile"
            ) from exc
        matches = [
            m
            for m in recent
            if m.sid not in exclude
            and m.date_created is not None
            and m.date_created >= earliest
            and fingerprint(m.body or "").startswith(wanted)
        ]
        if not matches:
            log.info("SMS %s to %s: Twilio has no such message", idempotency_key, mask(sms.to))
            return None
        found = min(matches, key=lambda m: m.date_created)  # the first, if it was sent twice
        log.info("SMS %s to %s found at Twilio as %s", idempotency_key, mask(sms.to), found.sid)
        return str(found.sid)

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


def fingerprint(text: str) -> str:
    """The letters and digits of `text`, accents and case folded: what survives Twilio's
    smart encoding (which rewrites quotes, dashes and some accented letters)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed.casefold() if c.isascii() and c.isalnum())


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
