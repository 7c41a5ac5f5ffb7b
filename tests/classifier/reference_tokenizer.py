"""REFERENCE ONLY: `classifier/tokenizer.py` as it was before issue 14's speed work (commit
c8202c7), kept unchanged so that `test_classifier_engine_equivalence.py` can check the current
tokenizer gives the same tokens, spaces and NORMs. Do not optimise or "fix" this copy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from spacy.tokens import Doc
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
_CURLY = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
_SPECIAL = re.compile(r"'|\b(?:" + "|".join(SPLITS) + r")\b", re.IGNORECASE)


def _contractions(
    words: list[str], spaces: list[bool]
) -> tuple[list[str], list[bool], list[tuple[int, str]]]:
    """Split "cannot"-style words and give contraction parts their NORMs."""
    out_words: list[str] = []
    out_spaces: list[bool] = []
    norms: list[tuple[int, str]] = []
    for word, space in zip(words, spaces, strict=True):
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
    return out_words, out_spaces, norms


class FastTokenizer:
    """`nlp.tokenizer` replacement: text in, `Doc` out."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        text = text.translate(_CURLY)
        pairs = _TOKEN_AND_SPACE.findall(text)
        words = [word for word, _ in pairs]
        spaces = [space == " " for _, space in pairs]
        norms: list[tuple[int, str]] = []
        if _SPECIAL.search(text):
            words, spaces, norms = _contractions(words, spaces)
        doc = Doc(self.vocab, words=words, spaces=spaces)
        for i, norm in norms:
            doc[i].norm_ = norm
        return doc

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
