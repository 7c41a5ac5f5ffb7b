"""Score the classifier on labelled messages, per policy: accuracy, the share of acceptable
proposals (graded sets), top-level recall and precision, how many non-top messages were raised to
the top level, how many were flagged for a person, per-level precision and recall, and the
confusion matrix."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from classifier.decide import Proposal
from classifier.training.dataset import Row
from classifier.triage import Triage

TARGET_ACCURACY = 0.85  # exact level, on the project's own held-out set
TARGET_TOP_RECALL = 0.95
TARGET_ACCEPTABLE = 0.90  # graded sets: the proposal is among the levels a lead could defend
TARGET_RAISED_TO_TOP = 0.03  # graded sets: non-top messages proposed at the top level


@dataclass(frozen=True, slots=True)
class Scored:
    want: str
    got: str
    acceptable: tuple[str, ...]  # the labelled level and any others a lead could defend
    needs_human: bool


@dataclass(frozen=True)
class PolicyReport:
    policy: str
    levels: tuple[str, ...]  # most urgent first
    scored: tuple[Scored, ...]
    errors: tuple[tuple[Row, Proposal], ...] = field(default=())
    graded: bool = False  # the rows name acceptable levels

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple((s.want, s.got) for s in self.scored)

    @property
    def n(self) -> int:
        return len(self.scored)

    @property
    def confusion(self) -> Counter[tuple[str, str]]:
        return Counter(self.pairs)

    @property
    def accuracy(self) -> float:
        return _ratio(sum(s.want == s.got for s in self.scored), self.n)

    @property
    def acceptable(self) -> float:
        return _ratio(sum(s.got in s.acceptable for s in self.scored), self.n)

    @property
    def top(self) -> str:
        return self.levels[0]

    @property
    def top_recall(self) -> float:
        return self.recall(self.top)

    @property
    def top_precision(self) -> float:
        return self.precision(self.top)

    @property
    def raised_to_top(self) -> tuple[int, int]:
        """(messages proposed at the top level that a lead would not put there, messages
        labelled below the top level)."""
        below = [s for s in self.scored if s.want != self.top]
        raised = sum(s.got == self.top and self.top not in s.acceptable for s in below)
        return raised, len(below)

    @property
    def raised_to_top_rate(self) -> float:
        return _ratio(*self.raised_to_top)

    @property
    def needs_human(self) -> int:
        return sum(s.needs_human for s in self.scored)

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
        if self.graded:
            return (
                self.acceptable >= TARGET_ACCEPTABLE
                and self.top_recall >= TARGET_TOP_RECALL
                and self.raised_to_top_rate <= TARGET_RAISED_TO_TOP
            )
        return self.accuracy >= TARGET_ACCURACY and self.top_recall >= TARGET_TOP_RECALL


def level_id(label: str, levels: Sequence[str]) -> str:
    """A labelled level as the policy's id. A set written from the contract's text alone may
    number the levels its own way: the blind set calls Jelastic's Levels 1-4 "P1".."P4" (see its
    PROVENANCE), so "P<n>" / "L<n>" / "<n>" name the n-th most urgent level when not an id."""
    if label in levels:
        return label
    match = _NUMBERED.fullmatch(label.strip())
    if match and 1 <= int(match.group(1)) <= len(levels):
        return levels[int(match.group(1)) - 1]
    return label


_NUMBERED = re.compile(r"(?:[PpLl]|[Ss]ev\s*|[Ll]evel\s*)?([1-9])")


def _in_policy_ids(row: Row, levels: Sequence[str]) -> Row:
    return replace(
        row,
        level=level_id(row.level, levels),
        acceptable=tuple(level_id(a, levels) for a in row.acceptable),
    )


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
        levels = tuple(p.id for p in policy.priorities)
        group = [_in_policy_ids(row, levels) for row in grouped[name]]
        proposals = triage.propose_many(policy, [(r.subject, r.body) for r in group])
        scored = tuple(
            Scored(
                r.level,
                p.priority,
                (r.level, *r.acceptable),
                p.needs_human is not None,
            )
            for r, p in zip(group, proposals, strict=True)
        )
        errors = tuple(
            (r, p) for r, p in zip(group, proposals, strict=True) if r.level != p.priority
        )
        graded = any(r.acceptable for r in group)
        reports.append(PolicyReport(name, levels, scored, errors, graded))
    return reports
