"""The engine's faster paths give exactly what the reference gives: the tokenizer's runs of
words found in one match, its ASCII classes and the separators read off the joined chunks (for
every character), the `Columns` left on the doc (what `Doc.to_array` reads from the doc
itself), and the text preparation's blank runs and list items."""

from __future__ import annotations

import random
import re

import pytest
from spacy.attrs import IS_ALPHA, IS_PUNCT, LIKE_NUM, NORM, ORTH, SPACY
from spacy.tokens import Doc

from classifier import Triage
from classifier import text as text_module
from classifier import tokenizer as fast
from classifier.locations import DATA_DIR
from classifier.text import compose
from classifier.tokenizer import COLUMNS, Columns, columns, split_tokens
from classifier.training.dataset import read_rows
from tests.classifier import reference_text
from tests.classifier.reference_tokenizer import _SPECIAL, _TOKEN_AND_SPACE


def reference_split(text: str) -> tuple[list[str], list[bool]]:
    pairs = _TOKEN_AND_SPACE.findall(text)
    return [word for word, _ in pairs], [space == " " for _, space in pairs]


# Each character where it can start, end or sit inside a word, a number, a contraction or a run.
CONTEXTS = ("a{c}b 1{c}2 {c}'s 10{c}5 {c} {c}{c}x", "1.{c}3 x{c}  y {c}\n")


@pytest.mark.parametrize("context", CONTEXTS)
def test_every_character_in_context(context: str) -> None:
    # The Basic Multilingual Plane whole (every script, digit and blank class), the rest sampled.
    points = [*range(0xD800), *range(0xE000, 0x10000), *range(0x10000, 0x110000, 251)]
    characters = list(map(chr, points))
    for start in range(0, len(characters), 4096):
        text = "\t".join(context.format(c=c) for c in characters[start : start + 4096])
        assert split_tokens(text) == reference_split(text), start
        ascii_only = "".join(c for c in text if c.isascii())
        assert split_tokens(ascii_only) == reference_split(ascii_only), start


def test_ascii_classes_are_the_unicode_ones_on_ascii() -> None:
    for code in range(128):
        c = chr(code)
        assert bool(re.fullmatch(r"[^\W_]", c)) == bool(re.fullmatch(fast._ASCII_WORD, c)), code
        assert bool(re.fullmatch(r"\d", c)) == bool(re.fullmatch(fast._ASCII_DIGIT, c)), code
        assert (not c.isspace()) == bool(re.fullmatch(fast._ASCII_NOT_SPACE, c)), code


@pytest.mark.parametrize(
    "text",
    [
        "", " ", "  ", "\n", "x", "x ", " x", "x  y", "a b c", "a b\nc d ", "10.0.0.1 10 20:30",
        "at 10:05, call 555 1234.5 now", "IP 10.0.0.1 and 1,000 users", "5pm 12ab.5 abc12.5",
        "word 3.", "x 1.", "can't stop, won't stop", "a'b 'twas rock'n'roll", "é è 10٫5 ١٢:٣٤",
        "ΟΔΟΣ ΣΑΣ can't İsnt \u212aant CANNOT ſ's", "tab\tsep\u00a0nbsp\u2028ls", "x" * 3000,
        "a " * 3000, "1 " * 500 + "1.5",
    ],
)  # fmt: skip
def test_edge_cases(text: str) -> None:
    assert split_tokens(text) == reference_split(text)


def _from_the_doc(doc: Doc) -> Columns:
    table = doc.to_array([ORTH, NORM, LIKE_NUM, IS_ALPHA, IS_PUNCT, SPACY])
    orths, norms, nums, alphas, puncts, spaces = (table[:, i].tolist() for i in range(6))
    keys = [
        norm * 4 + 2 * bool(num) + bool(alpha)
        for norm, num, alpha in zip(norms, nums, alphas, strict=True)
    ]
    return Columns(orths, norms, nums, alphas, puncts, spaces, keys)


def test_columns_are_what_the_doc_holds(triage: Triage) -> None:
    texts = [compose(row.subject, row.body) for row in read_rows(DATA_DIR / "train.jsonl")]
    texts += ["can't cannot dont it's I'm we'll N'T", "", "x", "CA n't wo n't sha n't"]
    for text in texts:
        doc = triage.nlp.make_doc(text)
        left = doc.user_data.get(COLUMNS) if len(doc) else Columns([], [], [], [], [], [], [])
        assert isinstance(left, Columns)
        assert left == _from_the_doc(doc), text
        assert columns(doc) is left or not len(doc)


def test_columns_of_a_doc_from_another_tokenizer(triage: Triage) -> None:
    doc = Doc(triage.nlp.vocab, words=["No", "dial", "tone", "at", "10:05", "!"])
    assert COLUMNS not in doc.user_data
    assert columns(doc) == _from_the_doc(doc)
    stale = triage.nlp.make_doc("phones are down")
    other = Doc(triage.nlp.vocab, words=["x"], user_data=dict(stale.user_data))
    assert columns(other) == _from_the_doc(other)  # a column of another length is not used


@pytest.mark.parametrize(
    "text",
    [
        "", "cannot", "_cannot", "x_cannot_y", "CANNOT", "CanT", "it's", "significant",
        "dont.", "5dont", "iſnt", "\u212aant isnt", "électricité cannot", "wont-stop", "dontt",
    ],
)  # fmt: skip
def test_contraction_pass_runs_when_it_ran(text: str) -> None:
    """Whether the contraction pass runs changes tokens ("_cannot" alone stays whole, beside
    an apostrophe it is split): the cheap check answers as the reference's expression."""
    assert fast._may_change(text) == bool(_SPECIAL.search(text))


def test_blank_runs_and_list_items_as_the_expressions_find_them() -> None:
    """`text._one_space` is `_SPACES.sub(" ", ...)` and `list_items` finds the items the
    multi-line expression finds, on mixtures of spaces, newlines, items and words (the
    equivalence test's own mixtures mostly hold tabs, which take the expression itself)."""
    rng = random.Random(15)
    pieces = [" ", "  ", "   ", "\n", "\n\n", "word", "x", "1) ", "2. ", "- ", "* ", "\u2022 ",
              "10.", "\n  3) y", " \n ", "\t", "\u00a0"]  # fmt: skip
    texts = ["", " ", "  ", "   ", "a", " a", "a ", "  a  ", "a  b", "1) a\n2) b", "- a\n- b"]
    texts += ["".join(rng.choices(pieces, k=rng.randint(1, 30))) for _ in range(20_000)]
    for text in texts:
        assert text_module._one_space(text) == text_module._SPACES.sub(" ", text), repr(text)
        assert text_module.list_items(text) == reference_text.list_items(text), repr(text)
