"""`Triage`: the loaded pipeline, proposing priorities for messages under a policy."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from classifier.decide import (
    NO_CLEAR_SIGNAL,
    Decider,
    DeclaredLike,
    PolicyLike,
    Proposal,
    rule_probabilities,
)
from classifier.evidence import Hit
from classifier.language import Reading, foreign_script
from classifier.signals import LANGUAGE
from classifier.text import has_words, latest_reply, list_points, message_text, without_sign_off

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

log = logging.getLogger(__name__)

BATCH_SIZE = 256
# How much the rule matches count next to the model, in the severity probabilities. The model
# already sees each signal as a feature; mixing in the rules' own reading keeps an explicit
# "no dial tone" from being outvoted by a friendly tone. Chosen by leave-one-product-out
# validation on the training set (see `classifier/README.md`).
RULE_WEIGHT = 0.3
# "RE:", "AW:" (German), "SV:" (Nordic), "Antw:", "RES:": a reply's subject names the thread.
REPLY_SUBJECT = re.compile(r"^\s*(?:re|aw|sv|antw|res|ref)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)
# A reply's new text this long (in words) is a report of its own, whether or not the quoted
# history is still below it: its subject names the thread, not what is true now.
STANDALONE_WORDS = 8
# An item of a list read alone proposes the top level only with an outage for everyone in its
# own words, read at least this confidently.
OUTAGE_FOR_ALL = frozenset({"outage", "all"})
OUTAGE_FOR_MANY = frozenset({"outage", "widespread"})
ITEM_TOP_CONFIDENCE = 0.75
# An item read alone outranks the whole only when it states trouble (`ITEM_TROUBLE`) as a
# current fact of the customer's service (`ITEM_NOW`: going on, for everyone or part of it,
# in production): not an item of a request ("needs a Power BI licence"), a question about
# what could fail ("how long a rollback would take if the upgrade fails"), a field of an
# outage report ("start and end time of the outage") or a detail of one device ("Screen:
# 'Network unavailable'").
ITEM_TROUBLE = frozenset({"outage", "degraded", "fault", "regression"})
ITEM_NOW = frozenset({"ongoing", "all", "some", "widespread", "production"})
Item = tuple[str, str] | tuple[str, str, DeclaredLike]
Analysis = tuple[dict[str, float], tuple[Hit, ...], Reading]


def current_subject(subject: str, body: str) -> str:
    """The subject, unless it is a reply's ("RE: PHONES DOWN") above new text that stands on
    its own: then it names what the thread was about, and the new text says what is true now
    ("All good now, please close"; "re-registered, but half the calls have one-way audio").
    New text stands on its own above quoted history, or when it is a report of its own
    (`STANDALONE_WORDS`): the gateway hands over the latest reply with the history already
    cut, so a long reply must not depend on seeing the quotes. A short reply with nothing
    quoted ("still the same here, please help") refers to the thread: the subject is read."""
    if not subject:
        return subject
    if not REPLY_SUBJECT.match(subject):
        # a mailer that does not write "RE:": the subject quoted below is the thread's too
        latest = latest_reply(body or "")
        quoted = latest is not body and subject.strip().lower() in body[len(latest) :].lower()
        return "" if quoted and has_words(latest) else subject
    latest = latest_reply(body or "")
    if not has_words(latest):
        return subject
    if latest is not body:
        return ""
    own = without_sign_off(latest)  # "same here\n\nThanks,\nJohn Smith\nIT Manager" is short
    return "" if len(own.split(None, STANDALONE_WORDS)) > STANDALONE_WORDS else subject


def stated_now(hits: Iterable[Hit]) -> bool:
    """True when an item of a list states trouble happening now to the customer's service."""
    names = {hit.name for hit in hits}
    return bool(names & ITEM_TROUBLE) and bool(names & ITEM_NOW)


