"""Signals a support lead reads: whose service and how much, which environment, when, what kind
of request, and which text is new; each mapped by the contract's own [triage] table."""

from __future__ import annotations

from classifier import Triage
from classifier.text import compose
from policies import Policy
from policies.triage import TriageCap


def test_a_root_cause_request_about_a_past_outage_is_not_an_outage_now(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    subject = "RFO for last night's outage"
    body = (
        "Hi, all our phones were down last night between 11pm and 1am. It is working again now. "
        "Please send us the root cause and what you will do to prevent it from happening again."
    )
    for name, highest in (
        ("restcomm-standard", "P3"),
        ("msp", "P4"),
        ("jelastic", "L3"),
        ("threepbx", "P3"),
    ):
        policy = policies[name]
        proposal = triage.propose(policy, subject, body)
        ranks = {p.id: p.rank for p in policy.priorities}
        assert ranks[proposal.priority] >= ranks[highest], (name, proposal)
        assert any("reason for an outage that is over" in r for r in proposal.reasons)


def test_an_rfo_request_while_it_is_down_again_is_still_urgent(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "We asked for the root cause of yesterday's outage and now it is down again: no dial tone "
        "on every phone right now."
    )
    proposal = triage.propose(policies["threepbx"], "Down again", body)
    assert proposal.priority == "P1"


def test_a_new_install_is_setup_not_a_system_wide_outage(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "CRITICAL: new install for our second office, go-live is Monday. None of the phones "
        "register yet."
    )
    proposal = triage.propose(policies["threepbx"], "Phones not registering", body)
    assert proposal.priority == "P4"
    assert any("new install" in reason for reason in proposal.reasons)


def test_third_party_and_carrier_faults_are_outside_restcomm_scope(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "Calls to Mexico fail for all users. The carrier confirmed the fault is on their side "
        "and they are working on it."
    )
    proposal = triage.propose(policies["restcomm-standard"], "Calls failing", body)
    assert proposal.priority == "P3"
    assert any("outside the C3 support scope" in reason for reason in proposal.reasons)


def test_one_customers_whole_company_versus_many_customers_under_msp(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    policy = policies["msp"]
    one = triage.propose(policy, "Internet down", "Our whole company has no internet since 9.")
    many = triage.propose(
        policy, "Internet down", "Several of your customers in our building have no internet."
    )
    assert (one.priority, many.priority) == ("P2", "P1")


def test_the_latest_reply_decides_not_the_quoted_history() -> None:
    body = (
        "Update: now every call fails.\n\n"
        "On Mon, 3 Jun 2024 at 10:02, Ann <ann@example.com> wrote:\n"
        "> We see intermittent drops on a few calls.\n"
    )
    text = compose("Re: intermittent drops", body)
    assert "every call fails" in text
    assert "few calls" not in text
    outlook = "Still down.\n\n-----Original Message-----\nFrom: Bob\nAll good now, thanks"
    assert "All good" not in compose("", outlook)
    assert compose("", "> only quoted text") == "> only quoted text"


def test_caps_can_name_exceptions() -> None:
    cap = TriageCap(signals=("rfo",), unless=("ongoing",), highest="P3")
    assert cap.applies({"rfo"})
    assert not cap.applies({"rfo", "ongoing"})
