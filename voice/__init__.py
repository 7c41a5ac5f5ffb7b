"""Twilio voice and SMS webhooks, on-call schedule and paging. (Being built: see docs/design.md.)"""
