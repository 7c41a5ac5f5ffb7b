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
from typing import Any, NamedTuple

from spacy.attrs import IS_ALPHA, IS_PUNCT, LIKE_NUM, NORM, ORTH, SPACY
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
# A regular expression pays per match, and Python per token: `_CHUNK` finds, where it can, a
# whole run of words joined by single spaces ("since this morning several of our desk phones")
# in one match, each word exactly the token `_TOKEN` would find there: a maximal `[^\W_]+`
# (possessive: it never gives back a letter) that does not start a number `_TOKEN`'s first
# branch takes ("10.0.0.1": the run stops before it). Anything else is one `_TOKEN`. Each match
# takes the one space that follows it, as `_TOKEN` + "[ ]?" did.
_RUN = r"(?!\d++[.,:]\d)[^\W_]++(?:[ ](?!\d++[.,:]\d)[^\W_]++)*+"
_CHUNK = re.compile(f"(?:{_RUN}|{_TOKEN.pattern})[ ]?", _TOKEN.flags)
# The same for ASCII text (most mail), with ASCII classes, which `re` tests faster: for an ASCII
# character `[^\W_]` is `[A-Za-z0-9]`, `\d` is `[0-9]`, `\S` is anything but these six blanks
# and the four separators `str.isspace` knows (a test checks all 128).
_ASCII_WORD, _ASCII_DIGIT, _ASCII_NOT_SPACE = "[A-Za-z0-9]", "[0-9]", r"[^ \t\n\r\x0b\x0c\x1c-\x1f]"
_ASCII_RUN = (
    f"(?!{_ASCII_DIGIT}++[.,:]{_ASCII_DIGIT}){_ASCII_WORD}++"
    f"(?:[ ](?!{_ASCII_DIGIT}++[.,:]{_ASCII_DIGIT}){_ASCII_WORD}++)*+"
)
_ASCII_TOKEN = (
    f"{_ASCII_DIGIT}+(?:[.,:]{_ASCII_DIGIT}+)+|{_ASCII_WORD}+"
    r"|'(?:[sS]|[rR][eE]|[lL][lL]|[vV][eE]|[mM]|[dD]|[tT])\b|" + _ASCII_NOT_SPACE
)
_ASCII_CHUNK = re.compile(f"(?:{_ASCII_RUN}|{_ASCII_TOKEN})[ ]?")
# Every byte but a space and a newline: deleting them from the UTF-8 of the joined chunks
# leaves one separator per token (a UTF-8 sequence never holds either byte), read as 1 and 0.
_NOT_SEPARATOR = bytes(b for b in range(256) if b not in b" \n")
_SEPARATOR_FLAG = bytes.maketrans(b" \n", b"\x01\x00")


def split_tokens(text: str) -> tuple[list[str], list[int]]:
    """The tokens `_TOKEN` finds in `text`, and whether each is followed by one space (1 / 0).

    The chunks are joined by newlines (no token holds a blank), a chunk's trailing space then
    standing for its newline: each token is followed by exactly one separator, a space (1) or
    a newline (0). `str.split` and `bytes.translate` read both lists off at C speed."""
    chunks = (_ASCII_CHUNK if text.isascii() else _CHUNK).findall(text)
    if not chunks:
        return [], []
    joined = ("\n".join(chunks) + "\n").replace(" \n", " ")
    return joined.split(), list(joined.encode().translate(_SEPARATOR_FLAG, _NOT_SEPARATOR))


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


def _may_change(text: str) -> bool:
    """Whether `_contractions` runs: an apostrophe, or a joined form standing as a word
    (`_SPECIAL`; "_cannot" is not one, and stays whole when nothing else calls for the pass).
    In ASCII text the joined form is in the lower-cased text: a plain search rules most text
    out before the regular expression, which is far slower, is asked."""
    if "'" in text:
        return True
    if text.isascii():
        lower = text.lower()
        if not any(word in lower for word in SPLITS):
            return False
    return _SPECIAL.search(text) is not None


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
    words: list[str], spaces: list[int]
) -> tuple[list[str], list[int], list[tuple[int, str]]]:
    """Split "cannot"-style words and give contraction parts their NORMs. Only the words
    `_changed` finds are looked at; the runs between them are copied as they are."""
    changed = _changed(words)
    if not changed:
        return words, spaces, []
    out_words: list[str] = []
    out_spaces: list[int] = []
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


