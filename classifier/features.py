"""The text categorizer's model: spaCy's bag-of-words classifier, over NORM n-grams plus signals.

spaCy's own `TextCatBOW` hashes ORTH n-grams, so "URGENT" and "urgent" or "can't" and "cannot"
are different features. This architecture hashes NORM n-grams instead, and adds one feature per
impact or topic signal the rule component found (`doc._.intake_signals`). The learned weight of
a signal is shared by every phrase of its lexicon, which is how a phrasing the training set never
used ("fast busy", "dead air") still counts as evidence.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from spacy.attrs import LIKE_NUM, NORM
from spacy.ml.models.textcat import resize_and_set_ref
from spacy.strings import get_string_id
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Logistic, Model, SparseLinear_v2, chain, resizable, softmax_activation
from thinc.layers.resizable import resize_linear_weighted
from thinc.types import Floats2d

from classifier.signals import EXTENSION

# Signals that say something about severity. Breadth and scope are left to the policy's rules:
# a staging outage is still an outage, and "everyone" does not make a question urgent.
FEATURE_SIGNALS = (
    "outage", "degraded", "minor", "trivial", "question", "request", "scheduled", "fault",
    "account", "setup", "portal", "regression", "resolved", "monitoring", "unaffected",
    "workaround",
)  # fmt: skip
SIGNAL_KEYS = {name: get_string_id(f"__signal_{name}__") for name in FEATURE_SIGNALS}
# Every number is one feature: phone numbers, times and error codes should not be learned as
# words ("555" is in every voicemail; "503" is evidence only through the lexicon).
NUMBER_KEY = get_string_id("__number__")
NEG_VALUE = -5000


def signal_ngrams(ngram_size: int) -> Model:
    return Model("signal_ngrams", _signal_ngrams_forward, attrs={"ngram_size": ngram_size})


def _signal_ngrams_forward(model: Model, docs: list[Doc], is_train: bool) -> tuple[Any, Any]:
    ops = model.ops
    xp = ops.xp
    batch_keys = []
    batch_vals = []
    for doc in docs:
        columns = doc.to_array([NORM, LIKE_NUM])
        number = xp.asarray(NUMBER_KEY, dtype="uint64")
        unigrams = ops.asarray(xp.where(columns[:, 1] > 0, number, columns[:, 0]))
        parts = [unigrams]
        for n in range(2, model.attrs["ngram_size"] + 1):
            parts.append(ops.ngrams(n, unigrams))  # type: ignore[arg-type]
        signals = [SIGNAL_KEYS[hit.name] for hit in doc._.get(EXTENSION) if hit.name in SIGNAL_KEYS]
        parts.append(xp.asarray(signals, dtype="uint64"))
        keys, vals = xp.unique(xp.concatenate(parts), return_counts=True)
        batch_keys.append(keys)
        batch_vals.append(vals)
    lengths = ops.asarray([len(keys) for keys in batch_keys], dtype="int32")
    keys = xp.concatenate(batch_keys) if batch_keys else xp.zeros((0,), dtype="uint64")
    vals = ops.asarray(xp.concatenate(batch_vals), dtype="f") if batch_vals else ops.alloc1f(0)

    def backprop(d_output: Any) -> list[Any]:
        return []

    return (keys, vals, lengths), backprop


@registry.architectures("intake.SignalBOW.v1")
def build_signal_bow(
    exclusive_classes: bool, ngram_size: int, length: int, nO: int | None = None
) -> Model[list[Doc], Floats2d]:
    """Same shape as spaCy's `TextCatBOW.v3`, with `signal_ngrams` as the feature extractor."""
    length = 2 ** (length - 1).bit_length()
    sparse_linear = SparseLinear_v2(nO=nO, length=length)
    fill_defaults = {"b": NEG_VALUE, "W": 0}
    resizable_layer: Model = resizable(
        sparse_linear, resize_layer=partial(resize_linear_weighted, fill_defaults=fill_defaults)
    )
    output_layer = softmax_activation() if exclusive_classes else Logistic()
    model: Model = chain(signal_ngrams(ngram_size), resizable_layer, output_layer)
    if nO is not None:
        model.set_dim("nO", nO)
    model.set_ref("output_layer", sparse_linear)
    model.attrs["multi_label"] = not exclusive_classes
    model.attrs["resize_output"] = partial(resize_and_set_ref, resizable_layer=resizable_layer)
    return model
