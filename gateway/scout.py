"""The urgent lane: in a storm, the mail the classifier finds most urgent is processed first.

The intake worker claims the inbox in order and processes ~200 messages a second, so in a
storm of 10,000 a P1 outage that arrives last would wait the whole backlog for its ticket and
its page. Once `worker.scout_backlog` messages wait, the scout reads the waiting ones in
arrival order, and of each only its first `HEAD_BYTES`: the headers and the start of the
newest text, never attachments or the full pipeline (threading, dedup, rendering, SQL per
message). It asks the real classifier, under the policy of the mailbox the mail came to,
for a proposal, and records an `urgency` on the inbox row; the claim takes urgent rows
first (`gateway.store.inbox.claim_pending`). The full pipeline still decides the ticket's
real level: the scout changes only the ORDER.

Order must not break threads: a mail naming another (In-Reply-To, References, a `[#N]`
tag) stays in arrival order, and a mail is never more urgent than a pending earlier one in
its own thread (same sender and subject stem), so a reply or a follow-up never overtakes
what it follows (`inbox.mark_urgency`). Claims, leases, dedup and exactly-once are the
claim's own, unchanged: the scout writes two columns and nothing else.

The scout shares the event loop with the listener: it reads `SLICE` mails at a time and
yields between mails and between classifier passes of `CHUNK` mails, so accepting never
waits for more than one pass (a few milliseconds); and while the listener is busy it rests
after each slice, twice as long as the slice's CPU, so it takes at most `BUSY_SHARE` of the
loop from accepting (at ~0.6 ms a mail, that is still ~500 mails a second, more than this
machine accepts). Several nodes may scout the same rows;
the second merely writes the same reading.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses

from gateway.activity import ListenerActivity
from gateway.config import Settings
from gateway.mailrules import route
from gateway.parsing import declared_hints, ticket_tag
from gateway.parsing.charset import decode_bytes
from gateway.parsing.headers import decode_text
from gateway.parsing.identity import subject_stem
from gateway.parsing.reply import latest_reply
from gateway.policybook import PolicyBook
from gateway.store import Store
from gateway.store import inbox as inbox_sql
from gateway.store.inbox import Unscouted, Urgency
from gateway.triage import Proposer, decide_many
from gateway.worker import PollingWorker
from policies import Policy

log = logging.getLogger(__name__)

# Bytes of each mail the scout reads: the headers and the start of the text (a 3 KB support
# mail whole; of a 10 MB one with attachments, what a person reads first).
HEAD_BYTES = 8 * 1024
# The newest text the classifier is asked about: its first lines say what the mail is (the
# classifier's time grows with the text: 0.36 ms a mail at 600 characters, 0.87 at 2,000).
TEXT_CHARS = 600
# Mails read per round (one read, one write), classified CHUNK at a time in one pass each:
# the longest the listener waits for the scout is one chunk's classification (~6 ms).
SLICE = 64
CHUNK = 16
# Urgency of a level above the policy's default: the same for a rank in every policy, so one
# policy's P1 never waits behind another's P2. The default level and below stay 0 (arrival
# order), as do mails the scout could not read.
LANE_TOP = 100
# The share of the event loop the scout may take while the listener is busy.
BUSY_SHARE = 1 / 3


@dataclass(frozen=True, slots=True)
class Glance:
    """What the scout reads of a mail's first bytes."""

    subject: str
    sender: str  # From, lower case ("" if none)
    text: str  # the start of the newest text
    headers: dict[str, str]  # lower-case names, first occurrence
    threaded: bool  # names another message: In-Reply-To, References or a ticket tag


def glance(head: bytes) -> Glance:
    """Read headers and the first text part of `head` (a prefix of a raw mail); never raises
    for any bytes. Cheaper than `parse_message`: the legacy (compat32) parser, no attachment
    is decoded, and a truncated multipart simply ends early."""
    try:
        msg = message_from_bytes(head, policy=compat32)
        headers: dict[str, str] = {}
        for name, value in msg.items():
            headers.setdefault(name.lower(), str(value))
        subject = decode_text(headers.get("subject", ""), "Subject", [])
        addresses = getaddresses([headers.get("from", "")])
        sender = addresses[0][1].strip().lower() if addresses else ""
        # Twice what is kept: enough for quoted history or a signature to be recognised.
        text = latest_reply(_first_text(msg)[: 2 * TEXT_CHARS])[:TEXT_CHARS]
    except Exception:  # unreadable: it keeps its place in arrival order
        return Glance("", "", "", {}, threaded=True)
    threaded = bool(
        headers.get("in-reply-to", "").strip()
        or headers.get("references", "").strip()
        or ticket_tag(subject) is not None
    )
    return Glance(subject, sender, text, headers, threaded)


def _first_text(msg: Message) -> str:
    for part in msg.walk():
        if part.get_content_maintype() == "multipart":
            continue
        if part.get_content_type() != "text/plain" or part.get_filename():
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            return ""
        # The intake's own decoding (aliases, wrong or missing declarations), so the scout
        # reads the words the worker will read.
        return decode_bytes(payload, part.get_content_charset()).text.replace("\r\n", "\n")
    return ""


