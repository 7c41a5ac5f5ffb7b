"""Rule components: find the signals a message gives (scope, breadth, impact, topics).

`SignalTagger` is the spaCy component `intake_signals`. It runs a `PhraseMatcher` (on NORM, so
"can't", "cant" and "cannot" are one thing) and token patterns for the constructions a phrase list
cannot express ("none of our phones work", "every call fails", "20% of calls"; run by
`classifier.patterns.AnchoredMatcher`, a fast equivalent of spaCy's `Matcher`), then:

* keeps the longest match where matches of one group overlap ("not all users" over "all users");
* drops a match that a negation just before it contradicts ("is not down", "no outage");
* settles breadth to at most one of `all` / `some` / `one`, and scope to at most one of
  `production` / `nonproduction` (both mentioned: production, the safe side).

The result is `doc._.intake_signals`: a tuple of `Hit(name, phrase, start)`, in text order, where
`phrase` is the text as written, for reasons such as "'no dial tone' (outage)".
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable

from spacy.attrs import IDX, LENGTH
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

from classifier.evidence import Hit
from classifier.language import ENGLISH, function_words_language
from classifier.lexicon import (
    ACTION_REACH,
    ACTIONS,
    CLEARABLE,
    CLEARED,
    CLEARED_GAP,
    ELSEWHERE,
    GROUPS,
    IDENTIFIER_AFTER,
    IDENTIFIER_BEFORE,
    NEGATABLE,
    NEGATIONS,
    NOT_YET,
    NOT_YET_SIGNALS,
    PATTERNS,
    PHRASES,
    QUANTIFIERS,
    QUESTION_OPENERS,
    QUESTION_REACH,
    SINGULAR_DETERMINERS,
    UNQUALIFIED,
)
from classifier.narrative import sentences, settle_time
from classifier.patterns import AnchoredMatcher, Column
from classifier.tokenizer import columns

EXTENSION = "intake_signals"
CLOCK_TIME = re.compile(r"^\d{1,2}[:.]\d{2}$")
LANGUAGE = "intake_language"  # a `Reading`: English, or the language its function words show


def variants(phrase: str) -> set[str]:
    """A phrase and its spaced / joined forms: "one-way audio", "one way audio", "oneway audio"."""
    if "-" not in phrase:
        return {phrase}
    return {phrase, phrase.replace("-", " "), phrase.replace("-", "")}


Match = tuple[str, int, int]  # signal name, start token, end token


class SignalTagger:
    """The `intake_signals` pipeline component. Stateless apart from its matchers."""

    def __init__(self, vocab: Vocab, make_doc: Callable[[str], Doc]) -> None:
        self.phrases = PhraseMatcher(vocab, attr="NORM")
        for name, phrases in PHRASES.items():
            forms = sorted({form for phrase in phrases for form in variants(phrase)})
            self.phrases.add(name, [make_doc(form) for form in forms])
        self.names = {vocab.strings.add(name): name for name in PHRASES}
        self.patterns = AnchoredMatcher(PATTERNS)
        self.negations = frozenset(vocab.strings.add(word) for word in NEGATIONS)
        self.not_yet = frozenset(vocab.strings.add(word) for word in NOT_YET)
        self.unqualified = frozenset(vocab.strings.add(word) for word in UNQUALIFIED)
        self.quantifiers = frozenset(vocab.strings.add(word) for word in QUANTIFIERS)
        self.singular = frozenset(vocab.strings.add(word) for word in SINGULAR_DETERMINERS)
        self.cleared = frozenset(vocab.strings.add(word) for word in CLEARED)
        self.sentence_ends = frozenset(vocab.strings.add(mark) for mark in (".", "!", "?", ";"))
        self.question_mark = vocab.strings.add("?")
        self.brackets = (vocab.strings.add("("), vocab.strings.add(")"))
        self.clause_ends = self.sentence_ends | {vocab.strings.add(m) for m in (",", ":", "-")}
        self.conjunctions = frozenset(vocab.strings.add(w) for w in ("but", "and", "so", "or"))
        self.question_openers = frozenset(vocab.strings.add(w) for w in QUESTION_OPENERS)
        self.extension_words = frozenset(vocab.strings.add(w) for w in ("ext", "extension"))
        self.identifier_before = frozenset(vocab.strings.add(w) for w in IDENTIFIER_BEFORE)
        self.identifier_after = frozenset(vocab.strings.add(w) for w in IDENTIFIER_AFTER)
        self.arrow = [vocab.strings.add("-"), vocab.strings.add(">")]  # "ext 204 -> +1 416 ..."
        self.strings = vocab.strings
        self.actions = frozenset(vocab.strings.add(w) for w in ACTIONS)
        self.elsewhere = frozenset(vocab.strings.add(w) for w in ELSEWHERE)

    def __call__(self, doc: Doc) -> Doc:
        doc._.set(EXTENSION, self.find(doc))
        return doc

    def find(self, doc: Doc) -> tuple[Hit, ...]:
        if not len(doc):
            return ()
        table = columns(doc)  # the tokenizer's, without a `to_array` pass
        norms = table.norms
        doc._.set(LANGUAGE, function_words_language(norms, doc.vocab.strings))
        matches = self._matches(doc, norms, table.like_num, table.is_alpha)
        if not matches:
            return ()
        punct = table.is_punct
        kept = []
        for match in _longest_per_group(matches):
            name = match[0]
            if name in NEGATABLE and self._negated(match, norms, punct):
                continue  # "is not down"
            if name in NOT_YET_SIGNALS and self._not_yet(match, norms, punct):
                continue  # "until it's resolved"
            if name in CLEARABLE and self._cleared(match, norms, punct):
                continue  # "the carrier side looks healthy", "the status page is all green"
            if name == "workaround" and self._asked(match, norms):
                continue  # "is there any workaround?": asked for, so none is known
            if name == "one" and self._identifier(match, norms, table.like_num):
                continue  # "Internal ext. 4412", "9:14 ext 204 -> ...": a number, not a user
            if name == "unaffected" and not self._unqualified(match, norms, punct):
                if norms[match[1] - 1] in self.elsewhere:
                    continue  # "other cloud services work normally": not the provider's
                match = ("some", match[1], match[2])  # "1:1 calls are unaffected": a part works
            if name in ("some", "one") and self._acted_on(match, norms):
                continue  # "we rebooted the switch and a few phones": what the writer did
            if name == "device":
                match = self._device(match, norms)
                if match[0] == "unknown":
                    continue  # "every outbound fax", "fax delivery"
            kept.append(match)
        kept = [m for m in kept if m[0] != "account_role"]  # it only outweighed `account`
        kept = settle_time(kept, lambda: self._sentences(doc, table.orths, table.spaces))
        kept = _settle_customers(_settle_scope(_settle_breadth(_qualified_works(kept))))
        kept.sort(key=lambda match: (match[1], match[0]))
        # The phrase as written, from its tokens' ORTH and trailing space (a `Span` per hit,
        # or `doc.text`, costs more than the matching), written once per run of tokens (a
        # phrase repeated in the message is the same text); one `Hit` per signal and phrase.
        strings = doc.vocab.strings
        orths, spaces = table.orths, table.spaces
        hits = []
        seen: set[tuple[str, str]] = set()
        written: dict[tuple[int, ...], str] = {}
        for name, start, end in kept:
            tokens = (*orths[start:end], *spaces[start : end - 1])
            phrase = written.get(tokens)
            if phrase is None:
                phrase = written[tokens] = "".join(
                    strings[orths[i]] + (" " if spaces[i] and i < end - 1 else "")
                    for i in range(start, end)
                )
            key = (name, phrase.lower())
            if key not in seen:
                seen.add(key)
                hits.append(Hit(name, phrase, start))
        return tuple(hits)

    def _matches(self, doc: Doc, norms: list[int], nums: Column, alphas: Column) -> list[Match]:
        """Every phrase match, then every token-pattern match, as `(name, start, end)`."""
        names = self.names
        matches = [(names[key], start, end) for key, start, end in self.phrases(doc)]
        matches += self.patterns.match(norms, nums, alphas, doc)
        return matches

    def _sentences(self, doc: Doc, orths: list[int], spaces: list[int]) -> list[int]:
        """The sentence of each token (asked for only when a message says something recovered)."""
        offsets = doc.to_array([IDX, LENGTH])
        ends = [orth in self.sentence_ends for orth in orths]
        return sentences(offsets[:, 0].tolist(), offsets[:, 1].tolist(), spaces, ends)

    def _device(self, match: Match, norms: list[int]) -> Match:
        """A device noun is one device after "the", "our", "my"... ("our fax line") and not
        after "every", "any", "no" or alone ("every outbound fax", "fax delivery")."""
        _, start, end = match
        before = [norms[i] for i in range(max(start - 3, 0), start)]
        if any(n in self.quantifiers for n in before) or not any(
            n in self.singular for n in before
        ):
            return ("unknown", start, end)
        return ("one", start, end)

    def _asked(self, match: Match, norms: list[int]) -> bool:
        """True when a workaround is named in a question: its clause opens as one ("is there
        any workaround", "but can we forward the main number in the meantime") and ends with a
        question mark. The writer asks for one, so none is known; "we use our mobiles in the
        meantime." and "we use mobiles as a workaround, can you look?" state one."""
        # the first word of its clause, or of its sentence ("is there any workaround, like
        # forwarding the line in the meantime?"), conjunctions aside
        first, clause_first = 0, None
        for i in range(match[1] - 1, -1, -1):
            norm = norms[i]
            if norm in self.sentence_ends:
                break
            if norm in self.clause_ends:
                clause_first = first if clause_first is None else clause_first
            elif norm not in self.conjunctions:
                first = norm
        if not {first, clause_first or first} & self.question_openers:
            return False
        words, depth = 0, 0  # a bracketed aside ("(e.g. pointing MX at ...)") is skipped
        for i in range(match[2], len(norms)):
            norm = norms[i]
            if norm == self.brackets[0]:
                depth += 1
            elif norm == self.brackets[1] and depth:
                depth -= 1
            elif depth:
                continue
            elif norm == self.question_mark:
                return True
            elif norm in self.sentence_ends:
                return False
            words += 1
            if words > QUESTION_REACH:
                return False
        return False

    def _acted_on(self, match: Match, norms: list[int]) -> bool:
        """True when a few words before the part named stands what the writer did to it or
        checked with it ("we power-cycled the switch and a few phones", "I tried from my
        phone"): the things acted on, not how much is down."""
        start = match[1]
        return any(norms[i] in self.actions for i in range(max(start - ACTION_REACH, 0), start))

    def _identifier(self, match: Match, norms: list[int], nums: Column) -> bool:
        """True for an extension number that identifies rather than counts: in a contact line
        ("Internal ext. 4412", "555-0100 ext 12") or a sample call ("9:14 ext 204 -> ...").
        "Ext 118 has no dial tone" is still one user."""
        start, end = match[1], match[2]
        if norms[start] not in self.extension_words:
            return False
        before = norms[start - 1] if start else 0
        after = norms[end : end + 2]
        return (
            before in self.identifier_before
            or (start > 0 and (bool(nums[start - 1]) or self._clock_time(before)))
            or (bool(after) and after[0] in self.identifier_after)
            or after == self.arrow
        )

    def _clock_time(self, norm: int) -> bool:
        """ "9:14": a time of day (not `LIKE_NUM` for spaCy)."""
        return bool(CLOCK_TIME.match(self.strings[norm]))  # a token's NORM: always stored

    def _unqualified(self, match: Match, norms: list[int], punct: list[int]) -> bool:
        """ "Calls work normally" speaks of the service; "1:1 calls are unaffected" or "SIP
        calls work" of a part of it: the word before the service must not qualify it."""
        start = match[1]
        return start == 0 or bool(punct[start - 1]) or norms[start - 1] in self.unqualified

    def _cleared(self, match: Match, norms: list[int], punct: list[int]) -> bool:
        """True when the party a fault is put on is said to be healthy within a few words
        ("the carrier side looks healthy"): the fault is not there."""
        end = match[2]
        for i in range(end, min(end + CLEARED_GAP + 1, len(norms))):
            if norms[i] in self.cleared:
                return True
            if punct[i]:
                return False
        return False

    def _not_yet(self, match: Match, norms: list[int], punct: list[int]) -> bool:
        """True when "until", "once", "if"... stands at most three words before the match: a
        state the writer waits for ("I'll stay on until it's resolved"), not one reached."""
        start = match[1]
        for i in range(start - 1, max(start - 4, -1), -1):
            if punct[i]:
                return False
            if norms[i] in self.not_yet:
                return True
        return False

    def _negated(self, match: Match, norms: list[int], punct: list[int]) -> bool:
        """True when "not", "no", "never"... stands at most two words before the match (of a
        NEGATABLE signal: the caller checks)."""
        start = match[1]
        for i in range(start - 1, max(start - 3, -1), -1):
            if punct[i]:
                return False
            if norms[i] in self.negations:
                return True
        return False


def _longest_per_group(matches: list[Match]) -> list[Match]:
    """Overlapping matches of one group keep the longest: "some calls fail" (degraded) beats
    "calls fail" (outage), "no workaround" beats "workaround". Groups do not compete.
    (spaCy's `filter_spans` on tuples: longest first, then earliest.)"""
    groups: dict[str, list[Match]] = defaultdict(list)
    for match in matches:
        groups[GROUPS[match[0]]].append(match)
    kept: list[Match] = []
    for members in groups.values():
        if len(members) == 1:
            kept.append(members[0])
            continue
        taken: set[int] = set()
        for match in sorted(members, key=lambda m: (m[1] - m[2], m[1])):
            _, start, end = match
            if not taken.intersection(range(start, end)):
                kept.append(match)
                taken.update(range(start, end))
    return kept


def _qualified_works(matches: list[Match]) -> list[Match]:
    """A statement that something works ("phones are working intermittently", "calls work fine
    but drop after a minute") followed at once by trouble does not say it works."""
    works = [m for m in matches if m[0] in _WORKS_STATEMENTS]
    if not works:
        return matches
    trouble = [m[1] for m in matches if m[0] in ("outage", "degraded")]
    # "Internal calls are ok", "most calls are fine": a part works, not the service itself
    parts = [(m[1], m[2]) for m in works if m[0] in ("isolated", "alternative")]
    return [
        m
        for m in matches
        if m[0] not in _WORKS_STATEMENTS
        or (
            not any(m[1] <= start <= m[2] + 2 for start in trouble)
            and not (m[0] == "unaffected" and any(a <= m[1] < b for a, b in parts))
        )
    ]


_WORKS_STATEMENTS = frozenset({"unaffected", "isolated", "alternative", "production_ok"})


def _settle_breadth(matches: list[Match]) -> list[Match]:
    """At most one breadth. A stated majority ("70% of our customers", "nearly all users") is
    `all` whatever else works, unless a minority share is stated too ("10% fail, the other 90%
    work"); otherwise `isolated` ("the others are fine", "outbound calls work") rules out
    `all`. Another path that works (`alternative`: "manual scaling works", "deploy via URL
    instead") is both: the rest of the service works, and it is a workaround."""
    found: dict[str, list[Match]] = defaultdict(list)
    others: list[Match] = []
    corrections: list[int] = []
    for match in matches:
        if GROUPS[match[0]] == "breadth":
            found[match[0]].append(match)
        elif match[0] == "correction":
            corrections.append(match[1])
        else:
            others.append(match)
    if not found:
        return others
    alternative = found.get("alternative", [])
    others += [("workaround", start, end) for _, start, end in alternative]
    # What fails is the customer's main use ("SMS is our main product"): what else works does
    # not make the failure partial.
    isolated = [] if "core" in found else found.get("isolated", []) + alternative
    majority, minority = found.get("majority"), found.get("minority", [])
    one, every = found.get("one", []), found.get("all", [])
    some = found.get("some", []) + [("some", start, end) for _, start, end in minority]
    if majority and not one and not minority:
        return others + every + [("all", start, end) for _, start, end in majority]
    if isolated:
        if one:
            return others + one
        return others + some + [("some", start, end) for _, start, end in isolated]
    # "A few handsets ... Actually I just walked round: it's every phone": corrected
    if (
        every
        and some
        and any(max(m[1] for m in some) < c < max(m[1] for m in every) for c in corrections)
    ):
        return others + every
    if every and some:
        return others + some
    return others + (every or some or one)


def _settle_customers(matches: list[Match]) -> list[Match]:
    """Other customers of the provider said to be fine (`others_fine`) outweigh "widespread"
    evidence: a colleague at another client who is fine is the lead's first check."""
    names = {match[0] for match in matches}
    if "others_fine" not in names:
        return matches
    return [m for m in matches if m[0] not in ("others_fine", "widespread")]


def _settle_scope(matches: list[Match]) -> list[Match]:
    """Staging and production both mentioned: treat as production (never under-prioritise),
    unless the message says production itself is fine (`production_ok`: "production is
    untouched"), which is non-production however often "prod" is named."""
    names = {match[0] for match in matches}
    if "production_ok" in names:
        return [
            ("nonproduction", m[1], m[2]) if m[0] == "production_ok" else m
            for m in matches
            if m[0] != "production"
        ]
    if "production" in names and "nonproduction" in names:
        return [match for match in matches if match[0] != "nonproduction"]
    return matches


def signal_names(doc: Doc) -> frozenset[str]:
    return frozenset(hit.name for hit in doc._.get(EXTENSION))


if not Doc.has_extension(EXTENSION):
    Doc.set_extension(EXTENSION, default=())
if not Doc.has_extension(LANGUAGE):
    Doc.set_extension(LANGUAGE, default=ENGLISH)


@Language.factory("intake_signals")
def make_signal_tagger(nlp: Language, name: str) -> SignalTagger:
    return SignalTagger(nlp.vocab, nlp.make_doc)
