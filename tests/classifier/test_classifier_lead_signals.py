"""Signals a support lead reads: whose service and how much, which environment, when, what kind
of request, and which text is new; each mapped by the contract's own [triage] table."""

from __future__ import annotations

from classifier import Triage
from classifier.text import compose
from policies import Policy
from policies.triage import TriageCap


def test_a_root_cause_request_about_a_past_outage_is_not_an_outage_now(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    subject = "RFO for last night's outage"
    body = (
        "Hi, all our phones were down last night between 11pm and 1am. It is working again now. "
        "Please send us the root cause and what you will do to prevent it from happening again."
    )
    for name, highest in (
        ("restcomm-standard", "P3"),
        ("msp", "P4"),
        ("jelastic", "L3"),
        ("threepbx", "P3"),
    ):
        policy = policies[name]
        proposal = triage.propose(policy, subject, body)
        ranks = {p.id: p.rank for p in policy.priorities}
        assert ranks[proposal.priority] >= ranks[highest], (name, proposal)
        assert any("reason for an outage that is over" in r for r in proposal.reasons)


def test_an_rfo_request_while_it_is_down_again_is_still_urgent(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "We asked for the root cause of yesterday's outage and now it is down again: no dial tone "
        "on every phone right now."
    )
    proposal = triage.propose(policies["threepbx"], "Down again", body)
    assert proposal.priority == "P1"


def test_a_new_install_is_setup_not_a_system_wide_outage(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "CRITICAL: new install for our second office, go-live is Monday. None of the phones "
        "register yet."
    )
    proposal = triage.propose(policies["threepbx"], "Phones not registering", body)
    assert proposal.priority == "P4"
    assert any("new install" in reason for reason in proposal.reasons)


def test_third_party_and_carrier_faults_are_outside_restcomm_scope(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "Calls to Mexico fail for all users. The carrier confirmed the fault is on their side "
        "and they are working on it."
    )
    proposal = triage.propose(policies["restcomm-standard"], "Calls failing", body)
    assert proposal.priority == "P3"
    assert any("outside the C3 support scope" in reason for reason in proposal.reasons)


def test_one_customers_whole_company_versus_many_customers_under_msp(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    policy = policies["msp"]
    one = triage.propose(policy, "Internet down", "Our whole company has no internet since 9.")
    many = triage.propose(
        policy, "Internet down", "Several of your customers in our building have no internet."
    )
    assert (one.priority, many.priority) == ("P2", "P1")


def test_the_latest_reply_decides_not_the_quoted_history() -> None:
    body = (
        "Update: now every call fails.\n\n"
        "On Mon, 3 Jun 2024 at 10:02, Ann <ann@example.com> wrote:\n"
        "> We see intermittent drops on a few calls.\n"
    )
    text = compose("Re: intermittent drops", body)
    assert "every call fails" in text
    assert "few calls" not in text
    outlook = "Still down.\n\n-----Original Message-----\nFrom: Bob\nAll good now, thanks"
    assert "All good" not in compose("", outlook)
    assert compose("", "> only quoted text") == "> only quoted text"


def test_caps_can_name_exceptions() -> None:
    cap = TriageCap(signals=("rfo",), unless=("ongoing",), highest="P3")
    assert cap.applies({"rfo"})
    assert not cap.applies({"rfo", "ongoing"})


# --- round 2: how much of the service, whose fault, is it over (issue 15) -------------------


def test_another_service_being_fine_does_not_make_an_outage_partial(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "Since 7:15 not one of our 22 desk phones has dial tone. The internet is fine and the "
        "router looks healthy; nobody here can make or take a call."
    )
    proposal = triage.propose(policies["threepbx"], "No dial tone", body)
    assert proposal.priority == "P1", proposal


def test_the_rest_working_makes_a_failure_partial(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "Since this morning conference bridges can't be created; ordinary inbound and outbound "
        "calls still work and all other call flows work."
    )
    for name in ("restcomm-standard", "restcomm-premium"):
        proposal = triage.propose(policies[name], "Conference bridge failing", body)
        assert proposal.priority == "P2", (name, proposal)
        assert any("affects some" in reason for reason in proposal.reasons)


def test_a_stated_share_decides_how_much_is_down(triage: Triage) -> None:
    def breadth(text: str) -> set[str]:
        names = {hit.name for hit in triage.nlp(text)._.intake_signals}
        return names & {"all", "some", "one"}

    assert breadth("Tenants on the EU cluster (about 75% of our customers) cannot log in.") == {
        "all"
    }
    assert breadth("About 5% of outbound calls fail with 503; the other 95% go through.") == {
        "some"
    }
    assert breadth("Our Internet is fine but the phones are dead.") == set()


def test_production_said_to_be_fine_makes_the_failure_non_production(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = "The 9.1 upgrade crashes on start in our QA lab. Production still runs 9.0 and is fine."
    proposal = triage.propose(policies["restcomm-premium"], "Upgrade crash", body)
    assert proposal.priority == "P3", proposal


def test_a_domain_ending_in_net_is_not_dotnet(triage: Triage) -> None:
    names = {
        hit.name
        for hit in triage.nlp("Certificate for *.apps.example.net expired")._.intake_signals
    }
    assert "dotnet" not in names
    names = {hit.name for hit in triage.nlp("Our .NET app returns 500")._.intake_signals}
    assert "dotnet" in names


def test_the_customers_own_internet_outage_is_not_a_pbx_outage(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "hi it's raj at the bakery our internet is down so the phones are down too, the "
        "provider is sending someone, can calls go to my cell meanwhile"
    )
    proposal = triage.propose(policies["threepbx"], "", body)
    assert proposal.priority != "P1", proposal
    assert any("outside the support scope" in reason for reason in proposal.reasons)


def test_a_failure_already_recovered_is_not_a_fatal_error_now(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "Last night's switchover dropped every active call. The service recovered by itself "
        "after ten minutes. Please look into it before the next switchover."
    )
    for name in ("restcomm-standard", "restcomm-premium"):
        proposal = triage.propose(policies[name], "Switchover dropped calls", body)
        assert proposal.priority != "P1", (name, proposal)


def test_evidence_that_other_customers_are_down_makes_an_msp_outage_global(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "None of our staff can reach the hosted Exchange since 8am, and your status page shows "
        "a mail incident. Two other firms in our building say the same."
    )
    proposal = triage.propose(policies["msp"], "Hosted email down", body)
    assert proposal.priority == "P1", proposal


def test_an_outage_buried_in_a_list_is_read_and_flagged(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "Hello,\n1) Could you send next year's price list?\n2) Is there a guide for the new "
        "API keys?\n3) Also: since 10:20 our production gateway cannot connect to the database "
        "and our shop is down.\nThanks, Ola"
    )
    proposal = triage.propose(policies["jelastic"], "A few things", body)
    assert proposal.priority == "L2", proposal  # L1 read in one item alone: a person confirms
    assert proposal.needs_human is not None and "item 3" in proposal.needs_human
    assert proposal.reasons[0].startswith("item 3 of 3, read alone")
    plain = triage.propose(policies["jelastic"], "Two questions", "1) Price list?\n2) A guide?")
    assert plain.needs_human is None and plain.priority == "L4"


def test_an_item_that_says_everything_is_down_pages_at_the_top_level_flagged(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    # Round 4 (set C): three outages for everyone buried as item 3 were held at the second
    # level; an item that says in its own words that it is down for everyone pages.
    body = (
        "Hi,\nCan you please:\n- add an extension for our new hire,\n- swap the auto attendant "
        "greeting to the attached file,\n- and the whole system has been down since 10 - none "
        "of us can call in or out.\nThanks, Bri"
    )
    proposal = triage.propose(policies["threepbx"], "Extension, greeting, phones", body)
    assert proposal.priority == "P1", proposal
    assert proposal.needs_human is not None and "item 3" in proposal.needs_human


def test_brief_periodic_interruptions_are_instability(triage: Triage) -> None:
    text = "The cluster restarts every 10-15 minutes and sites go offline for a minute or two."
    names = [hit.name for hit in triage.nlp(text)._.intake_signals]
    assert names.count("degraded") >= 2


def test_a_workaround_the_customer_can_switch_to_lowers_jelastic(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "Websocket connections through the shared balancer drop every 30 seconds. The rest of "
        "the app works, and we can switch to long-polling meanwhile."
    )
    proposal = triage.propose(policies["jelastic"], "Websockets dropping", body)
    assert proposal.priority == "L3", proposal


def test_msp_tells_a_routine_request_from_a_feature_request(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    routine = triage.propose(
        policies["msp"],
        "Shared mailbox",
        "Could you please create a shared mailbox for accounts@ and give access to Tom and Ana?",
    )
    assert routine.priority == "P5", routine
    feature = triage.propose(
        policies["msp"],
        "Feature request",
        "Feature request: it would be great if the portal could export tickets to CSV.",
    )
    assert feature.priority == "P6", feature
