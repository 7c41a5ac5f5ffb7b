"""A fast tokenizer for triage: one regular expression, then `Doc(vocab, words, spaces)`.

spaCy's rule-based English tokenizer costs about 3-4 µs a token here, most of the triage budget
on its own (see `bench/classifier.py`). Triage needs less: words, numbers, punctuation marks,
and English contractions split the way spaCy splits them ("can't" → "ca" + "n't", NORM "can" +
"not"), so that NORM-based phrases match "can't", "cant" and "cannot" alike. The lexicon's
phrases are tokenized by this same tokenizer, so patterns and messages always agree.

Registered as `intake.Tokenizer.v1`; the saved model's config names it, and it has nothing to
save (`to_disk` and friends are no-ops).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import registry
from spacy.vocab import Vocab

_TOKEN = re.compile(
    r"""
    \d+(?:[.,:]\d+)+             # 10:05, 125.00, 1,000
  | [^\W_]+                      # words and numbers
  | '(?:s|re|ll|ve|m|d|t)\b      # "'s", "'re", ... and the "'t" of "n't" (joined below)
  | \S                           # any other single character
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Each token with the one space that follows it, if any: `findall` in one pass (a third faster
# than a match object per token).
_TOKEN_AND_SPACE = re.compile("(" + _TOKEN.pattern + ")([ ]?)", _TOKEN.flags)
# Token NORMs that differ from the lower-cased text (as spaCy's English exceptions set them).
NORMS = {"n't": "not", "'re": "are", "'m": "am", "'ll": "will", "'ve": "have", "'d": "would"}
BASES = {"ca": "can", "wo": "will", "sha": "shall"}  # before "n't" only
# Joined forms split as spaCy splits them: "cannot" → "can" "not", "dont" → "do" "nt".
SPLITS = {
    "cannot": ("can", "not"),
    **{
        word: (word[:-2], "nt")
        for word in (
            "cant", "dont", "wont", "isnt", "arent", "wasnt", "werent", "doesnt", "didnt",
            "hasnt", "havent", "hadnt", "couldnt", "wouldnt", "shouldnt", "aint",
        )
    },
}  # fmt: skip
ORTH_CACHE_LIMIT = 200_000  # words; far more than a day of mail's vocabulary
_CURLY = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
_SPECIAL = re.compile(r"'|\b(?:" + "|".join(SPLITS) + r")\b", re.IGNORECASE)


# The tokens `_contractions` changes: contraction parts ("'t" to join, "'re" and the rest for
# their NORM) and joined forms to split. They are found at C speed, by one search over the
# lower-cased words joined by newlines (tokens hold no whitespace), each then checked exactly,
# so that a long message with one "can't" is not walked word by word in Python.
_CHANGED = frozenset({"'t", *NORMS, *SPLITS})


def _changed_expression(words: Iterable[str]) -> re.Pattern[str]:
    """A newline, then one of `words`, then a newline; grouped by first letter (a third of the
    time of a flat alternation)."""
    groups = []
    for first, members in itertools.groupby(sorted(words), key=lambda word: word[0]):
        rests = sorted((word[1:] for word in members), key=len, reverse=True)
        groups.append(re.escape(first) + "(?:" + "|".join(map(re.escape, rests)) + ")")
    return re.compile("\n(?:" + "|".join(groups) + ")(?=\n)")


_CHANGED_TOKEN = _changed_expression(_CHANGED)


def _changed(words: list[str]) -> list[int]:
    """The positions of the words `_contractions` must look at, in order."""
    joined = "\n" + "\n".join(words).lower() + "\n"
    found = []
    index = last = 0
    for candidate in _CHANGED_TOKEN.finditer(joined):
        position = candidate.start()
        index += joined.count("\n", last, position)
        last = position
        if words[index].lower() in _CHANGED:
            found.append(index)
    return found


def _contractions(
    words: list[str], spaces: list[bool]
) -> tuple[list[str], list[bool], list[tuple[int, str]]]:
    """Split "cannot"-style words and give contraction parts their NORMs. Only the words
    `_changed` finds are looked at; the runs between them are copied as they are."""
    changed = _changed(words)
    if not changed:
        return words, spaces, []
    out_words: list[str] = []
    out_spaces: list[bool] = []
    norms: list[tuple[int, str]] = []
    copied = 0
    for i in changed:
        out_words += words[copied:i]
        out_spaces += spaces[copied:i]
        copied = i + 1
        word, space = words[i], spaces[i]
        lower = word.lower()
        if lower == "'t" and out_words and out_words[-1][-1:] in ("n", "N") and not out_spaces[-1]:
            # "can" + "'t" → "ca" + "n't", as spaCy splits it
            base = out_words[-1][:-1]
            word, lower = out_words[-1][-1] + word, "n't"
            if base:
                out_words[-1] = base
            else:
                out_words.pop()
                out_spaces.pop()
        split = SPLITS.get(lower)
        if split is not None:
            head = len(split[0])
            norms.append((len(out_words) + 1, "not"))
            out_words += [word[:head], word[head:]]
            out_spaces += [False, space]
            continue
        norm = NORMS.get(lower)
        if norm is not None:
            norms.append((len(out_words), norm))
            if lower == "n't" and out_words:
                base_norm = BASES.get(out_words[-1].lower())
                if base_norm is not None:
                    norms.append((len(out_words) - 1, base_norm))
        out_words.append(word)
        out_spaces.append(space)
    out_words += words[copied:]
    out_spaces += spaces[copied:]
    return out_words, out_spaces, norms


class FastTokenizer:
    """`nlp.tokenizer` replacement: text in, `Doc` out."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        # Each word's ORTH id, remembered: `Doc` takes ids at a third of the cost of strings
        # (no UTF-8 encoding and hashing per token). Bounded: cleared when full.
        self._orths: dict[str, int] = {}

    def __call__(self, text: str) -> Doc:
        text = text.translate(_CURLY)
        pairs = _TOKEN_AND_SPACE.findall(text)
        words = [word for word, _ in pairs]
        spaces = [space == " " for _, space in pairs]
        norms: list[tuple[int, str]] = []
        if _SPECIAL.search(text):
            words, spaces, norms = _contractions(words, spaces)
        # `Doc` takes ORTH ids as well as strings (its stub names only strings)
        doc = Doc(self.vocab, words=self._orth_ids(words), spaces=spaces)  # type: ignore[arg-type]
        for i, norm in norms:
            doc[i].norm_ = norm
        return doc

    def _orth_ids(self, words: list[str]) -> list[int]:
        orths = self._orths
        try:
            return list(map(orths.__getitem__, words))
        except KeyError:
            if len(orths) > ORTH_CACHE_LIMIT:
                orths.clear()
            add = self.vocab.strings.add
            for word in words:
                if word not in orths:
                    orths[word] = add(word)
            return list(map(orths.__getitem__, words))

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        for text in texts:
            yield self(text)

    # Nothing to serialize: the rules are code. A marker file keeps the model directory whole.
    def to_disk(self, path: str | Path, **kwargs: Any) -> None:
        Path(path).write_text('{"tokenizer": "intake.Tokenizer.v1"}\n', encoding="utf-8")

    def from_disk(self, path: str | Path, **kwargs: Any) -> FastTokenizer:
        return self

    def to_bytes(self, **kwargs: Any) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs: Any) -> FastTokenizer:
        return self


@registry.tokenizers("intake.Tokenizer.v1")
def create_tokenizer() -> Callable[[Language], FastTokenizer]:
    def make(nlp: Language) -> FastTokenizer:
        return FastTokenizer(nlp.vocab)

    return make
