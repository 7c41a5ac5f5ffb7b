"""The generator's labels agree with the policies they are written for."""

from __future__ import annotations

import pytest

from classifier.training.generate import DEFAULT_LEVEL, POLICY_DOMAIN, Spec, label
from policies import Policy


@pytest.mark.parametrize("name", sorted(POLICY_DOMAIN))
def test_default_levels_are_each_policys_default_priority(
    policies: dict[str, Policy], name: str
) -> None:
    policy = policies[name]
    assert DEFAULT_LEVEL[POLICY_DOMAIN[name]] == policy.default_priority.id
    assert label(name, Spec("unclear")) == policy.default_priority.id


def test_every_policy_has_a_domain(policies: dict[str, Policy]) -> None:
    assert set(POLICY_DOMAIN) == set(policies)
