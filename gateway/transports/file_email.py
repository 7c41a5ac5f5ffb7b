"""Outbound email written to disk: the demo desk's transport when no relay is configured."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from gateway.transports.base import OutboundEmail, TransportError
from gateway.transports.coalesce import Coalescer

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class FileEmailTransport:
    """One `<key>.eml` file per message under `directory`.

    Idempotent: the file is written under a temporary name, fsynced and renamed, and a key
    whose file already exists is not written again, so a retry after a crash sends nothing twice.
    Messages sent together (the outbox's concurrent deliveries) are written in one thread hop
    with one fsync of the directory for all their renames, before any of them is reported sent.
    """

    # It checks for the key before it writes (IdempotentTransport).
    idempotent_by_key: Literal[True] = True
    # Sends made together are written together (LocalTransport).
    writes_locally: Literal[True] = True

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._batches: Coalescer[tuple[OutboundEmail, str], str] = Coalescer(self._write_batch)

    async def send_email(self, email: OutboundEmail, idempotency_key: str) -> str | None:
        return await self._batches.submit((email, idempotency_key))

    async def _write_batch(
        self, batch: Sequence[tuple[OutboundEmail, str]]
    ) -> list[str | Exception]:
        return await asyncio.to_thread(self._write_all, batch)

    def _write_all(self, batch: Sequence[tuple[OutboundEmail, str]]) -> list[str | Exception]:
        """Every message to its temporary file, then all fsyncs, then all renames and one
        fsync of the directory: the disk sees the batch's writes together (half the CPU of
        finishing each file before the next), and no file appears before its data is durable."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return [_io_error(self.directory, exc)] * len(batch)
        results: list[str | Exception] = []
        written: list[tuple[int, Path, Path]] = []  # (index in results, temporary, final)
        seen: set[Path] = set()
        for email, key in batch:
            name = _UNSAFE.sub("_", key) + ".eml"
            final = self.directory / name
            results.append(name)
            if final.exists() or final in seen:
                continue  # sent before (or twice in this batch): never a second copy
            temporary = self.directory / f".{name}.tmp"
            try:
                temporary.write_bytes(email.message)
            except OSError as exc:
                results[-1] = _io_error(temporary, exc)
                continue
            written.append((len(results) - 1, temporary, final))
            seen.add(final)
        for index, temporary, final in written:
            try:
                _fsync_file(temporary)
                os.replace(temporary, final)
            except OSError as exc:
                results[index] = _io_error(final, exc)
        if written:
            try:  # the renames are durable only now: no message is reported sent before
                _fsync_directory(self.directory)
            except OSError as exc:
                return [_io_error(self.directory, exc)] * len(batch)
        return results

    async def aclose(self) -> None:
        return None


def _io_error(path: Path, exc: OSError) -> TransportError:
    # Temporary: a full disk or a permission fixed by the operator lets a retry succeed.
    return TransportError(f"cannot write {path}: {exc.strerror or exc}", permanent=False, code="io")


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
