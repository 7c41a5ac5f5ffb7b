"""End to end against `intake serve`: a staff member added and given a token with the CLI
answers a mailed-in ticket over the API, and the customer gets the reply threaded."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import aiosmtplib

from ..gateway.gateway_harness import mail
from ..gateway.test_gateway_serve import _wait, intake_serve


def _intake(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INTAKE_DATA_DIR": str(data_dir)}
    env.pop("INTAKE_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


async def test_cli_staff_token_then_a_reply_over_the_api(tmp_path: Path) -> None:
    added = _intake(
        tmp_path, "staff", "add", "alice@example.com", "--name", "Alice", "--password-stdin",
        stdin="a long pass phrase\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    created = _intake(tmp_path, "tokens", "create", "--staff", "alice@example.com", "--name", "t")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    with intake_serve(tmp_path) as server:
        message = mail(subject="Trunk down", Message_ID="<trunk-1@example.com>")
        async with aiosmtplib.SMTP(hostname=server.host, port=server.port) as client:
            await client.send_message(message)
        base = f"{server.http}/api/v1"
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(headers=headers) as session:

            async def tickets() -> list[dict[str, object]]:
                async with session.get(f"{base}/tickets") as response:
                    assert response.status == 200
                    return list((await response.json())["tickets"])

            found = await tickets()
            for _ in range(600):  # the intake worker opens the ticket after the 250
                if found:
                    break
                await asyncio.sleep(0.1)
                found = await tickets()
            number = found[0]["number"]
            async with session.post(
                f"{base}/tickets/{number}/replies",
                json={"body": "Rebooting the trunk now."},
                headers={"Idempotency-Key": "k1"},
            ) as response:
                assert response.status == 201, await response.text()
            async with session.get(f"{base}/tickets/{number}") as response:
                detail = await response.json()
            assert detail["clocks"][0]["state"] == "met"
            async with session.get(f"{base}/tickets", headers={"Authorization": "Bearer x"}) as r:
                assert r.status == 401

        def replied() -> list[Path]:
            return [
                p
                for p in (tmp_path / "mail-out").glob("*.eml")
                if b"Rebooting the trunk" in p.read_bytes()
            ]

        await _wait(lambda: bool(replied()))
        sent = email.message_from_bytes(replied()[0].read_bytes(), policy=email.policy.default)
        assert sent["In-Reply-To"] == "<trunk-1@example.com>"
        assert f"[#{number}]" in sent["Subject"]
