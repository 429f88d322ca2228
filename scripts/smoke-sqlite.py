"""The embedded default, tested (issue 27): `make run` on SQLite with no Redis, the way a newcomer first meets it.

The suite refuses anything but PostgreSQL (tests/conftest.py), so this runs as its own process, called by
`make test` (scripts/test.sh) beside the lint and both passes; on its own: `.venv/bin/python scripts/smoke-sqlite.py`.
On a fresh temporary SQLite file and VAR_DIR (no DATABASE_URL, no REDIS_URL, no broker URL: the filesystem
broker; DEBUG on, as `make run` sets it), it runs `migrate` and `seed_demo` as `make run` does, then signs in
through the real sign-in pages (sw.demo with the demo password; tm.demo, admin.demo and police.demo too, the
managers with the demo authenticator's code) and GETs the main pages, each expected to answer 200 with its
heading. Any failure ends it with a non-zero status and says which step failed.

The code's SQLite branches, each gone through here (named where the run reaches it):
1. The append-only guards written per database vendor in the migrations (agencies 0008, referrals 0012 and 0014:
   triggers on SQLite) and the PostgreSQL-only indexes and grants skipped on SQLite (referrals 0015 and 0018,
   core/db_roles.py): `migrate`, then an UPDATE of a case view row, which the trigger must refuse.
2. `referrals.deadlines._moved_save`: simple-history's bulk_update_with_history instead of PostgreSQL's
   UPDATE ... FROM (VALUES ...): a closure day added, its task queued on the filesystem broker, then run.
3. `referrals.services.list_look_record`: the list and its row per case written by the ORM in one transaction
   (SQLite) instead of one INSERT ... WITH on PostgreSQL; then read by `list_looks_of_case` on the case's "Who has
   looked" page and its lists page, and the rows kept append-only by SQLite's trigger (core.db_roles.sqlite_guards).
4. `core.pages.keyset_page(merge_by=...)`: the team's deadlines read as one sorted page instead of each
   member's range merged by UNION ALL: the team manager's "Team" tab of the deadlines dashboard.
And a fifth that is not an `if`: `core.queries.ProbedExists` compiles to a plain EXISTS outside PostgreSQL,
which an invited agency's lists use (police.demo's referral list).
"""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # in `make run`'s ALLOWED_HOSTS


class SmokeFailure(Exception):
    pass


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SmokeFailure(what)


