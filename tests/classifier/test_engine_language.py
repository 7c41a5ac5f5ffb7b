"""The function-word reading's shortcut (English settled before counting language by language
when no language could outweigh it) reads every text as counting them all did."""

from __future__ import annotations

import random
from collections.abc import Sequence

from spacy.strings import StringStore

from classifier import Triage
from classifier.language import (
    _KEYS,
    DOMINANCE,
    ENGLISH,
    MIN_ALONE,
    MIN_STOPWORDS,
    NAMES,
    SAMPLE_TOKENS,
    STOPWORDS,
    Reading,
    function_words_language,
)
from classifier.locations import DATA_DIR
from classifier.text import compose
from classifier.tokenizer import columns
from classifier.training.dataset import read_rows


def counted(norms: Sequence[int], strings: StringStore) -> Reading:
    """The reading as it was: every language's function words counted."""
    present = set(norms[:SAMPLE_TOKENS])
    counts = {code: len(keys.intersection(present)) for code, keys in _KEYS.items()}
    best = max((code for code in counts if code != "en"), key=lambda code: counts[code])
    english = counts["en"]
    if counts[best] < (MIN_ALONE if english == 0 else MIN_STOPWORDS):
        return ENGLISH
    if counts[best] < DOMINANCE * english:
        return ENGLISH
    words = [strings[n] for n in dict.fromkeys(norms[:SAMPLE_TOKENS]) if n in _KEYS[best]]
    shown = [w for w in words if w not in STOPWORDS["en"]][:4]
    return Reading(NAMES[best], ", ".join(f"'{w}'" for w in shown))


def test_same_reading_on_data_and_function_word_salad(triage: Triage) -> None:
    texts = [compose(row.subject, row.body) for path in sorted(DATA_DIR.glob("*.jsonl"))
             for row in read_rows(path)]  # fmt: skip
    rng = random.Random(5)
    # One language's function words, some English ones and a few others, near the thresholds
    groups = {code: sorted(words) for code, words in STOPWORDS.items()}
    everything = sorted({word for words in STOPWORDS.values() for word in words})
    for _ in range(5000):
        code = rng.choice([code for code in groups if code != "en"])
        words = rng.choices(groups[code], k=rng.randint(0, 8))
        words += rng.choices(groups["en"], k=rng.randint(0, 5))
        words += rng.choices([*everything, "phones", "x"], k=rng.randint(0, 4))
        rng.shuffle(words)
        texts.append(" ".join(words))
    languages = set()
    for text in texts:
        doc = triage.nlp.make_doc(text)
        norms = columns(doc).norms
        reading = function_words_language(norms, doc.vocab.strings)
        assert reading == counted(norms, doc.vocab.strings), text
        languages.add(reading.language)
    assert len(languages) == len(NAMES)  # English (None) and every other language were read
