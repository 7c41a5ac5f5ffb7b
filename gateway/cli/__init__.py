"""The `intake` command line: every command lives in this package and follows the convention of
`gateway.cli.common` (errors, settings, instants, policies, output). This file mounts them and
runs `serve`."""

from __future__ import annotations

import asyncio
import gc
import signal
from pathlib import Path

import typer

from gateway.cli.backfill import import_app
from gateway.cli.classifier import classifier_app
from gateway.cli.classify import classify
from gateway.cli.common import (
    CONFIG_OPTION,
    DATA_DIR_OPTION,
    IntakeGroup,
    settings_from_cli,
    usage_error,
)
from gateway.cli.oncall import oncall_app
from gateway.cli.policies import policies_app, sla_app
from gateway.cli.sla import sla_report  # noqa: F401  (adds `intake sla report`)
from gateway.cli.staff import staff_app, tokens_app
from gateway.cli.store import store_app
from gateway.cli.tickets import tickets_app
from gateway.config import Settings
from gateway.logs import LOG_FORMATS, configure_logging
from gateway.startup import StartupError

app = typer.Typer(
    name="intake",
    help="Intake: email and phone intake gateway for technical-support teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help text is plain text: "[env: ...]" or "[oncall]" must print, not be read as markup.
    rich_markup_mode=None,
    cls=IntakeGroup,
)


@app.command()
def serve(
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
    smtp_port: int | None = typer.Option(
        None, "--smtp-port", envvar="INTAKE_SMTP_PORT", show_envvar=True
    ),
    http_port: int | None = typer.Option(
        None, "--http-port", envvar="INTAKE_HTTP_PORT", show_envvar=True
    ),
    log_level: str = typer.Option(
        "INFO", "--log-level", envvar="INTAKE_LOG_LEVEL", help="DEBUG, INFO, WARNING or ERROR."
    ),
    log_format: str = typer.Option(
        "text", "--log-format", envvar="INTAKE_LOG_FORMAT", help="text, or json for log shippers."
    ),
) -> None:
    """Run the gateway: SMTP, HTTP and workers in one process."""
    settings = settings_from_cli(config, data_dir, smtp_port, http_port)
    if log_format not in LOG_FORMATS:
        usage_error(f"--log-format: expected one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
    try:
        configure_logging(log_level, log_format)
    except ValueError as error:
        usage_error(f"--log-level: {error}")
    try:
        asyncio.run(_serve(settings))
    except StartupError as exc:  # the operator can fix it: one sentence, no traceback
        typer.echo(f"intake: {exc}", err=True)
        raise typer.Exit(2) from None


async def _serve(settings: Settings) -> None:
    from gateway.app import Gateway

    gateway = Gateway(settings)
    await gateway.start()
    # What start-up loaded (the classifier's model, policies, templates) lives as long as the
    # process: frozen, it is out of the collector's sight, and a full collection walks only
    # what came since. It walked millions of objects: 100-300 ms pauses of the whole event
    # loop, the p99 of every workspace page (bench/web_pages.py).
    gc.freeze()
    smtp_host, smtp_port = gateway.smtp.address
    http_host, http_port = gateway.http_address
    desks = ", ".join(f"{d.address} ({d.policy})" for d in settings.desks)
    print(
        f"intake ready: smtp={smtp_host}:{smtp_port} http=http://{http_host}:{http_port}"
        f" data={settings.data_dir} desks={desks}",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    # A Python-level handler rather than loop.add_signal_handler: the latter learns of the
    # signal only through the loop's self-pipe, and under heavy load, with worker threads
    # waking the loop, a full pipe can drop it; this one always runs on the main thread.
    def request_stop(signum: int, frame: object) -> None:
        loop.call_soon_threadsafe(stop.set)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, request_stop)
    await stop.wait()
    print("intake stopping", flush=True)
    await gateway.stop()
    print("intake stopped", flush=True)


app.add_typer(tickets_app, name="tickets", help="List, show, answer and change tickets.")
app.add_typer(import_app, name="import", help="Backfill mail from an mbox or Maildir.")
app.add_typer(policies_app, name="policies", help="List, check and explain support policies.")
app.add_typer(
    sla_app, name="sla", help="Compute and explain committed deadlines; report attainment."
)
app.command("classify", help="Propose priorities for messages under a policy.")(classify)
app.add_typer(classifier_app, name="classifier", help="Train and evaluate the triage classifier.")
app.add_typer(oncall_app, name="oncall", help="Show who is on call and the escalation chain.")
app.add_typer(staff_app, name="staff", help="Add, list and disable staff accounts.")
app.add_typer(tokens_app, name="tokens", help="Create, list and revoke API tokens.")
app.add_typer(store_app, name="store", help="Check the database; move a desk to PostgreSQL.")


def main() -> None:
    app()
