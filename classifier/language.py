"""Which language a message is written in, as far as triage needs to know: can the English
reader read it?

A stopword-ratio detector, on purpose. Function words ("the", "and", "de", "les", "und") make
up a third to a half of any running text, and they are enough to tell English from the other
languages support mail arrives in; letters outside the Latin script name the script instead.
The candidates on PyPI were weighed: py3langid (well kept, 97 languages) spends 0.9 s
decompressing its model at load, half the classifier's whole load budget; lingua is hundreds of
megabytes; the fastText detectors download their model at run time. None answers the narrow
question better than a 10 µs count. A text too short to judge ("PBX down", "URGENT") is
taken as readable: its words are what the lexicon matches anyway.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from spacy.strings import StringStore, get_string_id

SAMPLE_CHARS = 800  # the subject and first paragraphs say it; long logs would only cost time
SAMPLE_TOKENS = 160
MIN_STOPWORDS = 3  # fewer distinct function words than this: too short to judge
MIN_ALONE = 2  # ... unless there is not one English function word beside them
DOMINANCE = 2.0  # another language must have this many times English's function words


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The most frequent function words of each language, ones that are not also common English
# words ("a", "in", "to", "do", "an" are left out where they would blur the count).
STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and is are was were be been have has had not no our we you your this that these "
        "those of for with from on at it its they their there what when where which who how can "
        "cannot can't don't doesn't isn't won't will would should could please any all since "
        "after before but or if so just some one every none phone phones calls call down "
        "working work still again today yesterday morning hi hello thanks thank"
    ),
    "fr": _words(
        "le la les des du de un une et est sont pas plus sur dans pour avec nous vous ils elles "
        "mais ou où qui que quoi ce cette ces notre nos votre vos leur aucun aucune depuis tous "
        "toutes tout bonjour merci ne n'est c'est il y été être avons avez très encore "
        "fonctionne marche appel appels poste postes"
    ),
    "de": _words(
        "der die das den dem des ein eine einen und ist sind nicht kein keine mit von für auf "
        "bei wir ihr sie unser unsere ihre seit alle allen noch auch aber oder wenn dass hallo "
        "danke bitte ich mich uns funktioniert geht telefon telefone anruf anrufe heute morgen"
    ),
    "es": _words(
        "el la los las un una unos y es son está están no hay con para por del al que en "
        "nuestro nuestra nuestros sus desde todos todas ningún ninguna pero muy hola gracias "
        "necesito tenemos hablar alguien funciona llamadas llamada teléfono teléfonos tono"
    ),
    "it": _words(
        "il lo la gli le un una uno e è sono non c'è con per del della dei delle che di nostro "
        "nostra nostri tutti tutte nessun nessuna ma molto ciao grazie buongiorno funziona "
        "chiamate chiamata telefono telefoni"
    ),
    "pt": _words(
        "o os as um uma e é são não há com para por do da dos das que em no na nosso nossa "
        "todos todas nenhum nenhuma mas muito olá obrigado obrigada funciona chamadas chamada "
        "telefone telefones"
    ),
    "nl": _words(
        "de het een en is zijn niet geen met voor van op bij wij we jullie onze ons sinds alle "
        "nog ook maar of als dat hallo bedankt graag werkt telefoon telefoons gesprekken "
        "vandaag"
    ),
}
NAMES = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
}
# Each language's function words as string ids (spaCy's NORM hashes).
_KEYS: dict[str, frozenset[int]] = {
    code: frozenset(get_string_id(word) for word in words) for code, words in STOPWORDS.items()
}
# Scripts English is never written in, by Unicode block: (first, last, name).
SCRIPTS = (
    (0x0370, 0x03FF, "Greek"),
    (0x0400, 0x052F, "Cyrillic"),
    (0x0590, 0x05FF, "Hebrew"),
    (0x0600, 0x06FF, "Arabic"),
    (0x0900, 0x097F, "Devanagari"),
    (0x0E00, 0x0E7F, "Thai"),
    (0x3040, 0x30FF, "Japanese"),
    (0x4E00, 0x9FFF, "Chinese"),
    (0xAC00, 0xD7AF, "Korean"),
)


@dataclass(frozen=True, slots=True)
class Reading:
    """What the detector saw: `language` is a name ("French") when not English, else None."""

    language: str | None
    evidence: str = ""  # a few of the words (or the script) it went by

    @property
    def readable(self) -> bool:
        return self.language is None


ENGLISH = Reading(None)


def read_language(text: str, norms: Sequence[int], strings: StringStore) -> Reading:
    """English (or too short to tell), or the language or script `text` is written in; `norms`
    are its tokens' NORM ids, `strings` the vocabulary's string store."""
    return foreign_script(text) or function_words_language(norms, strings)


def function_words_language(norms: Sequence[int], strings: StringStore) -> Reading:
    """English unless another language's function words clearly outnumber English's."""
    present = set(norms[:SAMPLE_TOKENS])
    foreign = len(_FOREIGN.intersection(present))
    if foreign < MIN_ALONE:  # most mail: English, one look
        return ENGLISH
    # No other language has more function words here than all of them together: when even
    # that many would not outweigh English, English it is, without counting language by
    # language ("is", "no", "of", "we" are English and Dutch or Spanish function words).
    english = len(_KEYS["en"].intersection(present))
    if foreign < (MIN_ALONE if english == 0 else MIN_STOPWORDS) or foreign < DOMINANCE * english:
        return ENGLISH
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


def foreign_script(text: str) -> Reading | None:
    """The script most letters are written in, when it is not Latin."""
    sample = text[:SAMPLE_CHARS]
    if sample.isascii():
        return None
    found = {name: len(pattern.findall(sample)) for name, pattern in _SCRIPT_PATTERNS}
    name = max(found, key=lambda n: found[n])
    letters = sum(1 for ch in sample if ch.isalpha())
    if found[name] * 2 > letters:
        return Reading(name, f"{name} script")
    return None


_SCRIPT_PATTERNS = tuple(
    (name, re.compile(f"[{chr(first)}-{chr(last)}]")) for first, last, name in SCRIPTS
)
# Every other language's function words at once: fewer than `MIN_ALONE` of them in a text
# settles it as English without counting language by language.
_FOREIGN = frozenset().union(*(keys for code, keys in _KEYS.items() if code != "en"))
