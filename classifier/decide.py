"""From evidence to a priority under one contract: proposed, declared, effective, with reasons.

Pure functions of the policy, the severity probabilities and the signals; no spaCy here.

Each severity class is mapped to a level by the policy's `[triage]` rules (first match wins,
then caps), given the signals the message shows. A level's score is the summed probability of
the severities that map to it; the best level is proposed if its score reaches the policy's
`min_confidence` and the text is not best read as "unclear". Otherwise the policy's default
priority is proposed with the reason "no clear signal".

Where the classifier should not decide alone it says so: text in a language it cannot read, and
evidence too weak to reach `min_confidence`, get the level the policy's `[triage]` table chooses
for such messages (`unreadable_level`, `uncertain_level`) and `needs_human`, the reason a person
must look, which is also the last of the reasons.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from classifier.evidence import Hit
from classifier.language import ENGLISH, Reading
from classifier.lexicon import LABELS
from policies.triage import SEVERITIES, TriageCap, TriageRule, TriageRules

NO_CLEAR_SIGNAL = "no clear signal"
RULES_ONLY = "rules only: no trained model loaded"
MAX_PHRASES = 2  # per signal, in reasons
SCOPE = ("production", "nonproduction")
# What a lead reads besides the kind of problem: whose service and how much of it, which
# environment, and when. Quoted in the reasons whenever found, whatever rule decided.
CONTEXT = (
    "widespread", "all", "some", "one", "production", "nonproduction", "newinstall",
    "ongoing", "rfo", "resolved", "out_of_scope", "unaffected",
)  # fmt: skip
# Rule evidence that the message is about something: with any of these, "unclear" is not an
# answer (the model's "unclear" mass is spread over the other severities instead).
EVIDENCE = frozenset(
    {"outage", "degraded", "minor", "trivial", "question", "request", "scheduled", "fault"}
)
# Evidence of a particular kind of problem: with it, a weak reading is an uncertain one (flagged
# for a person); with only a generic "problem" it is no clear signal (the default priority).
SPECIFIC_EVIDENCE = EVIDENCE - {"fault"}
# Two readings at least this likely, at least this many levels apart, conflict: the proposal
# stands (it is the more likely) but a person is asked to look.
CONFLICT_SCORE = 0.3
CONFLICT_DISTANCE = 2
# Signals that contradict each other: the rules settle on one side (ongoing beats resolved and
# rfo, the safer breadth wins), but a person should read which is true. The proposal is then
# at least the policy's `uncertain_level`: unsure is not a reason to lower a possible outage.
SIGNAL_CONFLICTS = (
    ("resolved", "ongoing", "says it is resolved and that it is happening now"),
    ("rfo", "ongoing", "asks why a past outage happened and says it is happening now"),
    ("widespread", "one", "names many customers and a single user or device"),
    ("workaround", "no_workaround", "names a workaround and says there is none"),
)


# The top level pages someone: it needs words of the message a lead would point at, that
# something is down ("no dial tone", "every call fails"), how much ("all our numbers", "other
# customers too") or that it is production; not the model's reading of the whole alone (a calm
# "stopped working for our enterprise users" reads as an outage, and quotes nothing). Without
# any, the proposal is the next level and a person is asked to look.
TOP_EVIDENCE = frozenset({"outage", "all", "widespread", "production"})


# A reply that says it got worse ("no longer intermittent", "it got a lot worse") and states a
# failure for everyone or many customers reads as what it became: the degraded
# words are the thread's history ("the slowness we reported this morning"), so their weight
# goes to the outage reading.
ESCALATION = "escalated"
ESCALATED_TROUBLE = frozenset({"outage", "fault"})
ESCALATED_REACH = frozenset({"all", "widespread"})
FORMER_STATE = ("degraded", "minor")


# Both a workaround and "no workaround": the rules read the safer side.
SAFER_SIDE_OF = frozenset({"workaround", "no_workaround"})
SAFER_SIDE = frozenset({"workaround"})

# Evidence that an outage is happening to the writer now, not asked about.
HAPPENING = frozenset({"ongoing", "all", "widespread", "production", "some", "one"})


class PriorityLike(Protocol):
    @property
    def id(self) -> str: ...


class PolicyLike(Protocol):
    """What the decision needs from `policies.Policy`."""

    @property
    def name(self) -> str: ...
    @property
    def priorities(self) -> Sequence[PriorityLike]: ...
    @property
    def default_priority(self) -> PriorityLike: ...
    @property
    def customer_sets_priority(self) -> bool: ...
    @property
    def reclassify(self) -> Sequence[str]: ...
    @property
    def triage(self) -> TriageRules: ...
    def match_declared(self, hints: Sequence[str]) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Declared:
    """A declared level, and whether it came only from a mail client's priority flag
    (X-Priority, Importance): a flag is not the customer's deliberate declaration."""

    level: str
    client_flag: bool = False


