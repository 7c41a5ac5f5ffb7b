"""The demo desk (`make run`, no config file) shows the whole story: an urgent mail to
`urgent@localhost` pages the demo rotation's on-call person at any hour, into
`var/sms-out.jsonl`; `support@localhost` pages only after hours, as the contract says."""

from __future__ import annotations

import json
from pathlib import Path

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.config import DEMO_DESK_ADDRESS, DEMO_URGENT_ADDRESS, load_settings
from voice.smstext import SINGLE_SMS, septets

from ..gateway.gateway_harness import mail, send, settle
from .phone_harness import DAY, KeywordProposer

ALEX = "+12025550171"  # the demo rotation's first person, on call in the week of DAY


async def test_the_demo_desk_pages_its_rotation_at_any_hour_on_the_urgent_address(
    tmp_path: Path,
) -> None:
    settings = load_settings(
        None,
        environ={},
        overrides={("data_dir",): str(tmp_path), ("smtp", "port"): 0, ("http", "port"): 0},
    )
    assert [d.address for d in settings.desks] == [DEMO_DESK_ADDRESS, DEMO_URGENT_ADDRESS]
    assert settings.oncall is not None and len(settings.oncall.staff) == 4
    gw = Gateway(settings, clock=ManualClock(DAY), proposer=KeywordProposer(), workers=False)
    await gw.start()
    try:
        outage = "None of our phones have a dial tone, complete outage."
        # Friday 10:00 in New York: ThreePBX's desk is open, so the contract pages nobody...
        await send(gw, mail("[P1] Phones down", outage), recipients=[DEMO_DESK_ADDRESS])
        await settle(gw)
        sms_out = tmp_path / "sms-out.jsonl"
        assert not sms_out.exists()
        # ...but the urgent address pages whatever the hour.
        await send(
            gw,
            mail("Phones down", outage, to=DEMO_URGENT_ADDRESS),
            recipients=[DEMO_URGENT_ADDRESS],
        )
        await settle(gw)
        (page,) = [json.loads(line) for line in sms_out.read_text().splitlines()]
        assert page["to"] == ALEX
        assert page["body"].startswith("P1 #1002: email from pat@example.com: None of our")
        assert "http://127.0.0.1:8080/t/1002" in page["body"]
        assert septets(page["body"]) <= SINGLE_SMS
    finally:
        await gw.stop()


def test_a_config_with_its_own_desks_gets_no_demo_rotation(tmp_path: Path) -> None:
    desks = [{"address": "help@example.com", "policy": "threepbx"}]
    settings = load_settings(None, environ={}, overrides={("desks",): desks})
    assert settings.oncall is None
    assert [d.paging for d in settings.desks] == ["after-hours"]
