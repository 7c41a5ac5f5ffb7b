"""Support contracts as data files (``policies/*.toml``) and the SLA clock.

Public API (see docs/design.md, "Policies API")::

    from policies import Policy, Priority, Target, PolicyError, load_policy, load_policy_file
    policy = load_policy("threepbx")
    policy.deadline("P1", received)          # aware datetime in policy.tz, or None

Names are imported on first use so that ``intake --help`` does not pay for pydantic.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from policies.errors import PolicyError
    from policies.loader import builtin_policy_names, load_policy, load_policy_file
    from policies.model import Policy, Priority, ScopeOfCoverage
    from policies.targets import Target, parse_target

__all__ = [
    "Policy",
    "PolicyError",
    "Priority",
    "ScopeOfCoverage",
    "Target",
    "builtin_policy_names",
    "load_policy",
    "load_policy_file",
    "parse_target",
]

_HOME = {
    "Policy": "policies.model",
    "Priority": "policies.model",
    "ScopeOfCoverage": "policies.model",
    "PolicyError": "policies.errors",
    "Target": "policies.targets",
    "parse_target": "policies.targets",
    "builtin_policy_names": "policies.loader",
    "load_policy": "policies.loader",
    "load_policy_file": "policies.loader",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'policies' has no attribute {name!r}")
    return getattr(import_module(module), name)
