"""The gateway's view of triage: the declared priority from the message, the rest from spaCy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from policies import Policy
from policies.triage import is_client_flag

if TYPE_CHECKING:
    from classifier import Proposal, Triage


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


# What `decide_many` takes per message: subject, body and the customer's declared hints.
Question = tuple[str, str, Sequence[str]]


def decide_many(
    proposer: Proposer, policy: Policy, questions: Sequence[Question]
) -> list[Decision]:
    """One decision per question, in order: in one pass when the proposer can batch (the
    classifier runs spaCy's `pipe` over them), else one at a time."""
    batch = getattr(proposer, "decide_many", None)
    if batch is not None:
        return list(batch(policy, questions))
    return [proposer.decide(policy, subject, body, hints) for subject, body, hints in questions]


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
        return self.decide_many(policy, [(subject, body, declared_hints)])[0]

    def decide_many(self, policy: Policy, questions: Sequence[Question]) -> list[Decision]:
        from classifier import Declared

        items, levels = [], []
        for subject, body, hints in questions:
            declared = policy.match_declared(hints)
            deliberate = policy.match_declared([h for h in hints if not is_client_flag(h)])
            client_flag = declared is not None and deliberate is None
            given = Declared(declared, client_flag=client_flag) if declared is not None else None
            items.append((subject, body, given))
            levels.append(declared)
        proposals = self._triage.propose_many(policy, items)
        return [_decision(d, p) for d, p in zip(levels, proposals, strict=True)]


def _decision(declared: str | None, proposal: Proposal) -> Decision:
    return Decision(
        declared=declared,
        proposed=proposal.priority,
        effective=proposal.effective,
        confidence=proposal.confidence,
        reasons=tuple(proposal.reasons),
        reclassified=proposal.reclassified,
        needs_human=proposal.needs_human,
    )
