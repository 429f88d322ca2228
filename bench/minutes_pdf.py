"""Benchmark: the minutes of a large meeting as PDF (10 agencies, 40 information entries, 60 actions, 4 children).

Prints the pages and the time per page of the full minutes (median of a few runs), tagged PDF/A-3a as stored.
WeasyPrint runs in the Celery worker when the chair approves, never in a list page; this tells
how long a worker is busy per version. Run with `make bench`.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")

import django  # noqa: E402

django.setup()

from minutes import pdf  # noqa: E402
from tests.minutes.test_minutes import large_snapshot  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def main() -> None:
    data = large_snapshot()
    times, pages = [], 0
    for _ in range(RUNS):
        started = time.perf_counter()
        rendered = pdf.render(data, kind="full", printed="bench")
        times.append(time.perf_counter() - started)
        pages = rendered.pages
    median = statistics.median(times)
    print(f"large meeting, full version: {pages} pages, {median:.2f} s ({median / pages * 1000:.0f} ms a page)")


if __name__ == "__main__":
    main()
