"""Group commit and STARTTLS: concurrency shares fsyncs, and TLS is offered when configured."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from pathlib import Path

import aiosmtplib
import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock

from .gateway_harness import DESK, DefaultProposer, mail, make_settings, query, send

pytestmark = pytest.mark.asyncio


async def test_concurrent_sessions_share_commits(gateway: Gateway) -> None:
    before = gateway.store.commits
    results = await asyncio.gather(
        *(send(gateway, mail(subject=f"burst {n}", Message_ID=f"<burst{n}@x>")) for n in range(40))
    )
    assert all(reply.startswith("2.0.0") for _, reply in results)
    assert len(query(gateway, "SELECT id FROM inbox")) == 40
    # Every 250 was durable, yet 40 transactions needed fewer than 40 commits.
    assert gateway.store.commits - before < 40


def _self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
async def test_starttls_when_a_certificate_is_configured(
    tmp_path: Path, clock: ManualClock
) -> None:
    cert, key = _self_signed(tmp_path)
    settings = make_settings(tmp_path, smtp__tls_cert=str(cert), smtp__tls_key=str(key))
    gw = Gateway(settings, clock=clock, proposer=DefaultProposer(), workers=False)
    await gw.start()
    try:
        host, port = gw.smtp.address
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        async with aiosmtplib.SMTP(hostname=host, port=port, start_tls=False) as client:
            await client.ehlo()
            assert client.supports_extension("starttls")
            await client.starttls(tls_context=context)
            await client.sendmail("pat@example.com", [DESK], mail().as_bytes())
        (row,) = query(gw, "SELECT meta FROM inbox")
        assert '"tls": true' in row["meta"]
    finally:
        await gw.stop()


async def test_no_starttls_without_certificate(gateway: Gateway) -> None:
    host, port = gateway.smtp.address
    async with aiosmtplib.SMTP(hostname=host, port=port, start_tls=False) as client:
        await client.ehlo()
        assert not client.supports_extension("starttls")
