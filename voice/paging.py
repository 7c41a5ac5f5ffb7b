"""Paging the on-call engineer by SMS, escalating until someone acknowledges.

A ticket that arrives after hours starts one page chain when its priority pages after hours
under its policy, or when it is a voicemail (unless `[paging] voicemail = "priority"`, or the
policy pages for nothing at all). The chain is the on-call schedule's escalation chain as of
the moment it started: step 1 is paged at once, and each later step when the previous one's
delay has passed without an acknowledgement, or at once when the previous page could not be
delivered. Every page is an outbox row, so a Twilio outage delays pages and loses none;
per-recipient rate limits hold a page back (never drop it) and say so in the ticket's events.

Everything here runs inside the caller's transaction: the chain starts in the same commit as
the ticket, and an acknowledgement stops it in the same commit that records it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from jinja2 import Environment

from gateway.clock import Clock
from gateway.config import Settings
from gateway.config.oncall import Staff
from gateway.policybook import PolicyBook
from gateway.promise import format_local
from gateway.store import outbox as outbox_sql
from gateway.store import paging as sql
from gateway.store import tickets as tickets_sql
from gateway.store.connection import Connection
from gateway.store.paging import Chain
from gateway.store.records import Ticket
from policies import Policy
from voice.commands import parse_staff_text
from voice.oncall import OnCallSchedule, PageStep
from voice.paths import SMS_STATUS, absolute_url
from voice.ratelimit import earliest_send, longest_window

log = logging.getLogger(__name__)

SUMMARY_CHARS = 100
CHANNEL_LABELS = {"voice": "voicemail", "email": "email", "sms": "SMS"}


def summarize(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= SUMMARY_CHARS else line[: SUMMARY_CHARS - 1].rstrip() + "…"


class Paging:
    """The `TicketHook` that starts page chains, and what escalation and acknowledgement do."""

    def __init__(
        self,
        clock: Clock,
        settings: Settings,
        policies: PolicyBook,
        templates: Environment,
        schedule: OnCallSchedule | None,
    ) -> None:
        self._clock = clock
        self._settings = settings
        self._policies = policies
        self._templates = templates
        self.schedule = schedule

    # -- starting ----------------------------------------------------------------------------

    async def ticket_created(
        self, db: Connection, ticket: Ticket, policy: Policy, first_line: str
    ) -> None:
        reason = self.page_reason(ticket, policy)
        if reason is None:
            return
        now = self._clock.now()
        if self.schedule is None:
            await tickets_sql.add_event(
                db, ticket.id, now, "page-skipped", reason=f"{reason}, but no [oncall] schedule"
            )
            return
        chain = await sql.insert_chain(
            db, ticket.id, reason=reason, summary=summarize(first_line), now=now
        )
        if chain is None:
            return  # one chain per ticket: it is already being paged
        await tickets_sql.add_event(db, ticket.id, now, "page-chain-started", reason=reason)
        await self._page(db, chain, 1, reason)

    def page_reason(self, ticket: Ticket, policy: Policy) -> str | None:
        """Why this ticket pages, or None if it does not."""
        if not ticket.after_hours:
            return None
        priority = ticket.effective_priority
        if policy.pages_after_hours(priority):
            return f"{priority} pages after hours"
        voicemail_pages = self._settings.paging.voicemail == "always"
        if (
            ticket.channel == "voice"
            and voicemail_pages
            and any(p.pages_after_hours for p in policy.priorities)
        ):
            return "after-hours voicemail"
        return None

    # -- escalating --------------------------------------------------------------------------

    async def escalate(self, db: Connection, chain_id: int, *, from_step: int, reason: str) -> bool:
        """Page the step after `from_step`, unless the chain moved on (or stopped) meanwhile."""
        chain = await sql.lock_chain(db, chain_id)
        if chain is None or chain.state != "active" or chain.step != from_step:
            return False
        if self.schedule is not None and from_step < len(self.schedule.chain(chain.started_at)):
            await tickets_sql.add_event(
                db, chain.ticket_id, self._clock.now(), "page-escalated", reason=reason
            )
        await self._page(db, chain, from_step + 1, reason)
        return True

    async def escalate_unacknowledged(self, db: Connection, chain: Chain) -> bool:
        """The escalation worker's part: `chain`'s current step waited its delay in vain."""
        steps = self.schedule.chain(chain.started_at) if self.schedule else []
        current = steps[chain.step - 1] if 0 < chain.step <= len(steps) else None
        waited = f" within {current.delay}" if current else ""
        who = f" by {current.staff.name}" if current else ""
        return await self.escalate(
            db, chain.id, from_step=chain.step, reason=f"not acknowledged{who}{waited}"
        )

    async def _page(self, db: Connection, chain: Chain, number: int, reason: str) -> None:
        now = self._clock.now()
        steps = self.schedule.chain(chain.started_at) if self.schedule else []
        if number > len(steps):
            await sql.exhaust_chain(db, chain.id)
            await tickets_sql.add_event(
                db, chain.ticket_id, now, "page-chain-exhausted", pages=len(steps)
            )
            return
        step = steps[number - 1]
        ticket = await tickets_sql.ticket_by_id(db, chain.ticket_id)
        assert ticket is not None
        send_at = await self._send_time(db, step.staff.phone, now)
        key = f"page-{ticket.number}-{step.number}-{step.round}"
        desk = self._settings.desk_for(ticket.desk)
        await outbox_sql.enqueue(
            db,
            ticket_id=ticket.id,
            kind="sms",
            purpose="page",
            key=key,
            recipient=step.staff.phone,
            payload={
                "to": step.staff.phone,
                "body": self._render(ticket, chain, step),
                "from": (desk.sms_from if desk else None) or self._settings.twilio.sms_from,
                "validity_period": int(self._settings.twilio.page_validity.total_seconds()),
                "status_callback": absolute_url(self._settings.public_url, SMS_STATUS),
                "chain": chain.id,
                "step": number,
            },
            now=now,
            not_before=send_at,
        )
        await sql.insert_page(
            db,
            chain_id=chain.id,
            step=number,
            round_=step.round,
            staff_id=step.staff.id,
            phone=step.staff.phone,
            outbox_key=key,
            send_at=send_at,
            now=now,
        )
        await sql.advance_chain(db, chain.id, step=number, next_at=now + step.delay)
        detail = {"step": number, "round": step.round, "target": step.target, "reason": reason}
        await tickets_sql.add_event(
            db, ticket.id, now, "paged", staff=step.staff.id, name=step.staff.name, **detail
        )
        if send_at > now:
            await tickets_sql.add_event(
                db,
                ticket.id,
                now,
                "page-held",
                staff=step.staff.id,
                until=send_at.isoformat(),
                reason="per-recipient rate limit",
            )

    async def _send_time(self, db: Connection, phone: str, now: datetime) -> datetime:
        limits = self._settings.paging.rate_limit
        widest = longest_window(limits)
        if widest is None:
            return now
        earlier = await sql.page_times(db, phone, now - widest.per)
        return earliest_send(earlier, limits, now)

    def _render(self, ticket: Ticket, chain: Chain, step: PageStep) -> str:
        policy = self._policies.get(ticket.policy)
        context = {
            "ticket_number": ticket.number,
            "priority_id": ticket.effective_priority,
            "channel": CHANNEL_LABELS.get(ticket.channel, ticket.channel),
            "customer": ticket.customer,
            "first_line": chain.summary,
            "due_local": format_local(ticket.due_at, policy.tz) if ticket.due_at else None,
            "escalated": step.number > 1,
            "step": step.number,
        }
        return self._templates.get_template("page_sms.txt.j2").render(context).strip()

    async def page_failed(self, db: Connection, chain_id: int, step: int, error: str) -> None:
        """A page could not be delivered: page the next step now instead of after the delay."""
        chain = await sql.chain_by_id(db, chain_id)
        if chain is None:
            return
        who = next(
            (p.staff_id for p in await sql.pages_of_chain(db, chain_id) if p.step == step), "?"
        )
        await self.escalate(
            db, chain_id, from_step=step, reason=f"page {step} to {who} failed: {error}"
        )

    # -- acknowledging -----------------------------------------------------------------------

    async def staff_text(self, db: Connection, staff: Staff, text: str) -> str:
        """Act on a text from a staff member; returns the reply to send them."""
        command = parse_staff_text(text)
        if command is None:
            example = await self._example_code(db, staff)
            return f'Intake: to acknowledge a page, reply "{example} A" (or "A" for your latest).'
        if command.ticket_number is None:
            chain = await sql.latest_chain_paged_to(db, staff.phone)
            if chain is None:
                return "Intake: nothing to acknowledge, no page has been sent to you."
        else:
            chain = await sql.chain_for_ticket_number(db, command.ticket_number)
            if chain is None:
                example = await self._example_code(db, staff)
                return (
                    f"Intake: no page for ticket {command.ticket_number}. Reply with the number"
                    f' from the page and A, e.g. "{example} A".'
                )
        return await self._acknowledge(db, chain, staff)

    async def _acknowledge(self, db: Connection, chain: Chain, staff: Staff) -> str:
        now = self._clock.now()
        ticket = await tickets_sql.ticket_by_id(db, chain.ticket_id)
        assert ticket is not None
        policy = self._policies.get(ticket.policy)
        if chain.state == "acknowledged" and chain.acked_by != staff.id:
            who = self._name(chain.acked_by)
            when = format_local(chain.acked_at, policy.tz) if chain.acked_at else "earlier"
            return f"Intake: ticket {ticket.number} was already acknowledged by {who} ({when})."
        if await sql.acknowledge_chain(db, chain.id, staff_id=staff.id, now=now):
            for page in await sql.pages_of_chain(db, chain.id):
                await outbox_sql.cancel(db, page.outbox_key, f"acknowledged by {staff.id}")
            await tickets_sql.add_event(
                db, ticket.id, now, "page-acknowledged", staff=staff.id, name=staff.name, via="sms"
            )
            log.info(
                "ticket %d: page acknowledged by %s",
                ticket.number,
                staff.id,
                extra={"ticket": ticket.number, "event": "page-acknowledged"},
            )
        due = f" Respond by {format_local(ticket.due_at, policy.tz)}." if ticket.due_at else ""
        return (
            f"Intake: acknowledged ticket {ticket.number} ({ticket.effective_priority}),"
            f" escalation stopped.{due}"
        )

    async def _example_code(self, db: Connection, staff: Staff) -> str:
        chain = await sql.latest_chain_paged_to(db, staff.phone)
        if chain is not None:
            ticket = await tickets_sql.ticket_by_id(db, chain.ticket_id)
            if ticket is not None:
                return str(ticket.number)
        return "1234"

    def _name(self, staff_id: str | None) -> str:
        if staff_id is None:
            return "someone"
        try:
            return self.schedule.staff(staff_id).name if self.schedule else staff_id
        except KeyError:
            return staff_id
