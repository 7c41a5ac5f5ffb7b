"""The running gateway: store, SMTP listener, HTTP server and workers on one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

import templates
from gateway.ack import CustomerNotices
from gateway.activity import ListenerActivity
from gateway.api import API_PREFIX, ApiContext, build_api
from gateway.clock import Clock, SystemClock
from gateway.config import Settings
from gateway.health import Health
from gateway.hooks import TicketHook
from gateway.http import build_admin_app, build_http_app
from gateway.intake import EmailIntake
from gateway.lifecycle import AutoCloser
from gateway.metrics import Metrics
from gateway.outbox import OutboxWorker
from gateway.policybook import PolicyBook
from gateway.scout import IntakeScout
from gateway.sla.worker import ClockWorker
from gateway.smtp import IntakeHandler, SmtpListener
from gateway.smtp.limits import ClientLimits
from gateway.startup import bind_error, prepare_data_dir
from gateway.store import open_store
from gateway.ticketing import StaffActions, TicketService
from gateway.transports import EmailTransport, SmsTransport
from gateway.transports.factory import email_transport_for, sms_transport_for
from gateway.transports.webhook import WebhookTransport, origin
from gateway.triage import ClassifierProposer, Proposer
from gateway.web import Workspace, WorkspaceContext
from gateway.webhooks import TicketWebhooks, Webhooks
from voice.paging import Paging
from voice.paths import SMS_STATUS, absolute_url
from voice.service import VoiceService, paging_for

log = logging.getLogger(__name__)


def ticket_service_for(
    settings: Settings,
    clock: Clock,
    policies: PolicyBook,
    *,
    hooks: tuple[TicketHook, ...] = (),
) -> tuple[TicketService, Paging]:
    """The ticket service every caller shares (channels, command line): customer notices,
    and the ticket hooks (the webhooks, then paging last). Returns the paging hook too, for
    the phone side."""
    environment = templates.environment()
    paging = paging_for(clock, settings, policies, environment)
    notices = CustomerNotices(
        settings,
        environment,
        sms_status_callback=absolute_url(settings.public_url, SMS_STATUS),
    )
    webhooks = Webhooks(settings.webhooks)
    service = TicketService(
        policies,
        notices,
        hooks=(*hooks, TicketWebhooks(webhooks, clock), paging),
        webhooks=webhooks,
    )
    paging.lifecycle = service.lifecycle  # "1001 C" by SMS closes through the lifecycle
    return service, paging


@dataclass
class Gateway:
    """Build with settings (and, in tests, a clock or transports), then `start()` / `stop()`."""

    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    proposer: Proposer | None = None
    email_transport: EmailTransport | None = None
    sms_transport: SmsTransport | None = None
    hooks: tuple[TicketHook, ...] = ()
    # False runs the listeners only; workers are then driven by `run_once` (a listener/worker
    # split as in Zulip's email gateway, and deterministic tests).
    workers: bool = True

    def __post_init__(self) -> None:
        self.metrics = Metrics()
        self.policies = PolicyBook(self.settings)
        self.activity = ListenerActivity()
        self._runner: web.AppRunner | None = None
        self._admin_runner: web.AppRunner | None = None
        self._shutdown = contextlib.AsyncExitStack()

    async def start(self) -> None:
        """Start everything; if any part fails, what did start is stopped again."""
        settings = self.settings
        prepare_data_dir(settings.data_dir)  # before the slow part: a wrong path fails at once
        proposer = self.proposer or ClassifierProposer.load()  # slow and fallible: first
        try:
            await self._start_parts(settings, proposer)
        except BaseException:
            await self.stop()
            raise

    async def _start_parts(self, settings: Settings, proposer: Proposer) -> None:
        # Each part registers its own shutdown; `stop()` unwinds them in reverse order, so
        # workers stop first, then SMTP finishes open transactions, and the store closes last.
        self.store = await open_store(settings)
        self._shutdown.push_async_callback(self.store.close)
        self.store.on_commit(self.metrics.store_commits.inc)
        await self.store.release_dead_claims()
        self.email_transport = self.email_transport or email_transport_for(settings)
        self._shutdown.push_async_callback(self.email_transport.aclose)
        self.sms_transport = self.sms_transport or sms_transport_for(settings)
        self._shutdown.push_async_callback(self.sms_transport.aclose)
        self.webhooks = Webhooks(settings.webhooks)
        webhook_transport = WebhookTransport(os.environ)
        self._shutdown.push_async_callback(webhook_transport.aclose)
        for hook in settings.webhooks:
            if not os.environ.get(hook.secret_env):
                log.warning(
                    "webhook %s: %s is not set; deliveries fail until it is (none go unsigned)",
                    origin(hook.url),
                    hook.secret_env,
                )
        self.outbox = OutboxWorker(
            self.store,
            self.clock,
            settings.outbox,
            email=self.email_transport,
            sms=self.sms_transport,
            metrics=self.metrics,
            webhook=webhook_transport,
        )
        self.tickets, paging = ticket_service_for(
            settings, self.clock, self.policies, hooks=self.hooks
        )
        self.staff_actions = StaffActions(self.tickets, settings, self.webhooks)
        self.voice = VoiceService.build(
            store=self.store,
            clock=self.clock,
            settings=settings,
            policies=self.policies,
            proposer=proposer,
            metrics=self.metrics,
            outbox=self.outbox,
            auth_token=os.environ.get(settings.twilio.auth_token_env),
            tickets=self.tickets,
            paging=paging,
        )
        # Warnings and breaches of the SLA clocks; a breach after hours pages through paging.
        self.clocks = ClockWorker(
            self.store,
            self.clock,
            settings,
            self.policies,
            self.metrics,
            pager=paging,
            webhooks=self.webhooks,
        )
        self.intake = EmailIntake(
            self.store,
            self.clock,
            settings,
            policies=self.policies,
            proposer=proposer,
            tickets=self.tickets,
            staff_actions=self.staff_actions,
            metrics=self.metrics,
            activity=self.activity,
        )
        # The urgent lane: in a backlog, the most urgent mail is claimed first.
        self.scout = IntakeScout(
            self.store, settings, policies=self.policies, proposer=proposer, activity=self.activity
        )
        self.auto_closer = AutoCloser(self.store, self.clock, self.tickets.lifecycle)
        self.health = Health(
            self.store,
            self.clock,
            settings.data_dir,
            min_free_bytes=settings.smtp.max_message_size,
            page_validity=settings.twilio.page_validity,
            backlog_age=settings.health.backlog_age,
            outbox_failure_window=settings.health.outbox_failure_window,
        )
        separate_admin = settings.http.admin_address is not None
        self.http_app = build_http_app(
            self.store,
            self.metrics,
            self.health,
            max_body=settings.http.max_body,
            admin_routes=not separate_admin,
        )
        self.voice.add_routes(self.http_app)
        self.http_app.add_subapp(
            API_PREFIX,
            build_api(
                ApiContext(
                    self.store,
                    self.clock,
                    settings,
                    self.policies,
                    self.staff_actions,
                )
            ),
        )
        Workspace(
            WorkspaceContext(
                self.store, self.clock, settings, self.policies, self.staff_actions, paging
            )
        ).add_routes(self.http_app)
        await self._start_http()
        if separate_admin:
            await self._start_admin_http()
        limits = ClientLimits.from_settings(settings.smtp)
        handler = IntakeHandler(
            self.store, self.clock, settings, limits, self.metrics, self.activity
        )
        spool_dir = settings.data_dir / "spool"
        spool_dir.mkdir(exist_ok=True)
        self.smtp = SmtpListener(settings.smtp, handler, limits, self.metrics, spool_dir=spool_dir)
        await self.smtp.start()
        self._shutdown.push_async_callback(self.smtp.stop)
        if self.workers:
            voice = self.voice
            for worker in (
                self.intake.run(),
                self.scout.run(),
                self.outbox.run(),
                voice.worker.run(),
                voice.escalation.run(),
                self.auto_closer.run(),
                self.clocks.run(),
            ):
                self._start_task(worker)

    def _start_task(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)

        async def cancel() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        self._shutdown.push_async_callback(cancel)

    async def _start_http(self) -> None:
        self._runner = web.AppRunner(self.http_app, access_log=None)
        await self._runner.setup()
        self._shutdown.push_async_callback(self._runner.cleanup)
        http = self.settings.http
        site = web.TCPSite(self._runner, http.host, http.port)
        try:
            await site.start()
        except OSError as exc:
            raise bind_error("HTTP", http.host, http.port, "http.port, --http-port", exc) from None

    async def _start_admin_http(self) -> None:
        """/healthz and /metrics on their own listener, apart from the public webhooks."""
        address = self.settings.http.admin_address
        assert address is not None
        self._admin_runner = web.AppRunner(
            build_admin_app(self.store, self.metrics, self.health), access_log=None
        )
        await self._admin_runner.setup()
        self._shutdown.push_async_callback(self._admin_runner.cleanup)
        site = web.TCPSite(self._admin_runner, *address)
        try:
            await site.start()
        except OSError as exc:
            raise bind_error("admin HTTP", *address, "http.admin_listen", exc) from None

    @property
    def http_address(self) -> tuple[str, int]:
        assert self._runner is not None
        server = self._runner.addresses[0]
        return str(server[0]), int(server[1])

    @property
    def admin_http_address(self) -> tuple[str, int]:
        """Where /healthz and /metrics are served (the public address unless admin_listen)."""
        if self._admin_runner is None:
            return self.http_address
        server = self._admin_runner.addresses[0]
        return str(server[0]), int(server[1])

    async def stop(self) -> None:
        """Finish or refuse open SMTP sessions, stop workers, commit what is pending, close."""
        await self._shutdown.aclose()
