"""The anchored pattern matcher finds what spaCy's `Matcher` finds with the lexicon's patterns."""

from __future__ import annotations

from collections import defaultdict

import pytest
from spacy.matcher import Matcher

from classifier import Triage
from classifier.lexicon import PATTERNS
from classifier.patterns import AnchoredMatcher, compile_step
from classifier.training.dataset import HELDOUT_FILE, read_rows

EXTRA = [
    "None of the apps on the platform load for us since 5am",
    "Every call fails with 503 and all 40 users are down, every few hours it restarts",
    "About 20% of calls and 1 in 10 messages fail; 100% of calls fail on Monday",
    "We lost our internet link on the 22nd, please schedule for March 3 or next Friday",
    "Kevin's phone and extension 204 and ext. 12; calls stopped ringing",
    "Production is fine, prod seems okay, live is not affected; our test box is dead",
]


def longest_per_start(matches: list[tuple[str, int, int]]) -> dict[tuple[str, int], int]:
    best: dict[tuple[str, int], int] = defaultdict(int)
    for label, start, end in matches:
        best[(label, start)] = max(best[(label, start)], end)
    return dict(best)


def test_agrees_with_spacy_matcher(triage: Triage) -> None:
    nlp = triage.nlp
    reference = Matcher(nlp.vocab)
    for label, patterns in PATTERNS.items():
        reference.add(label, patterns)
    ours = AnchoredMatcher(PATTERNS)
    texts = EXTRA + [f"{r.subject}. {r.body}" for r in read_rows(HELDOUT_FILE)]
    for text in texts:
        doc = nlp.make_doc(text)
        expected = [(nlp.vocab.strings[key], s, e) for key, s, e in reference(doc)]
        assert longest_per_start(ours(doc)) == longest_per_start(expected), text


def test_rejects_patterns_it_cannot_anchor() -> None:
    with pytest.raises(ValueError):
        AnchoredMatcher({"x": [[{"IS_ALPHA": True}, {"NORM": "down"}]]})
    with pytest.raises(ValueError):
        compile_step({"NORM": "x", "OP": "{a,b}"})


def test_rejects_more_regex_steps_than_it_has_classes_for() -> None:
    many = [[{"NORM": "x"}, {"NORM": {"REGEX": f"^{n}"}}] for n in range(13)]
    with pytest.raises(ValueError, match="REGEX"):
        AnchoredMatcher({"x": many})
    AnchoredMatcher({"x": many[:12]})
