"""DATA on its way in: spooled to disk past a small in-memory part, so a session's memory is
bounded whatever the message size (aiosmtpd itself keeps the whole message in a list of lines).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from aiosmtpd.smtp import Envelope

# A message up to this size stays in memory; a larger one moves to a file in the spool dir.
IN_MEMORY = 256 * 1024


class MessageSpool:
    """The received message, written as it arrives; the file is gone once closed."""

    def __init__(self, directory: Path | None) -> None:
        self._file = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed by close()
            max_size=IN_MEMORY, dir=None if directory is None else str(directory), prefix="data-"
        )
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self.size += len(chunk)

    def read(self) -> bytes:
        """The whole message: called once, by the commit (one message at a time on the writer)."""
        self._file.seek(0)
        return self._file.read()

    def close(self) -> None:
        self._file.close()


class SpooledEnvelope(Envelope):
    """aiosmtpd's envelope with the message in a spool instead of `content`."""

    def __init__(self) -> None:
        super().__init__()
        self.spool: MessageSpool | None = None
        # monotonic() when MAIL FROM was accepted: the transaction is under way since then.
        self.begun_at: float | None = None
