"""Round 5 of issue 15: long mail, read as a lead reads it (set E's kinds of error).

The messages are paraphrases written for these tests (not the dev sets' text): each pins one
kind of reasoning, not one message.
"""

from __future__ import annotations

from classifier import Triage
from classifier.evidence import Hit
from classifier.narrative import sentences, settle_time
from classifier.text import list_points, message_text, without_sign_off
from classifier.triage import stated_now
from policies import Policy

DISCLAIMER = (
    "This e-mail was checked for viruses before sending; no liability is accepted for damage "
    "caused by any virus. E-mail is not guaranteed to be secure: messages could be "
    "intercepted, corrupted, lost, destroyed or arrive late."
)
SIGNATURE = "Kind regards,\nAnna Lindgren\nIT Coordinator\nHarbour Freight Ltd\nOffice: +1 555 0101"


def names(triage: Triage, text: str) -> set[str]:
    return {hit.name for hit in triage.analyse([text])[0][1]}


# --- which text is new: the signature and the legal notice are not the writer's words -----


def test_the_signature_after_a_closing_formula_is_not_read() -> None:
    text = f"Could you add a user for our new starter?\n{SIGNATURE}"
    assert without_sign_off(text) == "Could you add a user for our new starter?"


def test_a_legal_notice_is_not_read_wherever_it_stands() -> None:
    text = f"Could you add a user for our new starter?\n{DISCLAIMER}\nOne more thing: no rush."
    assert without_sign_off(text) == (
        "Could you add a user for our new starter?\nOne more thing: no rush."
    )


def test_a_polite_word_before_more_of_the_message_is_not_a_signature() -> None:
    text = "site is down since yesterday\nthanks\nwhat I tried:\n- restarted it"
    assert without_sign_off(text) == text
    # a line naming one thing is a sentence too, not a name, when it is a question or a label
    assert (
        without_sign_off("It fails.\nThanks,\nAny idea why?") == "It fails.\nThanks,\nAny idea why?"
    )


def test_a_message_that_is_all_notice_is_kept_whole() -> None:
    assert without_sign_off(DISCLAIMER) == DISCLAIMER


def test_the_message_text_leaves_out_signature_and_notice() -> None:
    body = f"Hello,\nCould you send the invoice again?\n\n{SIGNATURE}\n\n{DISCLAIMER}"
    assert message_text("Invoice", body) == "Invoice.\nHello,\nCould you send the invoice again?"


def test_a_disclaimer_full_of_trouble_words_does_not_raise_a_routine_request(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "Hi,\n\nCould you please whitelist the sender domain of our payroll provider? Their "
        f"mails end up in quarantine now and then. No hurry.\n\n{SIGNATURE}\n\n{DISCLAIMER}"
    )
    assert "outage" not in names(triage, message_text("Whitelist request", body))
    proposal = triage.propose(policies["msp"], "Whitelist request", body)
    assert proposal.priority in ("P4", "P5"), proposal


# --- a recovery and what follows it -------------------------------------------------------


def test_sentences_are_split_at_sentence_marks_and_line_breaks() -> None:
    # "Calls fail. Now ok\nNext" as offsets, lengths, trailing spaces and sentence marks
    starts = [0, 6, 10, 12, 16, 19]
    lengths = [5, 4, 1, 3, 2, 4]
    spaces = [1, 0, 1, 1, 0, 0]
    ends = [False, False, True, False, False, False]
    assert sentences(starts, lengths, spaces, ends) == [0, 0, 0, 1, 1, 2]


def test_the_time_of_a_recovery_is_not_trouble_going_on() -> None:
    # "calls flowing again since 13:05. The DNS server had died."
    matches = [("resolved", 1, 3), ("ongoing", 3, 5), ("outage", 9, 10)]
    two_sentences = [0] * 6 + [1] * 4
    kept = settle_time(matches, lambda: two_sentences)
    assert kept == [("resolved", 1, 3), ("outage", 9, 10)]


def test_trouble_after_a_recovery_in_its_sentence_means_it_did_not_hold() -> None:
    matches = [("resolved", 1, 3), ("degraded", 6, 8)]
    assert settle_time(matches, lambda: [0] * 8) == [("degraded", 6, 8)]
    # in the next sentence it is another statement: the recovery stands
    assert settle_time(matches, lambda: [0, 0, 0, 0, 1, 1, 1, 1]) == matches


