"""The queue's order and search over every open ticket, not only the newest (a busy desk has
more open tickets than the page shows: the most overdue must still be at the top)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.web import workspace

from ..gateway.gateway_harness import mail, send, settle
from .test_web_http import _csrf, _signed_in, client


def numbers_on(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/tickets/(\d+)">', html)]


@pytest.fixture
def settings_overrides(store_url: str | None) -> dict[str, Any]:
    """Both backends: the queue's SQL is written once for SQLite and PostgreSQL."""
    return {} if store_url is None else {"store__url": store_url}


@pytest.fixture
async def busy_desk(
    gateway: Gateway, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> list[int]:
    """Five open tickets, the first long overdue, for a queue that shows two rows."""
    monkeypatch.setattr(workspace, "QUEUE_CAP", 2)
    await send(gateway, mail(subject="Oldest: fax line dead"))
    await settle(gateway)
    clock.advance(timedelta(days=4))
    for subject in ("Second", "Third", "Fourth", "Fifth"):
        await send(gateway, mail(subject=f"{subject}: no dial tone"))
    await settle(gateway)
    return [1001, 1002, 1003, 1004, 1005]


async def test_the_most_overdue_ticket_tops_a_queue_longer_than_the_page(
    base_url: str, busy_desk: list[int]
) -> None:
    async with client() as session:
        await _signed_in(session, base_url)
        async with session.get(f"{base_url}/") as response:
            html = await response.text()
    shown = numbers_on(html)
    assert shown[0] == busy_desk[0], shown
    assert len(shown) == 2
    assert "Showing the first 2 tickets, due first" in html


async def test_search_finds_a_ticket_the_page_does_not_show(
    base_url: str, busy_desk: list[int]
) -> None:
    async with client() as session:
        await _signed_in(session, base_url)
        async with session.get(f"{base_url}/", params={"q": "FAX LINE"}) as response:
            assert numbers_on(await response.text()) == [busy_desk[0]]
        async with session.get(f"{base_url}/queue/rows", params={"q": "fax"}) as response:
            assert numbers_on(await response.text()) == [busy_desk[0]]
        # `%` and `_` are text to search for, not patterns.
        for needle in ("%", "_", "fax%line"):
            async with session.get(f"{base_url}/", params={"q": needle}) as response:
                html = await response.text()
                assert numbers_on(html) == [], needle
                assert "the queue is empty for these filters" in html


async def test_filters_keep_the_order_and_narrow_it(base_url: str, busy_desk: list[int]) -> None:
    oldest, *newer = busy_desk
    async with client() as session:
        await _signed_in(session, base_url)
        for number in (newer[-1], oldest):
            async with session.get(f"{base_url}/tickets/{number}") as response:
                csrf = _csrf(await response.text())
            async with session.post(
                f"{base_url}/tickets/{number}/assign", data={"csrf": csrf}, allow_redirects=False
            ) as response:
                assert response.status == 303
        async with session.get(f"{base_url}/", params={"assigned": "mine"}) as response:
            assert numbers_on(await response.text()) == [oldest, newer[-1]]
        async with session.get(f"{base_url}/", params={"assigned": "unassigned"}) as response:
            assert numbers_on(await response.text()) == newer[:2]  # due first, two shown
        async with session.get(
            f"{base_url}/", params={"policy": "threepbx", "priority": "P4"}
        ) as response:
            assert numbers_on(await response.text()) == [oldest, newer[0]]
        async with session.get(f"{base_url}/", params={"priority": "P1"}) as response:
            assert numbers_on(await response.text()) == []


async def test_pages_say_where_their_time_went(base_url: str, busy_desk: list[int]) -> None:
    """A Server-Timing header (developer tools, bench/web_pages.py): stage by stage."""

    def stages(header: str) -> list[str]:
        assert re.fullmatch(r"(\w+;dur=\d+\.\d)(, \w+;dur=\d+\.\d)*", header), header
        return [part.split(";")[0] for part in header.split(", ")]

    async with client() as session:
        await _signed_in(session, base_url)
        async with session.get(f"{base_url}/", params={"q": "fax"}) as response:
            assert stages(response.headers["Server-Timing"]) == [
                "rows",
                "clocks",
                "render",
                "cpu",
                "total",
            ]
        async with session.get(f"{base_url}/tickets/{busy_desk[0]}") as response:
            assert stages(response.headers["Server-Timing"]) == [
                "clocks",
                "read",
                "thread",
                "render",
                "cpu",
                "total",
            ]
