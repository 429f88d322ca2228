"""Benchmark: one deadline sweep over 100,000 open deadlines, all past a stage. Target: under 60 s.

Run with `make bench` (an SQLite file under var/, so it needs no server), or against PostgreSQL with
DATABASE_URL=postgres://... The rows are made with bulk_create, past their due-soon, overdue or
escalation moments, over a few agencies and people; then one sweep raises their alerts, a second
sweep must raise none, and one bounded batch of alert emails goes to an in-memory mailbox.
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
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench-sweep.sqlite3'}")
(ROOT / "var").mkdir(exist_ok=True)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from actions import alerts  # noqa: E402
from actions.models import Alert, Notification  # noqa: E402
from administration.management.commands.seed_demo import ensure_reference_rows  # noqa: E402
from agencies.models import RoleCode  # noqa: E402
from referrals.models import Deadline  # noqa: E402
from tests.factories import AgencyFactory, PartnershipFactory, UserFactory, make_referral  # noqa: E402

ROWS = int(os.environ.get("BENCH_ROWS", "100000"))
TARGET_S = 60
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)  # the sweep's moment; time is an argument
HOUR = dt.timedelta(hours=1)
PARTNERSHIP = "Bench Sweep Partnership"


def _user(username: str, agency, role: str):
    return UserFactory(username=username, email=f"{username}@example.invalid", agency=agency, roles=[role])


def _world() -> list:
    """Four agencies, each with a head of service, two team managers and twenty social workers."""
    ensure_reference_rows()
    partnership = PartnershipFactory(name=PARTNERSHIP)
    workers = []
    for a in range(4):
        agency = AgencyFactory(partnership=partnership, name=f"Bench Agency {a}")
        _user(f"bench_hos{a}", agency, RoleCode.HEAD_OF_SERVICE)
        managers = [_user(f"bench_tm{a}_{m}", agency, RoleCode.TEAM_MANAGER) for m in range(2)]
        for w in range(20):
            worker = _user(f"bench_sw{a}_{w}", agency, RoleCode.SOCIAL_WORKER)
            worker.line_manager = managers[w % 2]
            worker.save()
            workers.append(worker)
    return workers


def _clear() -> None:
    """Leave no alerts from an earlier run, so a run against the same database measures the same work."""
    Notification.objects.filter(alert__deadline__partnership__name=PARTNERSHIP).delete()
    Alert.objects.filter(deadline__partnership__name=PARTNERSHIP).delete()
    Deadline.objects.filter(partnership__name=PARTNERSHIP, rule="ACTION").delete()


def _deadlines(workers: list) -> None:
    referrals = [make_referral(acting_user=workers[0], now=NOW - 30 * 24 * HOUR, received_at=NOW - 31 * 24 * HOUR)]
    rows = []
    for i in range(ROWS):
        worker = workers[i % len(workers)]
        # A third due soon, a third overdue, a third overdue by a working day more, at moments up to 10 h apart.
        due = NOW + (12, -12, -48)[i % 3] * HOUR - dt.timedelta(minutes=i % 600)
        rows.append(
            Deadline(
                partnership_id=referrals[0].partnership_id,
                referral=referrals[0],
                rule="ACTION",
                starts_at=due - 72 * HOUR,
                due_at=due,
                due_soon_at=due - 30 * HOUR,
                escalate_at=due + 24 * HOUR,
                responsible=worker,
                agency_id=worker.agency_id,
                alerted_stage=0,
                next_alert_at=due - 30 * HOUR,
            )
        )
    Deadline.objects.bulk_create(rows, batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE referrals_deadline")  # as autovacuum would have on a table this size


def _timed(label: str, work):
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        start = time.perf_counter()
        result = work()
        elapsed = time.perf_counter() - start
    print(f"{label}: {elapsed:.2f} s, {queries} queries")
    return result, elapsed


def main() -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("migrate", verbosity=0)
    _clear()
    _deadlines(_world())
    open_rows = Deadline.objects.filter(state="open", rule="ACTION", partnership__name=PARTNERSHIP).count()
    print(f"deadline sweep on {connection.vendor}, {open_rows} open deadlines")
    raised, elapsed = _timed("first sweep", lambda: alerts.sweep(now=NOW))
    print(f"  alerts raised: {sum(raised.values())} {dict(sorted(raised.items()))}")
    print(f"  notifications: {Notification.objects.filter(alert__raised_at=NOW).count()}")
    again, _ = _timed("second sweep", lambda: alerts.sweep(now=NOW + dt.timedelta(minutes=5)))
    print(f"  alerts raised: {sum(again.values())}")
    if hasattr(alerts, "email_pending"):
        sent, _ = _timed("one batch of alert emails", lambda: alerts.email_pending(now=NOW + dt.timedelta(minutes=5)))
        print(f"  emails sent: {sent}")
    sys.exit(0 if elapsed < TARGET_S and not again else 1)


if __name__ == "__main__":
    main()
