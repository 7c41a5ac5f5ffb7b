"""The seeds' own rules: declared vs proposed vs effective priority, and contract caps."""

from __future__ import annotations

from classifier import Triage
from policies import Policy

STAGING_OUTAGE = (
    "Staging down",
    "Our staging server is completely down and will not start. Production is fine.",
)
HOW_TO = ("URGENT question", "URGENT!!! How do I rotate the logs? Where is the documentation?")
PRODUCTION_OUTAGE = (
    "Production down",
    "Our production Restcomm cluster is down, every call fails with 503 for all customers.",
)


def test_declared_top_priority_for_a_staging_outage_is_lowered(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    for name in ("restcomm-standard", "restcomm-premium"):
        proposal = triage.propose(policies[name], *STAGING_OUTAGE, declared="P1")
        assert proposal.declared == "P1"
        assert proposal.priority == "P3"
        assert proposal.effective == "P3"
        assert proposal.reclassified is not None
        assert "staging" in proposal.reclassified.lower()
        assert any("staging" in reason for reason in proposal.reasons)


def test_declared_top_priority_for_a_how_to_question_is_lowered(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    proposal = triage.propose(policies["restcomm-standard"], *HOW_TO, declared="P1")
    assert (proposal.priority, proposal.effective) == ("P3", "P3")
    assert proposal.reclassified is not None
    assert "question" in proposal.reclassified


def test_declared_priority_stands_without_a_reclassify_signal(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    policy = policies["restcomm-standard"]
    top = triage.propose(policy, *PRODUCTION_OUTAGE, declared="P1")
    assert (top.priority, top.effective, top.reclassified) == ("P1", "P1", None)
    # Declared lower than proposed: the customer's choice stands; staff may raise it.
    low = triage.propose(policy, *PRODUCTION_OUTAGE, declared="P3")
    assert (low.priority, low.effective, low.reclassified) == ("P1", "P3", None)


def test_jelastic_declared_level_stands_even_for_staging(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    proposal = triage.propose(policies["jelastic"], *STAGING_OUTAGE, declared="L1")
    assert proposal.priority == "L3"
    assert proposal.effective == "L1"
    assert proposal.reclassified is None


def test_declared_alias_is_mapped_by_the_policy(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    proposal = triage.propose(policies["restcomm-standard"], *STAGING_OUTAGE, declared="urgent")
    assert proposal.declared == "P1"
    assert proposal.effective == "P3"
    unknown = triage.propose(policies["restcomm-standard"], *STAGING_OUTAGE, declared="whatever")
    assert unknown.declared is None and unknown.effective == unknown.priority


def test_without_a_declared_priority_the_proposal_is_effective(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    for policy in policies.values():
        proposal = triage.propose(policy, *PRODUCTION_OUTAGE)
        assert proposal.effective == proposal.priority
        assert proposal.reclassified is None


def test_provider_assigned_policy_treats_declared_as_a_hint(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    policy = policies["msp"]
    assert not policy.customer_sets_priority
    proposal = triage.propose(policy, "How do I share a calendar?", "How do I share it?", "P1")
    assert proposal.priority == "P5"
    assert proposal.effective == "P5"
    assert proposal.reclassified is not None and "hint" in proposal.reclassified


def test_net_and_ms_sql_issues_are_at_most_level_2(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    proposal = triage.propose(
        policies["jelastic"],
        "IIS down",
        "Our ASP.NET application on IIS is completely down in production for all users.",
    )
    assert proposal.priority == "L2"
    assert any(".Net and MS-SQL" in reason for reason in proposal.reasons)


def test_threepbx_levels_follow_the_contract_words(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    policy = policies["threepbx"]
    cases = [
        ("No dial tone", "No dial tone on every desk phone, nobody can call out.", "P1"),
        ("One-way audio", "We get one-way audio on many calls since this morning.", "P2"),
        ("Front desk", "The front desk phone has no dial tone, all the other phones work.", "P3"),
        ("Password", "I'm locked out of my account, please reset my password.", "P3"),
        ("Auto attendant", "Please set up a new auto attendant menu for sales.", "P4"),
    ]
    for subject, body, level in cases:
        assert triage.propose(policy, subject, body).priority == level, subject


def test_msp_breadth_decides_global_versus_isolated(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    policy = policies["msp"]
    everyone = triage.propose(
        policy, "Email down", "Hosted email is down for all of our customers, nobody can log in."
    )
    branch = triage.propose(policy, "Branch", "The Leeds branch has no internet at all.")
    assert everyone.priority == "P1"
    assert branch.priority == "P2"
    # One customer's whole company is "one or more customers" (P2), not "a significant
    # majority of customers" (P1): issue 15.
    company = triage.propose(policy, "Email down", "Email is down for everyone in the company.")
    assert company.priority == "P2"
    assert any("affects everyone" in reason for reason in company.reasons)
    scheduled = triage.propose(policy, "Upgrade", "Please schedule the server upgrade next month.")
    assert scheduled.priority == "P6"
