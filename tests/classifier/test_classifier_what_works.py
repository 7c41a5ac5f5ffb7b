"""Round 3 of issue 15: what a lead reads beside the failure. What still works (the rest of the
service, another way in, the service itself), whether a number is a share of users or a reading,
whose fault it is by the carrier's own word, and who else is hit. The messages are written for
these tests, not taken from the evaluation sets."""

from __future__ import annotations

from classifier import Triage
from classifier.evidence import Hit
from policies import Policy


def names(triage: Triage, text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for hit in triage.analyse([text])[0][1]:
        found.setdefault(hit.name, []).append(hit.phrase)
    return found


def rank(policy: Policy, level: str) -> int:
    return [p.id for p in policy.priorities].index(level)


def test_a_reading_is_not_a_share_of_users(triage: Triage) -> None:
    found = names(triage, "Alert: disk 97% full on media node 2, answer-seizure ratio 3.5%.")
    assert not {"all", "some"} & set(found)
    assert "all" in names(triage, "About 80% of our subscribers cannot register since noon.")
    assert "some" in names(triage, "Roughly 15 % of calls fail with a 486.")


def test_one_customer_is_not_many_customers(triage: Triage) -> None:
    found = names(triage, "One customer of ours has their shop site down, a 502 on every page.")
    assert "widespread" not in found
    assert "widespread" in names(triage, "Twelve customers called: their sites are down.")


def test_naming_the_production_system_is_not_saying_it_is_spared(triage: Triage) -> None:
    found = names(triage, "Production: calls connect fine but no recordings are written.")
    assert "nonproduction" not in found
    spared = names(
        triage, "The QA cluster upgrade broke. Prod untouched; we plan the prod upgrade."
    )
    assert "nonproduction" in spared and "production" not in spared


def test_the_rest_working_makes_a_failure_partial(triage: Triage) -> None:
    found = names(triage, "Incoming calls get a fast busy since 10:00. Outgoing is fine.")
    assert "some" in found and "all" not in found
    alternative = names(triage, "Git deploys fail with 403. Customers can deploy via ZIP instead.")
    assert "workaround" in alternative and "some" in alternative


def test_the_service_itself_working_is_unaffected_unless_trouble_follows(triage: Triage) -> None:
    assert "unaffected" in names(triage, "The logo is wrong!!! Calls work normally though.")
    assert "unaffected" not in names(triage, "Phones are working intermittently, then drop.")
    # a part that works is not the service working
    assert "unaffected" not in names(triage, "One-way audio outside. Internal calls are ok.")
    assert "unaffected" not in names(triage, "Large conferences drop. 1:1 calls are unaffected.")


def test_shouting_about_a_cosmetic_defect_with_calls_working_is_not_urgent(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = "URGENT!!! THE HOLD MUSIC IS DISTORTED AND ROBOTIC SINCE FRIDAY!!! Calls work normally."
    for name, highest in (
        ("restcomm-premium", "P3"),
        ("restcomm-standard", "P3"),
        ("threepbx", "P3"),
        ("msp", "P4"),
        ("jelastic", "L3"),
    ):
        policy = policies[name]
        proposal = triage.propose(policy, "URGENT!!!", body)
        assert rank(policy, proposal.priority) >= rank(policy, highest), (name, proposal)
        assert any("the service itself works" in r for r in proposal.reasons), proposal


def test_jelastic_outage_with_a_workaround_is_level_3(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "Deploying from our Git repository fails with an auth error since this morning. "
        "Uploading an archive works, so we do that for now."
    )
    proposal = triage.propose(policies["jelastic"], "Git deploy fails", body)
    assert proposal.priority == "L3", proposal
    assert any("a workaround exists" in r for r in proposal.reasons)


def test_msp_reason_for_outage_report_is_p4_not_scheduled_work(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "Last Thursday our office was offline for three hours until your engineer restored "
        "it. Management asks for a written reason for outage; please send it by next Friday."
    )
    proposal = triage.propose(policies["msp"], "Reason for outage", body)
    assert proposal.priority == "P4", proposal


def test_restcomm_one_user_client_failing_is_p3(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = "One user can't make calls from her softphone since this morning. Everyone else can."
    for name in ("restcomm-premium", "restcomm-standard"):
        assert triage.propose(policies[name], "", body).priority == "P3"


def test_another_customer_of_the_provider_hit_is_widespread(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "Our hosted desktops are all down and nobody can log in. The accountants next door, "
        "also a client of yours, say theirs are down too."
    )
    proposal = triage.propose(policies["msp"], "", body)
    assert proposal.priority == "P1", proposal
    firewall = "Our whole office is offline. The firewall you manage shows red lights."
    assert triage.propose(policies["msp"], "", firewall).priority == "P2"


def test_a_single_device_is_one_user(triage: Triage, policies: dict[str, Policy]) -> None:
    found = names(triage, "The lobby intercom has no audio. Other phones are fine.")
    assert "one" in found
    placed = names(triage, "hi our phone at the back door shows no service, rest are ok")
    assert "one" in placed
    assert "one" not in names(triage, "No phone in the building can call out.")
    assert "one" not in names(triage, "Our phone system is down for everyone.")


def test_the_carrier_saying_it_is_their_fault_is_out_of_scope_not_their_denial(
    triage: Triage,
) -> None:
    found = names(triage, "Our carrier confirmed this morning that they had an outage in Paris.")
    assert "out_of_scope" in found
    assert "out_of_scope" not in names(triage, "The carrier says their side is fine.")


def test_the_direct_pipeline_run_matches_spacys_own(triage: Triage) -> None:
    texts = [
        "No dial tone on every phone since 9:10, whole office.",
        "How do I change the greeting? No rush.",
        "Staging is down but production is untouched.",
    ]
    ours = triage.docs(texts)
    spacys = list(triage.nlp.pipe(texts))
    for a, b in zip(ours, spacys, strict=True):
        assert a._.intake_signals == b._.intake_signals
        assert a.cats == b.cats
    assert all(isinstance(h, Hit) for h in ours[0]._.intake_signals)


def test_the_rest_working_does_not_make_the_main_product_partial(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "On our production Restcomm every outbound fax fails since 07:30. Inbound is fine. "
        "Fax delivery is our core business."
    )
    found = names(triage, body)
    assert "some" not in found
    assert triage.propose(policies["restcomm-premium"], "", body).priority == "P1"


def test_restcomm_production_said_to_be_unusable_is_p1_even_when_read_as_unstable(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "our prod restcomm reboots itself every 3 min, calls sometimes get through in "
        "between. it is unusable."
    )
    assert triage.propose(policies["restcomm-standard"], "reboot loop", body).priority == "P1"
    staging = body.replace("prod", "staging")
    assert triage.propose(policies["restcomm-standard"], "reboot loop", staging).priority == "P3"
