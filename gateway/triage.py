"""The gateway's view of triage: the declared priority from the message, the rest from spaCy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from policies import Policy

if TYPE_CHECKING:
    from classifier import Triage


@dataclass(frozen=True, slots=True)
class Decision:
    declared: str | None
    proposed: str
    effective: str
    confidence: float
    reasons: tuple[str, ...]
    reclassified: str | None


class Proposer(Protocol):
    def decide(
        self, policy: Policy, subject: str, body: str, declared_hints: Sequence[str]
    ) -> Decision: ...


class ClassifierProposer:
    """Maps the customer's hints through the policy, then asks the spaCy triage for the rest."""

    def __init__(self, triage: Triage) -> None:
        self._triage = triage

    @classmethod
    def load(cls) -> ClassifierProposer:
        from classifier import Triage

        return cls(Triage.load())

    def decide(
        self, policy: Policy, subject: str, body: str, declared_hints: Sequence[str]
    ) -> Decision:
        declared = policy.match_declared(declared_hints)
        proposal = self._triage.propose(policy, subject, body, declared=declared)
        return Decision(
            declared=declared,
            proposed=proposal.priority,
            effective=proposal.effective,
            confidence=proposal.confidence,
            reasons=tuple(proposal.reasons),
            reclassified=proposal.reclassified,
        )
