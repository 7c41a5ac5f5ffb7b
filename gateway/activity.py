"""Listener activity, so background thinking can yield to accepting during a burst.

Accepting a message is the promise (`250` means durable); parsing, classifying and
acknowledging it can wait a little. The intake worker therefore defers while the listener is
busy, but never longer than its `max_defer`, so a sustained load still gets processed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from time import monotonic


@dataclass
class ListenerActivity:
    quiet_after: float = 0.05  # seconds without an accepted message that count as quiet
    _last_accept: float = field(default=float("-inf"))

    def accepted(self) -> None:
        self._last_accept = monotonic()

    def busy(self) -> bool:
        return monotonic() - self._last_accept < self.quiet_after
