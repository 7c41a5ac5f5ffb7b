"""Paging the on-call engineer by SMS, escalating until someone acknowledges.

A ticket that arrives after hours starts one page chain when its priority pages after hours
under its policy, or when it is a voicemail (unless `[paging] voicemail = "priority"`, or the
policy pages for nothing at all). The chain is the on-call schedule's escalation chain as of
the moment it started: step 1 is paged at once, and each later step when the previous one's
delay has passed without an acknowledgement, or at once when the previous page could not be
delivered. A step's delay counts from when its page was handed to the carrier (the outbox
marked it sent), not from when it was queued: a page held back by a rate limit, or retried
for a while, gets its full delay to be answered. Until the carrier has it, the step is due
at its planned send time plus the delay, so a page that never leaves still escalates.

A priority change (any caller, through the ticket service) is a hook too: after hours, a
ticket raised to a priority that pages starts a chain; a ticket lowered to one that does not
stops its active chain (and cancels pages not yet sent); a change that still pages re-words
the pages not yet sent, and every later page carries the new priority.

Every page is an outbox row, so a Twilio outage delays pages and loses none; per-recipient
rate limits hold a page back (never drop it) and say so in the ticket's events.

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
from gateway.hooks import PriorityChange
from gateway.policybook import PolicyBook
from gateway.promise import format_local
from gateway.store import outbox as outbox_sql
from gateway.store import paging as sql
from gateway.store import tickets as tickets_sql
from gateway.store.connection import Connection
from gateway.store.paging import Chain
from gateway.store.records import OutboxItem, Ticket
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
        await self._start(db, ticket, reason, first_line)

    async def sla_breached(self, db: Connection, ticket: Ticket, reason: str) -> None:
        """An SLA deadline passed after hours on a level that pages (the clock scanner):
        page, quoting the first message, unless this ticket has a chain already."""
        first = await tickets_sql.first_message(db, ticket.id, "in")
        text = first.latest_text if first else ""
        line = next((ln.strip() for ln in text.splitlines() if ln.strip()), ticket.subject)
        await self._start(db, ticket, reason, line)

    async def _start(self, db: Connection, ticket: Ticket, reason: str, first_line: str) -> None:
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

    async def priority_changed(
        self, db: Connection, change: PriorityChange, policy: Policy
    ) -> None:
        ticket, now = change.after, change.at
        priority = ticket.effective_priority
        # A person (or a late transcript) set this priority: it decides, not the channel, and
        # "now" is when it matters, not when the ticket arrived.
        pages_now = policy.is_after_hours(now) and policy.pages_after_hours(priority)
        chain = await sql.chain_for_ticket(db, ticket.id)
        why = f"{change.before.effective_priority} -> {priority} by {change.actor}"
        if chain is None:
            if pages_now:
                first = await tickets_sql.first_message(db, ticket.id, "in")
                text = first.latest_text if first else ""
                line = next((ln.strip() for ln in text.splitlines() if ln.strip()), ticket.subject)
                await self._start(db, ticket, f"{priority} pages after hours ({why})", line)
            return
        if chain.state != "active":
            if pages_now and chain.state == "stopped":
                await tickets_sql.add_event(
                    db,
                    ticket.id,
                    now,
                    "page-skipped",
                    reason=f"{priority} pages after hours, but this ticket's chain was stopped",
                )
            return  # acknowledged (someone has it) or run out
        order = [p.id for p in policy.priorities]
        lowered = order.index(priority) > order.index(change.before.effective_priority)
        if policy.pages_after_hours(priority) or not lowered:
            # Still urgent enough (a raise never stops a chain, e.g. an after-hours voicemail
            # raised to a priority that would not page by itself): go on, re-worded.
            await self._reword_unsent(db, chain, ticket)
            return
        if await sql.stop_chain(db, chain.id):
            for page in await sql.unsent_pages(db, chain.id):
                await outbox_sql.cancel(db, page.outbox_key, f"priority changed ({why})")
            await tickets_sql.add_event(
                db,
                ticket.id,
                now,
                "page-chain-stopped",
                reason=f"{priority} does not page ({why}: {change.reason})",
            )

    async def _reword_unsent(self, db: Connection, chain: Chain, ticket: Ticket) -> None:
        steps = self.schedule.chain(chain.started_at) if self.schedule else []
        for page in await sql.unsent_pages(db, chain.id):
            if 0 < page.step <= len(steps):
                body = self._render(ticket, chain, steps[page.step - 1])
                await sql.reword_unsent_page(db, page.outbox_key, body)

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
        chain = await sql.chain_by_id(db, chain_id)
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
        # Due when the page was to leave plus the step's delay; moved later when the page is
        # actually handed to the carrier (`page_sent`). A page the carrier never takes (an
        # outage, an answer lost for good) still escalates: nobody can have answered it.
        await sql.advance_chain(db, chain.id, step=number, next_at=send_at + step.delay)
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

    async def page_sent(self, db: Connection, item: OutboxItem, provider_id: str | None) -> None:
        """Outbox hook: the page is with the carrier, so its step's delay starts now."""
        chain_id, number = item.payload.get("chain"), item.payload.get("step")
        if chain_id is None or number is None:
            return
        chain = await sql.chain_by_id(db, int(chain_id))
        steps = self.schedule.chain(chain.started_at) if chain and self.schedule else []
        if chain is None or not 0 < int(number) <= len(steps):
            return
        delay = steps[int(number) - 1].delay
        await sql.start_step_delay(
            db, chain.id, step=int(number), next_at=self._clock.now() + delay
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
