"""Properties of the SLA clock over random arrivals, including arrivals around DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from policies import Policy, load_policy
from policies.loader import builtin_policy_names

from .policy_samples import ALL_DAYS, policy_from, sample_policy

ODD_NIGHTS = """
name = "odd-nights"
timezone = "Europe/Berlin"
holidays = "DE"
[hours]
sat = "01:30-02:30, 02:45-03:15"
sun = "00:00-02:30, 02:40-03:10, 22:00-24:00"
mon = "08:00-12:00, 13:00-18:00"
[[priority]]
id = "A"
respond = "3 business hours"
resolve = "2 business days"
[[priority]]
id = "B"
respond = "1 business week"
resolve = "1 calendar day"
"""

POLICIES: list[Policy] = [
    *(load_policy(name) for name in builtin_policy_names()),
    sample_policy(
        "90 business minutes",
        "1 business day",
        "3 business days",
        "1 calendar day",
        "1 business week",
        "business immediate",
        spans="08:00-12:00, 13:00-18:00",
        extra_holidays=("2026-12-24", "2027-12-24"),
    ),
    sample_policy(
        "5 business hours",
        "1 business day",
        "2 weeks",
        zone="Australia/Sydney",
        days=ALL_DAYS,
        spans="00:00-24:00",
        holidays="AU-NSW",
    ),
    policy_from(ODD_NIGHTS),
]
CASES = [
    (policy, priority.id, which)
    for policy in POLICIES
    for priority in policy.priorities
    for which in ("respond", "resolve", "rfo", "ongoing")
    if priority.target(which) is not None
]

# DST changes in the zones above, in UTC, 2026-2027.
CHANGES = [
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
    datetime(2027, 3, 14, 7, tzinfo=UTC),
    datetime(2027, 11, 7, 6, tzinfo=UTC),
    datetime(2026, 3, 8, 8, tzinfo=UTC),  # Chicago
    datetime(2026, 11, 1, 7, tzinfo=UTC),
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2027, 3, 28, 1, tzinfo=UTC),
    datetime(2027, 10, 31, 1, tzinfo=UTC),
    datetime(2026, 4, 4, 16, tzinfo=UTC),
    datetime(2026, 10, 3, 16, tzinfo=UTC),
    datetime(2027, 4, 3, 16, tzinfo=UTC),
    datetime(2027, 10, 2, 16, tzinfo=UTC),
]

anywhere = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
near_a_change = st.builds(
    lambda change, seconds: change + timedelta(seconds=seconds),
    st.sampled_from(CHANGES),
    st.integers(min_value=-30 * 3600, max_value=30 * 3600),
)
instants = st.one_of(anywhere, near_a_change)
gaps = st.one_of(
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10)),
    st.integers(min_value=0, max_value=7200).map(lambda s: timedelta(seconds=s)),
)
cases = st.sampled_from(CASES)


def _due(policy: Policy, priority_id: str, which: str, at: datetime) -> datetime | None:
    found = policy.deadline(priority_id, at, which)
    return None if found is None else found.astimezone(UTC)


@settings(max_examples=300, deadline=None)
@given(case=cases, received=instants, gap=gaps)
def test_a_later_arrival_never_gets_an_earlier_deadline(
    case: tuple[Policy, str, str], received: datetime, gap: timedelta
) -> None:
    policy, priority_id, which = case
    first = _due(policy, priority_id, which, received)
    later = _due(policy, priority_id, which, received + gap)
    if first is not None and later is not None:
        assert first <= later


@settings(max_examples=300, deadline=None)
@given(case=cases, received=instants)
def test_deadline_is_never_before_the_arrival(
    case: tuple[Policy, str, str], received: datetime
) -> None:
    policy, priority_id, which = case
    found = _due(policy, priority_id, which, received)
    if found is not None:
        assert found >= received


@settings(max_examples=300, deadline=None)
@given(case=cases, received=instants)
def test_business_deadline_is_never_strictly_inside_closed_time(
    case: tuple[Policy, str, str], received: datetime
) -> None:
    policy, priority_id, which = case
    rule = policy.priority(priority_id).target(which)
    assert rule is not None
    found = _due(policy, priority_id, which, received)
    if found is not None and rule.business:
        just_before = found - timedelta(microseconds=1)
        assert policy.is_open(found) or policy.is_open(just_before)


@settings(max_examples=200, deadline=None)
@given(policy=st.sampled_from(POLICIES), at=instants)
def test_next_opening_is_open_and_not_before(policy: Policy, at: datetime) -> None:
    opening = policy.next_opening(at).astimezone(UTC)
    assert opening >= at
    assert policy.is_open(opening)
    assert (opening == at) == policy.is_open(at)
    assert policy.is_after_hours(at) == (not policy.is_open(at))
