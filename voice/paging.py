"""Paging the on-call engineer by SMS, escalating until someone acknowledges.

A ticket that arrives after hours starts one page chain when its priority pages after hours
under its policy, or when it is a voicemail (unless `[paging] voicemail = "priority"`, or the
policy pages for nothing at all); on a desk with `paging = "always"` (an emergency address) a
priority that pages after hours pages at any hour. The chain is the on-call schedule's
escalation chain as of the moment it started: step 1 is paged at once, and each later step
when the previous one's delay has passed without an acknowledgement, or at once when the
previous page could not be delivered. A step's delay counts from when its page was handed to
the carrier (the outbox marked it sent), not from when it was queued: a page held back by a
rate limit, or retried through a Twilio outage, gets its full delay to be answered.

Pages wait per recipient, and go out coalesced. A page is queued for its number; an SMS goes
as soon as the per-recipient rate limits allow one, and it carries every page queued for that
number at that moment (GoAlert's bundling): a flood of 30 tickets costs the on-call engineer
two or three texts, not 30 texts spread over three hours, and the page that matters is in the
next one. Inside an SMS the pages are ordered most credible and most urgent first: the
classifier's own reading of the ticket (its proposed priority and confidence) counts, not
only the priority the customer declared. Pages nobody but their sender reads as urgent leave
the last `[paging] reserve` slots of every rate-limit window to pages that are credible, so
such a flood cannot use up the budget a real outage needs. A page that waits longer than
`twilio.page_validity` without reaching the carrier raises an alarm (a `page-overdue` event, a
metric, a warning in the log; `/healthz` can read `store.paging.paging_health`) and its chain
escalates at once.

A priority change (any caller, through the ticket service) is a hook too: a ticket raised to a
priority that pages now starts a chain; a ticket lowered to one that does not stops its active
chain (and cancels pages not yet sent); a change that still pages re-words what is not sent
yet (queued pages are worded only when their SMS goes).

Every SMS is an outbox row, so a Twilio outage delays pages and loses none. Every page fits one
160-character GSM-7 SMS (`voice.smstext`) and links to its ticket (`<public_url>/t/<number>`).

Staff answer by SMS (`voice.commands`): "1001 A" acknowledges, "1001 C" closes the ticket,
"AA" acknowledges all of their open pages, a bare "A" acknowledges their open page or, when
they have several, asks which; anything else is a note on their latest paged ticket. The
workspace's **Acknowledge** button (`/oncall`) stops a chain the same way
(`acknowledge_by_account`).

Everything here runs inside the caller's transaction: the chain starts in the same commit as
the ticket, and an acknowledgement stops it in the same commit that records it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from jinja2 import Environment

from gateway.clock import Clock
from gateway.config import Settings
from gateway.config.oncall import Staff
from gateway.hooks import PriorityChange
from gateway.lifecycle import Lifecycle
from gateway.policybook import PolicyBook
from gateway.promise import format_local
from gateway.store import counters as counters_sql
from gateway.store import outbox as outbox_sql
from gateway.store import paging as sql
from gateway.store import staff as staff_sql
from gateway.store import tickets as tickets_sql
from gateway.store.connection import Connection
from gateway.store.paging import Chain, Page
from gateway.store.records import OutboxItem, Ticket
from gateway.store.staff import StaffMember
from gateway.webhooks import Webhooks, ticket_payload
from policies import Policy
from voice.commands import Command, parse_staff_text
from voice.oncall import OnCallSchedule
from voice.paths import SMS_STATUS, absolute_url
from voice.ratelimit import earliest_send, longest_window
from voice.smstext import fit, septets, shorten, to_gsm7

log = logging.getLogger(__name__)

SUMMARY_CHARS = 100
NOTE_CHARS = 1600  # Twilio's longest inbound message
SUMMARY_FLOOR = 20  # septets of the first ticket's summary kept before others are cut
OTHERS_LISTED = 12  # other tickets an SMS of many pages names ("#1002") before "..."
CHANNEL_LABELS = {"voice": "voicemail", "email": "email", "sms": "SMS"}


def summarize(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= SUMMARY_CHARS else line[: SUMMARY_CHARS - 1].rstrip() + "…"


def ticket_link(public_url: str, number: int) -> str:
    return absolute_url(public_url, f"/t/{number}")


def due_short(at: datetime, policy: Policy, now: datetime) -> str:
    """ "Sat 04:00 EST" within the week ahead, "28 Nov 04:00 EST" further away: a page is
    read now, and every character counts."""
    local = at.astimezone(policy.tz)
    if timedelta(days=-1) < at - now < timedelta(days=6):
        return f"{local:%a %H:%M} {local.tzname()}"
    return f"{local.day} {local:%b %H:%M} {local.tzname()}"


@dataclass(frozen=True, slots=True)
class Waiting:
    """A queued page with what ranks it: its chain, its ticket and the ticket's policy."""

    page: Page
    chain: Chain
    ticket: Ticket
    policy: Policy
    credible: bool

    @property
    def rank(self) -> tuple[bool, int, int, float, datetime, int]:
        """Most credible, then most urgent, then most confidently read, then oldest first."""
        order = [p.id for p in self.policy.priorities]
        proposed = self.ticket.proposed_priority

        def level(priority: str | None) -> int:
            return order.index(priority) if priority in order else len(order)

        return (
            not self.credible,
            level(self.ticket.effective_priority),
            level(proposed),
            -(self.ticket.confidence or 0.0),
            self.ticket.received_at,
            self.ticket.number,
        )


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
        self._webhooks = Webhooks(settings.webhooks)
        # Status changes belong to the ticket service's lifecycle, which is built after this
        # hook (the service takes its hooks): `gateway.app.ticket_service_for` hands it in.
        self.lifecycle: Lifecycle | None = None

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

    def _pages_at_any_hour(self, ticket: Ticket) -> bool:
        desk = self._settings.desk_for(ticket.desk)
        return desk is not None and desk.paging == "always"

    def page_reason(self, ticket: Ticket, policy: Policy) -> str | None:
        """Why this ticket pages, or None if it does not."""
        priority = ticket.effective_priority
        if self._pages_at_any_hour(ticket) and policy.pages_after_hours(priority):
            return f"{priority} pages at any hour on {ticket.desk}"
        if not ticket.after_hours:
            return None
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

    async def priority_changed(
        self, db: Connection, change: PriorityChange, policy: Policy
    ) -> None:
        ticket, now = change.after, change.at
        priority = ticket.effective_priority
        # A person (or a late transcript) set this priority: it decides, not the channel, and
        # "now" is when it matters, not when the ticket arrived.
        pages_now = policy.pages_after_hours(priority) and (
            self._pages_at_any_hour(ticket) or policy.is_after_hours(now)
        )
        chain = await sql.chain_for_ticket(db, ticket.id)
        why = f"{change.before.effective_priority} -> {priority} by {change.actor}"
        if chain is None or chain.state == "stopped":  # lowered earlier: raised, it pages anew
            if pages_now:
                first = await tickets_sql.first_message(db, ticket.id, "in")
                text = first.latest_text if first else ""
                line = next((ln.strip() for ln in text.splitlines() if ln.strip()), ticket.subject)
                await self._start(db, ticket, f"{priority} pages after hours ({why})", line)
            return
        if chain.state != "active":
            return  # acknowledged (someone has it) or run out
        order = [p.id for p in policy.priorities]
        lowered = order.index(priority) > order.index(change.before.effective_priority)
        if policy.pages_after_hours(priority) or not lowered:
            # Still urgent enough (a raise never stops a chain, e.g. an after-hours voicemail
            # raised to a priority that would not page by itself): go on, re-worded.
            await self._reword_unsent(db, chain, ticket)
            return
        if await sql.stop_chain(db, chain.id):
            await self._withdraw(db, chain, f"priority changed ({why})")
            await tickets_sql.add_event(
                db,
                ticket.id,
                now,
                "page-chain-stopped",
                reason=f"{priority} does not page ({why}: {change.reason})",
            )

    async def _reword_unsent(self, db: Connection, chain: Chain, ticket: Ticket) -> None:
        """Queued pages are worded when their SMS goes; an SMS that carries this chain's page
        alone and is still in the outbox (Twilio retrying) is worded again here."""
        for page in await sql.unsent_pages(db, chain.id):
            if page.sms_key != page.outbox_key:
                continue  # shared with other tickets' pages: its text stands
            waiting = Waiting(page, chain, ticket, self._policies.get(ticket.policy), True)
            await sql.reword_unsent_page(db, page.outbox_key, self._render([waiting]))

    async def _withdraw(self, db: Connection, chain: Chain, reason: str) -> None:
        """The chain stopped: its queued pages never go, nor SMS that carry nothing else."""
        await sql.cancel_queued_pages(db, chain.id)
        for key in await sql.idle_sms_keys(db, chain.id):
            await outbox_sql.cancel(db, key, reason)

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
            log.warning(
                "ticket %d: page chain exhausted after %d pages, nobody acknowledged",
                await self._number(db, chain.ticket_id),
                len(steps),
                extra={"event": "page-chain-exhausted"},
            )
            return
        step = steps[number - 1]
        ticket = await tickets_sql.ticket_by_id(db, chain.ticket_id)
        assert ticket is not None
        await sql.insert_page(
            db,
            chain_id=chain.id,
            step=number,
            round_=step.round,
            staff_id=step.staff.id,
            phone=step.staff.phone,
            outbox_key=f"page-{ticket.number}-{step.number}-{step.round}"
            + ("" if await sql.is_first_chain(db, chain) else f"-c{chain.id}"),
            send_at=now,
            now=now,
        )
        # Due a step's delay after the page leaves: held pages push it later (`dispatch`),
        # and so does the carrier taking the SMS (`page_sent`). A page the carrier never
        # takes still escalates: nobody can have answered it.
        await sql.advance_chain(db, chain.id, step=number, next_at=now + step.delay)
        detail = {"step": number, "round": step.round, "target": step.target, "reason": reason}
        await tickets_sql.add_event(
            db, ticket.id, now, "paged", staff=step.staff.id, name=step.staff.name, **detail
        )
        await self.dispatch(db, step.staff.phone)

    # -- sending: one SMS per recipient when the limits allow, carrying every queued page ------

    async def dispatch(self, db: Connection, phone: str) -> bool:
        """Send the pages queued for `phone` in one SMS if the rate limits allow it now, else
        hold them until they do. True if an SMS was queued in the outbox."""
        # Two nodes paging one number at once would each count only the SMS committed
        # before them: one decides at a time, the other's pages wait for the next round.
        if not await counters_sql.take_turn(db, f"sms:{phone}"):
            return False
        now = self._clock.now()
        waiting = await self._waiting(db, phone)
        if not waiting:
            return False
        paging = self._settings.paging
        credible = any(w.credible for w in waiting)
        widest = longest_window(paging.rate_limit)
        sent = await sql.sms_times(db, phone, now - widest.per) if widest else []
        reserve = 0 if credible else paging.reserve
        at = earliest_send(sent, paging.rate_limit, now, reserve=reserve)
        if at > now:
            # Only pages whose hold moves are written: in a flood, the pages already held
            # until `at` are not touched again for every page that joins them.
            moved = [w for w in waiting if w.page.send_at != at]
            if moved:
                await sql.hold_pages(db, [w.page.id for w in moved], at)
            for w in moved:
                await self._delay_step(db, w.chain, w.page.step, at)
                if w.page.send_at == w.page.created_at:  # held for the first time
                    await tickets_sql.add_event(
                        db,
                        w.ticket.id,
                        now,
                        "page-held",
                        staff=w.page.staff_id,
                        until=at.isoformat(),
                        reason="per-recipient rate limit",
                        credible=w.credible,
                    )
            return False
        await self._send(db, phone, waiting, now)
        return True

    async def _delay_step(self, db: Connection, chain: Chain, step: int, start: datetime) -> None:
        """The page of `step` leaves at `start`: its delay is counted from then (or later)."""
        steps = self.schedule.chain(chain.started_at) if self.schedule else []
        if 0 < step <= len(steps):
            next_at = start + steps[step - 1].delay
            await sql.start_step_delay(db, chain.id, step=step, next_at=next_at)

    async def _waiting(self, db: Connection, phone: str) -> list[Waiting]:
        """The pages queued for `phone` whose chain still wants them, best ranked first."""
        waiting = []
        threshold = self._settings.paging.credible_confidence
        for page, chain, ticket in await sql.queued_with_chains(db, phone):
            if chain.state != "active" or chain.step != page.step:
                await sql.set_page_state(db, page.id, "cancelled")
                continue
            policy = self._policies.get(ticket.policy)
            proposed = ticket.proposed_priority
            credible = (
                proposed is not None
                and proposed in {p.id for p in policy.priorities}
                and policy.pages_after_hours(proposed)
                and (ticket.confidence or 0.0) >= threshold
            )
            waiting.append(Waiting(page, chain, ticket, policy, credible))
        return sorted(waiting, key=lambda w: w.rank)

    async def _send(
        self, db: Connection, phone: str, waiting: list[Waiting], now: datetime
    ) -> None:
        first = waiting[0]
        # A page that goes alone keeps its own key; an SMS of several is named by its first.
        key = first.page.outbox_key if len(waiting) == 1 else f"pages-{first.page.id}"
        desk = self._settings.desk_for(first.ticket.desk)
        await outbox_sql.enqueue(
            db,
            ticket_id=first.ticket.id,
            kind="sms",
            purpose="page",
            key=key,
            recipient=phone,
            payload={
                "to": phone,
                "body": self._render(waiting),
                "from": (desk.sms_from if desk else None) or self._settings.twilio.sms_from,
                "validity_period": int(self._settings.twilio.page_validity.total_seconds()),
                "status_callback": absolute_url(self._settings.public_url, SMS_STATUS),
                "chain": first.chain.id,
                "step": first.page.step,
                "tickets": [w.ticket.number for w in waiting],
            },
            now=now,
        )
        await sql.mark_pages_sent(db, [w.page.id for w in waiting], sms_key=key, now=now)
        if len(waiting) > 1:
            numbers = [w.ticket.number for w in waiting]
            for w in waiting:
                await tickets_sql.add_event(
                    db,
                    w.ticket.id,
                    now,
                    "page-coalesced",
                    staff=w.page.staff_id,
                    sms=key,
                    pages=len(waiting),
                    position=numbers.index(w.ticket.number) + 1,
                    first=first.ticket.number,
                )
            log.info(
                "ticket %d: %d pages to %s coalesced into one SMS",
                first.ticket.number,
                len(waiting),
                first.page.staff_id,
                extra={"ticket": first.ticket.number, "event": "page-coalesced"},
            )

    def _render(self, waiting: Sequence[Waiting]) -> str:
        """One SMS of 160 GSM-7 characters at most: the first page in full (its summary
        shortened to fit), the others by number."""
        first = waiting[0]
        ticket, policy, step = first.ticket, first.policy, first.page.step
        others = [f"#{w.ticket.number}" for w in waiting[1:]]  # ranked lower: numbers only
        listed = " ".join(others[:OTHERS_LISTED]) + (" ..." if len(others) > OTHERS_LISTED else "")
        template = self._templates.get_template("page_sms.txt.j2")
        now = self._clock.now()

        def render(parts: Sequence[str]) -> str:
            first_line, others_text, customer = parts
            return template.render(
                ticket_number=ticket.number,
                priority_id=ticket.effective_priority,
                channel=CHANNEL_LABELS.get(ticket.channel, ticket.channel),
                customer=customer,
                first_line=first_line,
                due_local=due_short(ticket.due_at, policy, now) if ticket.due_at else None,
                escalated=step > 1,
                step=step,
                more=len(others),
                others=others_text,
                link=ticket_link(self._settings.public_url, ticket.number),
            ).strip()

        # The first ticket's summary keeps a few words before the other tickets give way,
        # then goes too; the customer is shortened last.
        customer = to_gsm7(ticket.customer)
        return fit(
            render,
            [first.chain.summary, listed, customer],
            floors=[SUMMARY_FLOOR, 0, septets(customer)],
        )

    async def page_sent(self, db: Connection, item: OutboxItem, provider_id: str | None) -> None:
        """Outbox hook: the SMS is with the carrier, so the delay of every step it carried
        starts now."""
        for page in await sql.pages_in_sms(db, item.idempotency_key.partition("~")[0]):
            chain = await sql.chain_by_id(db, page.chain_id)
            if chain is not None:
                await self._delay_step(db, chain, page.step, self._clock.now())

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

    async def sms_failed(self, db: Connection, sms_key: str, error: str) -> None:
        """An SMS of pages could not be delivered: every page it carried escalates now."""
        for page in await sql.pages_in_sms(db, sms_key.partition("~")[0]):
            await self.page_failed(db, page.chain_id, page.step, error)

    async def page_overdue(self, db: Connection, page_id: int) -> bool:
        """A page waited past its validity without reaching the carrier: raise the alarm (an
        event and a warning; the caller counts it) and escalate its chain now."""
        now = self._clock.now()
        page = await sql.page_by_id(db, page_id)
        if page is None or not await sql.mark_overdue(db, page.id, now):
            return False
        validity = self._settings.twilio.page_validity
        waited = now - page.created_at
        where = "queued by the rate limits" if page.state == "queued" else "not handed over"
        chain = await sql.chain_by_id(db, page.chain_id)
        assert chain is not None
        await tickets_sql.add_event(
            db,
            chain.ticket_id,
            now,
            "page-overdue",
            staff=page.staff_id,
            step=page.step,
            waited=str(waited),
            validity=str(validity),
            where=where,
        )
        log.warning(
            "ticket %d: page %d to %s waited %s (%s), past its validity of %s: escalating",
            await self._number(db, chain.ticket_id),
            page.step,
            page.staff_id,
            waited,
            where,
            validity,
            extra={"event": "page-overdue"},
        )
        if page.state == "queued":
            await sql.set_page_state(db, page.id, "expired")
        await self.escalate(
            db,
            chain.id,
            from_step=page.step,
            reason=f"page {page.step} to {page.staff_id} waited past {validity} ({where})",
        )
        return True

    # -- answers from staff --------------------------------------------------------------------

    async def staff_text(self, db: Connection, staff: Staff, text: str) -> str:
        """Act on a text from a staff member; returns the reply to send them."""
        command = parse_staff_text(text)
        if command is None:
            return await self._note(db, staff, text)
        if command.action == "acknowledge-all":
            return await self._acknowledge_all(db, staff)
        if command.ticket_number is not None:
            chain = await sql.chain_for_ticket_number(db, command.ticket_number)
            if chain is None:
                example = await self._example_code(db, staff)
                return (
                    f"Intake: no page for ticket {command.ticket_number}. Reply with the number"
                    f' from the page and A, e.g. "{example} A".'
                )
            return await self._act(db, command, chain, staff)
        open_chains = await sql.open_chains_paged_to(db, staff.phone)
        if command.action == "close":
            example = await self._example_code(db, staff)
            return f'Intake: which ticket? Reply with its number and C, e.g. "{example} C".'
        if len(open_chains) > 1:
            numbers = [await self._number(db, c.ticket_id) for c in open_chains]
            listed = shorten(" ".join(str(n) for n in numbers), 60)
            return (
                f"Intake: you have {len(numbers)} open pages: {listed}. Reply with one and A,"
                f' e.g. "{numbers[0]} A", or AA for all.'
            )
        chain = open_chains[0] if open_chains else await sql.latest_chain_paged_to(db, staff.phone)
        if chain is None:
            return "Intake: nothing to acknowledge, no page has been sent to you."
        return await self._act(db, command, chain, staff)

    async def _act(self, db: Connection, command: Command, chain: Chain, staff: Staff) -> str:
        if command.action == "close":
            return await self._close(db, chain, staff)
        return await self._acknowledge(db, chain, staff)

    async def _acknowledge(self, db: Connection, chain: Chain, staff: Staff) -> str:
        ticket = await tickets_sql.ticket_by_id(db, chain.ticket_id)
        assert ticket is not None
        policy = self._policies.get(ticket.policy)
        if chain.state == "acknowledged" and chain.acked_by != staff.id:
            who = await self._name(db, chain.acked_by)
            when = format_local(chain.acked_at, policy.tz) if chain.acked_at else "earlier"
            return f"Intake: ticket {ticket.number} was already acknowledged by {who} ({when})."
        await self._stop_by(db, chain, ticket, staff)
        due = f" Respond by {format_local(ticket.due_at, policy.tz)}." if ticket.due_at else ""
        return (
            f"Intake: acknowledged ticket {ticket.number} ({ticket.effective_priority}),"
            f" escalation stopped.{due}"
        )

    async def acknowledge_by_account(
        self, db: Connection, ticket_number: int, account: StaffMember, *, via: str
    ) -> str | None:
        """A signed-in staff account acknowledges the ticket's page (the workspace's button):
        the same stop as an SMS "1001 A". The on-call entry with the account's phone is who
        acknowledged, as by SMS; an account outside the rota is recorded as `<via>:<email>`.
        None when done (or already done by the same person), else why not, in one sentence."""
        chain = await sql.chain_for_ticket_number(db, ticket_number)
        if chain is None:
            return f"Ticket {ticket_number} has not been paged; there is nothing to acknowledge."
        ticket = await tickets_sql.ticket_by_id(db, chain.ticket_id)
        assert ticket is not None
        actor = f"{via}:{account.email}"
        rostered = None
        if self.schedule is not None and account.phone:
            rostered = self.schedule.staff_by_phone(account.phone)
        staff_id = rostered.id if rostered is not None else actor
        person = {
            "id": rostered.id if rostered else None,
            "name": account.name,
            "email": account.email,
        }
        if chain.state != "acknowledged" and await self._stop(
            db, chain, ticket, staff_id, person, via=via, actor=actor
        ):
            return None
        # Acknowledged before, maybe a moment ago by someone else: say by whom.
        chain = await sql.chain_by_id(db, chain.id) or chain
        if chain.acked_by == staff_id:
            return None
        policy = self._policies.get(ticket.policy)
        when = format_local(chain.acked_at, policy.tz) if chain.acked_at else "earlier"
        who = await self._name(db, chain.acked_by)
        return f"Ticket {ticket.number} was already acknowledged by {who} ({when})."

    async def _stop_by(self, db: Connection, chain: Chain, ticket: Ticket, staff: Staff) -> bool:
        """Acknowledge `chain` for `staff`, who answered by SMS."""
        account = await staff_sql.staff_by_phone(db, staff.phone)  # the same person
        person = {"id": staff.id, "name": staff.name, "email": account.email if account else None}
        return await self._stop(
            db, chain, ticket, staff.id, person, via="sms", actor=f"sms:{staff.id}"
        )

    async def _stop(
        self,
        db: Connection,
        chain: Chain,
        ticket: Ticket,
        staff_id: str,
        person: dict[str, str | None],
        *,
        via: str,
        actor: str,
    ) -> bool:
        """Acknowledge `chain`: escalation stops, unsent pages are withdrawn, the event and
        the `page.acknowledged` webhook record who did it and how. False if already done."""
        now = self._clock.now()
        if not await sql.acknowledge_chain(db, chain.id, staff_id=staff_id, now=now):
            return False
        await self._withdraw(db, chain, f"acknowledged by {staff_id}")
        await tickets_sql.add_event(
            db,
            ticket.id,
            now,
            "page-acknowledged",
            staff=staff_id,
            name=person["name"],
            via=via,
            actor=actor,
        )
        await self._webhooks.emit(
            db,
            "page.acknowledged",
            ticket_payload(ticket, staff=person, via=via),
            now,
            ticket_id=ticket.id,
        )
        who = person["id"] or "a staff account"  # never an email: the log names no address
        log.info(
            "ticket %d: page acknowledged by %s%s",
            ticket.number,
            who,
            "" if via == "sms" else f" ({via})",
            extra={"ticket": ticket.number, "event": "page-acknowledged"},
        )
        return True

    async def _acknowledge_all(self, db: Connection, staff: Staff) -> str:
        chains = await sql.open_chains_paged_to(db, staff.phone)
        numbers = []
        for chain in chains:
            ticket = await tickets_sql.ticket_by_id(db, chain.ticket_id)
            assert ticket is not None
            if await self._stop_by(db, chain, ticket, staff):
                numbers.append(ticket.number)
        if not numbers:
            return "Intake: no open pages to acknowledge."
        listed = shorten(" ".join(str(n) for n in sorted(numbers)), 80)
        return f"Intake: acknowledged {len(numbers)} pages ({listed}), escalation stopped."

    async def _close(self, db: Connection, chain: Chain, staff: Staff) -> str:
        now = self._clock.now()
        ticket = await tickets_sql.ticket_by_id(db, chain.ticket_id)
        assert ticket is not None
        if ticket.status == "closed":
            return f"Intake: ticket {ticket.number} is already closed."
        if self.lifecycle is None:
            raise RuntimeError("paging was built without the ticket service's lifecycle")
        await self._stop_by(db, chain, ticket, staff)
        await self.lifecycle.close(
            db, ticket, actor=f"sms:{staff.id}", now=now, reason="closed by SMS reply to a page"
        )
        await tickets_sql.add_event(
            db, ticket.id, now, "resolved-by-page", staff=staff.id, name=staff.name, via="sms"
        )
        log.info(
            "ticket %d: closed by %s by SMS",
            ticket.number,
            staff.id,
            extra={"ticket": ticket.number, "event": "resolved-by-page"},
        )
        return (
            f"Intake: closed ticket {ticket.number} ({ticket.effective_priority}), paging stopped."
        )

    async def _note(self, db: Connection, staff: Staff, text: str) -> str:
        """Not a command: an internal note on the latest ticket paged to the sender."""
        chain = await sql.latest_chain_paged_to(db, staff.phone)
        if chain is None:
            return (
                "Intake: no page has been sent to you, so there is no ticket to add this to."
                ' To acknowledge a page, reply with its number and A, e.g. "1234 A".'
            )
        number = await self._number(db, chain.ticket_id)
        await tickets_sql.add_event(
            db,
            chain.ticket_id,
            self._clock.now(),
            "note",
            author=staff.id,
            name=staff.name,
            via="sms",
            text=text.strip()[:NOTE_CHARS],
        )
        return f'Intake: noted on ticket {number}. To acknowledge, reply "{number} A".'

    async def _example_code(self, db: Connection, staff: Staff) -> str:
        chain = await sql.latest_chain_paged_to(db, staff.phone)
        return str(await self._number(db, chain.ticket_id)) if chain is not None else "1234"

    async def _number(self, db: Connection, ticket_id: int) -> int:
        ticket = await tickets_sql.ticket_by_id(db, ticket_id)
        assert ticket is not None
        return ticket.number

    async def _name(self, db: Connection, staff_id: str | None) -> str:
        """Who acknowledged: a rota entry's name, or a staff account's (`web:<email>`)."""
        if staff_id is None:
            return "someone"
        try:
            return self.schedule.staff(staff_id).name if self.schedule else staff_id
        except KeyError:
            pass
        via, _, email = staff_id.partition(":")
        account = await staff_sql.staff_by_email(db, email) if email else None
        return f"{account.name} ({via})" if account is not None else staff_id
