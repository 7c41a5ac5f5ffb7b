"""`intake staff` and `intake tokens`: staff accounts and the API tokens they use.

A password is read from standard input only (`--password-stdin`), never from an argument, so
it stays out of shell history and `ps`. A token is printed once, on stdout alone, so that
`TOKEN=$(intake tokens create ...)` captures it; only its SHA-256 is kept.
"""

from __future__ import annotations

import asyncio
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from gateway import credentials
from gateway.cli.common import (
    CONFIG_OPTION,
    DATA_DIR_OPTION,
    FORMAT_OPTION,
    JSON_OPTION,
    NOT_FOUND,
    USAGE,
    OutputFormat,
    fail,
    output_format,
    print_rows,
    settings_from_cli,
    with_store,
)
from gateway.clock import SystemClock
from gateway.config import Settings
from gateway.phone import normalize_e164
from gateway.store import staff as sql
from gateway.store.connection import Connection
from gateway.store.staff import ROLES, StaffMember

staff_app = typer.Typer(no_args_is_help=True)
tokens_app = typer.Typer(no_args_is_help=True)

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$|^[^@\s<>]+@localhost$")


def normalize_email(raw: str) -> str:
    email = raw.strip().lower()
    if not _EMAIL.match(email):
        raise fail(f"not an email address: {raw!r}", USAGE)
    return email


def oncall_ids(settings: Settings) -> dict[str, str]:
    """E.164 phone -> [oncall.staff] id: a staff account with that phone is that person."""
    if settings.oncall is None:
        return {}
    return {person.phone: person.id for person in settings.oncall.staff}


def _read_password() -> str:
    if sys.stdin.isatty():
        raise fail("--password-stdin reads the password from a pipe, e.g. `… < file`", USAGE)
    password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < credentials.MIN_PASSWORD_CHARS:
        raise fail(
            f"the password must be at least {credentials.MIN_PASSWORD_CHARS} characters", USAGE
        )
    return password


