"""The database gone under a running node: SMTP answers 451 4.3.0, webhooks 503, and nothing
is acknowledged that was not committed; when it is back, the same node carries on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiosmtplib
import pytest

from tests.pg_server import PgServer

from ..gateway.gateway_harness import mail
from .fake_twilio import FakeTwilio
from .phone_harness import CUSTOMER, DESK_ADDRESS, running_desk, sids

pytestmark = pytest.mark.asyncio


async def test_database_down_means_451_and_503_then_recovery(
    tmp_path: Path,
    pg_server: PgServer,
    pg_url: str,
    oncall_table: dict[str, Any],
    fake_twilio: FakeTwilio,
    twilio_env: None,
) -> None:
    name = pg_url.rsplit("/", 1)[1]
    async with running_desk(tmp_path, oncall_table, fake_twilio, store__url=pg_url) as desk:
        host, port = desk.gw.smtp.address
        status, _ = await desk.phone.text(CUSTOMER, "Phones are down", sids("SM", 1))
        assert status == 200

        # The database disappears (every connection is cut and it cannot be reconnected to).
        pg_server.psql(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
            f' ALTER DATABASE "{name}" RENAME TO "{name}_away"'
        )
        try:
            with pytest.raises(aiosmtplib.SMTPDataError) as refused:
                await aiosmtplib.send(
                    mail(), recipients=[DESK_ADDRESS], hostname=host, port=port, timeout=30
                )
            assert refused.value.code == 451 and refused.value.message.startswith("4.3.0")
            status, body = await desk.phone.text(CUSTOMER, "Still down", sids("SM", 2))
            assert status == 503 and "Traceback" not in body
        finally:
            pg_server.psql(f'ALTER DATABASE "{name}_away" RENAME TO "{name}"')

        # Back: the same node accepts again, and Twilio's retry of the refused text is new.
        await aiosmtplib.send(mail(), recipients=[DESK_ADDRESS], hostname=host, port=port)
        status, _ = await desk.phone.text(CUSTOMER, "Still down", sids("SM", 2))
        assert status == 200
        stored = desk.query("SELECT channel FROM inbox ORDER BY id")
        assert [row["channel"] for row in stored] == ["sms", "email", "sms"]
