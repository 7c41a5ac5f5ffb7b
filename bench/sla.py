"""SLA clock throughput: deadlines per second over 100k random cases across the seed policies.

Prints the rate, a same-run baseline (a trivial calendar-only ``received + timedelta`` loop over
the same cases) and the ratio between them, and whether the 50,000 deadlines/s target is met.
Run: ``.venv/bin/python bench/sla.py [--cases N] [--seed S]``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta

from policies import Policy, builtin_policy_names, load_policy

TARGET_RATE = 50_000
SPAN_START = datetime(2026, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 2 * 365 * 24 * 3600

Case = tuple[Policy, str, str, datetime]


def make_cases(count: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    rules = [
        (policy, priority.id, which)
        for policy in (load_policy(name) for name in builtin_policy_names())
        for priority in policy.priorities
        for which in ("respond", "resolve", "rfo", "ongoing")
        if priority.target(which) is not None
    ]
    return [
        (*rng.choice(rules), SPAN_START + timedelta(seconds=rng.randrange(SPAN_SECONDS)))
        for _ in range(count)
    ]


def time_deadlines(cases: list[Case]) -> float:
    started = time.perf_counter()
    for policy, priority_id, which, received in cases:
        policy.deadline(priority_id, received, which)
    return time.perf_counter() - started


def time_baseline(cases: list[Case]) -> float:
    """The floor: one aware addition and one zone conversion per case, no SLA rules."""
    step = timedelta(hours=4)
    started = time.perf_counter()
    for policy, _priority_id, _which, received in cases:
        (received + step).astimezone(policy.tz)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    cases = make_cases(args.cases, args.seed)

    cold = time_deadlines(cases)  # fills the per-date caches as the gateway would
    warm = time_deadlines(cases)
    baseline = time_baseline(cases)

    cold_rate, warm_rate = len(cases) / cold, len(cases) / warm
    baseline_rate = len(cases) / baseline
    print(f"cases:            {len(cases):,} across {', '.join(builtin_policy_names())}")
    print(f"deadlines/s cold: {cold_rate:,.0f}  (first pass, building per-date caches)")
    print(f"deadlines/s warm: {warm_rate:,.0f}")
    print(f"baseline/s:       {baseline_rate:,.0f}  (received + timedelta, then to the zone)")
    print(f"ratio warm/baseline: {warm_rate / baseline_rate:.3f}")
    met = min(cold_rate, warm_rate) >= TARGET_RATE
    print(f"target {TARGET_RATE:,}/s: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
