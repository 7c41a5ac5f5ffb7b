"""The rule components find the seeds' signals, and reasons quote the phrases that drove them."""

from __future__ import annotations

import pytest

from classifier import Triage
from classifier.lexicon import GROUPS, INTERNAL, LABELS, PATTERNS, PHRASES
from policies import Policy
from policies.triage import SIGNALS


@pytest.fixture(scope="module")
def signals_of(triage: Triage):  # type: ignore[no-untyped-def]
    def find(text: str) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for hit in triage.nlp(text)._.intake_signals:
            found.setdefault(hit.name, []).append(hit.phrase)
        return found

    return find


def test_every_signal_of_the_schema_has_evidence_and_a_label() -> None:
    for name in SIGNALS:
        assert name in PHRASES or name in PATTERNS, name
        assert name in LABELS, name
        assert name in GROUPS, name
    assert set(PHRASES) | set(PATTERNS) <= set(SIGNALS) | INTERNAL


def test_reasons_quote_the_phrases(triage: Triage, policies: dict[str, Policy]) -> None:
    proposal = triage.propose(
        policies["threepbx"], "No dial tone", "There is no dial tone on every desk phone."
    )
    assert proposal.priority == "P1"
    reasons = [reason.lower() for reason in proposal.reasons]
    assert "'no dial tone' (outage)" in reasons
    assert "'every desk phone' (affects everyone)" in reasons
    staging = triage.propose(policies["restcomm-standard"], "", "The staging server is down.")
    assert any(
        r.startswith("mentions 'staging") and r.endswith("(non-production)")
        for r in staging.reasons
    )
    assert any(r.startswith("would be P1: fatal errors") for r in staging.reasons)
    assert any(r.startswith("at most P3: Priority 1 does not include") for r in staging.reasons)


def test_scope(signals_of) -> None:  # type: ignore[no-untyped-def]
    assert "nonproduction" in signals_of("Our QA environment crashed")
    assert "nonproduction" in signals_of("The test server is down, production is okay")
    assert "nonproduction" in signals_of("on the pre-production environment")
    both = signals_of("It worked in staging but now production is down")
    assert "production" in both and "nonproduction" not in both


def test_breadth_is_settled_to_one_value(signals_of) -> None:  # type: ignore[no-untyped-def]
    assert "all" in signals_of("Nobody can make calls, all of our users are affected")
    assert "some" in signals_of("Calls to some area codes fail")
    assert "one" in signals_of("Kevin's phone has no dial tone")
    isolated = signals_of("The front desk phone is dead. All the other phones work.")
    assert "one" in isolated and "all" not in isolated
    not_all = signals_of("Not all users are affected")
    assert "some" in not_all and "all" not in not_all


def test_negation_cancels_an_outage_word(signals_of) -> None:  # type: ignore[no-untyped-def]
    assert "outage" in signals_of("The server is down")
    assert "outage" not in signals_of("Nothing is down, it is not an outage")
    assert "outage" in signals_of("Callers can't make calls")
    assert "outage" in signals_of("None of our phones work")


def test_impact_and_topics(signals_of) -> None:  # type: ignore[no-untyped-def]
    assert "degraded" in signals_of("Calls drop intermittently and audio is choppy")
    assert "question" in signals_of("How do I export call records?")
    assert "request" in signals_of("Feature request: please add a dark mode")
    assert "scheduled" in signals_of("Please schedule the upgrade for next Tuesday")
    assert "trivial" in signals_of("Purely cosmetic, no rush")
    assert "account" in signals_of("I'm locked out, please reset my password")
    assert "setup" in signals_of("Please set up a ring group")
    assert "dotnet" in signals_of("Our ASP.NET app and the MS-SQL node")
    found = signals_of("There is no workaround")
    assert "no_workaround" in found and "workaround" not in found