DeclaredLike = str | Declared | None


@dataclass(frozen=True, slots=True)
class Proposal:
    """The classifier's answer for one message under one policy."""

    priority: str  # proposed level id
    confidence: float  # 0..1: how much of the model's belief supports `priority`
    reasons: tuple[str, ...]  # human-readable: the phrases and rules that drove it
    declared: str | None  # the customer's declared level id, if any
    effective: str  # the level that applies under the policy
    reclassified: str | None = None  # why a declared priority was overridden, if it was
    needs_human: str | None = None  # why a person should triage this message, if they should


@dataclass(frozen=True, slots=True)
class LevelChoice:
    level: str
    rule: TriageRule | None
    cap: TriageCap | None


def level_for(
    policy: PolicyLike, severity: str, signals: Collection[str], *, caps: bool = True
) -> LevelChoice:
    """The level one severity maps to under `policy`, given the message's signals."""
    return Decider(policy).level_for(severity, signals, caps=caps)


def generic_rules(policy: PolicyLike) -> tuple[TriageRule, ...]:
    """For a policy without a `[triage]` table: outage → top level, degraded → the next."""
    ids = [p.id for p in policy.priorities]
    second = ids[1] if len(ids) > 2 else ids[0]
    return (
        TriageRule(severity=("outage",), level=ids[0], reason="generic mapping: outage"),
        TriageRule(severity=("degraded",), level=second, reason="generic mapping: degraded"),
    )


def decide(
    policy: PolicyLike,
    probabilities: Mapping[str, float],
    hits: Sequence[Hit],
    declared: DeclaredLike = None,
    *,
    trained: bool = True,
    language: Reading = ENGLISH,
) -> Proposal:
    """Propose a level for one analysed message and settle the effective priority."""
    return Decider(policy).decide(probabilities, hits, declared, trained=trained, language=language)


def empty_proposal(policy: PolicyLike, declared: DeclaredLike = None) -> Proposal:
    """Nothing to read: the default priority, or the declared one where the customer sets it."""
    return Decider(policy).empty(declared)