def test_a_recovery_for_now_is_not_a_recovery() -> None:
    matches = [("resolved", 1, 3), ("temporary", 3, 6)]
    assert settle_time(matches, lambda: [0] * 6) == []
    # nor a service that works: "calls are working again for the moment"
    works = [("unaffected", 0, 3), ("temporary", 4, 7)]
    assert settle_time(works, lambda: [0] * 7) == []
    # alone the internal signal just goes; and with neither, sentences are never computed
    assert settle_time([("temporary", 0, 2)], lambda: [0, 0]) == []
    assert settle_time([("outage", 0, 2)], lambda: 1 / 0) == [("outage", 0, 2)]  # type: ignore[arg-type,return-value]


def test_back_online_since_a_time_is_over_and_an_outage_report_is_routine(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "Hi,\n\nThanks - the office is back online since 16:05 yesterday and it has been "
        "stable. Could you send us a report on the outage for our management meeting? "
        "There is no deadline."
    )
    found = names(triage, message_text("Internet outage - report please", body))
    assert "ongoing" not in found and "resolved" in found, found
    proposal = triage.propose(policies["msp"], "RE: Internet outage - report please", body)
    assert proposal.priority in ("P4", "P5"), proposal


def test_since_it_came_back_names_a_time_not_a_recovery(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "Our PBX host rebooted at 06:10 and since it came back not a single phone in any of "
        "our offices registers. No calls in or out for all 60 staff."
    )
    found = names(triage, message_text("Phones down after reboot", body))
    assert "resolved" not in found, found
    assert triage.propose(policies["threepbx"], "Phones down after reboot", body).priority == "P1"


def test_working_again_for_the_moment_keeps_the_incident_open(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "It is back: at 07:40 all inbound calls failed again on production. We restarted "
        "the balancer and calls are working again for the moment, but this is the third time "
        "in two days."
    )
    assert "resolved" not in names(triage, message_text("Balancer down again", body))
    proposal = triage.propose(policies["restcomm-premium"], "Balancer down again", body)
    assert proposal.priority == "P1", proposal


# --- a list is read item by item, and an item counts when it states trouble now ------------


def test_an_item_counts_only_when_it_states_trouble_now() -> None:
    outage = Hit("outage", "is down", 3)
    assert stated_now((outage, Hit("ongoing", "since 10", 6)))
    assert stated_now((Hit("fault", "failed", 2), Hit("all", "every customer", 8)))
    assert not stated_now((outage,))  # "start and end time of the outage"
    assert not stated_now((Hit("request", "needs a licence", 1), Hit("one", "ext 232", 5)))


def test_the_last_item_of_a_list_ends_with_its_line() -> None:
    text = (
        "Some context:\n- two sites, 40 km apart\n- peak is 600 calls, and it is\n"
        "growing fast\nWe have questions we can't answer ourselves."
    )
    assert list_points(text) == [
        "- two sites, 40 km apart",
        "- peak is 600 calls, and it is\ngrowing fast",
    ]


def test_fields_of_a_report_request_do_not_raise_it(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "Hello,\n\nService has been fine since the fix on Tuesday. For our quarterly review "
        "please include in the outage report:\n- start and end time of the outage\n"
        "- which components failed\n- what you changed to prevent it"
    )
    proposal = triage.propose(policies["threepbx"], "RFO for last week's outage", body)
    assert proposal.priority in ("P3", "P4"), proposal


def test_an_outage_stated_as_a_later_item_still_decides(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "Hi,\n1. Can you send the invoice for October again?\n2. We'd like a quote for two "
        "more handsets.\n3. Since 09:30 none of our phones can make or receive calls, the "
        "whole office is without phones."
    )
    proposal = triage.propose(policies["threepbx"], "A few things", body)
    assert proposal.priority == "P1", proposal


# --- where the fault is not -----------------------------------------------------------------