class Triage:
    """Load once (`Triage.load()`), then call `propose` or `propose_many` for each message."""

    def __init__(self, nlp: Language, *, trained: bool, rule_weight: float = RULE_WEIGHT) -> None:
        self.nlp = nlp
        self.trained = trained
        self.rule_weight = rule_weight
        self._deciders: dict[int, tuple[PolicyLike, Decider]] = {}

    @classmethod
    def load(cls, path: Path | None = None) -> Triage:
        """The shipped model (`classifier/model/`), or rules only if none is there."""
        from classifier.locations import MODEL_DIR
        from classifier.pipeline import load_pipeline

        nlp, trained = load_pipeline(path or MODEL_DIR)
        return cls(nlp, trained=trained)

    def analyse(self, texts: Sequence[str]) -> list[Analysis]:
        """Severity probabilities, signals and language for each (composed, non-empty) text."""
        results = []
        for text, doc in zip(texts, self.docs(texts), strict=True):
            hits: tuple[Hit, ...] = doc._.intake_signals
            ruled = rule_probabilities(hits)
            if not self.trained:
                probabilities = ruled
            elif "unclear" in ruled:  # no impact words: the model alone
                probabilities = dict(doc.cats)
            else:
                w = self.rule_weight
                probabilities = {
                    s: (1 - w) * p + w * ruled.get(s, 0.0) for s, p in doc.cats.items()
                }
            language = foreign_script(text) or doc._.get(LANGUAGE)
            results.append((probabilities, hits, language))
        return results

    def docs(self, texts: Sequence[str]) -> list[Doc]:
        """The pipeline over `texts`, as `nlp.pipe` runs it but without its generator layers
        (a sixth of the time per message): each rule component once per doc, each trainable
        one (the text categorizer) once per batch of `BATCH_SIZE`."""
        make_doc = self.nlp.make_doc
        docs = [make_doc(text) for text in texts]
        for _, component in self.nlp.pipeline:
            predict = getattr(component, "predict", None)
            if predict is None:
                docs = [component(doc) for doc in docs]
                continue
            for start in range(0, len(docs), BATCH_SIZE):
                batch = docs[start : start + BATCH_SIZE]
                component.set_annotations(batch, predict(batch))  # type: ignore[attr-defined]
        return docs

    def propose(
        self, policy: PolicyLike, subject: str, body: str, declared: DeclaredLike = None
    ) -> Proposal:
        return self.propose_many(policy, [(subject, body, declared)])[0]

    def propose_many(self, policy: PolicyLike, items: Iterable[Item]) -> list[Proposal]:
        """One proposal per `(subject, body)` or `(subject, body, declared)`, in order; a
        declared level is a level id or alias, or a `Declared` saying whether it came only
        from a mail client's flag."""
        rows = [(item[0], item[1], item[2] if len(item) > 2 else None) for item in items]
        texts = [message_text(current_subject(subject, body), body) for subject, body, _ in rows]
        readable = [i for i, text in enumerate(texts) if has_words(text)]
        # A message written as a list is also read item by item (rare, so cheap).
        points = [(i, point) for i in readable for point in list_points(texts[i])]
        results = self.analyse([texts[i] for i in readable] + [point for _, point in points])
        analysed = dict(zip(readable, results, strict=False))
        by_item: dict[int, list[tuple[str, Analysis]]] = {}
        for (i, point), result in zip(points, results[len(readable) :], strict=True):
            by_item.setdefault(i, []).append((point, result))
        decider = self.decider(policy)
        proposals = []
        for i, (_, _, declared) in enumerate(rows):
            if i not in analysed:
                proposals.append(decider.empty(declared))
                continue
            probabilities, hits, language = analysed[i]
            proposal = decider.decide(
                probabilities, hits, declared, trained=self.trained, language=language
            )
            if i in by_item and language.readable:
                proposal = self._most_urgent_item(decider, proposal, by_item[i], declared)
            proposals.append(proposal)
        return proposals

    def _most_urgent_item(
        self,
        decider: Decider,
        whole: Proposal,
        points: Sequence[tuple[str, Analysis]],
        declared: DeclaredLike,
    ) -> Proposal:
        """The whole message's proposal, or the proposal for one of its items when that item,
        read alone, is clearly more urgent: the outage buried as point 3 after two questions."""
        ranks = decider.ranks
        levels = list(ranks)
        best, found, evidence = whole, None, frozenset[str]()
        for number, (point, (probabilities, hits, language)) in enumerate(points, 1):
            if not language.readable or not stated_now(hits):
                continue
            candidate = decider.decide(
                probabilities, hits, declared, trained=self.trained, language=language
            )
            clear = candidate.needs_human is None and NO_CLEAR_SIGNAL not in candidate.reasons
            if clear and ranks[candidate.priority] < ranks[best.priority]:
                best, found = candidate, (number, point)
                evidence = frozenset(hit.name for hit in hits)
        if found is None:
            return whole
        number, point = found
        snippet = point if len(point) <= 60 else point[:57] + "..."
        why = f"item {number} of {len(points)}, read alone: '{snippet}'"
        # One item read alone is less evidence than a whole message: it may not page anyone
        # at the top level by itself (a person confirms), unless it says plainly that it is
        # down for everyone ("the whole system has been down since 10 - none of us can call")
        # and reads so with confidence: then the contract's top level applies, flagged.
        level = best.priority
        plain = evidence >= OUTAGE_FOR_ALL or evidence >= OUTAGE_FOR_MANY
        if (
            ranks[level] == 0
            and len(levels) > 1
            and not (plain and best.confidence >= ITEM_TOP_CONFIDENCE)
        ):
            level = levels[1]
            why += f" (reads as {best.priority}; at most {level} from one item alone)"
        flag = (
            f"a list of {len(points)} items: item {number} reads as {best.priority}, "
            f"the whole as {whole.priority}"
        )
        return replace(
            best,
            priority=level,
            effective=level if best.effective == best.priority else best.effective,
            reasons=(why, *best.reasons, f"needs human triage ({flag}): proposed {level}"),
            needs_human=flag,
        )

    def decider(self, policy: PolicyLike) -> Decider:
        """The policy's prepared mapping, built on first use (policies are immutable)."""
        entry = self._deciders.get(id(policy))
        if entry is None or entry[0] is not policy:
            entry = (policy, Decider(policy))
            self._deciders[id(policy)] = entry
        return entry[1]
