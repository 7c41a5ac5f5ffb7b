"""The `250` -> ticket stage alone: CPU per message of the intake worker, optionally profiled.

Accepted mail is written straight into the inbox (no SMTP), then the worker processes it in
batches of `--batch` exactly as `intake serve` does, with the real classifier, the bench's
after-hours policy (every P1 pages) and the file SMS transport. CPU time is the process's own
(`time.process_time`), which the other work on a shared machine does not inflate.

    .venv/bin/python -m bench.intake_profile --messages 2000
    .venv/bin/python -m bench.intake_profile --messages 2000 --cprofile /tmp/intake.prof
    .venv/bin/python -m bench.intake_profile --messages 500 --statements   # SQL per message
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import re
import resource
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.smtp_intake import ONCALL, WARM_UP, _night_policy, support_mail
from gateway.app import Gateway
from gateway.config import WorkerSettings, load_settings
from gateway.store import Store
from gateway.store import core as store_core
from gateway.store import inbox as inbox_sql
from gateway.store.connection import Connection
from gateway.triage import Decision
from policies import Policy


async def run(
    messages: int, batch: int, profile: Path | None, *, classify: bool, statements: bool = False
) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        policy = _night_policy(Path(data_dir))
        config = Path(data_dir) / "bench.toml"
        config.write_text(
            "[ack]\ndesk_budget = 10000000\n"
            f'[[desks]]\naddress = "support@localhost"\npolicy = "{policy}"\n'
            f'name = "Bench Support"\n{ONCALL}'
        )
        settings = load_settings(
            config,
            environ={},
            overrides={
                ("data_dir",): data_dir,
                ("smtp", "port"): 0,
                ("http", "port"): 0,
                ("worker", "batch"): batch,
            },
        )
        proposer = None if classify else BenchLevels()
        gateway = Gateway(settings, proposer=proposer, workers=False)
        await gateway.start()
        try:
            mails = [(n, support_mail(n)) for n in range(messages + WARM_UP)]
            await _accept(gateway.store, mails[:WARM_UP])
            while await gateway.intake.run_once():  # warm-up: caches, first statements
                pass
            await _accept(gateway.store, mails[WARM_UP:])
            profiler = cProfile.Profile(time.thread_time) if profile else None
            writer = _WriterTime(
                profile.with_suffix(".writer.prof") if profile else None, trace=statements
            )
            cpu, wall = time.process_time(), time.perf_counter()
            kernel = resource.getrusage(resource.RUSAGE_SELF).ru_stime
            if profiler:
                profiler.enable()
            done = 0
            while count := await gateway.intake.run_once():
                done += count
            if profiler and profile:
                profiler.disable()
                profiler.dump_stats(profile)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            kernel = resource.getrusage(resource.RUSAGE_SELF).ru_stime - kernel
            writer.stop()
            # Then what follows: the outbox sends every acknowledgement and page (the file
            # transports of the demo desk, each file written and fsynced).
            sending, on_loop = time.process_time(), time.thread_time()
            sent = 0
            while count := await gateway.outbox.run_once():
                sent += count
            sending, on_loop = time.process_time() - sending, time.thread_time() - on_loop
        finally:
            await gateway.stop()
    print(
        f"{done} messages in batches of {batch}: {cpu * 1000 / done:.2f} ms CPU per message"
        f" ({done / cpu:,.0f} messages per CPU second); {done / wall:,.0f} messages/s wall"
        f"   load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"   of which the store's writer thread (SQL, commits): "
        f"{writer.cpu * 1000 / done:.2f} ms per message; in the kernel (writes, fsync):"
        f" {kernel * 1000 / done:.2f} ms per message"
    )
    if statements:
        print(f"   SQL statements on the writer per message: {writer.statements / done:.1f}")
        for text, count in writer.by_text.most_common(60):
            print(f"   {count / done:6.2f}  {text[:150]}")
    print(
        f"then the outbox: {sent} sent, {sending * 1000 / done:.2f} ms CPU per message"
        f" ({on_loop * 1000 / done:.2f} of it on the event loop)"
    )


# Bound values, as the trace callback shows them expanded: counted as one statement shape.
_LITERALS = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")


class _WriterTime:
    """The CPU the store's writer thread spends on the worker's transactions (and, with a
    path, a cProfile of it): the event loop's profile does not see that thread."""

    def __init__(self, profile: Path | None, *, trace: bool = False) -> None:
        self.cpu = 0.0
        self.statements = 0
        self.by_text: Counter[str] = Counter()

        def count(text: str) -> None:
            self.statements += 1
            self.by_text[_LITERALS.sub("?", " ".join(text.split()))] += 1

        self._profile = profile
        self._profiler = cProfile.Profile(time.thread_time) if profile else None
        self._original = store_core._commit_ops

        def timed(connection: Any, ops: Any) -> Any:
            if trace:
                connection.set_trace_callback(count)
            started = time.thread_time()
            if self._profiler:
                self._profiler.enable()
            try:
                return self._original(connection, ops)
            finally:
                if self._profiler:
                    self._profiler.disable()
                self.cpu += time.thread_time() - started
                if trace:
                    connection.set_trace_callback(None)

        store_core._commit_ops = timed

    def stop(self) -> None:
        store_core._commit_ops = self._original
        if self._profiler and self._profile:
            self._profiler.dump_stats(self._profile)


class BenchLevels:
    """A proposer without the classifier, with the levels it gives the bench's mail: P1 for
    the declared outages, P2 for the rest. (The policy's default, P4, would measure the
    SLA clocks of the bench's one-minute business day instead: years of calendar.)"""

    def decide(
        self, policy: Policy, subject: str, body: str, declared_hints: Sequence[str]
    ) -> Decision:
        level = "P1" if subject.startswith("Priority 1") else "P2"
        return Decision(None, level, level, 1.0, ("no classifier",), None)


async def _accept(store: Store, mails: list[tuple[int, bytes]]) -> None:
    """Into the inbox as the SMTP handler puts them, 256 to a transaction."""
    now = datetime.now(UTC)
    for start in range(0, len(mails), 256):
        chunk = mails[start : start + 256]
        await store.write(lambda db, chunk=chunk: _insert(db, chunk, now))  # type: ignore[misc]


async def _insert(db: Connection, mails: list[tuple[int, bytes]], now: datetime) -> None:
    for n, raw in mails:
        await inbox_sql.insert_inbox(
            db,
            channel="email",
            kind="smtp",
            received_at=now,
            meta={"mail_from": f"customer{n}@example.com", "rcpt_tos": ["support@localhost"]},
            raw=raw,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--cprofile", type=Path, default=None)
    parser.add_argument(
        "--no-classifier",
        action="store_true",
        help="the levels the classifier gives, without it: the cost of the rest alone",
    )
    parser.add_argument(
        "--statements",
        action="store_true",
        help="count the SQL statements the writer runs per message (slows the run down)",
    )
    args = parser.parse_args()
    batch = args.batch or WorkerSettings().batch
    asyncio.run(
        run(
            args.messages,
            batch,
            args.cprofile,
            classify=not args.no_classifier,
            statements=args.statements,
        )
    )


if __name__ == "__main__":
    main()
