"""Shared fixtures: the shipped model, loaded once per session, and the seed policies."""

from __future__ import annotations

import pytest

from classifier import Triage
from policies import Policy, load_policy


@pytest.fixture(scope="session")
def triage() -> Triage:
    return Triage.load()


@pytest.fixture(scope="session")
def rules_only() -> Triage:
    from classifier.pipeline import rules_pipeline

    return Triage(rules_pipeline(), trained=False)


@pytest.fixture(scope="session")
def policies() -> dict[str, Policy]:
    from policies import builtin_policy_names

    return {name: load_policy(name) for name in builtin_policy_names()}