@staff_app.command("add")
def add_staff(
    email: str = typer.Argument(..., help="Their email address: the login and identity."),
    name: str = typer.Option(..., "--name", help="Full name, shown on replies and events."),
    role: str = typer.Option("agent", "--role", help="agent, lead or admin."),
    phone: str | None = typer.Option(
        None, "--phone", help="Mobile number (E.164); links them to [oncall.staff] by number."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (required)."
    ),
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Add a staff member; the password is read from standard input and stored as argon2id."""
    settings = settings_from_cli(config, data_dir)
    address = normalize_email(email)
    if role not in ROLES:
        raise fail(f"unknown role {role!r} (known: {', '.join(ROLES)})", USAGE)
    if not name.strip():
        raise fail("--name must not be empty", USAGE)
    e164 = None
    if phone is not None:
        e164 = normalize_e164(phone)
        if e164 is None:
            raise fail(f"not a phone number: {phone!r} (use E.164, e.g. +12025550101)", USAGE)
    if not password_stdin:
        raise fail("give the password on standard input with --password-stdin", USAGE)
    password_hash = credentials.hash_password(_read_password())
    now = SystemClock().now()

    async def write(db: Connection) -> StaffMember | str:
        if await sql.staff_by_email(db, address) is not None:
            return f"{address} is already a staff member"
        if e164 and (holder := await sql.staff_by_phone(db, e164)) is not None:
            return f"{e164} is already the phone of {holder.email}"
        added = await sql.insert_staff(
            db,
            email=address,
            name=name.strip(),
            role=role,
            phone=e164,
            password_hash=password_hash,
            now=now,
        )
        return added if added is not None else f"{address} is already a staff member"

    result = asyncio.run(with_store(settings, lambda s: s.write(write), create=True))
    if isinstance(result, str):
        raise fail(result, USAGE)
    linked = oncall_ids(settings).get(e164 or "")
    note = f"; on call as {linked!r}" if linked else ""
    typer.echo(f"added {result.email} ({result.role}){note}")


def _staff_json(member: StaffMember, oncall: dict[str, str]) -> dict[str, Any]:
    return {
        "email": member.email,
        "name": member.name,
        "role": member.role,
        "phone": member.phone,
        "oncall_id": oncall.get(member.phone or ""),
        "active": member.active,
        "created_at": member.created_at.isoformat(),
        "disabled_at": member.disabled_at.isoformat() if member.disabled_at else None,
    }


@staff_app.command("list")
def list_staff(
    fmt: OutputFormat | None = FORMAT_OPTION,
    as_json: bool = JSON_OPTION,
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """List staff members, their role and the on-call id their phone links them to."""
    settings = settings_from_cli(config, data_dir)
    chosen = output_format(fmt, as_json)
    members = asyncio.run(with_store(settings, lambda s: s.read(sql.list_staff)))
    oncall = oncall_ids(settings)
    records = [_staff_json(m, oncall) for m in members]
    if not records and chosen is not OutputFormat.json:
        typer.echo(
            "intake: no staff yet; add one with `intake staff add EMAIL --name NAME`", err=True
        )
    rows = [
        [
            r["email"],
            r["name"],
            r["role"],
            r["phone"] or "-",
            r["oncall_id"] or "-",
            "active" if r["active"] else f"disabled {r['disabled_at'][:10]}",
        ]
        for r in records
    ]
    columns = ["email", "name", "role", "phone", "on call as", "status"]
    print_rows(chosen, columns, rows, records)


@staff_app.command("disable")
def disable_staff(
    email: str = typer.Argument(..., help="The staff member's email address."),
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Disable a staff member: they can no longer sign in, and their API tokens are revoked."""
    settings = settings_from_cli(config, data_dir)
    address = normalize_email(email)
    now = SystemClock().now()

    async def write(db: Connection) -> StaffMember | None:
        member = await sql.staff_by_email(db, address)
        if member is not None:
            await sql.disable_staff(db, member.id, now)
        return member

    member = asyncio.run(with_store(settings, lambda s: s.write(write)))
    if member is None:
        raise fail(f"no staff member {address}", NOT_FOUND)
    if not member.active:
        typer.echo(f"{address} was already disabled")
        return
    typer.echo(f"disabled {address}; their API tokens are revoked")


# -- tokens ------------------------------------------------------------------------------------


@tokens_app.command("create")
def create_token(
    staff: str = typer.Option(..., "--staff", help="Email of the staff member it acts as."),
    name: str = typer.Option(..., "--name", help="What it is for, e.g. 'laptop' or 'zapier'."),
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Create an API token and print it once: only its hash is kept."""
    settings = settings_from_cli(config, data_dir)
    address = normalize_email(staff)
    if not name.strip():
        raise fail("--name must not be empty", USAGE)
    token = credentials.new_token()
    now = SystemClock().now()

    async def write(db: Connection) -> tuple[int, str] | None:
        member = await sql.staff_by_email(db, address)
        if member is None:
            return NOT_FOUND, f"no staff member {address}"
        if not member.active:
            return USAGE, f"{address} is disabled; tokens are for active staff only"
        created = await sql.insert_token(
            db,
            member.id,
            name=name.strip(),
            token_hash=credentials.token_hash(token),
            hint=credentials.token_hint(token),
            now=now,
        )
        if created is None:
            return USAGE, f"{address} already has a token named {name.strip()!r}"
        return None

    problem = asyncio.run(with_store(settings, lambda s: s.write(write)))
    if problem is not None:
        raise fail(problem[1], problem[0])
    typer.echo(token)
    typer.echo("intake: this token is shown once; store it now", err=True)


def _when(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


@tokens_app.command("list")
def list_tokens(
    staff: str | None = typer.Option(None, "--staff", help="Only this staff member's tokens."),
    fmt: OutputFormat | None = FORMAT_OPTION,
    as_json: bool = JSON_OPTION,
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """List API tokens (their first characters, never the token)."""
    settings = settings_from_cli(config, data_dir)
    chosen = output_format(fmt, as_json)
    address = normalize_email(staff) if staff else None

    async def read(db: Connection) -> list[sql.ApiToken] | None:
        if address is None:
            return await sql.list_tokens(db)
        member = await sql.staff_by_email(db, address)
        return None if member is None else await sql.list_tokens(db, member.id)

    tokens = asyncio.run(with_store(settings, lambda s: s.read(read)))
    if tokens is None:
        raise fail(f"no staff member {address}", NOT_FOUND)
    records: list[dict[str, Any]] = [
        {
            "staff": t.staff_email,
            "name": t.name,
            "hint": t.hint + "…",
            "created_at": _when(t.created_at),
            "last_used_at": _when(t.last_used_at),
            "revoked_at": _when(t.revoked_at),
        }
        for t in tokens
    ]
    rows = [
        [
            r["staff"],
            r["name"],
            r["hint"],
            r["created_at"][:16],
            (r["last_used_at"] or "never")[:16],
            "revoked" if r["revoked_at"] else "active",
        ]
        for r in records
    ]
    columns = ["staff", "name", "token", "created", "last used", "status"]
    print_rows(chosen, columns, rows, records)


@tokens_app.command("revoke")
def revoke_token(
    staff: str = typer.Option(..., "--staff", help="Email of the token's staff member."),
    name: str = typer.Option(..., "--name", help="The token's name."),
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Revoke an API token: requests with it are answered 401 from now on."""
    settings = settings_from_cli(config, data_dir)
    address = normalize_email(staff)
    now = SystemClock().now()

    async def write(db: Connection) -> str | None:
        member = await sql.staff_by_email(db, address)
        token = await sql.token_by_name(db, member.id, name) if member else None
        if token is None:
            return None
        if await sql.revoke_token(db, token.id, now):
            return f"revoked {address}'s token {name!r}"
        return f"{address}'s token {name!r} was already revoked"

    said = asyncio.run(with_store(settings, lambda s: s.write(write)))
    if said is None:
        raise fail(f"{address} has no token named {name!r}", NOT_FOUND)
    typer.echo(said)
