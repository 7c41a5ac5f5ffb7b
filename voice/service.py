"""The phone side of a running gateway, built in one place: paging, webhooks, workers.

`gateway.app` builds the `Paging` hook first (`paging_for`: the ticket service needs it, for
every channel and the command line), then one `VoiceService` around it, adds its routes to
the HTTP app and runs its two workers.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from jinja2 import Environment

from gateway.clock import Clock
from gateway.config import Settings
from gateway.metrics import Metrics
from gateway.outbox import OutboxWorker
from gateway.policybook import PolicyBook
from gateway.store import Store
from gateway.ticketing import TicketService
from gateway.triage import Proposer
from voice.delivery import Delivery
from voice.desks import DeskDirectory
from voice.oncall import OnCallSchedule
from voice.paging import Paging
from voice.signature import make_validator
from voice.voicemail import PhoneIntake
from voice.webhooks import TwilioWebhooks
from voice.worker import EscalationWorker, VoiceWorker


def paging_for(
    clock: Clock, settings: Settings, policies: PolicyBook, templates: Environment
) -> Paging:
    """The paging hook, with the on-call schedule when `[oncall]` is configured."""
    schedule = OnCallSchedule(settings.oncall) if settings.oncall else None
    return Paging(clock, settings, policies, templates, schedule)


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
        metrics: Metrics,
        outbox: OutboxWorker,
        auth_token: str | None,
        tickets: TicketService,
        paging: Paging,
    ) -> VoiceService:
        """`paging` is one of `tickets`' hooks (see `paging_for`)."""
        delivery = Delivery(clock, settings, paging)
        outbox.on_permanent_failure("page", delivery.on_permanent_failure)
        outbox.on_sent("page", paging.page_sent)
        for purpose in ("page", "ack", "promise"):
            outbox.on_sent(purpose, delivery.on_sent)
        desks = DeskDirectory(settings)
        phone = PhoneIntake(clock, settings, tickets, desks, metrics)
        worker = VoiceWorker(
            store,
            clock,
            settings,
            policies=policies,
            proposer=proposer,
            desks=desks,
            phone=phone,
        )
        webhooks = TwilioWebhooks(
            store=store,
            clock=clock,
            settings=settings,
            policies=policies,
            desks=desks,
            phone=phone,
            paging=paging,
            delivery=delivery,
            schedule=paging.schedule,
            validator=make_validator(auth_token),
            metrics=metrics,
            queued=worker.notify,
        )
        escalation = EscalationWorker(
            store, clock, paging, validity=settings.twilio.page_validity, metrics=metrics
        )
        return cls(paging, webhooks, worker, escalation)

    def add_routes(self, app: web.Application) -> None:
        self.webhooks.add_routes(app)
