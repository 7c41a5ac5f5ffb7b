"""All SQL lives in this package: `core` (connections, group commit, migrations) and one module
per topic (`inbox`, `tickets`, `outbox`, `corrections`, ...) of async functions over a
connection, which business code composes into one transaction with `Store.write`."""

from gateway.store.connection import Connection
from gateway.store.core import Store, StoreClosed, StoreUnusable
from gateway.store.corrections import DATABASE_NAME

__all__ = ["DATABASE_NAME", "Connection", "Store", "StoreClosed", "StoreUnusable"]
