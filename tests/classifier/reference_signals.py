"""REFERENCE ONLY: the signal tagger with the matching engine it had before issue 14's speed work
(commit c8202c7): spaCy's `PhraseMatcher` on NORM, then `reference_patterns.AnchoredMatcher`,
over docs from `reference_tokenizer`. The rules after the matching (negation, breadth, scope...)
are the live `SignalTagger`'s, so that new rules and lexicon entries are compared through both
engines. Registered as the component `intake_signals_reference`.
"""

from __future__ import annotations

from collections.abc import Callable

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

from classifier.lexicon import PATTERNS, PHRASES
from classifier.patterns import Column
from classifier.signals import Match, SignalTagger, variants
from tests.classifier.reference_patterns import AnchoredMatcher


class ReferenceSignalTagger(SignalTagger):
    def __init__(self, vocab: Vocab, make_doc: Callable[[str], Doc]) -> None:
        super().__init__(vocab, make_doc)
        self.reference_phrases = PhraseMatcher(vocab, attr="NORM")
        for name, phrases in PHRASES.items():
            forms = sorted({form for phrase in phrases for form in variants(phrase)})
            self.reference_phrases.add(name, [make_doc(form) for form in forms])
        self.reference_names = {vocab.strings.add(name): name for name in PHRASES}
        self.reference_patterns = AnchoredMatcher(PATTERNS)

    def _matches(self, doc: Doc, norms: list[int], nums: Column, alphas: Column) -> list[Match]:
        nums, alphas = [int(n) for n in nums], [int(a) for a in alphas]
        names = self.reference_names
        matches = [(names[key], start, end) for key, start, end in self.reference_phrases(doc)]
        matches += self.reference_patterns.match(norms, nums, alphas, doc)
        return matches


@Language.factory("intake_signals_reference")
def make_reference_tagger(nlp: Language, name: str) -> ReferenceSignalTagger:
    return ReferenceSignalTagger(nlp.vocab, nlp.make_doc)
