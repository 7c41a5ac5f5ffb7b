"""The graded sets as training data: a lead's level turned back into a severity, and the loader
that adds the spent blind sets A-G to the training rows."""

from __future__ import annotations

import pytest

from classifier.locations import GRADED_FILES, HELDOUT_FILE, STRESS_FILE
from classifier.training.dataset import Row, read_rows
from classifier.training.graded import (
    choose_severity,
    derive_severities,
    fitting_severities,
    kind_severity,
)
from policies import Policy
from policies.triage import SEVERITIES, TriageCap, TriageRule, TriageRules


@pytest.fixture(scope="module")
def contract(policies: dict[str, Policy]) -> Policy:
    """Jelastic's levels L1-L4 with a mapping written here, so these tests do not move when
    the shipped `[triage]` tables are tuned."""
    rules = TriageRules(
        rules=(
            TriageRule(signals=("rfo",), level="L3"),
            TriageRule(severity=("outage",), unless=("one",), level="L1"),
            TriageRule(severity=("outage", "degraded"), level="L2"),
            TriageRule(severity=("minor",), level="L3"),
            TriageRule(severity=("trivial", "question", "request", "scheduled"), level="L4"),
        ),
        caps=(TriageCap(signals=("dotnet",), highest="L2"),),
    )
    return with_rules(policies["jelastic"], rules)


def with_rules(policy: Policy, rules: TriageRules) -> Policy:
    return Policy(policy.spec.model_copy(update={"triage": rules}), "test")


@pytest.fixture(scope="module")
def nlp():  # type: ignore[no-untyped-def]
    from classifier.pipeline import rules_pipeline

    return rules_pipeline()


def test_the_severities_that_give_a_level(contract: Policy) -> None:
    assert fitting_severities(contract, "L4", frozenset()) == [
        "trivial",
        "question",
        "request",
        "scheduled",
    ]
    assert fitting_severities(contract, "L2", {"one"}) == ["outage", "degraded"]
    assert fitting_severities(contract, "L1", set()) == ["outage"]
    # a report on an outage that is over is L3 whatever its severity
    assert fitting_severities(contract, "L3", {"rfo"}) == [s for s in SEVERITIES if s != "unclear"]
    # the contract's cap rules the level out: nothing explains it
    assert fitting_severities(contract, "L1", {"dotnet"}) == []
    assert fitting_severities(contract, "L1", {"dotnet"}, caps=False) == ["outage"]


def test_unclear_only_when_nothing_else_gives_the_level(contract: Policy) -> None:
    default = contract.default_priority.id
    fits = fitting_severities(contract, default, frozenset())
    assert fits and "unclear" not in fits
    only_unclear = with_rules(contract, TriageRules(rules=(TriageRule(level="L1"),)))
    if default != "L1":
        assert fitting_severities(only_unclear, default, frozenset()) == ["unclear"]


@pytest.mark.parametrize(
    ("kind", "severity"),
    [
        ("voicemail/how-to", "question"),
        ("howto", "question"),
        ("calm-outage", "outage"),
        ("buried-outage", "outage"),
        ("partial-outage", "degraded"),
        ("intermittent", "degraded"),
        ("shouting-trivial", "trivial"),
        ("shouting-not-urgent", "trivial"),
        ("feature-request", "request"),
        ("sms/scheduled", "scheduled"),
        ("workaround-available", "minor"),
        ("past-rfo", None),
        ("resolved-on-top", None),
        (None, None),
    ],
)
def test_the_kind_names_a_severity(kind: str | None, severity: str | None) -> None:
    assert kind_severity(kind) == severity


def test_several_severities_fit_the_kind_then_the_evidence_chooses() -> None:
    fits = ["trivial", "question"]
    assert choose_severity(fits, "how-to", {"trivial": 0.9}) == "question"
    assert choose_severity(fits, None, {"question": 0.6, "trivial": 0.4}) == "question"
    assert choose_severity(fits, "past-rfo", {"trivial": 0.5, "request": 0.5}) == "trivial"
    # the kind names a severity that does not give the level: the evidence decides
    assert choose_severity(fits, "calm-outage", {"question": 1.0}) == "question"
    # no evidence at all: the scale's order
    assert choose_severity(fits, None, {"unclear": 1.0}) == "trivial"
    assert choose_severity([], "how-to", {}) is None


def row(policy: str, level: str, subject: str, body: str, kind: str | None = None) -> Row:
    return Row(policy, level, None, "email", subject, body, kind=kind)


def test_graded_rows_get_a_severity_or_are_dropped_and_counted(contract: Policy, nlp) -> None:  # type: ignore[no-untyped-def]
    rows = [
        # the set numbers Jelastic's levels "P1".."P4": read as L1..L4
        row("jelastic", "P1", "Everything down", "All our environments are down, nothing works."),
        row("jelastic", "L4", "Question", "How do I add a custom domain?", kind="how-to"),
        # the .NET cap rules L1 out: dropped, not forced onto a severity
        row("jelastic", "L1", "IIS", "Our IIS sites are down for all users, nothing works."),
        row(
            "jelastic",
            "L2",
            "Panne",
            "Bonjour, notre application ne fonctionne plus depuis "
            "ce matin, et nous ne pouvons pas travailler. Merci de nous aider.",
        ),
        row("jelastic", "L3", "", "   "),
        row("no-such-contract", "P1", "Down", "Everything is down"),
        row("jelastic", "P9", "Down", "Everything is down"),
    ]
    derived = derive_severities(nlp, rows, {"jelastic": contract})
    assert [(r.level, r.severity) for r in derived.rows] == [("L1", "outage"), ("L4", "question")]
    assert derived.dropped == {
        "no severity gives the level": 1,
        "another language": 1,
        "nothing to read": 1,
        "unknown policy": 1,
        "unknown level": 1,
    }
    assert derived.dropped_total == 5


def test_the_graded_sets_are_a_training_source() -> None:
    from classifier.training.train import GRADED_WEIGHT, graded_rows, shipped_rows

    assert [name for name, _ in GRADED_FILES] == list("ABCDEFG")
    assert all(path.exists() for _, path in GRADED_FILES)
    graded = graded_rows([path for _, path in GRADED_FILES])
    total = sum(len(read_rows(path)) for _, path in GRADED_FILES)
    assert len(graded.rows) + graded.dropped_total == total
    assert graded.dropped_total < total * 0.1  # most of what a lead labelled is explained
    assert all(r.severity in SEVERITIES for r in graded.rows)
    assert graded == graded_rows([path for _, path in GRADED_FILES])  # no model involved

    rows = shipped_rows(graded_weight=2)
    bodies = [r.body for r in rows]
    for kept in graded.rows[:50]:
        assert bodies.count(kept.body) >= 2
    shipped = {r.body for r in shipped_rows()}
    assert (graded.rows[0].body in shipped) == (GRADED_WEIGHT > 0)
    # the project's own held-out files are never trained on
    never = {r.body for path in (HELDOUT_FILE, STRESS_FILE) for r in read_rows(path)}
    assert not never & set(bodies)