def thread_key(sender: str, subject: str) -> str:
    """A mail's thread as the scout sees it: its sender and subject stem, hashed (fixed size)."""
    data = f"{sender}\n{subject_stem(subject)}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def urgency_of(policy: Policy, level: str) -> int:
    """`LANE_TOP - rank` for a level above the policy's default, else 0."""
    try:
        rank = policy.priority(level).rank
    except (KeyError, ValueError):
        return 0
    return LANE_TOP - rank if rank < policy.default_priority.rank else 0


class IntakeScout(PollingWorker):
    """Reads the waiting mail ahead of the intake worker during a backlog (module docstring).

    It polls rather than waking on every commit: in a storm the listener and the workers
    commit hundreds of times a second, and each wake costs two reads; a backlog is only
    worth scouting once it is there, and a fifth of a second is little next to its wait.
    """

    poll_interval = 0.2

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        policies: PolicyBook,
        proposer: Proposer,
        activity: ListenerActivity | None = None,
    ) -> None:
        super().__init__()
        self._activity = activity or ListenerActivity()
        self._owed = 0.0  # seconds to rest, if the listener is busy, for the last slice's CPU
        self._caught_up = False  # the last slice took every unscouted row there was
        # The last row read: the next slice starts after it rather than walking the lane
        # again; back to the start whenever the backlog clears.
        self._after = 0
        self._store = store
        self._settings = settings
        self._policies = policies
        self._proposer = proposer
        # CPU seconds and mails scouted since start: what the lane costs (`cpu_per_mail`).
        self.cpu_seconds = 0.0
        self.scouted = 0

    @property
    def cpu_per_mail(self) -> float:
        return self.cpu_seconds / self.scouted if self.scouted else 0.0

    async def hold_back(self) -> float:
        """Rest after a slice while the listener is busy, so accepting keeps its share; and
        once caught up, for a poll interval, so that mail arriving one by one is read in
        slices (a slice per accepted mail cost a read, a write and a commit each)."""
        owed, self._owed = self._owed, 0.0
        caught_up, self._caught_up = self._caught_up, False
        if caught_up:
            return self.poll_interval
        return owed if self._activity.busy() else 0.0

    async def run_once(self) -> int:
        """Scout one slice if a backlog is waiting; return how many mails were read."""
        threshold = self._settings.worker.scout_backlog
        if not await self._store.read(
            lambda db: inbox_sql.backlog_at_least(db, "email", threshold)
        ):
            self._after = 0
            return 0
        after = self._after
        rows = await self._store.read(
            lambda db: inbox_sql.unscouted(
                db, "email", after=after, limit=SLICE, head_bytes=HEAD_BYTES
            )
        )
        if not rows:
            return 0
        self._after = rows[-1].id
        marks = await self.read(rows)
        await self._store.write(lambda db: inbox_sql.mark_urgency(db, marks))
        self._caught_up = len(rows) < SLICE
        return len(rows)

    async def read(self, rows: Sequence[Unscouted]) -> list[Urgency]:
        """Each row's urgency and thread, the classifier asked once per policy."""
        # CPU of the scout's own steps only: between them, the loop runs other tasks.
        cpu = 0.0
        glances: list[tuple[Unscouted, Glance, Policy | None]] = []
        for row in rows:
            started = time.thread_time()
            seen = glance(row.head)
            try:
                policy = None if seen.threaded else self._policy(row, seen)
            except Exception:  # the worker will say what is wrong; here it keeps its place
                log.exception("the scout could not route inbox row %d", row.id)
                policy = None
            glances.append((row, seen, policy))
            cpu += time.thread_time() - started
            await asyncio.sleep(0)  # reading is CPU: the listener answers in between
        by_policy: dict[str, tuple[Policy, list[tuple[Unscouted, Glance]]]] = {}
        for row, seen, policy in glances:
            if policy is not None:  # None: threaded or unroutable, arrival order it is
                by_policy.setdefault(policy.name, (policy, []))[1].append((row, seen))
        urgency: dict[int, int] = {}
        chunks = [
            (policy, group[i : i + CHUNK])
            for policy, group in by_policy.values()
            for i in range(0, len(group), CHUNK)
        ]
        for policy, group in chunks:
            started = time.thread_time()
            questions = [
                (seen.subject, seen.text, declared_hints(seen.subject, seen.text, seen.headers))
                for _, seen in group
            ]
            try:
                decisions = decide_many(self._proposer, policy, questions)
            except Exception:  # the lane is an optimisation: these keep arrival order
                log.exception("the scout could not classify %d waiting mails", len(group))
                decisions = []
            for (row, _), decision in zip(group, decisions, strict=False):
                urgency[row.id] = urgency_of(policy, decision.effective)
            cpu += time.thread_time() - started
            await asyncio.sleep(0)
        self.cpu_seconds += cpu
        self.scouted += len(rows)
        self._owed = cpu * (1 / BUSY_SHARE - 1)
        return [
            Urgency(
                row.id, urgency.get(row.id, 0), thread_key(seen.sender, seen.subject), seen.threaded
            )
            for row, seen, _ in glances
        ]

    def _policy(self, row: Unscouted, seen: Glance) -> Policy:
        """The policy the intake worker will route this mail to (`mailrules.route`)."""
        return route(self._settings, self._policies, row.meta, seen.sender).policy