def embedded_environment(var_dir: Path) -> dict[str, str]:
    """The environment of `make run` on a fresh machine: DEBUG on and nothing configured but a private VAR_DIR."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "DATABASE_APP_ROLE",
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "EMAIL_URL",
            "TEST_CLOCK",
            "DJANGO_SETTINGS_MODULE",
        }
    }
    env.update({"DEBUG": "true", "VAR_DIR": str(var_dir)})
    return env


def manage(env: dict[str, str], *args: str) -> None:
    """One `manage.py` command in its own process, as `make run` runs it; its output is shown on failure."""
    done = subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SmokeFailure(f"manage.py {' '.join(args)} exited with {done.returncode}")
    print(f"  manage.py {' '.join(args)}: {done.stdout.strip().splitlines()[-1] if done.stdout.strip() else 'ok'}")


def headings(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>|\s+", " ", h).strip() for h in re.findall(r"<h1[^>]*>(.*?)</h1>", html, re.S)]


def page(client, url: str, heading: str, *, contains: str = "") -> str:
    """GET `url`: it must answer 200 with an h1 holding `heading` (and hold `contains`, if given)."""
    response = client.get(url, HTTP_HOST=HOST)
    check(response.status_code == 200, f"GET {url} answered {response.status_code}, not 200")
    html = response.content.decode()
    found = headings(html)
    check(
        any(heading.lower() in h.lower() for h in found), f"GET {url}: no heading with {heading!r} (headings: {found})"
    )
    check(contains in html, f"GET {url}: {contains!r} is not on the page")
    print(f"  GET {url}: 200, {found[0]!r}")
    return html


def sign_in(username: str, password: str):
    """A fresh browser signed in through /sign-in/ (and /sign-in/code/ with the demo authenticator's code)."""
    from django.test import Client
    from django_otp.oath import TOTP

    from agencies.demo import DEMO_TOTP_KEY

    client = Client()
    response = client.post("/sign-in/", {"username": username, "password": password}, HTTP_HOST=HOST)
    check(response.status_code == 302, f"{username}: the sign-in answered {response.status_code}, not a redirect")
    response = client.get(response["Location"], HTTP_HOST=HOST)
    if response.status_code == 302 and response["Location"].startswith("/sign-in/code/"):
        code = f"{TOTP(bytes.fromhex(DEMO_TOTP_KEY)).token():06d}"
        response = client.post("/sign-in/code/", {"code": code}, HTTP_HOST=HOST)
        check(response.status_code == 302, f"{username}: the two-factor code answered {response.status_code}")
    check(client.session.get("_auth_user_id") is not None, f"{username}: not signed in")
    print(f"  {username} signed in")
    return client


def smoke(var_dir: Path) -> None:
    env = embedded_environment(var_dir)
    print(f"SQLite smoke test (make run's embedded defaults) in {var_dir}")
    # Branch 1: the migrations' SQLite side (triggers, no PostgreSQL indexes, no app role to grant).
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")

    os.environ.clear()
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import DatabaseError, connection, transaction
    from django.utils import timezone

    check(connection.vendor == "sqlite", f"the database is {connection.vendor}, not SQLite")
    check(Path(settings.DATABASES["default"]["NAME"]).is_relative_to(var_dir), "the SQLite file is not in VAR_DIR")
    check(settings.CELERY_BROKER_URL == "filesystem://", "the broker is not the embedded filesystem one")
    # Web, worker and beat share the file: WAL, and transactions that take the write lock when they start.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        check(cursor.fetchone()[0] == "wal", "the SQLite file is not in WAL mode")
    check(connection.transaction_mode == "IMMEDIATE", "SQLite transactions are not IMMEDIATE")

    from agencies.models import ClosureDay, User
    from agencies.selectors import partnership_calendar
    from core.timescales import add_working_days
    from minutes.models import MinutesVersion
    from referrals.models import CaseView, Deadline, ListedCase, ListLook, Referral
    from referrals.services import calendar_changed
    from referrals.tasks import REASON, reschedule_partnership
    from strategy.models import Discussion

    password = settings.DEMO_PASSWORD
    sw = sign_in("sw.demo", password)
    page(sw, "/", "Your work")
    page(sw, "/referrals/", "referrals")
    held = MinutesVersion.objects.order_by("pk").first()
    check(held is not None, "the demo data has no approved minutes")
    discussion = held.discussion
    referral = discussion.referral
    page(sw, f"/referrals/{referral.pk}/", referral.reference)
    page(sw, f"/discussions/{discussion.pk}/", "Strategy discussion")
    page(sw, "/deadlines/", "Deadlines")
    # An id past what SQLite's integers hold: the app's 404, not an OverflowError (core/converters.py).
    for url in ("/deadlines/99999999999999999999/act/", f"/discussions/{'9' * 20}/minutes/", f"/referrals/{'9' * 20}/"):
        answer = sw.get(url, HTTP_HOST=HOST)
        check(answer.status_code == 404, f"{url} answered {answer.status_code}, not 404")
    print("  an id of 20 digits: 404")
    page(sw, f"/discussions/{discussion.pk}/minutes/", "Minutes")
    pdf = sw.get(f"/discussions/{discussion.pk}/minutes/v{held.number}-full.pdf", HTTP_HOST=HOST)
    check(pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), f"the minutes PDF answered {pdf.status_code}")
    print("  the approved minutes' PDF: 200")

    # Branch 1 again: the case view just logged is in a table SQLite's trigger keeps append-only.
    view = CaseView.objects.filter(referral=referral, user__username="sw.demo").order_by("pk").last()
    check(view is not None, "opening the case logged no case view")
    try:
        with transaction.atomic():
            CaseView.objects.filter(pk=view.pk).update(page="rewritten")
    except DatabaseError:
        print("  a case view cannot be rewritten (the SQLite trigger refused it)")
    else:
        raise SmokeFailure("the case view log was rewritten: the append-only trigger is missing on SQLite")

    tm = sign_in("tm.demo", password)
    page(tm, "/", "Your work")
    # Branch 4: the team's deadlines, one sorted page (no UNION ALL merge outside PostgreSQL).
    page(tm, "/deadlines/?tab=team", "Deadlines", contains="Sam Walker")
    # Branch 3: the list sw.demo was shown, with a row per case it showed (written by the ORM on SQLite).
    shown = ListLook.objects.filter(user__username="sw.demo").order_by("pk").last()
    check(shown is not None and referral.pk in shown.referral_ids, "sw.demo's referral list logged no look")
    rows = ListedCase.objects.filter(look=shown)
    check(
        sorted(rows.values_list("referral_id", flat=True)) == sorted(shown.referral_ids),
        "sw.demo's list wrote no row for each case it showed",
    )
    looks = page(tm, f"/referrals/{referral.pk}/looks/", "looked")
    check("Sam Walker" in looks, "the case's looks page does not show sw.demo's look")
    page(tm, f"/referrals/{referral.pk}/looks/lists/", "Lists and searches", contains="referral list")
    from referrals.selectors import list_looks_of_case

    check(list_looks_of_case(referral).filter(look=shown).exists(), "list_looks_of_case misses sw.demo's list")
    other = Referral.objects.exclude(pk=referral.pk).exclude(pk__in=shown.referral_ids).first()
    if other is not None:
        check(not list_looks_of_case(other).filter(look=shown).exists(), "list_looks_of_case matched a case not shown")
    try:
        with transaction.atomic():
            rows.delete()
    except DatabaseError:
        print("  a list's rows by case cannot be deleted (the SQLite trigger refused it)")
    else:
        raise SmokeFailure("the list log by case was deleted from: the append-only trigger is missing on SQLite")

    # Fifth: an invited agency's list, through ProbedExists' plain EXISTS.
    police = sign_in("police.demo", password)
    page(police, "/referrals/", "referrals")
    invited = Discussion.objects.filter(invitations__agency__name="Demo Police").order_by("pk").first()
    check(invited is not None, "the demo invites the police nowhere")
    page(police, f"/referrals/{invited.referral_id}/", invited.referral.reference)

    # The timeliness report: its counts summed by GROUP BY and its histograms read from JSON, on SQLite too.
    analyst = sign_in("analyst.demo", password)
    page(analyst, "/reports/", "Timeliness report")
    measure = analyst.get("/reports/held-within-timescale.csv", HTTP_HOST=HOST)
    check(
        measure.status_code == 200 and measure.content.startswith(b"month,agency,urgency"),
        f"the report's CSV answered {measure.status_code}",
    )
    print("  the timeliness report and one of its CSVs: 200")

    # Branch 2: a closure day moves the open clocks; the task goes through the filesystem broker, then runs as the
    # worker would run it, moving them with bulk_update_with_history.
    admin = User.objects.get(username="admin.demo")
    page(sign_in("admin.demo", password), "/", "Your work")
    partnership = admin.agency.partnership
    day = add_working_days(timezone.localdate(), 1, partnership_calendar(partnership))  # the next working day
    queue = Path(settings.CELERY_BROKER_FOLDER) / "queue"
    queued_before = len(list(queue.iterdir()))
    with transaction.atomic():
        ClosureDay.objects.create(partnership=partnership, date=day, reason="Smoke test closure")
        calendar_changed(acting_user=admin, partnership=partnership)
    check(len(list(queue.iterdir())) == queued_before + 1, "the rescheduling task was not queued on the broker")
    moved = reschedule_partnership(partnership.pk, admin.pk)
    check(moved > 0, "a closure day on the next working day moved no open deadline")
    recorded = Deadline.history.filter(history_change_reason=REASON, history_user=admin).count()
    check(recorded == moved, f"{moved} deadlines moved but {recorded} history rows say so")
    print(f"  a closure day on {day} moved {moved} open deadlines, each with its history row")
    print("SQLite smoke test passed")


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    with tempfile.TemporaryDirectory(prefix="strategy-smoke.") as folder:
        try:
            smoke(Path(folder) / "var")
        except SmokeFailure as failure:
            print(f"SQLite smoke test FAILED: {failure}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
