"""The listening socket: connection limits, enhanced status codes, STARTTLS, graceful shutdown."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from typing import Any, AnyStr

from aiosmtpd.smtp import SMTP

from gateway.config import SmtpSettings
from gateway.metrics import Metrics
from gateway.smtp import replies
from gateway.smtp.handler import IntakeHandler
from gateway.smtp.limits import ClientLimits

log = logging.getLogger(__name__)

SHUTDOWN_POLL = 0.05


class IntakeSMTP(SMTP):
    """aiosmtpd's protocol with the listener's connection limits and enhanced status codes."""

    def __init__(self, handler: IntakeHandler, *, listener: SmtpListener, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._listener = listener
        self._client: str | None = None
        self._released = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._client is None:  # the first call; a second one comes after STARTTLS
            peer = transport.get_extra_info("peername")
            client = str(peer[0]) if isinstance(peer, tuple) else str(peer)
            refused = self._listener.limits.connect(client)
            if refused is not None:
                reply = replies.SERVER_BUSY if refused == "server" else replies.TOO_MANY_CONNECTIONS
                self._listener.metrics.messages_refused.labels(f"connections-{refused}").inc()
                assert isinstance(transport, asyncio.WriteTransport)
                transport.write(reply.encode("ascii") + b"\r\n")
                transport.close()
                return
            self._client = client
            self._listener.sessions.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self._client is None:  # refused before a session existed
            return
        super().connection_lost(error)
        self._listener.sessions.discard(self)
        if not self._released:
            self._released = True
            self._listener.limits.disconnect(self._client)

    async def push(self, status: AnyStr) -> None:
        text = status.decode("utf-8", "replace") if isinstance(status, bytes) else str(status)
        await super().push(replies.REWRITES.get(text, text))

    @property
    def in_transaction(self) -> bool:
        """Between MAIL FROM and the reply to DATA: the client expects us to finish."""
        return self.envelope is not None and self.envelope.mail_from is not None

    def say_goodbye(self, reply: str) -> None:
        transport = self.transport
        if transport is not None and not transport.is_closing():
            assert isinstance(transport, asyncio.WriteTransport)
            transport.write(reply.encode("ascii") + b"\r\n")
            transport.close()


class SmtpListener:
    def __init__(
        self, settings: SmtpSettings, handler: IntakeHandler, limits: ClientLimits, metrics: Metrics
    ) -> None:
        self.settings = settings
        self.handler = handler
        self.limits = limits
        self.metrics = metrics
        self.sessions: set[IntakeSMTP] = set()
        self._server: asyncio.Server | None = None
        self._tls = _tls_context(settings)

    @property
    def address(self) -> tuple[str, int]:
        assert self._server is not None, "listener not started"
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    def _protocol_factory(self) -> Callable[[], IntakeSMTP]:
        loop = asyncio.get_running_loop()

        def factory() -> IntakeSMTP:
            return IntakeSMTP(
                self.handler,
                listener=self,
                data_size_limit=self.settings.max_message_size,
                hostname=self.settings.hostname,
                ident="Intake ESMTP",
                tls_context=self._tls,
                timeout=self.settings.timeout,
                enable_SMTPUTF8=True,
                loop=loop,
            )

        return factory

    async def start(self) -> tuple[str, int]:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._protocol_factory(), host=self.settings.host, port=self.settings.port
        )
        log.info("SMTP listening on %s:%d", *self.address)
        return self.address

    async def stop(self, grace: float | None = None) -> None:
        """Stop accepting; let open transactions finish within `grace`, then `421` the rest."""
        grace = self.settings.shutdown_grace if grace is None else grace
        if self._server is None:
            return
        self._server.close()
        deadline = asyncio.get_running_loop().time() + grace
        while self.sessions:
            for session in list(self.sessions):
                if not session.in_transaction:
                    session.say_goodbye(replies.SHUTTING_DOWN)
            if asyncio.get_running_loop().time() >= deadline:
                break
            await asyncio.sleep(SHUTDOWN_POLL)
        for session in list(self.sessions):
            session.say_goodbye(replies.SHUTTING_DOWN)
        await asyncio.sleep(0)
        await self._server.wait_closed()


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext | None:
    if settings.tls_cert is None or settings.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(settings.tls_cert, settings.tls_key)
    return context
