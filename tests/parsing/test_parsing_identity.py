"""Identity keys: a fingerprint per message, the subject stem and the text hash."""

from __future__ import annotations

import pytest

from gateway.parsing import parse_message
from gateway.parsing.identity import body_hash, fingerprint, subject_stem

from .parsing_mail import mail


@pytest.mark.parametrize(
    "subject",
    [
        "Phones down",
        "Re: Phones down",
        "RE: AW: Fwd: phones   DOWN",
        "Re: [#1001] Phones down",
        "Automatische Antwort: Re: [#1002] Phones down",
        "Réponse automatique : Re: [#1003] Phones down",
        "Respuesta automática: Phones down",
        "Risposta automatica: Phones down",
        "Out of Office: Re: [#1004] Phones down",
        "Abwesenheitsnotiz: Phones down",
        "Automatic reply: Re: [#1005] Re: [#1004] Phones down",
    ],
)
def test_subject_stem_ignores_prefixes_and_our_tags(subject: str) -> None:
    assert subject_stem(subject) == "phones down"


def test_subject_stem_keeps_words_that_only_look_like_prefixes() -> None:
    assert subject_stem("Absence of dial tone") == "absence of dial tone"
    assert subject_stem("Re-provisioning failed") == "re-provisioning failed"


def test_same_text_rewrapped_has_the_same_body_hash() -> None:
    one = parse_message(mail("No dial tone\non any phone.\n"))
    two = parse_message(mail("No dial  tone on\nany phone.\n", headers=[("Message-ID", "<x@y>")]))
    assert body_hash(one) == body_hash(two)
    assert body_hash(one) != body_hash(parse_message(mail("Dial tone is back.\n")))


def test_fingerprint_tells_copies_from_different_messages_with_one_message_id() -> None:
    original = mail("Disk full on pbx1\n", headers=[("Message-ID", "<static-id@appliance>")])
    copy = b"Received: from relay2.example by mx\r\n" + original
    other_alert = mail("Disk full on pbx2\n", headers=[("Message-ID", "<static-id@appliance>")])
    other_sender = mail(
        "Disk full on pbx1\n",
        sender="mallory@example.net",
        headers=[("Message-ID", "<static-id@appliance>")],
    )
    later = mail(
        "Disk full on pbx1\n",
        headers=[("Message-ID", "<static-id@appliance>"), ("Date", "Tue, 05 Mar 2024 10:00 +0100")],
    )
    key = fingerprint(parse_message(original))
    assert fingerprint(parse_message(copy)) == key
    for different in (other_alert, other_sender, later):
        assert fingerprint(parse_message(different)) != key
