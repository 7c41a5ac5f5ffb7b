"""The one convention every `intake` sub-command follows.

- Errors: one sentence on stderr, `intake: <sentence>`; exit 2 for usage and configuration
  errors (a bad flag, file, key or value), 1 for "not found" (no such ticket).
- Settings: `--config` and `--data-dir` (and their INTAKE_* variables) mean the same everywhere;
  `settings_from_cli` is the only way a command reads them.
- Instants: `parse_instant` reads every `--at`/`--received` the same way.
- Policies: `load_policy_or_exit` loads a `--policy` by name or file for every command.
- Stored data: read commands never create a database (`with_store(..., create=False)`).
- Output: customer text goes through `clean` (no terminal escapes, no bidi controls) and,
  for rich, `escape`; `--format table|tsv|json` with tab-separated text when piped.
"""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from typer.core import TyperGroup

from gateway.config import ConfigError, Settings, load_settings
from gateway.store import DATABASE_NAME, Store, open_store
from gateway.terminal import clean

if TYPE_CHECKING:
    from rich.text import Text

    from policies import Policy

T = TypeVar("T")

USAGE = 2  # a bad flag, value, file or configuration
NOT_FOUND = 1  # the thing asked for does not exist

CONFIG_OPTION = typer.Option(
    None, "--config", "-c", envvar="INTAKE_CONFIG", help="TOML config file.", show_envvar=True
)
DATA_DIR_OPTION = typer.Option(
    None,
    "--data-dir",
    help="Where data lives (holds intake.db) [default: from the config, else ./var].",
)


# --- errors --------------------------------------------------------------------------------


def fail(message: str, code: int = NOT_FOUND) -> typer.Exit:
    """Print `intake: <message>` on stderr; raise the returned Exit."""
    typer.echo(f"intake: {clean(message)}", err=True)
    return typer.Exit(code)


def usage_error(message: str) -> NoReturn:
    raise fail(message, USAGE)


class IntakeGroup(TyperGroup):
    """The top-level command group: click's own usage errors (unknown option, bad choice,
    missing argument) are worded like ours, `intake: <sentence>`, and exit 2."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except typer.TyperException as error:  # typer's own click: usage and parameter errors
            ctx = getattr(error, "ctx", None)
            if type(error).__name__ == "NoArgsIsHelpError":  # `intake tickets`: the help
                typer.echo(error.format_message(), err=True)
            else:
                hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
                typer.echo(f"intake: {error.format_message()}{hint}", err=True)
            sys.exit(error.exit_code)
        except typer.Abort:
            typer.echo("intake: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


# --- settings and the store ----------------------------------------------------------------


def settings_from_cli(
    config: Path | None,
    data_dir: Path | None = None,
    smtp_port: int | None = None,
    http_port: int | None = None,
) -> Settings:
    """Settings with flags over environment over file; a bad value exits 2 naming file and key."""
    try:
        return load_settings(
            config,
            overrides={
                ("data_dir",): data_dir,
                ("smtp", "port"): smtp_port,
                ("http", "port"): http_port,
            },
        )
    except ConfigError as exc:
        # One line per problem: a file with three mistakes shows all three.
        typer.echo("\n".join(f"intake: {line}" for line in str(exc).splitlines()), err=True)
        raise typer.Exit(USAGE) from None


def database_path(settings: Settings) -> Path:
    return settings.data_dir / DATABASE_NAME


def require_database(settings: Settings) -> Path:
    """The database a read command will open; exit 2 naming where we looked if there is none,
    rather than creating an empty one and showing an empty table."""
    path = database_path(settings)
    if not path.is_file():
        where = settings.data_dir.resolve()
        usage_error(
            f"no Intake database in {where} (looked for {path.name}); pass --data-dir or"
            " --config naming the gateway's data directory"
        )
    return path


async def with_store(
    settings: Settings, work: Callable[[Store], Awaitable[T]], *, create: bool = False
) -> T:
    """Open the store, run `work`, close it. Only commands that write new data (import) create
    a database; every other command refuses a missing one (see `require_database`)."""
    if not create and settings.store.url is None:  # SQLite in data_dir
        require_database(settings)
    store = await open_store(settings)
    try:
        return await work(store)
    finally:
        await store.close()


# --- instants and policies -----------------------------------------------------------------


def read_instant(text: str, tz: tzinfo) -> datetime:
    """An ISO 8601 instant; without an offset it is local time in `tz`. ValueError if not one."""
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not an ISO 8601 time: {text!r}") from None
    return at.replace(tzinfo=tz) if at.tzinfo is None else at


def parse_instant(text: str, tz: tzinfo, option: str = "--at") -> datetime:
    """`read_instant` for an option: a bad value exits 2 naming the option."""
    try:
        return read_instant(text, tz)
    except ValueError as error:
        usage_error(f"{option}: {error}")


def load_policy_or_exit(name_or_path: str, option: str = "--policy") -> Policy:
    """A policy by built-in name or file path; any problem exits 2 with one line naming the
    file (or name), the field and the problem."""
    from policies import PolicyError, load_policy

    try:
        return load_policy(name_or_path)
    except PolicyError as error:  # already worded `name-or-file: field: problem`
        usage_error(str(error))
    except (OSError, KeyError, ValueError) as error:
        usage_error(f"{option} {name_or_path}: cannot load: {error}")


# --- customer text in a terminal (`clean` is gateway.terminal's) ---------------------------


def one_line(text: str | None) -> str:
    """`clean`, with tabs and newlines folded to spaces: one cell of a table or TSV row."""
    return " ".join(clean(text).split())


def plain(text: str | None) -> Text:
    """Text for a rich table cell or print: cleaned, and never parsed as markup."""
    from rich.text import Text

    return Text(clean(text))


def markup(text: str | None) -> str:
    """Customer text to put inside a rich markup string: cleaned, and brackets escaped."""
    from rich.markup import escape

    return escape(clean(text))


# --- output formats ------------------------------------------------------------------------


class OutputFormat(enum.StrEnum):
    table = "table"
    tsv = "tsv"
    json = "json"


FORMAT_OPTION = typer.Option(
    None,
    "--format",
    help="table, tsv or json [default: table on a terminal, tsv when piped].",
    case_sensitive=False,
)
JSON_OPTION = typer.Option(False, "--json", help="Same as --format json.")


def output_format(chosen: OutputFormat | None, as_json: bool = False) -> OutputFormat:
    if as_json:
        return OutputFormat.json
    if chosen is not None:
        return chosen
    return OutputFormat.table if sys.stdout.isatty() else OutputFormat.tsv


def print_rows(
    fmt: OutputFormat,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    records: Sequence[dict[str, Any]],
    *,
    title: str | None = None,
) -> None:
    """Rows as a rich table (cells are plain text, never markup), as tab-separated lines with a
    header, or `records` as a JSON array."""
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(list(records), indent=2, default=str))
        return
    if fmt is OutputFormat.tsv:
        lines = ["\t".join(columns)]
        lines += ["\t".join(one_line(cell) for cell in row) for row in rows]
        typer.echo("\n".join(lines))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*(Text(one_line(cell)) for cell in row))
    Console(highlight=False).print(table)
