"""Benchmark: moving 100,000 open deadlines after a partnership's calendar changed (a closure day added), against
a bare bulk UPDATE of the same rows. Target: within 5x of the bare UPDATE (issue 18), history rows included.

Run with `make bench` (SQLite under var/) or against PostgreSQL: DATABASE_URL=postgres://... bench/reschedule.py.
"""

import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench-reschedule.sqlite3'}")
(ROOT / "var").mkdir(exist_ok=True)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import F  # noqa: E402

from administration.management.commands.seed_demo import ensure_reference_rows  # noqa: E402
from agencies.models import ClosureDay, RoleCode  # noqa: E402
from agencies.selectors import partnership_calendar  # noqa: E402
from core.timescales import LONDON  # noqa: E402
from referrals.deadlines import deadline_moments, deadlines_reschedule  # noqa: E402
from referrals.models import Deadline  # noqa: E402
from tests.factories import AgencyFactory, PartnershipFactory, UserFactory, make_referral  # noqa: E402

ROWS = int(os.environ.get("BENCH_ROWS", "100000"))
TARGET_RATIO = 5
START = dt.datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)  # a Monday: every clock runs over the closure day


def _world():
    ensure_reference_rows()
    partnership = PartnershipFactory(name=f"Bench Reschedule {time.time_ns()}")
    agency = AgencyFactory(partnership=partnership, name=f"Bench CSC {partnership.pk}")
    worker = UserFactory(username=f"bench_resched_{partnership.pk}", agency=agency, roles=[RoleCode.SOCIAL_WORKER])
    referral = make_referral(acting_user=worker, received_at=START, now=START + dt.timedelta(minutes=5))
    calendar = partnership_calendar(partnership)
    rows = []
    for i in range(ROWS):
        starts = START + dt.timedelta(minutes=i % 600)
        due, due_soon, escalate = deadline_moments(
            "SD_STANDARD", starts, calendar=calendar, due_soon_share=partnership.due_soon_share
        )
        rows.append(
            Deadline(
                partnership=partnership,
                referral=referral,
                rule="SD_STANDARD",
                starts_at=starts,
                due_at=due,
                due_soon_at=due_soon,
                escalate_at=escalate,
                alerted_stage=0,
                next_alert_at=due_soon,
            )
        )
    Deadline.objects.bulk_create(rows, batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE referrals_deadline")
    return partnership, worker


def main() -> None:
    call_command("migrate", verbosity=0)
    partnership, worker = _world()
    open_rows = Deadline.objects.filter(partnership=partnership, state="open")
    print(f"rescheduling on {connection.vendor}, {open_rows.count()} open deadlines")

    started = time.perf_counter()
    with transaction.atomic():
        bare = open_rows.update(due_at=F("due_at") + dt.timedelta(days=1))  # a bare bulk UPDATE of the same rows
    bare_s = time.perf_counter() - started
    with transaction.atomic():
        open_rows.update(due_at=F("due_at") - dt.timedelta(days=1))
    print(f"bare bulk UPDATE of {bare} rows: {bare_s:.2f} s")

    ClosureDay.objects.create(partnership=partnership, date=dt.date(2026, 11, 24), reason="Bench closure")
    started = time.perf_counter()
    moved = deadlines_reschedule(acting_user=worker, partnership=partnership, reason="Bench closure day")
    moved_s = time.perf_counter() - started
    ratio = moved_s / bare_s if bare_s else float("inf")
    print(f"reschedule: {moved} moved (history rows included) in {moved_s:.2f} s, {ratio:.1f}x the bare UPDATE")
    # The target is PostgreSQL's (production); SQLite in `make run` takes the plain bulk_update path.
    on_target = ratio <= TARGET_RATIO or connection.vendor != "postgresql"
    sys.exit(0 if moved >= ROWS and on_target else 1)


if __name__ == "__main__":
    main()
