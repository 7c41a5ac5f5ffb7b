"""Policies by name, loaded once per gateway (no module-level cache)."""

from __future__ import annotations

from policies import Policy, load_policy


class PolicyBook:
    def __init__(self) -> None:
        self._loaded: dict[str, Policy] = {}

    def get(self, name: str) -> Policy:
        if name not in self._loaded:
            self._loaded[name] = load_policy(name)
        return self._loaded[name]
