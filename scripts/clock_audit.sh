#!/bin/bash
# The tests that run on the real clock (end-to-end `intake serve` runs, the CLI, which reads
# the wall clock, tests that take datetime.now), run at shifted times under libfaketime: an
# evening after the desk's hours, a weekend, a US holiday, the last evening of a month (the
# next month already in UTC), both US DST changes, and the minutes around 08:00 and 19:00 in
# New York (the demo desk's hours) and around midnight UTC at a month's end. A test that
# passes now but fails at one of these depends on the time of day.
#
# Needs Debian's faketime (`apt-get install faketime`), not a project dependency: this is an
# audit to run by hand, about 10 minutes per time on a quiet 2-core machine.
#
#     scripts/clock_audit.sh [TIME ...]     (times in UTC, `date -d` syntax)
#
# Each time is an offset from now (`faketime -f +Ns`), so `intake serve` subprocesses and the
# test agree on the time. CLOCK_MONOTONIC is shifted too: faking only the wall clock makes
# Python 3.11's time.sleep fail with EINVAL under libfaketime.
set -u
cd "$(dirname "$0")/.."
command -v faketime >/dev/null || { echo "clock_audit: faketime is not installed" >&2; exit 2; }
times=("$@")
if [ ${#times[@]} -eq 0 ]; then
  times=(
    "2026-11-24 14:30"  # Tuesday 09:30 New York, business hours
    "2026-11-28 23:30"  # Saturday 18:30 New York
    "2026-11-26 15:00"  # Thanksgiving, 10:00 New York
    "2026-12-01 02:30"  # 30 November 21:30 New York, December in UTC
    "2026-03-08 06:55"  # five minutes before the spring DST change in New York
    "2026-11-01 05:52"  # eight minutes before the autumn DST change in New York
  )
fi
mapfile -t files < <(
  grep -rlE 'datetime\.now|SystemClock|time\.time\(\)|"serve"|intake serve|CliRunner|subprocess|month_so_far|after_hours' \
    tests --include='test_*.py' | grep -v '^tests/classifier/' | sort
  ls tests/web/test_web_oncall_reports.py tests/web/test_web_clocks.py tests/gateway/test_lifecycle_cli.py
)
status=0
for at in "${times[@]}"; do
  offset=$(( $(date -u -d "$at UTC" +%s) - $(date -u +%s) ))
  echo "== $at UTC (${#files[@]} files)"
  faketime -f "+${offset}s" .venv/bin/pytest -q -p no:cacheprovider "${files[@]}" | tail -1
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
exit $status
