"""Prometheus metrics, on a registry owned by the running gateway (no process-global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.messages_received = Counter(
            "intake_messages_received", "Messages accepted and committed.", ["channel"], registry=r
        )
        self.messages_refused = Counter(
            "intake_messages_refused", "Messages or recipients refused.", ["reason"], registry=r
        )
        self.tickets_created = Counter(
            "intake_tickets_created", "Tickets created.", ["channel", "policy"], registry=r
        )
        self.replies_threaded = Counter(
            "intake_replies_threaded",
            "Messages appended to an existing ticket.",
            ["channel"],
            registry=r,
        )
        self.duplicates = Counter(
            "intake_duplicates",
            "Messages delivered again and stored once.",
            ["channel"],
            registry=r,
        )
        self.outbox_sent = Counter(
            "intake_outbox_sent", "Outbound messages delivered.", ["kind"], registry=r
        )
        self.outbox_failed = Counter(
            "intake_outbox_failed", "Outbound messages that failed for good.", ["kind"], registry=r
        )
        self.outbox_unconfirmed = Counter(
            "intake_outbox_unconfirmed",
            "Send attempts whose answer was lost (reconciled or resent a capped number of times).",
            ["kind"],
            registry=r,
        )
        self.outbox_unconfirmed_rows = Gauge(
            "intake_outbox_unconfirmed_rows",
            "Outbound messages in state unconfirmed (being reconciled, or settled unknown).",
            registry=r,
        )
        self.outbox_pending = Gauge(
            "intake_outbox_pending", "Outbound messages waiting.", registry=r
        )
        self.outbox_failed_total = Gauge(
            "intake_outbox_failed_rows", "Outbound messages in state failed.", registry=r
        )
        self.pages_overdue = Counter(
            "intake_pages_overdue",
            "Pages that waited past the page validity without reaching the carrier"
            " (alarm raised, chain escalated).",
            registry=r,
        )
        self.inbox_pending = Gauge(
            "intake_inbox_pending", "Accepted messages not yet processed.", registry=r
        )
        self.store_commits = Counter(
            "intake_store_commits",
            "Transactions the store committed (on SQLite, one WAL fsync each).",
            registry=r,
        )
        self.accept_latency = Histogram(
            "intake_accept_seconds",
            "Time from end of DATA to the durable 250.",
            buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=r,
        )
        self.sla_warnings = Counter(
            "intake_sla_warnings",
            "SLA warning points reached and notified (once each).",
            ["policy", "priority", "clock"],
            registry=r,
        )
        self.sla_breaches = Counter(
            "intake_sla_breaches",
            "SLA deadlines passed without being met (once each).",
            ["policy", "priority", "clock"],
            registry=r,
        )
        self.sla_at_risk = Gauge(
            "intake_sla_at_risk",
            "Tickets with a running clock past a warning point.",
            registry=r,
        )
