"""FileEmailTransport: one durable .eml per idempotency key, written in batches."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gateway.transports import file_email
from gateway.transports.base import OutboundEmail, TransportError
from gateway.transports.file_email import FileEmailTransport


def _email(n: int) -> OutboundEmail:
    message = f"Message-ID: <{n}@intake>\r\nSubject: ack {n}\r\n\r\nbody {n}\r\n".encode()
    return OutboundEmail("support@localhost", (f"c{n}@example.com",), message)


async def test_messages_sent_together_share_one_directory_fsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    sync = file_email._fsync_directory
    monkeypatch.setattr(file_email, "_fsync_directory", lambda d: (synced.append(d), sync(d))[1])
    mail = FileEmailTransport(tmp_path / "mail-out")
    keys = ["ack-1-7", "ack-2-8", "ack-1-7", "page/odd key"]
    names = await asyncio.gather(*(mail.send_email(_email(n), k) for n, k in enumerate(keys)))
    assert names == ["ack-1-7.eml", "ack-2-8.eml", "ack-1-7.eml", "page_odd_key.eml"]
    assert synced == [tmp_path / "mail-out"]
    files = sorted(p.name for p in (tmp_path / "mail-out").iterdir())
    assert files == ["ack-1-7.eml", "ack-2-8.eml", "page_odd_key.eml"]  # no temporary left
    # The first send of a key is the one kept; a later send of it writes nothing.
    assert b"<0@intake>" in (tmp_path / "mail-out" / "ack-1-7.eml").read_bytes()
    await mail.send_email(_email(9), "ack-2-8")
    assert b"<1@intake>" in (tmp_path / "mail-out" / "ack-2-8.eml").read_bytes()
    assert len(synced) == 1


async def test_a_directory_that_cannot_be_written_is_a_temporary_error(tmp_path: Path) -> None:
    (tmp_path / "mail-out").write_text("a file where the directory should be")
    mail = FileEmailTransport(tmp_path / "mail-out")
    with pytest.raises(TransportError, match="cannot write") as raised:
        await mail.send_email(_email(1), "ack-1")
    assert raised.value.permanent is False
