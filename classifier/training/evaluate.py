"""Score the classifier on labelled messages: per policy accuracy, per-level precision and
recall, top-priority recall and the confusion matrix."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from classifier.decide import Proposal
from classifier.training.dataset import Row
from classifier.triage import Triage

TARGET_ACCURACY = 0.85
TARGET_TOP_RECALL = 0.95


@dataclass(frozen=True)
class PolicyReport:
    policy: str
    levels: tuple[str, ...]  # most urgent first
    pairs: tuple[tuple[str, str], ...]  # (wanted, proposed) per message
    errors: tuple[tuple[Row, Proposal], ...] = field(default=())

    @property
    def n(self) -> int:
        return len(self.pairs)

    @property
    def confusion(self) -> Counter[tuple[str, str]]:
        return Counter(self.pairs)

    @property
    def accuracy(self) -> float:
        return _ratio(sum(want == got for want, got in self.pairs), self.n)

    @property
    def top(self) -> str:
        return self.levels[0]

    @property
    def top_recall(self) -> float:
        return self.recall(self.top)

    def recall(self, level: str) -> float:
        wanted = [got for want, got in self.pairs if want == level]
        return _ratio(sum(got == level for got in wanted), len(wanted))

    def precision(self, level: str) -> float:
        proposed = [want for want, got in self.pairs if got == level]
        return _ratio(sum(want == level for want in proposed), len(proposed))

    def support(self, level: str) -> int:
        return sum(want == level for want, _ in self.pairs)

    @property
    def meets_targets(self) -> bool:
        return self.accuracy >= TARGET_ACCURACY and self.top_recall >= TARGET_TOP_RECALL


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else float("nan")


def evaluate(
    triage: Triage, rows: Sequence[Row], policies: Sequence[str] = ()
) -> list[PolicyReport]:
    """One report per policy present in `rows` (or only those named), in name order."""
    from policies import load_policy

    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if not policies or row.policy in policies:
            grouped[row.policy].append(row)
    reports = []
    for name in sorted(grouped):
        policy = load_policy(name)
        group = grouped[name]
        proposals = triage.propose_many(policy, [(r.subject, r.body) for r in group])
        pairs = tuple((r.level, p.priority) for r, p in zip(group, proposals, strict=True))
        errors = tuple(
            (r, p) for r, p in zip(group, proposals, strict=True) if r.level != p.priority
        )
        levels = tuple(p.id for p in policy.priorities)
        reports.append(PolicyReport(name, levels, pairs, errors))
    return reports
