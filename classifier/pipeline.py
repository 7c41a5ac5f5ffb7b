"""Build, save and load the spaCy pipeline: `spacy.blank("en")` + signals + text categorizer.

Nothing is downloaded: the tokenizer is ours (`classifier/tokenizer.py`, on `spacy.blank("en")`'s
vocabulary), the rules are in `classifier/lexicon.py`, and the trained weights live in
`classifier/model/` (about 2 MB).
"""

from __future__ import annotations

import logging
from pathlib import Path

import spacy
from spacy.language import Language

import classifier.features  # registers the "intake.SignalBOW.v1" architecture
import classifier.signals  # registers the "intake_signals" component
import classifier.tokenizer  # registers the "intake.Tokenizer.v1" tokenizer
from classifier.locations import MODEL_DIR
from policies.triage import SEVERITIES

log = logging.getLogger(__name__)

TEXTCAT_CONFIG = {
    "model": {
        "@architectures": "intake.SignalBOW.v1",
        "exclusive_classes": True,
        "ngram_size": 2,
        "length": 2**16,
    }
}

assert classifier.features and classifier.signals and classifier.tokenizer  # registrations


def rules_pipeline() -> Language:
    """The untrained part: tokenizer and signal rules."""
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "intake.Tokenizer.v1"}}})
    nlp.add_pipe("intake_signals")
    return nlp


def new_pipeline() -> Language:
    """Rules plus an untrained text categorizer over the severity classes."""
    nlp = rules_pipeline()
    textcat = nlp.add_pipe("textcat", config=TEXTCAT_CONFIG)
    for label in SEVERITIES:
        textcat.add_label(label)  # type: ignore[attr-defined]
    return nlp


def has_model(path: Path = MODEL_DIR) -> bool:
    return (path / "config.cfg").is_file() and (path / "textcat").is_dir()


def load_pipeline(path: Path = MODEL_DIR) -> tuple[Language, bool]:
    """The trained pipeline from `path`, or the rules alone when there is none (flag False)."""
    if not has_model(path):
        log.warning("no trained triage model in %s: proposing from rules only", path)
        return rules_pipeline(), False
    return spacy.load(path), True
