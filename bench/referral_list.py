"""Benchmark: the referral list with many referrals. Target: median under 150 ms for 2,000 referrals.

Run with `make bench` (an SQLite file under var/, so it needs no server). Speed targets live
here, not in timed tests; the tests assert that the page's query count does not grow instead.
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

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from agencies.models import User  # noqa: E402
from referrals.models import Referral  # noqa: E402
from tests.factories import child, make_referral  # noqa: E402

ROWS = int(os.environ.get("BENCH_ROWS", "2000"))
TARGET_MS = 150


def main() -> None:
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", stdout=quiet)
    social_worker = User.objects.get(username="sw.demo")
    for i in range(Referral.objects.count(), ROWS):
        make_referral(acting_user=social_worker, children=[child(f"Bench{i}", "Child"), child(f"Sib{i}", "Child")])
    client = Client()
    client.force_login(social_worker)
    timings = []
    for params in [{}] * 20 + [{"q": "Bench1"}] * 10 + [{"overdue": "on"}] * 10:
        start = time.perf_counter()
        if client.get("/referrals/", params).status_code != 200:
            sys.exit("the referral list did not answer 200")
        timings.append((time.perf_counter() - start) * 1000)
    median = statistics.median(timings)
    print(f"referral list, {Referral.objects.count()} referrals: median {median:.1f} ms, max {max(timings):.1f} ms")
    sys.exit(0 if median < TARGET_MS else 1)


if __name__ == "__main__":
    main()