class Columns(NamedTuple):
    """A doc's token attributes as lists, as `Doc.to_array` would give them: what the signal
    tagger and its token patterns read, without a `to_array` pass over the doc each. Valid for
    the doc as the tokenizer made it (nothing in the pipeline changes a token's NORM later)."""

    orths: list[int]
    norms: list[int]
    like_num: list[int]  # the flags as 0 / 1 or False / True
    is_alpha: list[int]
    is_punct: list[int]
    spaces: list[int]
    # NORM, LIKE_NUM and IS_ALPHA in one int (`lexical_key`): what the token patterns read a
    # token by, looked up once per token instead of as a tuple of three.
    keys: list[int]


def lexical_key(norm: int, like_num: object, is_alpha: object) -> int:
    """A token's NORM and flags in one int, for `Columns.keys`."""
    return norm * 4 + 2 * bool(like_num) + bool(is_alpha)


# Where the tokenizer leaves a doc's `Columns` (`Doc.user_data`).
COLUMNS = "intake.columns"


def columns(doc: Doc) -> Columns:
    """The doc's `Columns`: those the tokenizer left, or read from the doc (a doc made by
    another tokenizer)."""
    found = doc.user_data.get(COLUMNS)
    if isinstance(found, Columns) and len(found.orths) == len(doc):
        return found
    table = doc.to_array([ORTH, NORM, LIKE_NUM, IS_ALPHA, IS_PUNCT, SPACY])
    orths, norms, nums, alphas, puncts, spaces = (table[:, i].tolist() for i in range(6))
    keys = list(map(lexical_key, norms, nums, alphas))
    return Columns(orths, norms, nums, alphas, puncts, spaces, keys)


class FastTokenizer:
    """`nlp.tokenizer` replacement: text in, `Doc` out (with its `Columns`)."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        # Each word's lexeme attributes (ORTH id, NORM id, LIKE_NUM, IS_ALPHA, IS_PUNCT, key),
        # remembered: `Doc` takes ORTH ids at a third of the cost of strings (no UTF-8 encoding
        # and hashing per token), and the columns come from the same look-up. Bounded: cleared
        # when full.
        self._orths: dict[str, tuple[int, int, bool, bool, bool, int]] = {}

    def __call__(self, text: str) -> Doc:
        if not text.isascii():  # a flag: O(1)
            text = text.translate(_CURLY)
        words, spaces = split_tokens(text)
        norms: list[tuple[int, str]] = []
        if _may_change(text):
            words, spaces, norms = _contractions(words, spaces)
        if not words:
            return Doc(self.vocab, words=[], spaces=[])
        lexemes = self._lexemes(words)
        orth_ids, norm_ids, nums, alphas, puncts, keys = map(list, zip(*lexemes, strict=True))
        # `Doc` takes ORTH ids as well as strings (its stub names only strings)
        doc = Doc(self.vocab, words=orth_ids, spaces=spaces)  # type: ignore[arg-type]
        for i, norm in norms:
            doc[i].norm_ = norm
            norm_ids[i] = self.vocab.strings[norm]
            keys[i] = lexical_key(norm_ids[i], nums[i], alphas[i])
        table = Columns(orth_ids, norm_ids, nums, alphas, puncts, spaces, keys)
        doc.user_data[COLUMNS] = table
        return doc

    def _lexemes(self, words: list[str]) -> list[tuple[int, int, bool, bool, bool, int]]:
        known = self._orths
        try:
            return list(map(known.__getitem__, words))
        except KeyError:
            if len(known) > ORTH_CACHE_LIMIT:
                known.clear()
            vocab = self.vocab
            for word in words:
                if word not in known:
                    lex = vocab[word]
                    num, alpha = lex.like_num, lex.is_alpha
                    known[word] = (
                        lex.orth,
                        lex.norm,
                        num,
                        alpha,
                        lex.is_punct,
                        lexical_key(lex.norm, num, alpha),
                    )
            return list(map(known.__getitem__, words))

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
