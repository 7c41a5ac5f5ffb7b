"""Phone numbers: everything Intake stores or compares is E.164 (`+15550100123`)."""

from __future__ import annotations

import phonenumbers


def normalize_e164(raw: str, default_region: str = "US") -> str | None:
    """The E.164 form of `raw`, or None when it is not a valid phone number.

    National formats are read in `default_region` ("(202) 555-0143" → "+12025550143").
    Twilio's placeholders for withheld callers ("anonymous", "+266696687", "client:...")
    come back as None, as does anything `phonenumbers` considers impossible or unassigned.
    """
    text = raw.strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(number: str) -> str:
    """A phone number fit for logs: keeps the country prefix and the last two digits."""
    if len(number) <= 6:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 5) + number[-2:]
