"""Graded sets as training rows: a lead's level under a policy, turned into a severity.

A graded set (the spent blind sets A-G, `locations.GRADED_FILES`) says "under policy X a
careful lead puts this message at level L"; the text categorizer learns the
contract-independent severity scale. The severity trained is one that, under X's `[triage]`
table and the message's own rule signals (read from the text the classifier reads at run
time), maps to L (`decide.level_for`, as for staff corrections). Where several do (MSP's P5 is
`trivial` or `question`; an RFO report is P4 whatever its severity), the row's `kind` chooses
when it names one ("how-to" is a question), else the message's own rule evidence (the
severity its impact words support most), else the scale's order. A row that no severity
explains (a cap rules the level out, or the label needs a signal the rules do not find) is
dropped and counted, never forced: a wrong severity would teach the model the rules' miss.

Nothing here reads the trained model, so the derived severities, and so training, do not
depend on the model being replaced (`intake classifier train` twice gives the same model).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from classifier.decide import PolicyLike, level_for, rule_probabilities
from classifier.signals import LANGUAGE
from classifier.text import has_words, message_text
from classifier.training.evaluate import level_id
from classifier.triage import current_subject
from policies.triage import SEVERITIES

if TYPE_CHECKING:
    from spacy.language import Language

    from classifier.training.dataset import Row

# Words of a row's `kind` (as the blind sets' authors wrote them) and the severity they name.
# Checked in this order; a kind naming none ("calm-outage" names outage, "past-rfo" none) leaves
# the choice to the message's own evidence.
KIND_SEVERITY: tuple[tuple[str, str], ...] = (
    ("trivia", "trivial"),
    ("cosmetic", "trivial"),
    ("no-deadline", "trivial"),
    ("shouting-not-urgent", "trivial"),
    ("scheduled", "scheduled"),
    ("housekeeping", "scheduled"),
    ("how-to", "question"),
    ("howto", "question"),
    ("question", "question"),
    ("docs", "question"),
    ("documentation", "question"),
    ("pre-sales", "question"),
    ("feature", "request"),
    ("request", "request"),
    ("config", "request"),
    ("setup", "request"),
    ("routine", "request"),
    ("billing", "request"),
    ("account", "request"),
    ("password", "request"),
    ("upgrade-request", "request"),
    ("onboarding", "request"),
    ("custom-programming", "request"),
    ("minor", "minor"),
    ("workaround", "minor"),
    ("intermittent", "degraded"),
    ("degrad", "degraded"),
    ("partial", "degraded"),
    ("one-way-audio", "degraded"),
    ("outage", "outage"),
)


@dataclass(frozen=True, slots=True)
class Derived:
    """Graded rows with the severity each was given, and how many were dropped, and why."""

    rows: tuple[Row, ...]
    dropped: Counter[str] = field(default_factory=Counter)

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())


def fitting_severities(
    policy: PolicyLike, level: str, signals: Collection[str], *, caps: bool = True
) -> list[str]:
    """The severities that `policy` maps to `level` given the message's `signals`, in the
    scale's order. `unclear` (no usable signal) maps to the default priority, and is left out
    unless no other severity fits: a lead's level is a reading of the message."""
    fits: list[str] = [
        s for s in SEVERITIES if level_for(policy, s, signals, caps=caps).level == level
    ]
    real = [s for s in fits if s != "unclear"]
    return real or fits


def kind_severity(kind: str | None) -> str | None:
    """The severity a row's `kind` names, if it names one ("voicemail/how-to" → question)."""
    if not kind:
        return None
    words = kind.lower()
    return next((severity for word, severity in KIND_SEVERITY if word in words), None)


def choose_severity(
    fits: Sequence[str], kind: str | None, evidence: Mapping[str, float]
) -> str | None:
    """Among the severities that explain the level: the one the kind names, else the one the
    message's own rule evidence supports most, else the first in the scale's order."""
    if not fits:
        return None
    named = kind_severity(kind)
    if named in fits:
        return named
    return max(fits, key=lambda s: (evidence.get(s, 0.0), -fits.index(s)))


def training_text(row: Row) -> str:
    """What the classifier reads of a message at run time (a reply's subject above new text
    is not read: `triage.current_subject`)."""
    return message_text(current_subject(row.subject, row.body), row.body)


def derive_severities(
    nlp: Language, rows: Sequence[Row], policies: Mapping[str, PolicyLike]
) -> Derived:
    """Each graded row with the severity that explains its level under its policy (see the
    module's doc); rows nothing explains, in an unknown policy, empty or in another language
    are dropped and counted by reason. `nlp` needs only the tokenizer and the signal tagger."""
    tagger = nlp.get_pipe("intake_signals")
    kept: list[Row] = []
    dropped: Counter[str] = Counter()
    for row in rows:
        policy = policies.get(row.policy)
        if policy is None:
            dropped["unknown policy"] += 1
            continue
        levels = [p.id for p in policy.priorities]
        level = level_id(row.level, levels)
        if level not in levels:
            dropped["unknown level"] += 1
            continue
        text = training_text(row)
        if not has_words(text):
            dropped["nothing to read"] += 1
            continue
        doc = tagger(nlp.make_doc(text))
        if not doc._.get(LANGUAGE).readable:
            dropped["another language"] += 1
            continue
        hits = doc._.intake_signals
        signals = frozenset(hit.name for hit in hits)
        severity = choose_severity(
            fitting_severities(policy, level, signals), row.kind, rule_probabilities(hits)
        )
        if severity is None:
            dropped["no severity gives the level"] += 1
            continue
        kept.append(replace(row, level=level, severity=severity))
    return Derived(tuple(kept), dropped)
