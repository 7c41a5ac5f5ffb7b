"""The matching engine (tokenizer, phrase and token-pattern matching) gives exactly what the
engine before issue 14's speed work gave (`reference_*` copies of it): the same tokens, spaces
and NORMs, the same matches in the same order, the same signals, scores and proposals, on every
message of every file in `classifier/data/` plus edge cases and random lexicon word salad.

The reference pipeline is the shipped model with the reference tokenizer and signal component
swapped in; the rules after the matching, the lexicon and the model are the live ones, so new
lexicon entries and rules run through both engines.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest
from spacy.tokens import Doc

import tests.classifier.reference_signals  # registers "intake_signals_reference"
from classifier import Triage
from classifier import text as current_text
from classifier.lexicon import PATTERNS, PHRASES
from classifier.locations import DATA_DIR, MODEL_DIR
from classifier.pipeline import load_pipeline
from classifier.signals import EXTENSION, LANGUAGE, SignalTagger
from classifier.text import compose, has_words, list_items
from classifier.training.dataset import Row, read_rows
from policies import Policy
from tests.classifier import reference_text
from tests.classifier.reference_tokenizer import FastTokenizer as ReferenceTokenizer

assert tests.classifier.reference_signals  # registration

EDGE_CASES = [
    "",
    " ",
    "\n\n",
    "'",
    "n't",
    "'t",
    "N'T can't",
    "can't",
    "CAN'T log in",
    "Can't make calls, won't ring, shan't, ain't, don't, DON'T, Don'T",
    "we cannot make calls; CANNOT; Cannot",
    "cant dont wont isnt arent wasnt werent doesnt didnt hasnt havent hadnt couldnt wouldnt",
    "shouldnt aint CANT Dont",
    "cannot",
    "phones cant",
    "n't work",
    "x n't",
    "n'T",
    "can\n't connect",
    "can  't connect",
    "can 't connect",
    "can\t't",
    "10:05n't 10:05cannot _n't _cant",
    "I'm, you're, we'll, they've, he'd, it's, I'D, WE'LL, 'S",
    "can’t make calls, don‘t, wonʼt, it’s",
    "'tis o'clock rock'n'roll l'été can'tt cann't",
    "Ärger: Telefon geht nicht, keine Anrufe möglich",
    "电话不通，所有分机都无法拨出",
    "🔥🔥 OUTAGE 🔥 all phones down 🔥",
    "İstanbul office: İ can't log in; ß ² ½ ١٢٣ Ⅻ",
    "10.0.0.1 1,000 125.00 3.5% 95% 100% 20 % of calls, 1 in 10, 21st, 5pm, 10h30",
    "zero\u200bwidth\u00a0nbsp\ttab\x0bvt",
    "none of our phones work and every call fails; we lost our internet link",
    "stopped ringing, stopped forwarding, cannot make calls, unable to login",
    "not all users, no outage, is not down, isn't down",
    "a" * 5000,
    "cannot make calls " * 700,
    "none of the " + "very " * 50 + "phones work",
    "x " * 20_000,
    "can't",
    "end with cant",
    "end with can't",
    "ends with n't",
    "_cannot 10:05cant 5dont",
    "_cannot 10:05cant 5dont it's",
    "ΟΔΟΣ ΣΑΣ can't İsnt \u212aant CANNOT ſ's iſnt",
    "can't" * 300,
    "\n".join(["cannot", "'re", "n't", "'T", "dont"] * 50),
]


def _reference_triage() -> Triage:
    nlp, trained = load_pipeline(MODEL_DIR)
    assert trained
    nlp.tokenizer = ReferenceTokenizer(nlp.vocab)
    nlp.replace_pipe("intake_signals", "intake_signals_reference")
    return Triage(nlp, trained=True)


@pytest.fixture(scope="module")
def reference() -> Triage:
    return _reference_triage()


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    found = [row for path in sorted(DATA_DIR.glob("*.jsonl")) for row in read_rows(path)]
    assert len(found) > 4000
    return found


def tokens(doc: Doc) -> list[tuple[str, str, str, bool, bool]]:
    return [(t.text, t.norm_, t.whitespace_, t.like_num, t.is_alpha) for t in doc]


def matches(triage: Triage, doc: Doc) -> list[tuple[str, int, int]]:
    tagger = triage.nlp.get_pipe("intake_signals")
    if not isinstance(tagger, SignalTagger):  # the reference registers under another name
        raise AssertionError(tagger)
    if not len(doc):
        return []
    norms = [t.norm for t in doc]
    nums = [int(t.like_num) for t in doc]
    alphas = [int(t.is_alpha) for t in doc]
    return tagger._matches(doc, norms, nums, alphas)


def assert_same_engine(new: Triage, reference: Triage, texts: Sequence[str]) -> None:
    """Tokens, matches, signals, language and scores agree text by text."""
    for text in texts:  # the tokenizers alone, on everything (empty text included)
        assert tokens(new.nlp.make_doc(text)) == tokens(reference.nlp.make_doc(text)), text
    texts = [text for text in texts if has_words(text)]  # what `Triage` runs the pipeline on
    new_docs, old_docs = new.docs(texts), reference.docs(texts)
    for text, doc, old in zip(texts, new_docs, old_docs, strict=True):
        assert doc.text == old.text, text
        assert tokens(doc) == tokens(old), text
        assert matches(new, doc) == matches(reference, old), text
        assert doc._.get(EXTENSION) == old._.get(EXTENSION), text
        assert doc._.get(LANGUAGE) == old._.get(LANGUAGE), text
        assert doc.cats == old.cats, text


def test_reference_is_the_old_engine(reference: Triage) -> None:
    nlp = reference.nlp
    assert isinstance(nlp.tokenizer, ReferenceTokenizer)
    assert type(nlp.get_pipe("intake_signals")).__name__ == "ReferenceSignalTagger"


def test_same_tokens_matches_signals_and_scores_on_every_data_message(
    triage: Triage, reference: Triage, rows: list[Row]
) -> None:
    texts = [compose(row.subject, row.body) for row in rows]
    texts += [item for text in texts for item in list_items(text)]
    assert_same_engine(triage, reference, texts)


def test_same_proposals_on_every_data_message(
    triage: Triage, reference: Triage, rows: list[Row], policies: dict[str, Policy]
) -> None:
    for name, policy in policies.items():
        items = [(row.subject, row.body, row.declared) for row in rows if row.policy == name]
        assert items, name
        assert triage.propose_many(policy, items) == reference.propose_many(policy, items)


def test_same_on_edge_cases(triage: Triage, reference: Triage, policies: dict[str, Policy]) -> None:
    assert_same_engine(triage, reference, EDGE_CASES)
    items = [(text, text) for text in EDGE_CASES] + [("", text) for text in EDGE_CASES]
    for policy in policies.values():
        assert triage.propose_many(policy, items) == reference.propose_many(policy, items)


def _lexicon_words() -> list[str]:
    words: set[str] = set()
    for alternatives in PATTERNS.values():
        for pattern in alternatives:
            for spec in pattern:
                for key in ("NORM", "ORTH"):
                    value = spec.get(key)
                    if isinstance(value, str):
                        words.add(value)
                    elif isinstance(value, dict):
                        words.update(value.get("IN", ()))
                        words.update(value.get("NOT_IN", ()))
    for phrases in PHRASES.values():
        for phrase in phrases:
            words.update(phrase.split())
    return sorted(words)


def test_same_on_random_lexicon_word_salad(triage: Triage, reference: Triage) -> None:
    """Every pattern step, quantifier and overlap gets exercised: texts drawn from the
    lexicon's own words, numbers, shares, contractions and punctuation."""
    rng = random.Random(14)
    extras = [
        "1", "20", "95", "100", "3.5", "10:05", "5pm", "21st", "1,000", "%", ",", ".", "!",
        "(", ")", "-", "'s", "can't", "don't", "cannot", "isnt", "it's", "Outage", "DOWN",
        "the", "our", "all", "every", "none", "of", "not", "no", "x", "foo",
    ]  # fmt: skip
    vocabulary = _lexicon_words() + extras * 20
    texts = []
    for _ in range(4000):
        words = rng.choices(vocabulary, k=rng.randint(1, 40))
        texts.append("".join(word + rng.choice(("", " ", " ", " ", "\n")) for word in words))
    assert_same_engine(triage, reference, texts)


