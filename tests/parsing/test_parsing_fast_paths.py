"""The parser's fast paths for ordinary ASCII text give exactly what the general path gives."""

from __future__ import annotations

import hashlib
import re
import unicodedata

import pytest

from gateway.parsing import headers as hdr
from gateway.parsing.declared import _LABELLED_NUMBER, _LABELLED_WORD, _PRIORITY_WORDS, labelled
from gateway.parsing.identity import subject_stem, text_hash

TEXTS = [
    "Phones dropping calls at site 3",
    "several desk phones",  # "sev" inside a word: no label
    "Severity: 2 since this morning",
    "PRIORITY=high please",
    "prio-1 outage",
    "Level 2 support asked us to write",
    "lvl:3",
    "priority",
    "Sev\t1",
    "the \u212aelvin priority 2",  # the Kelvin sign: non-ASCII, the general path
    "ſeverity 1",  # long s folds to s under re.I
    "Priority:  high\n\nmore text",
    "",
]


def _labelled_by_regex(text: str) -> list[str]:
    found: list[tuple[int, str]] = []
    for match in _LABELLED_NUMBER.finditer(text):
        value = match.group(1)
        found.append((match.start(), value.upper() if value[0] in "pP" else value))
    for match in _LABELLED_WORD.finditer(text):
        if (word := match.group(1).lower()) in _PRIORITY_WORDS:
            found.append((match.start(), word))
    return [value for _, value in sorted(found)]


@pytest.mark.parametrize("text", TEXTS)
def test_labelled_equals_the_regex_alone(text: str) -> None:
    assert labelled(text) == _labelled_by_regex(text)


HEADERS = [
    "Phones dropping calls",
    "  padded value  ",
    "two  spaces inside",
    "a\ttab",
    "folded\r\n continuation",
    "=?utf-8?q?caf=C3=A9?=",
    "ctrl\x01char",
    "caf\udcc3\udca9 8-bit",
    "x\x7fy",
    "",
]


@pytest.mark.parametrize("raw", HEADERS)
def test_decode_text_fast_path_equals_the_general_path(raw: str) -> None:
    problems: list[str] = []
    general = hdr._BLANKS.sub(
        " ",
        hdr._CONTROL.sub(
            "",
            hdr._LINE_BREAK.sub(
                " ",
                hdr._decode_words(hdr.unfold(raw), "Subject", problems, None)
                if "=?" in raw
                else hdr.fix_surrogates(hdr.unfold(raw), "header Subject", problems, None),
            ),
        ),
    ).strip()
    assert hdr.decode_text(raw, "Subject", [], None) == general


@pytest.mark.parametrize(
    "text",
    ["a  b\tc\nd", " lead and trail \n", "nbsp\u00a0and\u2003em\u2028line", "\x1c\x1dsep", ""],
)
def test_text_hash_folds_blanks_as_the_regex_did(text: str) -> None:
    folded = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()
    assert text_hash(text) == hashlib.sha256(folded.encode("utf-8", "surrogatepass")).hexdigest()
    assert (
        subject_stem(f"Re: {text}")
        == re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()
    )
