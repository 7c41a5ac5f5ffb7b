"""The `intake` command line. Sub-commands live beside what they drive; this file mounts them."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

import typer

from classifier.cli import classifier_app, classify
from gateway.backfill import import_app
from gateway.cli_common import CONFIG_OPTION, DATA_DIR_OPTION, settings_from_cli
from gateway.config import Settings
from gateway.startup import StartupError
from gateway.tickets_cli import tickets_app
from policies.cli import policies_app, sla_app
from voice.cli import oncall_app

app = typer.Typer(
    name="intake",
    help="Intake: email and phone intake gateway for technical-support teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def serve(
    config: Path | None = CONFIG_OPTION,
    data_dir: Path | None = DATA_DIR_OPTION,
    smtp_port: int | None = typer.Option(None, "--smtp-port", help="[env: INTAKE_SMTP_PORT]"),
    http_port: int | None = typer.Option(None, "--http-port", help="[env: INTAKE_HTTP_PORT]"),
    log_level: str = typer.Option("INFO", "--log-level", envvar="INTAKE_LOG_LEVEL"),
) -> None:
    """Run the gateway: SMTP, HTTP and workers in one process."""
    settings = settings_from_cli(config, data_dir, smtp_port, http_port)
    logging.basicConfig(
        level=log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        asyncio.run(_serve(settings))
    except StartupError as exc:  # the operator can fix it: one sentence, no traceback
        typer.echo(f"intake: {exc}", err=True)
        raise typer.Exit(2) from None


async def _serve(settings: Settings) -> None:
    from gateway.app import Gateway

    gateway = Gateway(settings)
    await gateway.start()
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


app.add_typer(tickets_app, name="tickets", help="List, show and re-prioritise tickets.")
app.add_typer(import_app, name="import", help="Backfill mail from an mbox or Maildir.")
app.add_typer(policies_app, name="policies", help="List, check and explain support policies.")
app.add_typer(sla_app, name="sla", help="Compute and explain committed deadlines.")
app.command("classify", help="Propose priorities for messages under a policy.")(classify)
app.add_typer(classifier_app, name="classifier", help="Train and evaluate the triage classifier.")
app.add_typer(oncall_app, name="oncall", help="Show who is on call and the escalation chain.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
