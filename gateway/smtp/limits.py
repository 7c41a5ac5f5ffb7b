"""Per-client limits: concurrent connections per address and per network, a message rate."""

from __future__ import annotations

import ipaddress
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
    max_connections_per_network: int = 200
    _connections: Counter[str] = field(default_factory=Counter)
    _networks: Counter[str] = field(default_factory=Counter)
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: SmtpSettings) -> ClientLimits:
        return cls(
            max_connections=settings.max_connections,
            max_connections_per_client=settings.max_connections_per_client,
            messages_per_minute=settings.max_messages_per_client_per_minute,
            max_connections_per_network=settings.max_connections_per_network,
        )

    @property
    def total_connections(self) -> int:
        return sum(self._connections.values())

    def connect(self, client: str) -> str | None:
        """Register a connection; returns why it is refused, or None when it may proceed.

        The listener's total is the listener's business (it can make room by closing idle
        sessions); here only one address and its network are held to their share.
        """
        if self._connections[client] >= self.max_connections_per_client:
            return "client"
        network = network_of(client)
        if self._networks[network] >= self.max_connections_per_network:
            return "network"
        self._connections[client] += 1
        self._networks[network] += 1
        return None

    def disconnect(self, client: str) -> None:
        for counter, key in ((self._connections, client), (self._networks, network_of(client))):
            counter[key] -= 1
            if counter[key] <= 0:
                del counter[key]

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


def network_of(client: str) -> str:
    """The /24 of an IPv4 address or the /64 of an IPv6 one: what one party usually controls."""
    try:
        address = ipaddress.ip_address(client.partition("%")[0])
    except ValueError:  # a Unix socket path or similar: its own network
        return client
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
