"""Policies by name, loaded once per gateway (no module-level cache).

The config names a policy by a built-in name or a file path; a ticket records the policy's
own `name`. A policy file given by path cannot be found again from that name alone, so the
book indexes every configured policy by its name as well.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from policies import Policy, load_policy

if TYPE_CHECKING:
    from gateway.config import Settings


class PolicyBook:
    def __init__(self, settings: Settings | None = None) -> None:
        self._loaded: dict[str, Policy] = {}
        if settings is not None:
            references = [d.policy for d in settings.desks]
            references += [c.policy for c in settings.customers]
            for reference in references:
                policy = self.get(reference)
                self._loaded.setdefault(policy.name, policy)

    def get(self, reference: str) -> Policy:
        """A policy by the config's reference (name or path) or by a ticket's policy name."""
        if reference not in self._loaded:
            self._loaded[reference] = load_policy(reference)
        return self._loaded[reference]
