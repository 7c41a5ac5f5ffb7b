"""Odd input never makes the classifier fail: it proposes a level of the policy, bounded."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier import Triage
from classifier.text import MAX_CHARS, clean, compose
from policies import Policy

GARBAGE = bytes(range(256)) * 40

ODD = {
    "megabyte": ("Log", "ERROR connection reset by peer\n" * 35_000),
    "one huge token": ("x" * 10_000, "y" * 1_000_000),
    "non-English": ("Störung", "Alle Telefone sind tot, niemand kann telefonieren. 电话都坏了。"),
    "html": (
        "<b>Down</b>",
        "<html><style>p{color:red}</style><script>alert(1)</script><p>The phones&nbsp;are "
        "<i>down</i> &amp; nobody can call</p><br/><div>no dial tone</div></html>",
    ),
    "binary latin-1": ("\x00\x01", GARBAGE.decode("latin-1")),
    "binary replaced": ("", GARBAGE.decode("utf-8", "replace")),
    "nul bytes": ("no\x00dial\x00tone", "phones\x00are\x00down" * 100),
    "only emoji": ("🔥🔥🔥", "😱📞❌" * 50),
    "lone surrogates": ("\ud800", "phones down \udfff"),
    "control characters": ("\x1b[31mALERT\x1b[0m", "\x07\x08\x0b\x0c\x7f" * 200),
    "right-to-left": ("مشكلة", "الهواتف لا تعمل"),
}


@pytest.mark.parametrize("case", sorted(ODD))
def test_odd_input_never_raises(triage: Triage, policies: dict[str, Policy], case: str) -> None:
    subject, body = ODD[case]
    for policy in policies.values():
        proposal = triage.propose(policy, subject, body, declared="\x00garbage")
        levels = {p.id for p in policy.priorities}
        assert proposal.priority in levels
        assert proposal.effective in levels
        assert 0.0 <= proposal.confidence <= 1.0
        assert all(isinstance(reason, str) for reason in proposal.reasons)


def test_html_remnants_are_read_as_text(triage: Triage, policies: dict[str, Policy]) -> None:
    proposal = triage.propose(policies["threepbx"], *ODD["html"])
    assert proposal.priority == "P1"
    assert any("no dial tone" in reason for reason in proposal.reasons)


def test_text_is_bounded() -> None:
    text = compose("subject", "word " * 1_000_000)
    assert len(text) <= MAX_CHARS
    assert clean("a\x00b\x1fc") == "a b c"
    assert clean("&lt;b&gt; &amp; <i>x</i>") == "<b> & x"


def test_batches_mix_odd_and_normal_messages_in_order(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    policy = policies["threepbx"]
    items = [
        ("", ""),
        ("No dial tone", "every desk phone is dead"),
        ("🔥", "🔥"),
        ("Q", "How do I?"),
    ]
    proposals = triage.propose_many(policy, items)
    assert [p.priority for p in proposals] == ["P4", "P1", "P4", "P4"]


@settings(max_examples=150, deadline=None)
@given(subject=st.text(max_size=200), body=st.text(max_size=2000))
def test_any_text_gets_a_valid_proposal(triage: Triage, subject: str, body: str) -> None:
    from policies import load_policy

    policy = load_policy("msp")
    proposal = triage.propose(policy, subject, body)
    assert proposal.priority in {p.id for p in policy.priorities}
    assert 0.0 <= proposal.confidence <= 1.0
