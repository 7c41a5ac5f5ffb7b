"""Listener activity, so background thinking can yield to accepting during a burst.

Accepting a message is the promise (`250` means durable); parsing, classifying and
acknowledging it can wait a little. The intake worker therefore defers while the listener is
busy, but never longer than its `max_defer`, so a sustained load still gets processed.

Busy is "a message was accepted just now" or "a client is handing one over right now". The
second matters because the first alone defeats itself: while a worker's batch holds the
event loop no message completes, so the listener looked quiet exactly when clients were
waiting on it, and the next batch started at once (measured: the worker took the loop for
whole stretches of a burst).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from time import monotonic


@dataclass
class ListenerActivity:
    quiet_after: float = 0.05  # seconds without an accepted message that count as quiet
    _last_accept: float = field(default=float("-inf"))
    # Each says whether a client is mid-transaction now (the SMTP listener registers one).
    _handing_over: list[Callable[[], bool]] = field(default_factory=list)

    def accepted(self) -> None:
        self._last_accept = monotonic()

    def watch(self, handing_over: Callable[[], bool]) -> None:
        """Count the listener busy while `handing_over()` says a client is mid-transaction."""
        self._handing_over.append(handing_over)

    def busy(self) -> bool:
        if monotonic() - self._last_accept < self.quiet_after:
            return True
        return any(source() for source in self._handing_over)
