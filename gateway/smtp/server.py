"""The listening socket: connection limits, enhanced status codes, STARTTLS, graceful shutdown.

Hostile clients are the normal case on a public port, so a session pays for what it holds:
DATA is spooled (bounded memory) under a deadline that only a moving transfer extends; time
and NOOP/RSET without a delivered message are spent from a budget; and when the listener is
nearly full, a new client gets the slot of the session idle the longest.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from pathlib import Path
from time import monotonic
from typing import Any, AnyStr

from aiosmtpd.smtp import MISSING, SMTP, Envelope, syntax

from gateway.config import SmtpSettings
from gateway.metrics import Metrics
from gateway.smtp import replies
from gateway.smtp.handler import IntakeHandler
from gateway.smtp.limits import ClientLimits
from gateway.smtp.spool import MessageSpool, SpooledEnvelope
from gateway.startup import StartupError, bind_error

log = logging.getLogger(__name__)

SHUTDOWN_POLL = 0.05
# A session younger than this is never closed to make room: it has not had time to send.
EVICTABLE_AFTER = 1.0
# A transaction begun longer ago than this no longer keeps the workers waiting: a client
# handing over ordinary mail takes milliseconds, and an idle or trickling one must not hold
# processing back (the worker's `max_defer` bounds that in any case).
HANDING_OVER_FOR = 1.0


class IntakeSMTP(SMTP):
    """aiosmtpd's protocol with the listener's connection limits and enhanced status codes."""

    # The stream reader's buffer limit, not a line limit: long lines are accepted in DATA
    # (as Postfix does) and command lines are still held to aiosmtpd's command size limits.
    line_length_limit = 64 * 1024

    def __init__(self, handler: IntakeHandler, *, listener: SmtpListener, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._listener = listener
        self._client: str | None = None
        self._released = False
        self.receiving_data = False
        self.productive_at = 0.0  # loop time of the connect or of the last delivered message
        self._idle_commands = 0
        self._budget_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._client is None:  # the first call; a second one comes after STARTTLS
            peer = transport.get_extra_info("peername")
            client = str(peer[0]) if isinstance(peer, tuple) else str(peer)
            refused = self._listener.admit(client)
            if refused is not None:
                self._listener.metrics.messages_refused.labels(f"connections-{refused}").inc()
                assert isinstance(transport, asyncio.WriteTransport)
                transport.write(_REFUSALS[refused].encode("ascii") + b"\r\n")
                transport.close()
                return
            self._client = client
            self._listener.sessions.add(self)
            self._made_progress()
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self._client is None:  # refused before a session existed
            return
        if self._budget_timer is not None:
            self._budget_timer.cancel()
        super().connection_lost(error)
        self.release_slot()

    def release_slot(self) -> None:
        self._listener.sessions.discard(self)
        if not self._released and self._client is not None:
            self._released = True
            self._listener.limits.disconnect(self._client)

    def _create_envelope(self) -> Envelope:
        return SpooledEnvelope()

    # -- the session budget: time and idle commands between delivered messages --

    def _made_progress(self) -> None:
        loop = asyncio.get_running_loop()
        self.productive_at = loop.time()
        self._idle_commands = 0
        if self._budget_timer is not None:
            self._budget_timer.cancel()
        self._budget_timer = loop.call_later(self._listener.settings.session_budget, self._spent)

    def _spent(self) -> None:
        if self.receiving_data:  # DATA has its own deadline; look again when it is over
            self._budget_timer = asyncio.get_running_loop().call_later(1.0, self._spent)
            return
        self._listener.metrics.messages_refused.labels("session-budget").inc()
        self.say_goodbye(replies.SESSION_BUDGET_SPENT)

    def unproductive_for(self, now: float) -> float:
        return now - self.productive_at

    async def _idle_command(self, command: str, arg: str) -> None:
        self._idle_commands += 1
        if self._idle_commands > self._listener.settings.max_idle_commands:
            self._listener.metrics.messages_refused.labels("idle-commands").inc()
            self.say_goodbye(replies.IDLE_COMMANDS_SPENT)
            return
        await getattr(super(), f"smtp_{command}")(arg)

    @syntax("NOOP [ignored]")
    async def smtp_NOOP(self, arg: str) -> None:
        await self._idle_command("NOOP", arg)

    @syntax("RSET")
    async def smtp_RSET(self, arg: str) -> None:
        await self._idle_command("RSET", arg)

    @syntax("VRFY <address>")
    async def smtp_VRFY(self, arg: str) -> None:
        await self._idle_command("VRFY", arg)

    @syntax("HELP [command]")
    async def smtp_HELP(self, arg: str) -> None:
        await self._idle_command("HELP", arg)

    # -- DATA: spooled, long lines accepted, under a deadline --

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA, reading into a spool instead of a list of lines in memory."""
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        envelope = self.envelope
        assert isinstance(envelope, SpooledEnvelope)
        if not envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        spool = MessageSpool(self._listener.spool_dir)
        self.receiving_data = True
        try:
            complete = await self._receive(spool)
            self.receiving_data = False
            if complete is None:
                return  # the connection was closed
            if not complete:
                await self.push(replies.MESSAGE_TOO_BIG)
                self._set_post_data_state()
                return
            envelope.spool = spool
            status = await self._call_handler_hook("DATA")
            self._set_post_data_state()
            if isinstance(status, str) and status.startswith("250"):
                self._made_progress()
            await self.push("250 OK" if status is MISSING else status)
        except TimeoutError:
            self._listener.metrics.messages_refused.labels("data-deadline").inc()
            self.say_goodbye(replies.DATA_TOO_SLOW)
        finally:
            self.receiving_data = False
            spool.close()

    async def _receive(self, spool: MessageSpool) -> bool | None:
        """Read up to the lone dot into `spool`; False when over the size limit, None at EOF.

        Read in runs of lines, not line by line: each read ends at the next line that ends
        in a dot (the only lines that can be the end of the data), so an ordinary message is
        one to a few reads, and the dots that RFC 5321 4.5.2 adds at the start of a line are
        taken out of a whole run at once. Reading line by line (as aiosmtpd does) was most of
        the listener's CPU per message after the protocol itself.

        Raises TimeoutError when the transfer outlives `data_deadline` plus one second per
        `data_min_rate` bytes received (at most a second later, never earlier): a trickle
        cannot hold the session for long, a large message that keeps moving is never cut off.
        """
        settings = self._listener.settings
        loop = asyncio.get_running_loop()
        reader = self._reader
        started = loop.time()
        limit = self.data_size_limit
        received = 0
        at_line_start = True
        too_big = False
        # Rescheduling moves a timer in the loop's heap: done for every line it was a quarter
        # of a 3 KB message's CPU on the accept path, so the deadline is moved in steps.
        slack = min(1.0, settings.data_deadline / 10)
        scheduled = started + settings.data_deadline
        # timeout_at: `scheduled` is a point in loop time (`asyncio.timeout` takes a delay,
        # and with it a client that sent no complete line was never held to the deadline).
        async with asyncio.timeout_at(scheduled) as deadline:
            while self.transport is not None:
                done = False
                try:
                    run = await reader.readuntil(b".\r\n")
                except asyncio.LimitOverrunError as overrun:
                    # No dotted line end within the buffer (a long line, an attachment):
                    # take what can be taken, never ending between CR and LF.
                    run = await reader.readexactly(overrun.consumed)
                    while run.endswith(b"\r"):
                        run += await reader.readexactly(1)
                except asyncio.IncompleteReadError:
                    return None
                else:
                    if run.endswith(b"\r\n.\r\n") or (at_line_start and run == b".\r\n"):
                        done = True
                        run = run[:-3]  # the terminating line; the CRLF before it is data
                chunk = _unstuff(run, at_line_start)
                if run:
                    at_line_start = run.endswith(b"\r\n")
                received += len(chunk)
                if limit and received > limit:
                    too_big = True  # keep reading to the dot, then say 552 (RFC 5321 4.2.5)
                if not too_big and chunk:
                    spool.write(chunk)
                if done:
                    return not too_big
                earned = started + settings.data_deadline + received / settings.data_min_rate
                if earned > scheduled:  # never earlier than earned, at most `slack` later
                    scheduled = earned + slack
                    deadline.reschedule(scheduled)
        return None

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