class Decider:
    """One policy's mapping, prepared once: rules, caps, ranks, and a memo of level choices
    per combination of the signals its rules look at (a handful in practice)."""

    def __init__(self, policy: PolicyLike) -> None:
        self.policy = policy
        self.ranks = {p.id: i for i, p in enumerate(policy.priorities)}
        self.default = policy.default_priority.id
        self.second = policy.priorities[1].id if len(policy.priorities) > 1 else self.default
        self.rules = policy.triage.rules or generic_rules(policy)
        self.caps = policy.triage.caps
        self.min_confidence = policy.triage.min_confidence
        self.unreadable = policy.triage.unreadable_level or self.default
        self.uncertain = policy.triage.uncertain_level or self.default
        self.outrank_flags_at = policy.triage.outrank_client_flags_at
        used = {n for r in self.rules for n in (*r.signals, *r.unless)}
        self.used = frozenset(used | {n for c in self.caps for n in (*c.signals, *c.unless)})
        self._memo: dict[frozenset[str], dict[str, LevelChoice]] = {}

    def level_for(
        self, severity: str, signals: Collection[str], *, caps: bool = True
    ) -> LevelChoice:
        if severity == "unclear":
            return LevelChoice(self.default, None, None)
        rule = next((r for r in self.rules if r.matches(severity, signals)), None)
        level = rule.level if rule else self.default
        cap = None
        for candidate in self.caps if caps else ():
            ceiling = self.ranks.get(candidate.highest, 0)
            if candidate.applies(signals) and self.ranks[level] < ceiling:
                level, cap = candidate.highest, candidate
        return LevelChoice(level, rule, cap)

    def levels(self, signals: frozenset[str]) -> dict[str, LevelChoice]:
        key = signals & self.used
        mapped = self._memo.get(key)
        if mapped is None:
            mapped = {severity: self.level_for(severity, key) for severity in SEVERITIES}
            self._memo[key] = mapped
        return mapped

    def decide(
        self,
        probabilities: Mapping[str, float],
        hits: Sequence[Hit],
        declared: DeclaredLike = None,
        *,
        trained: bool = True,
        language: Reading = ENGLISH,
    ) -> Proposal:
        if not language.readable:
            return self.unreadable_proposal(language, declared)
        signals = frozenset(hit.name for hit in hits)
        if signals & EVIDENCE and probabilities.get("unclear", 0.0) < 1.0:
            probabilities = _without_unclear(probabilities)
        if ESCALATION in signals and signals & ESCALATED_TROUBLE and signals & ESCALATED_REACH:
            probabilities = _escalated(probabilities)
        ranks = self.ranks
        # "Workaround: none yet" beside a failover named elsewhere: the rules read the safer
        # side (no workaround), and the contradiction is flagged below.
        mapped = self.levels(signals - SAFER_SIDE if signals >= SAFER_SIDE_OF else signals)
        scores: dict[str, float] = dict.fromkeys(ranks, 0.0)
        for severity, choice in mapped.items():
            scores[choice.level] += probabilities.get(severity, 0.0)
        best = min(ranks, key=lambda level: (-round(scores[level], 6), ranks[level]))
        top_severity = max(SEVERITIES, key=lambda s: probabilities.get(s, 0.0))
        needs_human = None
        if top_severity == "unclear" or scores[best] < self.min_confidence:
            reasons = _unclear_reasons(best, scores[best], self.default, hits, trained)
            level, confidence, severity = self.default, scores[self.default], "unclear"
            if signals & SPECIFIC_EVIDENCE and top_severity != "unclear":
                level, confidence = self.uncertain, scores[self.uncertain]
                needs_human = (
                    f"uncertain: the evidence points several ways (best guess {best} only "
                    f"{scores[best]:.2f})"
                )
                reasons = (*reasons, _flag(needs_human, level, "uncertain"))
        else:
            severity = max(
                (s for s in SEVERITIES if mapped[s].level == best),
                key=lambda s: probabilities.get(s, 0.0),
            )
            reasons = _reasons(best, severity, probabilities, mapped[severity], hits, trained)
            level, confidence = best, scores[best]
            rival = self.conflicting(scores, best)
            if rival is not None:
                needs_human = (
                    f"conflicting evidence: {best} {scores[best]:.2f} against {rival} "
                    f"{scores[rival]:.2f}"
                )
                # A more urgent reading almost as likely (an outage or a question?): at least
                # the contract's level for uncertain messages, as for contradicting signals;
                # being unsure never leaves a possible outage at the lowest levels. And a
                # question about an outage that nothing says is happening ("does your SLA
                # cover a full outage?") is not paged at the top: the uncertain level too.
                raised = ranks[rival] < ranks[self.uncertain] < ranks[best]
                asked = (
                    ranks[best] < ranks[self.uncertain] < ranks[rival]
                    and "question" in signals
                    and not signals & HAPPENING
                )
                if raised or asked:
                    level, confidence = self.uncertain, scores[self.uncertain]
                reasons = (*reasons, f"needs human triage ({needs_human}): proposed {level}")
        if ranks[level] == 0 and len(ranks) > 1 and not signals & TOP_EVIDENCE:
            level = self.second
            confidence = scores[best]
            needs_human = (
                f"no quoted evidence: the text reads as {best}, but no words of it say "
                "that something is down, for everyone, or in production"
            )
            reasons = (*reasons, f"needs human triage ({needs_human}): proposed {level}")
        clash = None if needs_human else _signal_conflict(signals, hits)
        if clash is not None:
            # Unsure which is true: at least the contract's uncertain level, and never below
            # both readings (many customers or one user: at least what one customer's outage
            # would be), so being unsure never lowers a possible outage.
            floor = max(
                (self.reading(probabilities, signals - {name}) for name in clash[1]),
                key=ranks.__getitem__,
            )
            floor = min(floor, self.uncertain, key=ranks.__getitem__)
            if ranks[level] > ranks[floor]:
                level, confidence = floor, scores[floor]
            needs_human = f"conflicting signals: {clash[0]}"
            reasons = (*reasons, f"needs human triage ({needs_human}): proposed {level}")
        declared_id, flag = self.declared_id(declared)
        choice = mapped[severity]
        grounds = _grounds(severity, choice, hits)
        confidence = round(min(max(confidence, 0.0), 1.0), 4)
        effective, reclassified = self.effective(
            level, declared_id, grounds, hits, choice, confidence=confidence, client_flag=flag
        )
        return Proposal(
            priority=level,
            confidence=confidence,
            reasons=reasons,
            declared=declared_id,
            effective=effective,
            reclassified=reclassified,
            needs_human=needs_human,
        )

    def reading(self, probabilities: Mapping[str, float], signals: frozenset[str]) -> str:
        """The most likely level with these signals: one side of a contradiction."""
        scores: dict[str, float] = dict.fromkeys(self.ranks, 0.0)
        for severity, choice in self.levels(signals).items():
            scores[choice.level] += probabilities.get(severity, 0.0)
        return min(self.ranks, key=lambda level: (-round(scores[level], 6), self.ranks[level]))

    def conflicting(self, scores: Mapping[str, float], best: str) -> str | None:
        """A level far from `best` (two or more apart) that the evidence supports almost as
        much: the reading is a coin toss between, say, an outage and a question."""
        rank = self.ranks[best]
        rivals = [
            level
            for level, score in scores.items()
            if abs(self.ranks[level] - rank) >= CONFLICT_DISTANCE and score >= CONFLICT_SCORE
        ]
        return max(rivals, key=lambda level: scores[level]) if rivals else None

    def empty(self, declared: DeclaredLike = None) -> Proposal:
        declared_id, _ = self.declared_id(declared)
        choice = LevelChoice(self.default, None, None)
        effective, why = self.effective(self.default, declared_id, frozenset(), (), choice)
        return Proposal(self.default, 0.0, (NO_CLEAR_SIGNAL,), declared_id, effective, why)

    def unreadable_proposal(self, language: Reading, declared: DeclaredLike = None) -> Proposal:
        """Text the classifier cannot read: the policy's level for it, flagged for a person."""
        declared_id, _ = self.declared_id(declared)
        evidence = f" ({language.evidence})" if language.evidence else ""
        why = f"written in {language.language}{evidence}: the classifier reads English only"
        reasons = (why, _flag("cannot read this language", self.unreadable, "unreadable"))
        choice = LevelChoice(self.unreadable, None, None)
        effective, reclassified = self.effective(
            self.unreadable, declared_id, frozenset(), (), choice
        )
        return Proposal(self.unreadable, 0.0, reasons, declared_id, effective, reclassified, why)

    def declared_id(self, declared: DeclaredLike) -> tuple[str | None, bool]:
        """The declared level id, and whether it came only from a mail client's flag."""
        level: str | None
        if isinstance(declared, Declared):
            level, flag = declared.level, declared.client_flag
        else:
            level, flag = declared, False
        if not level:
            return None, False
        if level in self.ranks:
            return level, flag
        return self.policy.match_declared([level]), flag

    def effective(
        self,
        proposed: str,
        declared: str | None,
        grounds: Collection[str],
        hits: Sequence[Hit],
        choice: LevelChoice,
        *,
        confidence: float = 0.0,
        client_flag: bool = False,
    ) -> tuple[str, str | None]:
        """The policy's word: the declared level stands where the customer sets it, unless a
        reclassify signal is among the grounds of a lower proposal, or the declaration is only
        a mail client's flag and a confident proposal is more urgent."""
        if declared is None:
            return proposed, None
        if not self.policy.customer_sets_priority:
            if declared == proposed:
                return proposed, None
            why = f"declared {declared} is a hint only: this contract assigns priority by impact"
            return proposed, why
        higher = self.ranks[proposed] < self.ranks[declared]
        threshold = self.outrank_flags_at
        if client_flag and higher and threshold is not None and confidence >= threshold:
            why = (
                f"declared {declared} came from a mail client's priority flag, not the "
                f"customer: raised to {proposed} (confidence {confidence:.2f} ≥ {threshold:.2f})"
            )
            return proposed, why
        lower = self.ranks[proposed] > self.ranks[declared]
        reclassify_on = [name for name in self.policy.reclassify if name in grounds]
        if not (lower and reclassify_on):
            return declared, None
        evidence = _phrases(hits, reclassify_on) or [f"reads as {n}" for n in reclassify_on]
        why = f"declared {declared} lowered to {proposed}: " + "; ".join(evidence)
        if choice.cap is not None and choice.cap.reason:
            why += f" ({choice.cap.reason})"
        return proposed, why


