"""Outbound email written to disk: the demo desk's transport when no relay is configured."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Literal

from gateway.transports.base import OutboundEmail

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class FileEmailTransport:
    """One `<key>.eml` file per message under `directory`.

    Idempotent: the file is written under a temporary name, fsynced and renamed, and a key
    whose file already exists is not written again, so a retry after a crash sends nothing twice.
    """

    # It checks for the key before it writes (IdempotentTransport).
    idempotent_by_key: Literal[True] = True

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send_email(self, email: OutboundEmail, idempotency_key: str) -> str | None:
        return await asyncio.to_thread(self._write, email, idempotency_key)

    def _write(self, email: OutboundEmail, idempotency_key: str) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = _UNSAFE.sub("_", idempotency_key) + ".eml"
        final = self.directory / name
        if final.exists():
            return name
        temporary = self.directory / f".{name}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(email.message)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
        _fsync_directory(self.directory)
        return name

    async def aclose(self) -> None:
        return None


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