def _unstuff(run: bytes, at_line_start: bool) -> bytes:
    """`run` without the dot RFC 5321 4.5.2 adds to every line that starts with one. A run
    holds no line of a lone dot (that ends the data), so every dot after a CRLF is one."""
    if at_line_start and run.startswith(b"."):
        run = run[1:]
    return run.replace(b"\r\n.", b"\r\n") if b"\r\n." in run else run


_REFUSALS = {
    "server": replies.SERVER_BUSY,
    "client": replies.TOO_MANY_CONNECTIONS,
    "network": replies.TOO_MANY_FROM_NETWORK,
}


class SmtpListener:
    def __init__(
        self,
        settings: SmtpSettings,
        handler: IntakeHandler,
        limits: ClientLimits,
        metrics: Metrics,
        *,
        spool_dir: Path | None = None,
    ) -> None:
        self.settings = settings
        self.handler = handler
        self.limits = limits
        self.metrics = metrics
        self.spool_dir = spool_dir
        self.sessions: set[IntakeSMTP] = set()
        self._server: asyncio.Server | None = None
        self._tls = _tls_context(settings)
        handler.activity.watch(self.handing_over)

    @property
    def address(self) -> tuple[str, int]:
        assert self._server is not None, "listener not started"
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    def handing_over(self) -> bool:
        """Whether a client is in the middle of a transaction it began within the last
        `HANDING_OVER_FOR` seconds (between its MAIL FROM and our reply to its DATA)."""
        since = monotonic() - HANDING_OVER_FOR
        for session in self.sessions:
            envelope = session.envelope
            if isinstance(envelope, SpooledEnvelope) and (envelope.begun_at or since) > since:
                return True
        return False

    def admit(self, client: str) -> str | None:
        """Take a new client in, or say why not ("client", "network", "server").

        Past `max_connections - reserved_connections`, the session that has gone longest
        without delivering a message (and is not receiving one) gives up its slot, so slots
        held by idle or NOOP-ing connections can always be had by a client with mail.
        """
        refused = self.limits.connect(client)
        if refused is not None:
            return refused
        settings = self.settings
        if len(self.sessions) >= settings.max_connections - settings.reserved_connections:
            self._make_room()
        if len(self.sessions) >= settings.max_connections:
            self.limits.disconnect(client)
            return "server"
        return None

    def _make_room(self) -> None:
        now = asyncio.get_running_loop().time()
        idle = [
            s
            for s in self.sessions
            if not s.receiving_data and s.unproductive_for(now) >= EVICTABLE_AFTER
        ]
        if not idle:
            return
        victim = max(idle, key=lambda s: s.unproductive_for(now))
        self.metrics.messages_refused.labels("connections-idle-closed").inc()
        victim.say_goodbye(replies.MAKING_ROOM)
        victim.release_slot()  # its slot is free now, not when the close completes

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
        try:
            self._server = await loop.create_server(
                self._protocol_factory(),
                host=self.settings.host,
                port=self.settings.port,
                backlog=self.settings.listen_backlog,
            )
        except OSError as exc:
            raise bind_error(
                "SMTP", self.settings.host, self.settings.port, "smtp.port, --smtp-port", exc
            ) from None
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
        await self.handler.desk_rate.close()


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext | None:
    if settings.tls_cert is None or settings.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    for setting, path in (("smtp.tls_cert", settings.tls_cert), ("smtp.tls_key", settings.tls_key)):
        if not path.is_file():
            raise StartupError(
                f"{setting} {path}: no such file; point it at the PEM file,"
                " or remove tls_cert and tls_key to run without STARTTLS"
            )
    try:
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
        raise StartupError(
            f"smtp.tls_cert {settings.tls_cert} / smtp.tls_key {settings.tls_key}: cannot load"
            f" ({reason}); they must be a PEM certificate chain and its private key"
        ) from None
    return context