def test_a_party_said_to_be_healthy_is_not_where_the_fault_is(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    healthy = (
        "Every inbound call on production gets a 503 from our node. The carrier side looks healthy."
    )
    assert "out_of_scope" not in names(triage, healthy)
    assert "out_of_scope" in names(triage, "The carrier side had a fault this morning.")
    proposal = triage.propose(policies["restcomm-standard"], "All inbound calls fail", healthy)
    assert proposal.priority == "P1", proposal


def test_production_said_to_be_spared_in_other_words(triage: Triage) -> None:
    for text in (
        "Our test VM will not start Restcomm. Production is not involved.",
        "The dev laptops fail at startup. Production runs the older build and has no problems.",
        "Our staging portal shows a blank page. Production is a separate cluster and is not "
        "affected.",
    ):
        found = names(triage, text)
        assert "nonproduction" in found and "production" not in found, (text, found)


def test_production_named_beside_trouble_in_another_clause_is_not_spared(triage: Triage) -> None:
    text = "Outbound SMS to one carrier fails in production since 9, all other carriers are fine."
    found = names(triage, text)
    assert "production" in found and "nonproduction" not in found, found


def test_registered_phones_are_not_a_service_that_works(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    body = (
        "Since 07:50 none of our phones can make or receive calls. The phones show registered "
        "and we have dial tone, but every call fails with a fast busy. All 40 users."
    )
    assert "unaffected" not in names(triage, message_text("No calls since 07:50", body))
    assert triage.propose(policies["threepbx"], "No calls since 07:50", body).priority == "P1"


def test_a_few_notes_of_the_writer_are_not_how_much_is_down(triage: Triage) -> None:
    text = "A couple of observations in case they help: the trunk shows up in the portal."
    assert "some" not in names(triage, text)
    assert "some" in names(triage, "A couple of sites cannot call out.")


def test_a_postscript_after_the_signature_is_read() -> None:
    text = f"Please add a user.\n{SIGNATURE}\nP.S. the fax line has been dead since Monday."
    assert without_sign_off(text) == (
        "Please add a user.\nP.S. the fax line has been dead since Monday."
    )
    assert without_sign_off(f"Please add a user.\n{SIGNATURE}\nPS: no rush.") == (
        "Please add a user.\nPS: no rush."
    )


# --- which text is new: the gateway hands over the latest reply with its history cut ------


def test_a_reply_is_read_by_its_new_text_when_the_history_was_already_cut(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    # What `gateway.parsing.reply.latest_reply` leaves of a reply: no quotes below to show
    # that it is one, only the subject.
    latest = "Our network team replaced a faulty switch on our side this morning. Calls work again."
    proposal = triage.propose(policies["restcomm-standard"], "RE: P1 - all calls failing", latest)
    assert proposal.priority != "P1", proposal
    # a short reply still refers to the thread: the subject is read
    for same in ("same here", "same here\n\nThanks,\nJohn Smith\nIT Manager, Acme\nPhone 555 0101"):
        short = triage.propose(policies["threepbx"], "Re: no dial tone on every phone", same)
        assert short.priority == "P1", short


def test_the_gateway_cut_and_the_whole_body_give_the_same_proposal(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    from gateway.parsing.reply import latest_reply

    for new in (
        "All fine now - it was our own DNS server. Please close the ticket.",
        "Unfortunately it is back: since 07:55 no inbound call reaches the cluster, all of "
        "them fail with 408, exactly like Sunday.",
    ):
        body = (
            f"Hi Marco,\n\n{new}\n\nThanks,\nNadia\n\n-----Original Message-----\n"
            "From: Support <support@example.com>\nSent: Monday 09:12\nTo: Nadia\n"
            "Subject: RE: [P1] SIP balancer - resolved\n\nThe balancer is resolved, closing."
        )
        subject = "RE: [P1] SIP balancer - resolved"
        policy = policies["restcomm-premium"]
        whole = triage.propose(policy, subject, body)
        cut = triage.propose(policy, subject, latest_reply(body))
        assert (whole.priority, whole.reasons) == (cut.priority, cut.reasons), (whole, cut)


def test_a_subject_quoted_below_is_the_threads_without_a_reply_prefix(
    triage: Triage, policies: dict[str, Policy]
) -> None:
    # Some mailers answer without "RE:": the subject is still the thread's when the quoted
    # history below repeats it.
    body = (
        "Our facilities team had switched off the rack by mistake this morning; the phones are "
        "back on. Keep the ticket open until tomorrow please.\n\n"
        "> ALL PHONES DOWN - no dial tone on any phone"
    )
    proposal = triage.propose(policies["threepbx"], "ALL PHONES DOWN", body)
    assert proposal.priority in ("P3", "P4"), proposal
    # the same subject above its own new report is read
    fresh = triage.propose(policies["threepbx"], "ALL PHONES DOWN", "No dial tone on any phone.")
    assert fresh.priority == "P1", fresh
