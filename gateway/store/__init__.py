"""All SQL lives in this package: `core` (group commit over a backend, SQLite's backend),
`postgres` (the PostgreSQL backend), `schema` (migrations) and one module per topic (`inbox`,
`tickets`, `outbox`, `corrections`, ...) of async functions over a connection, which business
code composes into one transaction with `Store.write`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from gateway.store.connection import Connection
from gateway.store.core import Store, StoreClosed, StoreUnavailable, StoreUnusable
from gateway.store.corrections import DATABASE_NAME

if TYPE_CHECKING:
    from gateway.config import Settings

__all__ = [
    "DATABASE_NAME",
    "Connection",
    "Store",
    "StoreClosed",
    "StoreUnavailable",
    "StoreUnusable",
    "open_store",
]


async def open_store(settings: Settings) -> Store:
    """The store `[store]` configures: SQLite in `data_dir`, or the PostgreSQL at `url` with
    the password from the environment variable `password_env` names."""
    return await Store.connect(
        settings.store.url,
        default_path=settings.data_dir / DATABASE_NAME,
        password=os.environ.get(settings.store.password_env),
    )
