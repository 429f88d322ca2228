"""Benchmark: the timescale engine's due dates. A 45-working-day rule (ASSESSMENT) should cost within 2x of the
1-working-day one (SD_IMMEDIATE_ACTION): working days come from a precomputed table per calendar, not a walk.

Pure Python, no database: `make bench` runs it.
"""

import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.timescales import LONDON, Calendar, due_at  # noqa: E402

RUNS = 20_000


def per_call(rule: str, calendar: Calendar) -> float:
    start = dt.datetime(2026, 12, 21, 10, 0, tzinfo=LONDON)
    due_at(rule, start, calendar)  # the table is built once per calendar and block of years
    began = time.perf_counter()
    for n in range(RUNS):
        due_at(rule, start + dt.timedelta(hours=n % 500), calendar)
    return (time.perf_counter() - began) / RUNS * 1e6


def main() -> None:
    calendar = Calendar(closure_days=frozenset({dt.date(2026, 12, 29)}))
    one = per_call("SD_IMMEDIATE_ACTION", calendar)
    for rule in ("SD_IMMEDIATE_ACTION", "ICPC", "ASSESSMENT"):
        us = per_call(rule, calendar)
        print(f"{rule:<18} {us:6.1f} us a due date ({us / one:.2f}x the 1-working-day rule)")


if __name__ == "__main__":
    main()