def _signal_conflict(
    signals: frozenset[str], hits: Sequence[Hit]
) -> tuple[str, tuple[str, str]] | None:
    """The first pair of contradicting signals present, with the phrases that show each, and
    the pair."""
    for first, second, what in SIGNAL_CONFLICTS:
        if first in signals and second in signals:
            a = next(h.phrase for h in hits if h.name == first)
            b = next(h.phrase for h in hits if h.name == second)
            return f"the message {what}: '{a}' / '{b}'", (first, second)
    return None


def _escalated(probabilities: Mapping[str, float]) -> dict[str, float]:
    """The degraded and minor readings moved to the outage reading (`ESCALATION`)."""
    moved = dict(probabilities)
    for severity in FORMER_STATE:
        moved["outage"] = moved.get("outage", 0.0) + moved.pop(severity, 0.0)
        moved[severity] = 0.0
    return moved


def rule_probabilities(hits: Sequence[Hit]) -> dict[str, float]:
    """Severity probabilities from impact signals alone, for when no model is trained."""
    counts = dict.fromkeys(_RULED, 0)
    for hit in hits:  # one pass (this runs for every message)
        if hit.name in counts:
            counts[hit.name] += 1
    total = sum(counts.values())
    if not total:
        return {"unclear": 1.0}
    return {s: n / total for s, n in counts.items()}


