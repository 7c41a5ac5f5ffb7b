"""`intake import mbox|maildir PATH`: backfill old mail through the same intake pipeline.

Each message enters the inbox exactly as SMTP mail would (keyed by its bytes, so importing the
same mailbox twice stores nothing twice) and is processed by the same worker. Deadlines count
from the message's own Date; imported mail is not acknowledged unless asked, since those
customers wrote long ago.
"""

from __future__ import annotations

import asyncio
import hashlib
import mailbox
from collections.abc import Callable, Iterator
from datetime import datetime
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from functools import partial
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress

import templates
from gateway.ack import CustomerNotices
from gateway.cli.common import (
    CONFIG_OPTION,
    DATA_DIR_OPTION,
    settings_from_cli,
    usage_error,
    with_store,
)
from gateway.clock import SystemClock
from gateway.config import Settings
from gateway.intake import EmailIntake
from gateway.metrics import Metrics
from gateway.policybook import PolicyBook
from gateway.store import Store
from gateway.store.inbox import get_inbox, insert_inbox
from gateway.store.tickets import ticket_counts
from gateway.ticketing import StaffActions, TicketService
from gateway.triage import ClassifierProposer
from gateway.webhooks import Webhooks

import_app = typer.Typer(no_args_is_help=True)

TO_OPTION = typer.Option(None, "--to", help="Desk address to file under (default: from To/Cc).")
ACK_OPTION = typer.Option(False, "--ack/--no-ack", help="Also acknowledge imported mail.")


def _messages(box: mailbox.Mailbox[mailbox.Message]) -> Iterator[bytes]:
    for key in box.iterkeys():
        yield box.get_bytes(key)


def _header(raw: bytes, name: str) -> str:
    head = raw.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    value = BytesHeaderParser().parsebytes(head + b"\n\n").get_all(name, [])
    return ", ".join(str(v) for v in value)


def _received_at(raw: bytes, fallback: datetime) -> datetime:
    try:
        date = parsedate_to_datetime(_header(raw, "Date"))
    except (TypeError, ValueError, IndexError):
        return fallback
    return date if date.tzinfo else fallback


def _desk(raw: bytes, settings: Settings, to: str | None) -> str:
    if to:
        return to.lower()
    for _, address in getaddresses([_header(raw, "To"), _header(raw, "Cc")]):
        if settings.desk_for(address):
            return address.lower()
    return settings.desks[0].address


async def _import(
    settings: Settings, box: mailbox.Mailbox[mailbox.Message], to: str | None, ack: bool
) -> str:
    clock = SystemClock()
    metrics = Metrics()

    policies = PolicyBook(settings)
    service = TicketService(
        policies, CustomerNotices(settings, templates.environment(), sms_status_callback=None)
    )

    async def run(store: Store) -> str:
        intake = EmailIntake(
            store,
            clock,
            settings,
            policies=policies,
            proposer=ClassifierProposer.load(),
            # Old mail pages nobody: the service without hooks.
            tickets=service,
            # ... and notifies no webhook; a staff member's old mail is recorded, not sent.
            staff_actions=StaffActions(service, settings, Webhooks(())),
            metrics=metrics,
        )
        total = len(box)
        tickets_before = await store.read(ticket_counts)
        created = 0
        with Progress(console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("importing", total=total)
            for raw in _messages(box):
                meta = {
                    "mail_from": parseaddr(_header(raw, "From"))[1],
                    "rcpt_tos": [_desk(raw, settings, to)],
                    "imported": not ack,
                }
                key = "import:" + hashlib.sha256(raw).hexdigest()
                received = _received_at(raw, clock.now())
                inbox_id, new = await store.write(
                    partial(
                        insert_inbox,
                        channel="email",
                        kind="message",
                        received_at=received,
                        meta=meta,
                        raw=raw,
                        source_key=key,
                    )
                )
                item = await store.read(partial(get_inbox, inbox_id=inbox_id))
                if new and item is not None and item.state == "new":
                    await intake.process(item)
                    created += 1
                progress.advance(task)
        tickets = await store.read(ticket_counts) - tickets_before
        skipped = total - created
        return (
            f"imported {created} of {total} messages ({skipped} seen before); {tickets} new tickets"
        )

    return await with_store(settings, run, create=True)


def _open_mbox(path: Path) -> mailbox.Mailbox[mailbox.Message]:
    if path.is_dir():
        usage_error(
            f"{path}: is a directory, not an mbox file (for a Maildir: intake import maildir)"
        )
    with path.open("rb") as file:
        start = file.read(5)
    if start and start != b"From ":
        usage_error(f"{path}: not an mbox file (it does not start with a 'From ' line)")
    return mailbox.mbox(str(path), create=False)


def _open_maildir(path: Path) -> mailbox.Mailbox[mailbox.Message]:
    if not path.is_dir():
        usage_error(f"{path}: is a file, not a Maildir directory (for an mbox: intake import mbox)")
    missing = [sub for sub in ("cur", "new") if not (path / sub).is_dir()]
    if missing:
        usage_error(
            f"{path}: not a Maildir (no {' or '.join(m + '/' for m in missing)} folder inside)"
        )
    return mailbox.Maildir(str(path), factory=None, create=False)


def _run(
    open_box: Callable[[Path], mailbox.Mailbox[mailbox.Message]],
    path: Path,
    to: str | None,
    ack: bool,
    config: Path | None,
    data_dir: Path | None,
) -> None:
    settings = settings_from_cli(config, data_dir)
    if to and settings.desk_for(to) is None:
        usage_error(f"--to {to}: not a desk address in the configuration")
    if not path.exists():
        usage_error(f"{path}: no such file or directory")
    try:
        box = open_box(path)
        count = len(box)
    except OSError as error:
        usage_error(f"{path}: cannot read: {error.strerror or error}")
    except mailbox.Error as error:
        usage_error(f"{path}: cannot read the mailbox: {error}")
    if count == 0:
        typer.echo(f"{path}: no messages; nothing imported")
        return
    typer.echo(asyncio.run(_import(settings, box, to, ack)))


@import_app.command("mbox")
def import_mbox(
    path: Path = typer.Argument(..., help="The mbox file."),
    to: str | None = TO_OPTION,
    ack: bool = ACK_OPTION,
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Import every message of an mbox file."""
    _run(_open_mbox, path, to, ack, config, data_dir)


@import_app.command("maildir")
def import_maildir(
    path: Path = typer.Argument(..., help="The Maildir directory."),
    to: str | None = TO_OPTION,
    ack: bool = ACK_OPTION,
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Import every message of a Maildir."""
    _run(_open_maildir, path, to, ack, config, data_dir)
