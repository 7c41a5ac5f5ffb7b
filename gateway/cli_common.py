"""What every `intake` sub-command shares: options, settings from flags, a store to talk to."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import typer

from gateway.config import ConfigError, Settings, load_settings
from gateway.store import Store, open_store

T = TypeVar("T")

CONFIG_OPTION = typer.Option(None, "--config", help="TOML config file [env: INTAKE_CONFIG].")
DATA_DIR_OPTION = typer.Option(None, "--data-dir", help="Where data lives [env: INTAKE_DATA_DIR].")


def settings_from_cli(
    config: Path | None,
    data_dir: Path | None = None,
    smtp_port: int | None = None,
    http_port: int | None = None,
) -> Settings:
    """Settings with flags over environment over file; a bad value exits 2 with one clear line."""
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
        typer.echo(f"intake: {exc}", err=True)
        raise typer.Exit(2) from None


async def with_store(settings: Settings, work: Callable[[Store], Awaitable[T]]) -> T:
    store = await open_store(settings)
    try:
        return await work(store)
    finally:
        await store.close()


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"intake: {message}", err=True)
    return typer.Exit(code)
