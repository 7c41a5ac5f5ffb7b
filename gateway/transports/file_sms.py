"""The demo desk's SMS transport: one JSON object per line in `<data-dir>/sms-out.jsonl`.

Idempotent like the real thing should be: a key already in the file is not written again,
so an outbox retry after a crash between write and commit sends nothing twice.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from gateway.clock import Clock, SystemClock
from gateway.transports.base import OutboundSms, TransportError
from gateway.transports.coalesce import Coalescer


class FileSmsTransport:
    """`SmsTransport` appending to a JSON-lines file; returns `file-<key>`."""

    # It checks for the key before it writes (IdempotentTransport).
    idempotent_by_key: Literal[True] = True
    # Sends made together are written together (LocalTransport).
    writes_locally: Literal[True] = True

    def __init__(
        self, path: Path, *, sender: str | None = None, clock: Clock | None = None
    ) -> None:
        self.path = path
        self._sender = sender
        self._clock: Clock = clock or SystemClock()
        self._keys: set[str] | None = None
        self._needs_newline = False
        self._lock = asyncio.Lock()
        self._batches: Coalescer[tuple[OutboundSms, str], str] = Coalescer(self._send_batch)

    async def send_sms(self, sms: OutboundSms, idempotency_key: str) -> str | None:
        return await self._batches.submit((sms, idempotency_key))

    async def _send_batch(self, batch: Sequence[tuple[OutboundSms, str]]) -> list[str | Exception]:
        """SMS sent together are appended with one write and one fsync."""
        async with self._lock:
            if self._keys is None:
                self._keys = await asyncio.to_thread(self._load_keys)
            new: dict[str, str] = {}  # key -> line; a key twice in one batch is written once
            for sms, key in batch:
                if key not in self._keys and key not in new:
                    new[key] = self._line(sms, key)
            if new:
                try:
                    await asyncio.to_thread(self._append, "".join(new.values()))
                except OSError as exc:
                    error = TransportError(
                        f"cannot write {self.path}: {exc}", permanent=False, code="io"
                    )
                    return [error] * len(batch)
                self._keys.update(new)
        return [f"file-{key}" for _, key in batch]

    async def aclose(self) -> None:
        return None

    def _line(self, sms: OutboundSms, key: str) -> str:
        record = {
            "key": key,
            "to": sms.to,
            "from": sms.sender or self._sender,
            "body": sms.body,
            "validity_period": sms.validity_period,
            "sent_at": self._clock.now().isoformat(),
        }
        return json.dumps(record, ensure_ascii=False) + "\n"

    def _load_keys(self) -> set[str]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return set()
        # A crash mid-append can leave a partial last line: skip it, and start the next
        # record on a fresh line so it does not get glued to the fragment.
        self._needs_newline = bool(data) and not data.endswith(b"\n")
        keys = set()
        for raw in data.splitlines():
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get("key"), str):
                keys.add(record["key"])
        return keys

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = ("\n" if self._needs_newline else "") + line
        with self.path.open("a", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        self._needs_newline = False
