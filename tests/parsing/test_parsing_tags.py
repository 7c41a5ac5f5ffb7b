"""Our ticket tag in subjects."""

from __future__ import annotations

import pytest

from gateway.parsing import strip_ticket_tag, ticket_tag


@pytest.mark.parametrize(
    ("subject", "number"),
    [
        ("[#123] Printer", 123),
        ("Re: [#123] Printer", 123),
        ("RE: AW: Fwd: [#7]", 7),
        ("Printer [#42]", 42),
        ("[ #9 ] spaced", 9),
        ("[# 9] spaced", None),
        ("[#1] and [#2]", 1),
        ("#123 Printer", None),
        ("[123] Printer", None),
        ("[Ticket #123] Printer", None),
        ("[#] empty", None),
        ("[#12a] letters", None),
        ("", None),
    ],
)
def test_ticket_tag(subject: str, number: int | None) -> None:
    assert ticket_tag(subject) == number


@pytest.mark.parametrize(
    ("subject", "stripped"),
    [
        ("[#123] Printer", "Printer"),
        ("Re:  [#123]   Printer  jam", "Re: Printer jam"),
        ("Printer [#42]", "Printer"),
        ("No tag here", "No tag here"),
        ("[#1] [#2] both", "both"),
    ],
)
def test_strip_ticket_tag(subject: str, stripped: str) -> None:
    assert strip_ticket_tag(subject) == stripped
