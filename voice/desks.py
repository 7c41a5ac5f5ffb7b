"""Which desk a phone number belongs to: the number a customer called or texted selects it."""

from __future__ import annotations

import logging

from gateway.config import DeskSettings, Settings
from gateway.phone import normalize_e164

log = logging.getLogger(__name__)


class DeskDirectory:
    """Desks by their Twilio numbers (`phone`, and `sms_from` for texts answered there).

    A number no desk claims goes to the first desk, so a message is never lost to a
    misconfigured number; the demo desk has no number at all and takes everything.
    """

    def __init__(self, settings: Settings) -> None:
        self.default = settings.desks[0]
        self._by_number: dict[str, DeskSettings] = {}
        for desk in settings.desks:
            for number in (desk.phone, desk.sms_from):
                e164 = normalize_e164(number) if number else None
                if e164:
                    self._by_number.setdefault(e164, desk)

    def for_number(self, number: str | None) -> DeskSettings:
        if not number:
            return self.default
        desk = self._by_number.get(number)  # Twilio sends E.164 already: no parsing needed
        if desk is None:
            e164 = normalize_e164(number)
            desk = self._by_number.get(e164) if e164 else None
        if desk is None:
            if self._by_number:
                log.warning("no desk has the number %s; using %s", number, self.default.address)
            return self.default
        return desk

    def by_address(self, settings: Settings, address: str) -> DeskSettings:
        return settings.desk_for(address) or self.default
