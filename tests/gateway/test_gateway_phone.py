from __future__ import annotations

import pytest

from gateway.phone import mask, normalize_e164


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+12025550143", "US", "+12025550143"),
        ("(202) 555-0143", "US", "+12025550143"),
        ("  202.555.0143 ", "US", "+12025550143"),
        ("+1 202 555 0143", "GB", "+12025550143"),
        ("020 7946 0000", "GB", "+442079460000"),
        ("+44 20 7946 0000", "US", "+442079460000"),
    ],
)
def test_valid_numbers_become_e164(raw: str, region: str, expected: str) -> None:
    assert normalize_e164(raw, region) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "anonymous", "client:alice", "+266696687", "12345", "+15551230001", "not a number"],
)
def test_invalid_or_withheld_numbers_are_none(raw: str) -> None:
    assert normalize_e164(raw) is None


def test_mask_keeps_prefix_and_last_digits() -> None:
    assert mask("+12025550143") == "+12*******43"
    assert mask("12345") == "*****"
