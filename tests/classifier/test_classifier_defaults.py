"""Empty, unclear or low-confidence text gets the policy's default priority: "no clear signal"."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from classifier import Triage
from classifier.decide import NO_CLEAR_SIGNAL, RULES_ONLY, decide
from classifier.evidence import Hit
from policies import Policy
from policies.triage import SEVERITIES, TriageRules

UNCLEAR = [
    ("", ""),
    ("   ", "\n\t  \n"),
    ("", "?!... --- ***"),
    ("Re:", "Thanks, see my previous email."),
    ("", "hi it's pat please call me back"),
    ("(no subject)", "Sent from my iPhone"),
]


@pytest.mark.parametrize(("subject", "body"), UNCLEAR)
def test_unclear_text_gets_the_default_priority(
    triage: Triage, policies: dict[str, Policy], subject: str, body: str
) -> None:
    for policy in policies.values():
        proposal = triage.propose(policy, subject, body)
        assert proposal.priority == policy.default_priority.id, (policy.name, proposal)
        assert proposal.reasons[0] == NO_CLEAR_SIGNAL
        assert proposal.effective == proposal.priority
        assert proposal.declared is None and proposal.reclassified is None


def test_empty_text_has_zero_confidence(triage: Triage, policies: dict[str, Policy]) -> None:
    proposal = triage.propose(policies["msp"], "", "")
    assert proposal.confidence == 0.0
    assert proposal.reasons == (NO_CLEAR_SIGNAL,)


def test_low_confidence_falls_back_to_the_default(policies: dict[str, Policy]) -> None:
    policy = policies["msp"]
    flat = dict.fromkeys(SEVERITIES, 1 / len(SEVERITIES))
    flat["unclear"] = 0.0
    proposal = decide(policy, flat, [Hit("fault", "problem", 0)])
    assert proposal.priority == policy.default_priority.id
    assert proposal.reasons[0] == NO_CLEAR_SIGNAL
    assert any(reason.startswith("best guess") for reason in proposal.reasons)


def test_rules_only_pipeline_still_proposes_and_says_so(
    rules_only: Triage, policies: dict[str, Policy]
) -> None:
    policy = policies["threepbx"]
    proposal = rules_only.propose(policy, "No dial tone", "None of our phones have dial tone.")
    assert proposal.priority == "P1"
    assert RULES_ONLY in proposal.reasons
    unclear = rules_only.propose(policy, "hello", "please call me")
    assert unclear.priority == "P4"
    assert unclear.reasons[0] == NO_CLEAR_SIGNAL


def test_missing_model_directory_loads_rules_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    triage = Triage.load(tmp_path / "nowhere")
    assert triage.trained is False


@dataclass
class _Priority:
    id: str


@dataclass
class _BarePolicy:
    """A contract with no [triage] table: the generic mapping applies."""

    name: str = "bare"
    priorities: list[_Priority] = field(
        default_factory=lambda: [_Priority("S1"), _Priority("S2"), _Priority("S3")]
    )
    customer_sets_priority: bool = True
    reclassify: tuple[str, ...] = ()
    triage: TriageRules = field(default_factory=TriageRules)

    @property
    def default_priority(self) -> _Priority:
        return self.priorities[-1]

    def match_declared(self, hints: object) -> str | None:
        return None


def test_policy_without_a_triage_table_uses_the_generic_mapping(triage: Triage) -> None:
    policy = _BarePolicy()
    outage = triage.propose(policy, "Outage", "Everything is down, nobody can log in or work.")
    assert outage.priority == "S1"
    question = triage.propose(policy, "Question", "How do I export the call records?")
    assert question.priority == "S3"
