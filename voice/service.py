"""The phone side of a running gateway, built in one place: paging, webhooks, workers.

`gateway.app.Gateway` builds one `VoiceService`, adds its routes to the HTTP app, hands its
`paging` hook to the email intake and runs its two workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aiohttp import web
from jinja2 import Environment

from gateway.clock import Clock
from gateway.config import Settings
from gateway.hooks import TicketHook
from gateway.metrics import Metrics
from gateway.outbox import OutboxWorker
from gateway.policybook import PolicyBook
from gateway.store import Store
from gateway.triage import Proposer
from voice.delivery import Delivery
from voice.desks import DeskDirectory
from voice.oncall import OnCallSchedule
from voice.paging import Paging
from voice.signature import make_validator
from voice.tickets import PhoneTickets
from voice.webhooks import TwilioWebhooks
from voice.worker import EscalationWorker, VoiceWorker


@dataclass
class VoiceService:
    paging: Paging
    webhooks: TwilioWebhooks
    worker: VoiceWorker
    escalation: EscalationWorker

    @classmethod
    def build(
        cls,
        *,
        store: Store,
        clock: Clock,
        settings: Settings,
        policies: PolicyBook,
        proposer: Proposer,
        templates: Environment,
        metrics: Metrics,
        outbox: OutboxWorker,
        auth_token: str | None,
        hooks: Sequence[TicketHook] = (),
    ) -> VoiceService:
        """`hooks` are the gateway's other ticket hooks; paging is added after them."""
        schedule = OnCallSchedule(settings.oncall) if settings.oncall else None
        paging = Paging(clock, settings, policies, templates, schedule)
        delivery = Delivery(clock, settings, paging)
        outbox.on_permanent_failure("page", delivery.on_permanent_failure)
        for purpose in ("page", "ack"):
            outbox.on_sent(purpose, delivery.on_sent)
        desks = DeskDirectory(settings)
        tickets = PhoneTickets(
            clock,
            settings,
            policies,
            templates,
            desks,
            metrics,
            hooks=(*hooks, paging),
            paging=paging,
        )
        worker = VoiceWorker(
            store,
            clock,
            settings,
            policies=policies,
            proposer=proposer,
            desks=desks,
            tickets=tickets,
        )
        webhooks = TwilioWebhooks(
            store=store,
            clock=clock,
            settings=settings,
            policies=policies,
            desks=desks,
            tickets=tickets,
            paging=paging,
            delivery=delivery,
            schedule=schedule,
            validator=make_validator(auth_token),
            metrics=metrics,
            queued=worker.notify,
        )
        return cls(paging, webhooks, worker, EscalationWorker(store, clock, paging))

    def add_routes(self, app: web.Application) -> None:
        self.webhooks.add_routes(app)
