"""The demo desk's SMS transport: one JSON object per line in `<data-dir>/sms-out.jsonl`.

Idempotent like the real thing should be: a key already in the file is not written again,
so an outbox retry after a crash between write and commit sends nothing twice.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Literal

from gateway.clock import Clock, SystemClock
from gateway.transports.base import OutboundSms, TransportError


class FileSmsTransport:
    """`SmsTransport` appending to a JSON-lines file; returns `file-<key>`."""

    # It checks for the key before it writes (IdempotentTransport).
    idempotent_by_key: Literal[True] = True

    def __init__(
        self, path: Path, *, sender: str | None = None, clock: Clock | None = None
    ) -> None:
        self.path = path
        self._sender = sender
        self._clock: Clock = clock or SystemClock()
        self._keys: set[str] | None = None
        self._needs_newline = False
        self._lock = asyncio.Lock()

    async def send_sms(self, sms: OutboundSms, idempotency_key: str) -> str | None:
        async with self._lock:
            if self._keys is None:
                self._keys = await asyncio.to_thread(self._load_keys)
            if idempotency_key not in self._keys:
                line = self._line(sms, idempotency_key)
                try:
                    await asyncio.to_thread(self._append, line)
                except OSError as exc:
                    raise TransportError(
                        f"cannot write {self.path}: {exc}", permanent=False, code="io"
                    ) from exc
                self._keys.add(idempotency_key)
        return f"file-{idempotency_key}"

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
