"""Where the classifier should not decide alone: other languages, weak or conflicting evidence,
and a mail client's priority flag that a confident reading outranks."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from classifier import Declared, Triage
from classifier.decide import NO_CLEAR_SIGNAL, decide
from classifier.evidence import Hit
from policies import Policy
from policies.triage import SEVERITIES, TriageRules, is_client_flag

NO_DIAL_TONE_FR = (
    "Plus de tonalité sur tous les postes",
    "Bonjour, depuis ce matin nous n'avons plus de tonalité sur tous les postes. Merci de nous "
    "rappeler au plus vite.",
)
PRODUCTION_OUTAGE = (
    "Production down",
    "Our production Restcomm cluster is down, every call fails with 503 for all customers.",
)


@pytest.mark.parametrize(
    ("subject", "body", "language"),
    [
        (*NO_DIAL_TONE_FR, "French"),
        ("Keine Verbindung", "Hallo, seit heute morgen sind alle unsere Telefone tot.", "German"),
        ("Sin tono", "Hola, no hay tono en ninguno de los teléfonos desde esta mañana.", "Spanish"),
        ("Сбой", "Не работает телефония во всем офисе с утра", "Cyrillic"),
    ],
)
def test_other_languages_are_flagged_at_the_policys_unreadable_level(
    triage: Triage, policies: dict[str, Policy], subject: str, body: str, language: str
) -> None:
    for policy in policies.values():
        proposal = triage.propose(policy, subject, body)
        assert proposal.priority == policy.triage.unreadable_level, policy.name
        assert proposal.effective == proposal.priority
        assert proposal.needs_human is not None and language in proposal.needs_human
        assert any(language in reason for reason in proposal.reasons)
        assert any(reason.startswith("needs human triage") for reason in proposal.reasons)
        assert NO_CLEAR_SIGNAL not in proposal.reasons


def test_the_issues_french_message_is_not_silently_the_lowest(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    policy = policies["threepbx"]
    proposal = triage.propose(policy, *NO_DIAL_TONE_FR)
    assert proposal.priority != policy.priorities[-1].id
    assert "French" in proposal.reasons[0]


@pytest.mark.parametrize(
    "text",
    [
        "PBX down",
        "URGENT",
        "Café del Mar office: all our phones are down since this morning",
        "Hi, the portal shows 'la connexion a échoué' when we log in. Can you check?",
        "Our SIP trunk is down, de facto nothing works for the whole office",
    ],
)
def test_english_with_foreign_words_is_read(
    triage: Triage, policies: dict[str, Policy], text: str
) -> None:
    proposal = triage.propose(policies["threepbx"], "", text)
    assert proposal.needs_human is None or "written in" not in proposal.needs_human


def test_a_declared_level_in_another_language_still_stands(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    proposal = triage.propose(policies["restcomm-standard"], *NO_DIAL_TONE_FR, declared="P1")
    assert proposal.effective == "P1"
    assert proposal.needs_human is not None


def test_weak_specific_evidence_is_flagged_at_the_uncertain_level(
    policies: dict[str, Policy],
) -> None:
    policy = policies["msp"]
    flat = dict.fromkeys(SEVERITIES, 1 / (len(SEVERITIES) - 1))
    flat["unclear"] = 0.0
    hits = [Hit("outage", "down", 3), Hit("question", "how do I", 0)]
    proposal = decide(policy, flat, hits)
    assert proposal.priority == policy.triage.uncertain_level
    assert proposal.needs_human is not None and "uncertain" in proposal.needs_human
    assert proposal.reasons[-1].startswith("needs human triage")


def test_confident_proposals_need_no_human(triage: Triage, policies: dict[str, Policy]) -> None:
    proposal = triage.propose(policies["restcomm-standard"], *PRODUCTION_OUTAGE)
    assert proposal.needs_human is None


@pytest.mark.parametrize("name", ["restcomm-standard", "restcomm-premium", "jelastic", "threepbx"])
def test_a_confident_higher_proposal_outranks_a_mail_clients_flag(
    triage: Triage, policies: dict[str, Policy], name: str
) -> None:
    policy = policies[name]
    flagged = policy.match_declared(["x-priority:1"])
    assert flagged is not None and flagged != policy.priorities[0].id  # the header maps lower
    proposal = triage.propose(policy, *PRODUCTION_OUTAGE, declared=Declared(flagged, True))
    assert proposal.priority == policy.priorities[0].id
    assert proposal.confidence >= (policy.triage.outrank_client_flags_at or 1.0)
    assert proposal.effective == proposal.priority
    assert proposal.reclassified is not None
    assert "mail client" in proposal.reclassified and f"raised to {proposal.priority}" in (
        proposal.reclassified
    )


def test_a_deliberate_declaration_is_not_outranked(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    policy = policies["restcomm-standard"]
    for declared in ("P2", Declared("P2", client_flag=False)):
        proposal = triage.propose(policy, *PRODUCTION_OUTAGE, declared=declared)
        assert (proposal.priority, proposal.effective) == ("P1", "P2")
        assert proposal.reclassified is None


def test_without_the_policy_field_flags_stand(triage: Triage, policies: dict[str, Policy]) -> None:
    policy = policies["restcomm-standard"]
    triage_rules = policy.triage.model_copy(update={"outrank_client_flags_at": None})
    policy_without = _with_triage(policy, triage_rules)
    proposal = triage.propose(policy_without, *PRODUCTION_OUTAGE, declared=Declared("P2", True))
    assert proposal.effective == "P2"


def test_the_gateway_passes_header_flags_as_flags(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    from gateway.triage import ClassifierProposer

    proposer = ClassifierProposer(triage)
    policy = policies["restcomm-standard"]
    by_header = proposer.decide(policy, *PRODUCTION_OUTAGE, ("x-priority:1", "importance:high"))
    assert (by_header.declared, by_header.effective) == ("P2", "P1")
    assert by_header.reclassified is not None and "mail client" in by_header.reclassified
    by_subject = proposer.decide(policy, *PRODUCTION_OUTAGE, ("P2", "x-priority:1"))
    assert (by_subject.declared, by_subject.effective) == ("P2", "P2")
    french = proposer.decide(policy, *NO_DIAL_TONE_FR, ())
    assert french.needs_human is not None
    assert french.reasons[-1].startswith("needs human triage")


def test_client_flags_are_header_hints_only() -> None:
    for hint in ("x-priority:1", "importance:high", "priority:urgent", "x-msmail-priority:high"):
        assert is_client_flag(hint)
    for hint in ("P1", "urgent", "Priority:1", "Sev 1", "priority: 1", "high"):
        assert not is_client_flag(hint)


def test_triage_levels_are_checked_and_fields_strict() -> None:
    rules = TriageRules(unreadable_level="P9", uncertain_level="P1")
    assert rules.check_levels(["P1", "P2"]) == ["triage.unreadable_level: unknown level 'P9'"]
    with pytest.raises(ValidationError):
        TriageRules.model_validate({"unreadable": "P1"})
    with pytest.raises(ValidationError):
        TriageRules(outrank_client_flags_at=1.5)


def _with_triage(policy: Policy, rules: TriageRules) -> Policy:
    import copy

    clone = copy.copy(policy)
    clone.triage = rules
    return clone


def test_conflicting_readings_keep_the_likelier_level_and_ask_a_person(
    policies: dict[str, Policy],
) -> None:
    policy = policies["threepbx"]
    split = dict.fromkeys(SEVERITIES, 0.0)
    split["outage"], split["question"] = 0.55, 0.45
    hits = [Hit("outage", "no dial tone", 3), Hit("all", "every phone", 6)]
    hits.append(Hit("question", "how do I", 0))
    proposal = decide(policy, split, hits)
    assert proposal.priority == "P1"
    assert proposal.needs_human is not None and "conflicting" in proposal.needs_human
    assert "P4" in proposal.needs_human
    clear = dict.fromkeys(SEVERITIES, 0.0)
    clear["outage"], clear["question"] = 0.9, 0.1
    assert decide(policy, clear, hits).needs_human is None


def test_contradicting_signals_ask_a_person_at_least_at_the_uncertain_level(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "The outage from this morning is resolved, thanks. Actually no: calls are failing "
        "again right now for the whole office."
    )
    policy = policies["threepbx"]
    proposal = triage.propose(policy, "Re: outage", body)
    assert proposal.needs_human is not None
    assert "conflicting signals" in proposal.needs_human
    assert "'is resolved'" in proposal.needs_human
    ranks = {p.id: i for i, p in enumerate(policy.priorities)}
    assert ranks[proposal.priority] <= ranks[policy.triage.uncertain_level or "P4"]
    assert proposal.reasons[-1].startswith("needs human triage (conflicting signals")
