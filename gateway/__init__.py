"""Intake gateway: SMTP listener, durable store, intake worker, outbox and the `intake` CLI."""