_RULED = tuple(s for s in SEVERITIES if s != "unclear")


def _without_unclear(probabilities: Mapping[str, float]) -> dict[str, float]:
    rest = {s: p for s, p in probabilities.items() if s != "unclear"}
    total = sum(rest.values())
    return {s: p / total for s, p in rest.items()} if total > 0 else dict(probabilities)


def quote(hit: Hit) -> str:
    if hit.name in SCOPE or hit.name == "newinstall":
        return f"mentions '{hit.phrase}' ({LABELS[hit.name]})"
    return f"'{hit.phrase}' ({LABELS[hit.name]})"


def _first_of_each(hits: Sequence[Hit], names: Collection[str]) -> list[Hit]:
    seen: dict[str, Hit] = {}
    for hit in hits:
        if hit.name in names and hit.name not in seen:
            seen[hit.name] = hit
    return list(seen.values())


def _phrases(hits: Sequence[Hit], names: Collection[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        out.extend(quote(h) for h in [h for h in hits if h.name == name][:MAX_PHRASES])
    return out


def _reasons(
    level: str,
    severity: str,
    probabilities: Mapping[str, float],
    mapping: LevelChoice,
    hits: Sequence[Hit],
    trained: bool,
) -> tuple[str, ...]:
    reasons = _phrases(hits, [severity])
    reasons += [quote(h) for h in _first_of_each(hits, CONTEXT)]
    if mapping.rule is not None:
        reasons += _phrases(hits, [*mapping.rule.signals])
        if mapping.rule.reason:
            prefix = level if mapping.cap is None else f"would be {mapping.rule.level}"
            reasons.append(f"{prefix}: {mapping.rule.reason}")
    if mapping.cap is not None:
        reasons += _phrases(hits, mapping.cap.signals)
        reasons.append(f"at most {mapping.cap.highest}: {mapping.cap.reason}")
    if trained:
        reasons.append(f"reads as {severity} ({probabilities.get(severity, 0.0):.2f})")
    else:
        reasons.append(RULES_ONLY)
    return tuple(dict.fromkeys(reasons))


def _unclear_reasons(
    best: str, score: float, default: str, hits: Sequence[Hit], trained: bool
) -> tuple[str, ...]:
    reasons = [NO_CLEAR_SIGNAL]
    if best != default and score > 0:
        reasons.append(f"best guess {best} only {score:.2f}")
    reasons += [quote(h) for h in hits if h.name not in ("fault",)][:3]
    if not trained:
        reasons.append(RULES_ONLY)
    return tuple(dict.fromkeys(reasons))


def _flag(why: str, level: str, kind: str) -> str:
    return f"needs human triage ({why}): {level}, this contract's level for {kind} messages"


def _grounds(severity: str, choice: LevelChoice, hits: Sequence[Hit]) -> set[str]:
    """What the proposal rests on, for reclassification: the severity read, the signals the
    deciding rule and cap used, and any scope signal (staging is a fact about the situation)."""
    grounds = {severity} | {hit.name for hit in hits if hit.name in SCOPE}
    if choice.rule is not None:
        grounds.update(choice.rule.signals)
    if choice.cap is not None:
        grounds.update(choice.cap.signals)
    return grounds
