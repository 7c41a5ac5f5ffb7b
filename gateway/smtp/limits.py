"""Per-client limits: concurrent connections and a message rate (token bucket)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from time import monotonic

from gateway.config import SmtpSettings


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class ClientLimits:
    """Owned by one listener; counts connections and paces messages per client address."""

    max_connections: int
    max_connections_per_client: int
    messages_per_minute: int
    _connections: Counter[str] = field(default_factory=Counter)
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: SmtpSettings) -> ClientLimits:
        return cls(
            max_connections=settings.max_connections,
            max_connections_per_client=settings.max_connections_per_client,
            messages_per_minute=settings.max_messages_per_client_per_minute,
        )

    @property
    def total_connections(self) -> int:
        return sum(self._connections.values())

    def connect(self, client: str) -> str | None:
        """Register a connection; returns why it is refused, or None when it may proceed."""
        if self.total_connections >= self.max_connections:
            return "server"
        if self._connections[client] >= self.max_connections_per_client:
            return "client"
        self._connections[client] += 1
        return None

    def disconnect(self, client: str) -> None:
        self._connections[client] -= 1
        if self._connections[client] <= 0:
            del self._connections[client]

    def allow_message(self, client: str, now: float | None = None) -> bool:
        """A burst of a full minute's allowance, refilled continuously."""
        now = monotonic() if now is None else now
        capacity = float(self.messages_per_minute)
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = self._buckets[client] = _Bucket(capacity, now)
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * capacity / 60.0)
        bucket.updated = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        if len(self._buckets) > 10_000:  # forget idle clients so memory stays bounded
            self._forget_full_buckets(now)
        return True

    def _forget_full_buckets(self, now: float) -> None:
        for client, bucket in list(self._buckets.items()):
            if now - bucket.updated > 60.0:
                del self._buckets[client]
