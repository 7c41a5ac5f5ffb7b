"""Guessing the charset of 8-bit text that is not (valid) UTF-8.

charset_normalizer is good on long documents but unreliable on the short texts mail is made of
(a subject, a three-line reply): it happily reads French latin-1 as cp1250 or KOI8-R as
Shift_JIS. So every plausible mail charset is tried and each strict decoding is scored by how
much it looks like real writing: letters of one script per word, ordinary capitalisation,
common CJK characters, and none of the control characters, box drawing and long runs of
accented letters that mis-decoding produces. charset_normalizer's own best guess joins the
candidates, so exotic charsets are still found.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import unicodedata

from charset_normalizer import from_bytes

# Tried in this order; on equal scores the earlier one wins, so the commonest come first.
CANDIDATES: tuple[str, ...] = (
    "cp1252",
    "cp1251",
    "koi8_r",
    "iso8859_2",
    "cp1250",
    "gb18030",
    "cp932",
    "euc_jp",
    "big5hkscs",
    "cp949",
    "cp1253",
    "cp1254",
    "cp1257",
    "cp1255",
    "cp1256",
    "cp874",
)

SAMPLE_BYTES = 16 * 1024

_LATIN, _PUNCT, _RARE, _BAD = "latin", "punct", "rare", "bad"
_CYRILLIC, _GREEK, _HEBREW, _ARABIC, _THAI = "cyrillic", "greek", "hebrew", "arabic", "thai"
_KANA, _HAN, _HANGUL, _CJK_PUNCT, _HALF_KANA = "kana", "han", "hangul", "cjkpunct", "halfkana"

# Non-ASCII characters that turn up on their own in ordinary Western text.
_COMMON_PUNCT = frozenset("\u00a0¡£¥§©«®°·»¿–—‘’“”„•…€™")
# The commonest Russian letters (about 70% of running text); the others score a little less,
# so text that only looks Cyrillic because of a wrong single-byte charset loses ties.
_COMMON_CYRILLIC = frozenset("оеаинтсрвлкмдпуОЕАИНТСРВЛКМДПУ")
# Where cp1252 has Icelandic letters, cp1254 has Turkish ones, and Turkish mail is commoner.
_ICELANDIC = frozenset("ðþýÐÞÝ")
# Latin letters that are almost only ever the product of mis-decoding (ƒ is Shift_JIS's 0x83).
_RARE_LATIN = frozenset("ƒŸ")
_SPACED_HAN = re.compile(r"(?<=[\u4e00-\u9fff])[,.;:!?]?[ \t]+(?=[\u4e00-\u9fff])")
_WORD_FINAL = frozenset("ςךםןףץ")
_SEQUENCE_SCRIPTS = frozenset({_GREEK, _HEBREW, _THAI})
# Scripts whose words should not mix with ASCII letters or with each other.
_WORD_SCRIPTS = frozenset({_CYRILLIC, _GREEK, _HEBREW, _ARABIC, _THAI, _HANGUL, _HAN, _KANA})
# Scripts whose non-letters (Arabic vowel marks, Greek tonos on its own, ...) are unusual; Thai
# is left out because its vowels and tone marks are combining characters.
_LETTER_SCRIPTS = frozenset({_LATIN, _CYRILLIC, _GREEK, _HEBREW, _ARABIC})
_LETTER_WEIGHT = {
    _LATIN: 1.0,
    _CYRILLIC: 1.0,
    _GREEK: 1.0,
    _HEBREW: 1.0,
    _ARABIC: 1.0,
    _THAI: 1.0,
    _KANA: 1.0,
    _CJK_PUNCT: 0.5,
    _PUNCT: 1.0,
    _HALF_KANA: -0.5,
    _RARE: -1.0,
    _BAD: -3.0,
}


def detect_charset(data: bytes) -> str | None:
    """The most plausible codec for non-UTF-8 `data`, or None if nothing decodes it."""
    sample = _sample(data)
    best: tuple[float, str] | None = None
    for codec in _candidates(sample):
        try:
            text = sample.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        score = score_text(text) - (0.0 if codec in CANDIDATES else _OUTSIDER_HANDICAP)
        if best is None or score > best[0]:
            best = (score, codec)
    return best[1] if best else None


def _sample(data: bytes) -> bytes:
    """At most SAMPLE_BYTES, cut at a line end so no multibyte character is split."""
    if len(data) <= SAMPLE_BYTES:
        return data
    cut = data.rfind(b"\n", 0, SAMPLE_BYTES)
    return data[: cut + 1] if cut > 0 else data[:SAMPLE_BYTES]


def _candidates(sample: bytes) -> list[str]:
    names = list(CANDIDATES)
    guess = _normalizer_guess(sample)
    if guess and all(codecs.lookup(n).name != guess for n in names):
        names.append(guess)
    return names


# charset_normalizer's guess has to beat the usual mail charsets clearly, not tie with them:
# on short text it often proposes old DOS code pages.
_OUTSIDER_HANDICAP = 0.25


def _normalizer_guess(sample: bytes) -> str | None:
    try:
        match = from_bytes(sample).best()
        return codecs.lookup(match.encoding).name if match is not None else None
    except Exception:  # a third-party heuristic must never break parsing
        return None


def score_text(text: str) -> float:
    """Average plausibility of the non-ASCII characters: about 1 for real writing, below 0 for
    mis-decoded bytes. ASCII neither earns nor loses points."""
    kinds = [_kind(c) if ord(c) >= 0x80 else "" for c in text]
    counted = len(kinds) - kinds.count("")
    if not counted:
        return 0.0
    han_weight = _han_weights(text, kinds)
    score = 0.0
    run: list[str] = []
    word_scripts: set[str] = set()
    prev_lower = False
    prev = " "
    for ch, kind in zip(text, kinds, strict=True):
        if kind in _SEQUENCE_SCRIPTS and _impossible_after(prev, ch):
            score -= 1.0
        prev = ch
        if kind in (_LATIN, _PUNCT, _RARE):
            run.append(ch)
        else:
            score += _run_score(run)
            run.clear()
            if kind:
                score += han_weight[ch] if ch in han_weight else _weight(ch, kind)
        if ch.isalpha():
            word_scripts.add(kind if kind in _WORD_SCRIPTS else "alpha")
            if prev_lower and ch.isupper() and kind:
                score -= 1.0
            prev_lower = ch.islower()
        else:
            score -= _mixed_penalty(word_scripts)
            word_scripts.clear()
            prev_lower = False
    score += _run_score(run) - _mixed_penalty(word_scripts)
    # Chinese is written without spaces; Korean read as Chinese has them between "words".
    score -= len(_SPACED_HAN.findall(text))
    return score / counted


def _impossible_after(prev: str, ch: str) -> bool:
    """Spelling rules of a script that mis-decoded bytes break."""
    if prev in _WORD_FINAL and ch.isalpha():
        return True  # Greek final sigma and Hebrew final letters end a word
    if "\u0e31" <= ch <= "\u0e4e" and unicodedata.category(ch) == "Mn":
        # A Thai vowel or tone mark sits on a consonant (or on another mark).
        return not ("\u0e01" <= prev <= "\u0e2e" or unicodedata.category(prev) == "Mn")
    return False


def _weight(ch: str, kind: str) -> float:
    if kind == _CYRILLIC and ch not in _COMMON_CYRILLIC:
        return 0.8
    if kind == _LATIN and ch in _ICELANDIC:
        return 0.0
    return _LETTER_WEIGHT[kind]


def _run_score(run: list[str]) -> float:
    """Western text has its accented letters one or two at a time; longer runs of letters are
    neutral (Polish has some), longer runs with symbols in them are mis-decoding."""
    if len(run) < 3:
        return sum(_weight(ch, _kind(ch)) for ch in run)
    if all(ch.isalpha() for ch in run):
        return 0.0
    return -float(len(run))


def _mixed_penalty(scripts: set[str]) -> float:
    if len(scripts) < 2 or scripts == {_HAN, _KANA}:
        return 0.0
    return 2.0


def _han_weights(text: str, kinds: list[str]) -> dict[str, float]:
    """Common ideographs (and KS X 1001 hangul) score, rare ones count against."""
    kana = kinds.count(_KANA)
    hangul = kinds.count(_HANGUL)
    han = kinds.count(_HAN)
    weights: dict[str, float] = {}
    for ch, kind in zip(text, kinds, strict=True):
        if ch in weights:
            continue
        if kind == _HANGUL:
            encoded = _encodes(ch, "euc_kr")  # KS X 1001 syllables take two bytes
            weights[ch] = 1.0 if encoded is not None and len(encoded) == 2 else -1.0
        elif kind == _HAN:
            common = _common_japanese(ch) if kana * 4 >= han else _common_han(ch)
            weights[ch] = 1.0 if common else (-1.0 if hangul else -0.5)
        elif kind == _KANA and kana * 10 < han:
            weights[ch] = -1.0  # a stray kana among Chinese characters: mis-decoding
    return weights


def _encodes(ch: str, codec: str) -> bytes | None:
    with contextlib.suppress(UnicodeEncodeError):
        return ch.encode(codec)
    return None


def _common_han(ch: str) -> bool:
    gb = _encodes(ch, "gb2312")
    if gb is not None and 0xB0 <= gb[0] <= 0xD7:  # GB 2312 level 1
        return True
    big5 = _encodes(ch, "big5")
    if big5 is not None and 0xA4 <= big5[0] <= 0xC6:  # Big5 frequent characters
        return True
    return _common_japanese(ch)


def _common_japanese(ch: str) -> bool:
    sjis = _encodes(ch, "shift_jis")
    return sjis is not None and 0x88 <= sjis[0] <= 0x98  # JIS X 0208 level 1


_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0080, 0x009F, _BAD),  # C1 controls
    (0x00C0, 0x024F, _LATIN),
    (0x0250, 0x036F, _RARE),  # IPA, spacing modifiers, combining marks
    (0x0370, 0x03FF, _GREEK),
    (0x0400, 0x04FF, _CYRILLIC),
    (0x0591, 0x05C7, _BAD),  # Hebrew points: never in mail, typical of mis-decoding
    (0x05D0, 0x05FF, _HEBREW),
    (0x0600, 0x06FF, _ARABIC),
    (0x0E00, 0x0E7F, _THAI),
    (0x1E00, 0x1EFF, _LATIN),
    (0x3000, 0x303F, _CJK_PUNCT),
    (0x3040, 0x30FF, _KANA),
    (0x4E00, 0x9FFF, _HAN),
    (0xAC00, 0xD7AF, _HANGUL),
    (0xE000, 0xF8FF, _BAD),  # private use
    (0xFF01, 0xFF5E, _CJK_PUNCT),  # full-width forms
    (0xFF61, 0xFF9F, _HALF_KANA),
    (0xFFFD, 0xFFFD, _BAD),
)


def _kind(ch: str) -> str:
    if ch in _COMMON_PUNCT:
        return _PUNCT
    code = ord(ch)
    if code > 0xFFFF:
        return _BAD
    for low, high, kind in _RANGES:
        if low <= code <= high:
            if kind in _LETTER_SCRIPTS and not ch.isalpha():
                return _RARE
            if ch in _RARE_LATIN or (kind == _GREEK and ch in "ΐΰϊϋ"):
                return _RARE
            if kind == _THAI and (ch >= "\u0e4f" or ch == "\u0e3f"):
                return _RARE  # Thai digits, baht sign and ornaments
            return kind
    return _RARE
