"""The gateway's view of triage: the declared priority from the message, the rest from spaCy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from policies import Policy
from policies.triage import is_client_flag

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
    # Why a person should triage this message (another language, uncertain evidence), if they
    # should; also the last of `reasons`, which is where the ticket shows it for now.
    needs_human: str | None = None


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
        from classifier import Declared

        declared = policy.match_declared(declared_hints)
        deliberate = policy.match_declared([h for h in declared_hints if not is_client_flag(h)])
        client_flag = declared is not None and deliberate is None
        given = Declared(declared, client_flag=client_flag) if declared is not None else None
        proposal = self._triage.propose(policy, subject, body, declared=given)
        return Decision(
            declared=declared,
            proposed=proposal.priority,
            effective=proposal.effective,
            confidence=proposal.confidence,
            reasons=tuple(proposal.reasons),
            reclassified=proposal.reclassified,
            needs_human=proposal.needs_human,
        )
