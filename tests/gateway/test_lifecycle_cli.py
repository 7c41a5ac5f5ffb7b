"""The staff commands follow the CLI convention: `intake: <sentence>`, exit 2 for usage (who
is acting, a bad file or flag), 1 for a ticket that does not exist or refuses the change; and
`tickets list` never cuts a list without saying so."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.app import Gateway

from ..api.api_harness import seed_tickets, staff_with_token
from .lifecycle_harness import cli, events, ticket

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def number(gateway: Gateway) -> int:
    await staff_with_token(gateway, "alice@example.com", "agent")
    await staff_with_token(gateway, "bob@example.com", "agent")
    (found,) = await seed_tickets(gateway, 1, policy="msp")
    return found


async def test_someone_must_be_acting(gateway: Gateway, number: int) -> None:
    result = await cli(gateway, "tickets", "close", str(number))
    assert (result.exit_code, result.stderr) == (
        2,
        "intake: say who is acting: --as EMAIL, or set INTAKE_STAFF\n",
    )
    result = await cli(gateway, "tickets", "close", str(number), "--as", "eve@example.com")
    assert result.exit_code == 2
    assert result.stderr.startswith("intake: --as eve@example.com: no active staff member")
    assert ticket(gateway, number)["status"] == "open"


async def test_no_such_ticket_is_exit_1(gateway: Gateway, number: int) -> None:
    result = await cli(gateway, "tickets", "resolve", "99999", INTAKE_STAFF="alice@example.com")
    assert (result.exit_code, result.stderr) == (1, "intake: no ticket #99999\n")


async def test_a_bad_body_file_is_a_usage_error(
    gateway: Gateway, number: int, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.txt"
    result = await cli(
        gateway,
        "tickets",
        "reply",
        str(number),
        "--body-file",
        str(missing),
        "--as",
        "alice@example.com",
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(f"intake: --body-file {missing}: cannot read it")
    result = await cli(
        gateway,
        "tickets",
        "note",
        str(number),
        "--body-file",
        "-",
        "--as",
        "alice@example.com",
        stdin="  \n",
    )
    assert (result.exit_code, result.stderr) == (2, "intake: --body-file -: the text is empty\n")
    result = await cli(
        gateway,
        "tickets",
        "reply",
        str(number),
        "--body-file",
        "-",
        "--then",
        "closed",
        "--as",
        "alice@example.com",
        stdin="hi\n",
    )
    assert result.exit_code == 2
    assert "'closed' is not one of 'pending', 'resolved'" in result.stderr
    assert events(gateway, number, "replied") == []


async def test_assign_to_someone_to_me_or_to_nobody(gateway: Gateway, number: int) -> None:
    me = await cli(gateway, "tickets", "assign", str(number), "--me", "--as", "alice@example.com")
    assert me.stdout == f"ticket #{number}: assigned to alice@example.com\n"
    bob = await cli(
        gateway, "tickets", "assign", str(number), "Bob@Example.com", "--as", "alice@example.com"
    )
    assert bob.stdout == f"ticket #{number}: assigned to bob@example.com\n"
    nobody = await cli(
        gateway, "tickets", "assign", str(number), "--nobody", "--as", "alice@example.com"
    )
    assert nobody.stdout == f"ticket #{number}: assigned to nobody\n"
    both = await cli(
        gateway,
        "tickets",
        "assign",
        str(number),
        "bob@example.com",
        "--me",
        "--as",
        "alice@example.com",
    )
    assert (both.exit_code, both.stderr) == (
        2,
        "intake: name exactly one assignee: EMAIL, --me or --nobody\n",
    )
    assert [e["to"] for e in events(gateway, number, "assigned")] == [
        "alice@example.com",
        "bob@example.com",
        None,
    ]


async def test_resolve_reopen_close_each_say_what_changed(gateway: Gateway, number: int) -> None:
    staff = {"INTAKE_STAFF": "alice@example.com"}
    resolved = await cli(gateway, "tickets", "resolve", str(number), "--reason", "fixed", **staff)
    assert resolved.exit_code == 0, resolved.output
    assert resolved.stdout.startswith(f"ticket #{number}: open -> resolved; closes by itself ")
    again = await cli(gateway, "tickets", "resolve", str(number), **staff)
    assert again.stdout == f"ticket #{number}: already resolved; nothing changed\n"
    reopened = await cli(gateway, "tickets", "reopen", str(number), **staff)
    assert reopened.stdout == f"ticket #{number}: resolved -> open\n"
    closed = await cli(gateway, "tickets", "close", str(number), **staff)
    assert closed.stdout == f"ticket #{number}: open -> closed\n"
    changes = [(e["old"], e["new"], e["by"], e["reason"]) for e in events(gateway, number)[1:]]
    assert changes == [
        ("open", "resolved", "cli:alice@example.com", "fixed"),
        ("resolved", "open", "cli:alice@example.com", ""),
        ("open", "closed", "cli:alice@example.com", ""),
    ]


async def test_a_cut_list_says_how_many_it_left_out(gateway: Gateway) -> None:
    await seed_tickets(gateway, 3)
    cut = await cli(gateway, "tickets", "list", "--limit", "2", "--format", "tsv")
    assert cut.exit_code == 0, cut.output
    assert len(cut.stdout.splitlines()) == 1 + 2
    assert cut.stderr == (
        "intake: showing the newest 2 of 3 tickets; use --limit N or --all for more\n"
    )
    everything = await cli(gateway, "tickets", "list", "--all", "--format", "tsv")
    assert len(everything.stdout.splitlines()) == 1 + 3
    assert everything.stderr == ""
    resolved = await cli(gateway, "tickets", "list", "--status", "resolved", "--format", "tsv")
    assert (resolved.exit_code, resolved.stdout.splitlines()[1:]) == (0, [])