def test_fails_when_the_engine_differs(triage: Triage) -> None:
    """The check has teeth: an engine that loses one match is caught."""

    lossy = _reference_triage()
    tagger = lossy.nlp.get_pipe("intake_signals")
    original = tagger._matches  # type: ignore[attr-defined]
    tagger._matches = lambda *args: original(*args)[1:]  # type: ignore[attr-defined]
    with pytest.raises(AssertionError):
        assert_same_engine(triage, lossy, ["none of our phones work; we cannot make calls"])


def test_same_text_preparation(rows: list[Row]) -> None:
    """`clean`, `latest_reply`, `compose` and `list_items` as before, on every data message,
    the edge cases and random mixtures of blanks, control characters, markup and quote marks."""
    rng = random.Random(141)
    pieces = [
        " ", "  ", "\t", "\u00a0", " \t ", "\n", "\r\n", "\r", "\n\n\n", "\x00", "\x07", "\x0b",
        "\x1f", "\x7f", "\x85", "\x9f", "\ufffd", "\ufeff", "\u2028", "<b>", "</p>", "<script>x</script>",
        "&amp;", "&nbsp;", "> quoted", "\n> old", "\nOn Mon, Ann wrote:\n", "-----Original Message-----",
        "\nFrom: a\nSent: b", "\nFROM: a\n DATE: b", "__________", "-- ", "1) ", "\n2. ", "\n- ",
        "\n\u2022 ", "word", "Outage", "can't", "ünïcödé", "电话", "\ud800",
    ]  # fmt: skip
    texts = [(row.subject, row.body) for row in rows]
    texts += [(text, text) for text in EDGE_CASES]
    for _ in range(3000):
        subject = "".join(rng.choices(pieces, k=rng.randint(0, 6)))
        texts.append((subject, "".join(rng.choices(pieces, k=rng.randint(0, 60)))))
    for subject, body in texts:
        assert current_text.clean(body) == reference_text.clean(body), body
        assert current_text.latest_reply(body) == reference_text.latest_reply(body), body
        composed = current_text.compose(subject, body)
        assert composed == reference_text.compose(subject, body), (subject, body)
        assert current_text.list_items(composed) == reference_text.list_items(composed), composed


def test_caches_stay_bounded_and_change_nothing(
    triage: Triage, reference: Triage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tokenizer's ORTH ids and the matcher's token classes are remembered per word, up to
    a limit: a stream of new words clears them instead of growing them for ever, and what is
    found after a clear is what the reference finds."""
    import classifier.patterns
    import classifier.tokenizer

    monkeypatch.setattr(classifier.tokenizer, "ORTH_CACHE_LIMIT", 50)
    monkeypatch.setattr(classifier.patterns, "CACHE_LIMIT", 50)
    tokenizer = triage.nlp.tokenizer
    matcher = triage.nlp.get_pipe("intake_signals").patterns  # type: ignore[attr-defined]
    texts = [f"word{n} none of our phones work{n} and 95% of calls fail {n}" for n in range(300)]
    assert_same_engine(triage, reference, texts)
    assert len(tokenizer._orths) <= 50 + 20  # type: ignore[attr-defined]
    assert len(matcher._cache) <= 50 + 20
