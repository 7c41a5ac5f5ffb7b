"""`intake tickets show N` lists every clock of the ticket, the same clocks the API gives
(gateway/sla/views.py): name, due in the policy's zone, state, what is left or how late."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from gateway.app import Gateway
from gateway.clock import ManualClock

from ..gateway.gateway_harness import mail, query, send, settle
from ..gateway.lifecycle_harness import cli
from .api_harness import Api

H = timedelta(hours=1)


async def test_tickets_show_lists_the_clocks_the_api_shows(
    api: Api, gateway: Gateway, clock: ManualClock
) -> None:
    # The CLI reads the wall clock: the story happens in the last hour.
    clock.set(datetime.now(UTC) - H)
    await send(gateway, mail(sender="p3@example.com", X_Priority="3"), sender="p3@example.com")
    await settle(gateway)
    ((number,),) = query(gateway, "SELECT MAX(number) FROM tickets")
    clock.set(datetime.now(UTC) - H / 2)
    status, body = await api.call("POST", f"/tickets/{number}/replies", json={"body": "Hello."})
    assert status == 201, body
    clock.set(datetime.now(UTC))
    _, detail = await api.call("GET", f"/tickets/{number}")

    shown = await cli(gateway, "tickets", "show", str(number), "--json")
    assert shown.exit_code == 0, shown.output
    clocks = json.loads(shown.stdout)["clocks"]
    assert [(c["clock"], c["state"]) for c in clocks] == [
        (c["name"], c["state"]) for c in detail["clocks"]
    ]
    assert (clocks[0]["clock"], clocks[0]["state"]) == ("respond", "met")
    for printed, api_clock in zip(clocks, detail["clocks"], strict=True):
        due = datetime.fromisoformat(printed["due_at"])
        assert due == datetime.fromisoformat(api_clock["due"])
        assert due.utcoffset() in (timedelta(hours=-5), timedelta(hours=-4))  # New York

    table = await cli(gateway, "tickets", "show", str(number))
    assert table.exit_code == 0, table.output
    section = table.stdout[table.stdout.index("Clocks") : table.stdout.index("Thread")]
    assert re.search(r"respond\s+4 hours\s+met\s+\S.*E[SD]T\s+met \(", section), section
    assert re.search(r"resolve\s+8 business hours\s+(pending|paused)", section), section

    tsv = await cli(gateway, "tickets", "show", str(number), "--format", "tsv")
    assert tsv.exit_code == 0, tsv.output
    lines = [line.split("\t") for line in tsv.stdout.splitlines()]
    assert lines[0] == ["clock", "target", "state", "due", "left"]
    assert [line[0] for line in lines[1:]] == [c["clock"] for c in clocks]
    assert lines[1][2] == "met" and lines[1][4].startswith("met (")
