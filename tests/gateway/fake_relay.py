"""A fake SMTP relay on loopback that can misbehave after DATA, for the relay transport.

A raw asyncio server rather than aiosmtpd: the faults worth testing are exactly the ones a
well-behaved server library will not commit — falling silent after the final ".", dropping
the connection instead of answering, answering late or with something that is not SMTP.
A message counts as taken (`messages`) as soon as its final "." arrives, which is what a
real relay that then fails to answer has usually done already.

    async with FakeRelay() as relay:
        relay.after_data("drop")          # the next transaction: take it, then hang up
        relay.after_data("late", delay=1)  # the one after: answer 250 after a second
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from typing import Self

_MESSAGE_ID = re.compile(r"<[^>]+>")


@dataclass
class _Plan:
    then: str  # "drop" | "late" | "garbage" | "silent" | "refuse"
    delay: float = 0.0
    reply: bytes = b""


class FakeRelay:
    def __init__(self) -> None:
        self.messages: list[bytes] = []  # every message whose final "." arrived
        self.transactions = 0  # DATA commands seen
        self._plans: list[_Plan] = []
        self._server: asyncio.Server | None = None
        self._stopping = asyncio.Event()
        self._sessions: set[asyncio.Task[None]] = set()
        self.port = 0

    def after_data(self, then: str, *, delay: float = 0.0, count: int = 1) -> None:
        """Misbehave once the final "." of the next `count` transactions arrives:
        "drop" the connection, answer 250 "late" (after `delay` seconds), answer "garbage",
        fall "silent" until the server stops, or "refuse" with 451 (a clear temporary no)."""
        replies = {"garbage": b"hello? is this thing on\r\n", "refuse": b"451 4.3.0 try later\r\n"}
        self._plans.extend(
            _Plan(then, delay=delay, reply=replies.get(then, b"")) for _ in range(count)
        )

    def message_ids(self) -> list[str]:
        ids = []
        for raw in self.messages:
            header = BytesHeaderParser().parsebytes(raw).get("Message-ID", "")
            match = _MESSAGE_ID.search(header)
            ids.append(match.group(0) if match else "")
        return ids

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.close()
            for task in list(self._sessions):
                task.cancel()
            await self._server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        try:
            await self._converse(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._sessions.discard(task)
            writer.close()

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 relay.test ESMTP fake\r\n")
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                writer.write(b"250-relay.test\r\n250-8BITMIME\r\n250 SIZE 10240000\r\n")
            elif verb == b"HELO":
                writer.write(b"250 relay.test\r\n")
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                writer.write(b"250 2.0.0 ok\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 2.0.0 bye\r\n")
                await writer.drain()
                return
            elif verb == b"DATA":
                writer.write(b"354 end with <CRLF>.<CRLF>\r\n")
                await writer.drain()
                if not await self._data(reader, writer):
                    return
            else:
                writer.write(b"502 5.5.2 not implemented\r\n")
            await writer.drain()

    async def _data(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Receive one message and answer it; False when the connection is to end."""
        self.transactions += 1
        body = await reader.readuntil(b"\r\n.\r\n")
        message = body[: -len(b".\r\n")].replace(b"\r\n..", b"\r\n.")
        plan = self._plans.pop(0) if self._plans else None
        if plan is not None and plan.then == "refuse":
            writer.write(plan.reply)
            return True
        self.messages.append(message)
        if plan is None:
            writer.write(b"250 2.0.0 queued as FAKE%d\r\n" % len(self.messages))
        elif plan.then == "drop":
            writer.transport.abort()
            return False
        elif plan.then == "garbage":
            writer.write(plan.reply)
        elif plan.then == "late":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), plan.delay)
            writer.write(b"250 2.0.0 queued as FAKE%d\r\n" % len(self.messages))
        elif plan.then == "silent":
            await self._stopping.wait()
            return False
        return True
