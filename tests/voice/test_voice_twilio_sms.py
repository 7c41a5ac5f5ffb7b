"""TwilioSmsTransport: the real twilio client against the fake Twilio REST server."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from gateway.transports.base import (
    DeliveryUnconfirmed,
    OutboundSms,
    SmsReconciler,
    SmsTransport,
    TransportError,
)
from gateway.transports.twilio_sms import TwilioSmsTransport, fingerprint, is_permanent

from .fake_twilio import FakeTwilio
from .twilio_account import ACCOUNT_SID, AUTH_TOKEN

SENDER = "+12025550199"
PAGE = OutboundSms(
    to="+12025550101",
    body="Ticket 4821 P1: site down. Reply 4821 A to acknowledge",
    validity_period=600,
    status_callback="https://intake.example.com/sms/status",
)


# twilio's async client still passes aiohttp's deprecated `auth=BasicAuth(...)`: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:twilio")


@pytest.fixture
async def transport(fake_twilio: FakeTwilio) -> AsyncIterator[TwilioSmsTransport]:
    sms = TwilioSmsTransport(
        ACCOUNT_SID, AUTH_TOKEN, sender=SENDER, api_base_url=fake_twilio.base_url, timeout=0.5
    )
    yield sms
    await sms.aclose()


async def send_failure(transport: TwilioSmsTransport) -> TransportError:
    with pytest.raises(TransportError) as caught:
        await transport.send_sms(PAGE, "page:1:1:1")
    return caught.value


def test_implements_the_transport_protocol() -> None:
    sms: SmsTransport = TwilioSmsTransport(ACCOUNT_SID, AUTH_TOKEN, sender=SENDER)
    assert isinstance(sms, SmsReconciler)


async def test_sends_the_message_and_returns_its_sid(
    transport: TwilioSmsTransport, fake_twilio: FakeTwilio
) -> None:
    sid = await transport.send_sms(PAGE, "page:1:1:1")

    assert sid is not None and sid.startswith("SM") and len(sid) == 34
    [request] = fake_twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.authorized
    assert request.form == {
        "To": PAGE.to,
        "From": SENDER,
        "Body": PAGE.body,
        "ValidityPeriod": "600",
        "StatusCallback": "https://intake.example.com/sms/status",
    }
    assert fake_twilio.messages[0]["sid"] == sid


async def test_the_message_sender_overrides_the_default(
    transport: TwilioSmsTransport, fake_twilio: FakeTwilio
) -> None:
    await transport.send_sms(OutboundSms(to=PAGE.to, body="hi", sender="+12025550188"), "k")

    assert fake_twilio.requests[0].form == {"To": PAGE.to, "From": "+12025550188", "Body": "hi"}


async def test_validity_period_is_clamped_to_twilios_range(
    transport: TwilioSmsTransport, fake_twilio: FakeTwilio
) -> None:
    await transport.send_sms(OutboundSms(to=PAGE.to, body="x", validity_period=100_000), "k")

    assert fake_twilio.requests[0].form["ValidityPeriod"] == "36000"


async def test_a_messaging_service_can_replace_the_sender(fake_twilio: FakeTwilio) -> None:
    sms = TwilioSmsTransport(
        ACCOUNT_SID,
        AUTH_TOKEN,
        messaging_service_sid="MG" + "1" * 32,
        api_base_url=fake_twilio.base_url,
    )
    try:
        await sms.send_sms(OutboundSms(to=PAGE.to, body="x"), "k")
    finally:
        await sms.aclose()

    assert fake_twilio.requests[0].form["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in fake_twilio.requests[0].form


async def test_without_any_sender_it_fails_permanently() -> None:
    sms = TwilioSmsTransport(ACCOUNT_SID, AUTH_TOKEN, api_base_url="http://127.0.0.1:9")

    error = await send_failure(sms)

    assert error.permanent and error.code == "config"


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [
        (500, 20500, False),
        (503, None, False),
        (429, 20429, False),
        (400, 21211, True),
        (400, 21614, True),
        (400, 21610, True),
        (400, 21408, True),
        (400, 30008, False),
        (404, 20404, True),
    ],
)
async def test_twilio_errors_map_to_permanent_or_temporary(
    transport: TwilioSmsTransport,
    fake_twilio: FakeTwilio,
    status: int,
    code: int | None,
    permanent: bool,
) -> None:
    fake_twilio.fail_next(1, status=status, code=code)

    error = await send_failure(transport)

    assert error.permanent is permanent
    assert error.code == str(code or status)
    assert len(fake_twilio.requests) == 1  # no retries inside the library


async def test_an_html_error_page_is_mapped_by_its_status(
    transport: TwilioSmsTransport, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.fail_next(1, status=502, body="<html>Bad Gateway</html>")

    error = await send_failure(transport)

    assert not error.permanent and error.code == "502"


async def test_rfc9457_problem_details_are_understood(
    transport: TwilioSmsTransport, fake_twilio: FakeTwilio
) -> None:
    problem = {
        "type": "https://www.twilio.com/docs/errors/21211",
        "title": "Invalid 'To' Phone Number",
        "status": 400,
        "code": 21211,
    }
    fake_twilio.fail_next(1, status=400, body=problem)

    error = await send_failure(transport)

    assert error.permanent and error.code == "21211"


async def test_wrong_credentials_fail_permanently(fake_twilio: FakeTwilio) -> None:
    sms = TwilioSmsTransport(
        ACCOUNT_SID, "wrong-token", sender=SENDER, api_base_url=fake_twilio.base_url
    )
    try:
        error = await send_failure(sms)
    finally:
        await sms.aclose()

    assert error.permanent and error.code == "20003"


async def test_a_hanging_twilio_is_a_temporary_timeout(
    transport: TwilioSmsTransport, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.hang_next()

    error = await send_failure(transport)

    assert not error.permanent and error.code == "timeout"
    assert len(fake_twilio.requests) == 1


async def test_an_unreachable_twilio_is_temporary() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sms = TwilioSmsTransport(
        ACCOUNT_SID, AUTH_TOKEN, sender=SENDER, api_base_url=f"http://127.0.0.1:{port}"
    )
    try:
        error = await send_failure(sms)
    finally:
        await sms.aclose()

    assert not error.permanent and error.code == "connection"


async def test_it_recovers_after_a_failure_and_after_aclose(
    transport: TwilioSmsTransport, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.fail_next(1, status=500)
    await send_failure(transport)
    first = await transport.send_sms(PAGE, "page:1:1:1")
    await transport.aclose()
    second = await transport.send_sms(PAGE, "page:1:1:2")

    assert first != second
    assert len(fake_twilio.messages) == 2


async def test_aclose_closes_the_http_session(transport: TwilioSmsTransport) -> None:
    await transport.send_sms(PAGE, "k")
    session = transport._http.session if transport._http else None
    assert session is not None and not session.closed

    await transport.aclose()

    assert session.closed
    await transport.aclose()  # twice is harmless


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [
        (400, 30001, False),
        (400, 30003, True),
        (400, 30007, True),
        (401, 20003, True),
        (403, 20403, True),
        (408, 408, False),
        (409, 409, False),
        (502, 502, False),
    ],
)
def test_is_permanent(status: int, code: int, permanent: bool) -> None:
    assert is_permanent(status, code) is permanent


async def test_twilio_edge_and_region_do_not_rewrite_the_api_base_url(
    fake_twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Left alone, the client would turn 127.0.0.1 into "127.sydney.au1.0.1" (product.edge.region).
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    sms = TwilioSmsTransport(
        ACCOUNT_SID, AUTH_TOKEN, sender=SENDER, api_base_url=fake_twilio.base_url
    )
    try:
        assert await sms.send_sms(PAGE, "k")
    finally:
        await sms.aclose()


# Sent, answer unknown: the message may be at Twilio, so this is not a retryable failure.


async def send_unconfirmed(transport: TwilioSmsTransport) -> DeliveryUnconfirmed:
    with pytest.raises(DeliveryUnconfirmed) as caught:
        await transport.send_sms(PAGE, "page:1:1:1")
    return caught.value


async def test_a_late_answer_is_unconfirmed_and_reconciled(
    transport: TwilioSmsTransport, fake_twilio: FakeTwilio
) -> None:
    since = datetime.now(UTC)
    fake_twilio.answer_late_next(delay=5)

    error = await send_unconfirmed(transport)
    found = await transport.find_sent_sms(PAGE, "page:1:1:1", since, set())

    assert error.code == "timeout" and not error.permanent
    [message] = fake_twilio.messages
    assert found == message["sid"]


async def test_a_2xx_that_is_not_json_is_unconfirmed_not_failed(
    transport: TwilioSmsTransport, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.answer_garbage_next(status=201, body="<html>Created</html>")

    error = await send_unconfirmed(transport)

    assert error.code == "response" and len(fake_twilio.messages) == 1


async def test_a_connection_dropped_after_the_request_is_unconfirmed(
    transport: TwilioSmsTransport, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.drop_after_create_next()

    error = await send_unconfirmed(transport)

    assert error.code == "connection-lost" and len(fake_twilio.messages) == 1


async def test_a_connection_refused_is_a_plain_temporary_failure() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sms = TwilioSmsTransport(
        ACCOUNT_SID, AUTH_TOKEN, sender=SENDER, api_base_url=f"http://127.0.0.1:{port}"
    )
    try:
        error = await send_failure(sms)
    finally:
        await sms.aclose()

    assert not isinstance(error, DeliveryUnconfirmed)  # nothing reached Twilio: resend freely


async def test_reconciling_finds_nothing_when_twilio_never_got_it(
    transport: TwilioSmsTransport, fake_twilio: FakeTwilio
) -> None:
    await transport.send_sms(OutboundSms(to=PAGE.to, body="another ticket"), "ack:2")

    found = await transport.find_sent_sms(PAGE, "page:1:1:1", datetime.now(UTC), set())

    assert found is None
    listing = fake_twilio.requests[-1]
    assert listing.method == "GET" and listing.form["To"] == PAGE.to
    assert listing.form["From"] == SENDER


async def test_reconciling_skips_messages_other_rows_own_and_older_ones(
    transport: TwilioSmsTransport, fake_twilio: FakeTwilio
) -> None:
    first = await transport.send_sms(PAGE, "page:1:1:1")
    assert first is not None
    later = datetime.now(UTC) + timedelta(hours=1)

    assert await transport.find_sent_sms(PAGE, "page:1:1:2", datetime.now(UTC), {first}) is None
    assert await transport.find_sent_sms(PAGE, "page:1:1:2", later, set()) is None


async def test_reconciling_tolerates_smart_encoding_and_a_footer(
    transport: TwilioSmsTransport, fake_twilio: FakeTwilio
) -> None:
    sent = OutboundSms(to=PAGE.to, body="Ticket 12 — “Café” down. Reply 12 A")
    fake_twilio.answer_garbage_next()
    await send_unconfirmed_sms(transport, sent)
    fake_twilio.messages[0]["body"] = 'Ticket 12 - "Cafe" down. Reply 12 A\nReply STOP to stop'

    found = await transport.find_sent_sms(sent, "k", datetime.now(UTC), set())

    assert found == fake_twilio.messages[0]["sid"]


async def test_reconciling_when_twilio_cannot_be_asked_is_a_temporary_error(
    transport: TwilioSmsTransport, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.fail_list_next(1, status=503)

    with pytest.raises(TransportError) as caught:
        await transport.find_sent_sms(PAGE, "k", datetime.now(UTC), set())

    assert not caught.value.permanent


def test_fingerprint_keeps_letters_and_digits_only() -> None:
    assert fingerprint("Ticket #12 — “Café”!") == "ticket12cafe"


async def send_unconfirmed_sms(transport: TwilioSmsTransport, sms: OutboundSms) -> None:
    with pytest.raises(DeliveryUnconfirmed):
        await transport.send_sms(sms, "k")
