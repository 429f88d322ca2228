"""Benchmark: every list and dashboard page at 20,000, 100,000 and 2 million referrals (issue 18).

Each page must cost at 2 million referrals within 1.5x of its time at 20,000 (flat) and within 3x of its
floor, with a constant number of queries. For each size in BENCH_SIZES (default 20000,100000,2000000) a
database of its own on the server of DATABASE_URL (`strategy_bench_<size>`) is filled once by
bench/generate.py and kept for the next run (migrated as production would be; made again only when the
generator changes). Then, signed in as the personas the generator returns (two-factor passed, as tests do),
each page is requested BENCH_REQUESTS times (default 30) through django.test.Client with DEBUG off, and we
record:

* p50 and p95 of the whole request, and the number of queries (CaptureQueriesContext);
* SQL alone: each query of the page run again by itself on a cursor, summed (the best of five);
* Python alone: the request less the time its queries took in it (the page rendered without the database);
* the floor (SQL alone + Python alone) and the ratio of p50 to it;
* EXPLAIN (ANALYZE, BUFFERS) of the page's slowest query, into docs/benchmarks-explain.md.

The results go to var/bench/pages-<size>.json; docs/benchmarks.md (machine, date, command, tables) and
docs/benchmarks.png (time against referrals) are written from every size measured so far, each size with
the moment and commit it was measured at. BENCH_OTHERS=1 also runs the other benchmarks (sweep, minutes PDF,
rescheduling, timescales) on PostgreSQL and records what they print.

    DATABASE_URL=postgres://... BENCH_SIZES=20000,100000 .venv/bin/python bench/pages.py
"""

import datetime as dt
import hashlib
import html
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "var" / "bench"
DOCS = ROOT / "docs"
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "30"))
PARTNERSHIPS = int(os.environ.get("BENCH_PARTNERSHIPS", "150"))
FLAT, FLOOR = 1.5, 3.0  # the targets of issue 18
CHARTED = ["Referrals list", "Search by surname", "Deadlines: mine", "Deadlines: team", "Deadlines: agency"]


# --- the parent: one child process per size, then the documents ------------------------------------------------


def _sizes() -> list[int]:
    return [int(size) for size in os.environ.get("BENCH_SIZES", "20000,100000,2000000").split(",") if size.strip()]


def _database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _key(size: int) -> str:
    """What the kept database was made from: the generator and the size. Migrations added since are applied to
    it as they would be in production (`migrate`), the data kept."""
    digest = hashlib.sha256(f"{size}/{PARTNERSHIPS}".encode())
    digest.update((ROOT / "bench" / "generate.py").read_bytes())
    return digest.hexdigest()[:16]


def _prepare_database(base_url: str, size: int) -> str:
    """The size's database, kept if it was made by this generator and these migrations, else made empty."""
    import psycopg

    name = f"strategy_bench_{size}"
    admin = psycopg.connect(_database_url(base_url, "postgres"), autocommit=True)
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone() is not None
    key = None
    if exists:
        with psycopg.connect(_database_url(base_url, name)) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('bench_meta') IS NOT NULL")
            if cursor.fetchone()[0]:
                cursor.execute("SELECT key FROM bench_meta")
                row = cursor.fetchone()
                key = row[0] if row else None
    if key != _key(size):
        with admin.cursor() as cursor:
            if exists:
                print(f"{name}: made by another version of bench/generate.py; made again")
                cursor.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return _database_url(base_url, name)


def main() -> None:
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith(("postgres://", "postgresql://")):
        print("bench/pages.py: skipped, it needs PostgreSQL (DATABASE_URL=postgres://...)")
        return
    command = "BENCH_SIZES={} {}".format(",".join(str(s) for s in _sizes()), "python bench/pages.py")
    status = 0
    for size in _sizes():
        url = _prepare_database(base_url, size)
        env = {**os.environ, "DATABASE_URL": url, "BENCH_COMMAND": command}
        status |= subprocess.run([sys.executable, __file__, "--size", str(size)], env=env, check=False).returncode  # noqa: S603
    if os.environ.get("BENCH_OTHERS") == "1":
        _run_others(base_url)
    _write_documents()
    sys.exit(status)


def _run_others(base_url: str) -> None:
    """The other benchmarks, on a PostgreSQL database of their own, with what they print kept for the docs."""
    import psycopg

    admin = psycopg.connect(_database_url(base_url, "postgres"), autocommit=True)
    with admin.cursor() as cursor:
        cursor.execute('DROP DATABASE IF EXISTS "strategy_bench_others" WITH (FORCE)')
        cursor.execute('CREATE DATABASE "strategy_bench_others"')
    admin.close()
    env = {**os.environ, "DATABASE_URL": _database_url(base_url, "strategy_bench_others")}
    others = []
    for script in ["bench/sweep.py", "bench/minutes_pdf.py", "bench/reschedule.py", "bench/timescales.py"]:
        start = time.perf_counter()
        done = subprocess.run(  # noqa: S603
            [sys.executable, str(ROOT / script)], env=env, capture_output=True, text=True, check=False, cwd=ROOT
        )
        print(done.stdout, end="")
        others.append(
            {
                "script": script,
                "output": done.stdout.strip(),
                "status": done.returncode,
                "seconds": round(time.perf_counter() - start, 1),
            }
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "others.json").write_text(json.dumps({"at": _now_text(), "commit": _commit(), "runs": others}))


# --- one size, in its own process ------------------------------------------------------------------------------


def measure(size: int) -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import warnings

    import django

    warnings.filterwarnings("ignore", "No directory at")  # whitenoise: the static files are not collected here
    django.setup()

    from django.conf import settings
    from django.db import connection

    # As in production: no query log, templates without debug information (set before the first render).
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.SESSION_IDLE_MINUTES = 24 * 60
    meta = ensure_report(connection, ensure_generated(size))
    personas = meta["made"]
    load_before = os.getloadavg()[0]
    pages = [_measure_page(page, size) for page in _pages(personas)]
    rebuild = _measure_rebuild(meta)
    load_after = os.getloadavg()[0]
    result = {
        "size": size,
        "at": _now_text(),
        "commit": _commit(),
        "command": os.environ.get("BENCH_COMMAND", "python bench/pages.py"),
        "machine": _machine(connection),
        "load": [round(load_before, 2), round(load_after, 2)],  # other work on the machine shows in the times
        "generated_seconds": personas["seconds"],
        "vacuum_seconds": meta["vacuum_seconds"],
        "generated_at": meta["generated_at"],
        "rows": personas["rows"],
        "pages": pages,
        "report": rebuild,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"pages-{size}.json").write_text(json.dumps(result, indent=1))
    return result


def ensure_generated(size: int) -> dict:
    """Migrate the size's database (Django set up on it, DATABASE_URL from _prepare_database) and fill it once
    with bench/generate.py; return what bench_meta keeps: the personas ("made"), when and how long. Also used by
    bench/load.py."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    meta = _meta(connection)
    if meta is None:
        from bench.generate import generate

        print(f"{size:,} referrals: generating")
        made = generate(size, PARTNERSHIPS, log=print)
        print(f"  generated in {made['seconds']} s")
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")  # as autovacuum would have, on tables that only grew
        vacuum = round(time.perf_counter() - start, 1)
        print(f"  VACUUM (ANALYZE): {vacuum} s")
        meta = {"made": made, "vacuum_seconds": vacuum, "generated_at": _now_text()}
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE bench_meta (key text, meta jsonb)")
            cursor.execute("INSERT INTO bench_meta VALUES (%s, %s)", [_key(size), json.dumps(meta)])
    else:
        print(f"{size:,} referrals: the database made at {meta['generated_at']} is kept")
    return meta


def _report_key() -> str:
    """What the report's facts and counts were made from: the SQL that writes the facts, and the app's own
    meanings and counts they mirror. Another version of any of these makes them again (the cases are kept)."""
    digest = hashlib.sha256()
    for path in ["bench/report_facts.py", "reports/facts.py", "reports/cells.py", "reports/models.py"]:
        digest.update((ROOT / path).read_bytes())
    return digest.hexdigest()[:16]


def ensure_report(connection, meta: dict) -> dict:
    """The timeliness report's facts and counts (issue 29) on the kept database, written once (bench/report_facts.py)
    and again only when what they are made from changes; and the analyst persona who reads the report. Not for
    bench/load.py, which asks for no report page."""
    from django.utils import timezone

    report, key = meta.get("report") or {}, _report_key()
    if report.get("key") == key:
        return meta
    from bench.report_facts import report_facts_write

    print("  the report's facts and counts: writing")
    report = {**report_facts_write(now=timezone.now(), log=print), "key": key, "at": _now_text()}
    meta = {**meta, "report": report, "made": {**meta["made"], "analyst": _analyst(meta["made"])}}
    with connection.cursor() as cursor:
        cursor.execute("UPDATE bench_meta SET meta = %s", [json.dumps(meta)])
    return meta


def _analyst(personas: dict) -> int:
    """A partnership analyst in the personas' partnership (in its children's social care, as the head of service):
    the report's own reader, who holds no case."""
    from agencies.models import RoleCode, User

    head = User.objects.get(pk=personas["head_of_service"])
    analyst, _ = User.objects.get_or_create(
        username="bench000.analyst00",
        defaults={
            "first_name": "Imre",
            "last_name": "Analyst",
            "email": "bench000.analyst00@example.invalid",
            "agency": head.agency,
            "job_title": "analyst",
        },
    )
    analyst.set_unusable_password()
    analyst.save()
    analyst.roles.add(RoleCode.PARTNERSHIP_ANALYST)
    return analyst.pk


def _meta(connection) -> dict | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_meta') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return None
        cursor.execute("SELECT meta FROM bench_meta")
        row = cursor.fetchone()
    if row is None:
        return None
    return row[0] if isinstance(row[0], dict) else json.loads(row[0])


def _pages(personas: dict) -> list[dict]:
    """Each page, who asks for it and its address. Names typed into a search are never printed or written."""
    from referrals.models import Person

    child = Person.objects.filter(referral_id=personas["referral"], kind="child").order_by("position", "pk").first()
    referral, discussion = personas["referral"], personas["discussion"]
    sw, tm, hos, police = "social_worker", "team_manager", "head_of_service", "police_officer"
    pages = [
        ("Referrals list", sw, "/referrals/"),
        ("Referrals list, next page", sw, "next:/referrals/"),
        ("Referrals list, received newest first", sw, "/referrals/?sort=-received"),
        ("Referrals list, overdue", sw, "/referrals/?overdue=on"),
        ("Referrals list, invited police", police, "/referrals/"),
        ("Search by surname", sw, f"/referrals/?q={personas['surname']}"),
        ("Search by first name and surname", sw, f"/referrals/?q={child.first_name}+{child.last_name}"),
        ("Search by reference", sw, f"/referrals/?q={personas['reference']}"),
        # Issue 28's skewed searches: the start of many names, a first name alone, the commonest surname.
        ("Search, two letters", sw, "/referrals/?q=el"),
        ("Search by a first name alone", sw, f"/referrals/?q={child.first_name}"),
        ("Search by the commonest surname", sw, "/referrals/?q=Li"),
        ("Case page", sw, f"/referrals/{referral}/"),
        ("Meeting page, ended", sw, f"/discussions/{discussion}/"),
        ("Meeting page, convened", tm, f"/discussions/{personas['awaiting_discussion']}/"),
        ("My actions", sw, "/actions/mine/"),
        ("My actions, police", police, "/actions/mine/"),
        ("My agency's actions", sw, "/actions/agency/"),
        ("Deadlines: mine", sw, "/deadlines/?tab=mine"),
        ("Deadlines: team", tm, "/deadlines/?tab=team"),
        ("Deadlines: agency", hos, "/deadlines/?tab=agency"),
        ("Who has looked", tm, f"/referrals/{referral}/looks/"),
        ("History", sw, f"/referrals/{referral}/history/"),
        ("Notifications", sw, "/notifications/"),
    ]
    if personas.get("analyst"):  # the report's facts written (ensure_report)
        chosen = _report_filter(personas)
        # The timeliness report (issue 29): the default twelve months, one agency and urgency, one measure's CSV.
        pages += [
            ("Report, last 12 months", "analyst", "/reports/"),
            ("Report, one agency and urgency", "analyst", f"/reports/?{chosen}"),
            ("Report CSV, median hours to the discussion", "analyst", f"/reports/held-hours-median.csv?{chosen}"),
        ]
    return [{"name": name, "persona": who, "user": personas[who], "url": url} for name, who, url in pages]


def _report_filter(personas: dict) -> str:
    """The report's default months, narrowed to the police (the police officer's agency) and standard urgency."""
    from django.utils import timezone

    from agencies.models import User
    from reports.selectors import default_range

    first, last = default_range(timezone.now())
    police = User.objects.get(pk=personas["police_officer"]).agency_id
    return f"first={first:%Y-%m}&last={last:%Y-%m}&agency={police}&urgency=standard"


REBUILDS = 5  # times the busiest partnership-month is counted again


def _measure_rebuild(meta: dict) -> dict:
    """The report's rows (facts and counts) and the rebuild of one partnership-month's counts
    (`reports.cells.cells_rebuild`) for the personas' partnership's busiest month, timed REBUILDS times."""
    from django.db import connection
    from django.utils import timezone

    from reports.cells import cells_rebuild

    partnership = meta["made"]["partnership"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT month, count(*) FROM reports_fact WHERE partnership_id = %s GROUP BY month ORDER BY 2 DESC, 1 "
            "LIMIT 1",
            [partnership],
        )
        month, facts = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM reports_fact")
        fact_rows = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM reports_cell")
        cell_rows = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM reports_cell WHERE partnership_id = %s", [partnership])
        partnership_cells = cursor.fetchone()[0]
    times, cells = [], 0
    for _ in range(REBUILDS):
        start = time.perf_counter()
        cells = cells_rebuild(partnership, [month], now=timezone.now())
        times.append((time.perf_counter() - start) * 1000)
    report = meta.get("report", {})
    result = {
        "month": f"{month:%Y-%m}",
        "month_facts": facts,
        "month_cells": cells,
        "rebuild_p50": round(statistics.median(times), 1),
        "rebuild_best": round(min(times), 1),
        "fact_rows": fact_rows,
        "cell_rows": cell_rows,
        "partnership_cells": partnership_cells,
        "facts_by_kind": report.get("facts", {}),
        "facts_seconds": report.get("facts_seconds"),
        "cells_seconds": report.get("cells_seconds"),
        "partnership_months": report.get("partnership_months"),
    }
    print(
        f"  rebuild of {result['month']} ({facts:,} facts, {cells} cells): p50 {result['rebuild_p50']} ms, "
        f"best {result['rebuild_best']} ms; {fact_rows:,} facts and {cell_rows:,} cells in all"
    )
    return result


_clients: dict = {}


def _client(user_id: int):
    """A client signed in as the user, second factor passed; one per user."""
    if user_id not in _clients:
        _clients[user_id] = sign_in(user_id)
    return _clients[user_id]


def sign_in(user_id: int):
    """A new client signed in as the user, second factor passed (as tests/conftest.py's pass_second_factor): a
    session of its own, made by django.contrib.auth.login and saved by the configured session engine. Also used by
    bench/load.py, which sends its cookie over HTTP."""
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from agencies import two_factor
    from agencies.models import User

    user = User.objects.get(pk=user_id)
    client = Client()
    client.force_login(user)
    if two_factor.required(user):
        device = two_factor.app_device(user) or TOTPDevice.objects.create(
            user=user, name=two_factor.APP_DEVICE, confirmed=True
        )
        session = client.session
        two_factor.mark_verified(session, device)
        session.save()
    return client


NEXT_LINK = re.compile(r'href="([^"]*)" rel="next"')
TABLE_BODY = re.compile(r"<tbody[^>]*>(.*?)</tbody>", re.S)


def _measure_page(page: dict, size: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(page["user"])
    url = page["url"]
    if url.startswith("next:"):  # the page the first page's "Next" link leads to, however it is paginated
        first = client.get(url[5:]).content.decode()
        found = NEXT_LINK.search(first)
        url = url[5:] + html.unescape(found.group(1)) if found else url[5:]
    in_db: list[float] = []

    def timed(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            in_db[-1] += time.perf_counter() - start

    for _ in range(2):  # warm the caches and the connection
        response = client.get(url)
    if response.status_code != 200:
        print(f"  {page['name']}: answered {response.status_code}")
        return {**page, "url": "", "status": response.status_code}
    totals, pythons = [], []
    with connection.execute_wrapper(timed):
        for _ in range(REQUESTS):
            in_db.append(0.0)
            start = time.perf_counter()
            client.get(url)
            total = time.perf_counter() - start
            totals.append(total * 1000)
            pythons.append((total - in_db[-1]) * 1000)
    with CaptureQueriesContext(connection) as captured:
        body = client.get(url).content.decode()
    queries = [q["sql"] for q in captured.captured_queries]
    raw, slowest = _raw_sql(queries)
    p50, p95 = _percentile(totals, 50), _percentile(totals, 95)
    python = statistics.median(pythons)
    floor = raw + python
    if ".csv" in url:  # a CSV's rows, its header left out
        rows = max(body.count("\n") - 1, 0)
    else:
        rows = sum(chunk.count("<tr") for chunk in TABLE_BODY.findall(body))
    result = {
        "name": page["name"],
        "persona": page["persona"],
        "url": _shown_url(page["url"]),
        "status": 200,
        "p50": round(p50, 1),
        "p95": round(p95, 1),
        "queries": len(queries),
        "db_in_request": round(statistics.median(t - p for t, p in zip(totals, pythons, strict=True)), 1),
        "sql_alone": round(raw, 1),
        "python_alone": round(python, 1),
        "floor": round(floor, 1),
        "ratio": round(p50 / floor, 2) if floor else None,
        "table_rows": rows,
        "slowest": slowest,
    }
    print(
        f"  {page['name']}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, {len(queries)} queries, SQL alone {raw:.1f} ms, "
        f"Python alone {python:.1f} ms, {result['ratio']}x its floor, {rows} rows"
    )
    return result


def _shown_url(url: str) -> str:
    """The address as the docs show it: what was searched for is left out (names of invented children even)."""
    return re.sub(r"q=[^&]*", "q=...", url.removeprefix("next:")) + (" (Next link)" if url.startswith("next:") else "")


def _raw_sql(queries: list[str]) -> tuple[float, dict]:
    """Each query run again alone (the best of five), in a transaction rolled back; and the slowest explained."""
    from django.db import connection, transaction

    statements = [q for q in queries if not q.upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))]
    best = [float("inf")] * len(statements)
    with transaction.atomic():
        with connection.cursor() as cursor:
            for _ in range(5):
                for n, sql in enumerate(statements):
                    start = time.perf_counter()
                    cursor.execute(sql)
                    if cursor.description:
                        cursor.fetchall()
                    best[n] = min(best[n], (time.perf_counter() - start) * 1000)
            slowest = max(range(len(statements)), key=best.__getitem__) if statements else None
            plan = ""
            if slowest is not None and statements[slowest].upper().startswith(("SELECT", "WITH")):
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statements[slowest]}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    if slowest is None:
        return 0.0, {}
    return sum(best), {"sql": statements[slowest], "ms": round(best[slowest], 2), "plan": plan}


def _percentile(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _machine(connection) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0]
        settings = {}
        for name in ["shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "jit"]:
            cursor.execute(f"SHOW {name}")
            settings[name] = cursor.fetchone()[0]
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo.read_text()).group(1))
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    return {
        "cpus": os.cpu_count(),
        "memory": memory,
        "postgresql": version.split(" on ")[0],
        "postgresql_settings": settings,
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def _now_text() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)  # noqa: S603, S607
    return done.stdout.strip()


# --- the documents -------------------------------------------------------------------------------------------


# What the numbers above do not say on their own; kept by hand next to the code that measures them.
PYTHON_28 = """## Issue 28: Python per request

Measured with `bench/profile.py` on the 20,000-referral database (DEBUG off, Django's test client in one process, 150
requests a page; CPU by `time.process_time`, the best of three batches; py-spy's samples of the same requests put in
the part of the code they were in, samples waiting for PostgreSQL left out). Before: db530cb; after: 194377a, run
one after the other on the idle machine, 2026-12-07 00:17 UTC. Runs of the same commit differ by up to 15% on this
virtual machine: an earlier pair gave list 22.7 -> 20.7 ms, case 27.2 -> 20.2, meeting 115.6 -> 64.3 (after: 7526a49).

| Page | CPU ms before | after | queries before | after |
| --- | ---: | ---: | ---: | ---: |
| Referrals list | 26.5 | 16.8 | 11 | 7 |
| Case page | 25.3 | 21.1 | 23 | 14 |
| Meeting page, ended | 127.0 | 68.2 | 31 | 22 |

Where the CPU went (share of the page's samples, before -> after):

| Part | Referrals list | Case page | Meeting page, ended |
| --- | --- | --- | --- |
| ORM | 38% -> 50% | 63% -> 63% | 27% -> 38% |
| templates | 42% -> 22% | 13% -> 13% | 51% -> 27% |
| forms | 2% -> 4% | 0% -> 0% | 12% -> 22% |
| driver | 7% -> 11% | 16% -> 16% | 7% -> 10% |
| app code | 6% -> 7% | 5% -> 5% | 2% -> 3% |
| sign-in | 3% -> 6% | 3% -> 3% | 1% -> 1% |

(*Driver*: psycopg converting parameters and rows; *sign-in*: sessions, authentication, two-factor and axes.
Queries counted on a smaller database: the convened meeting page went from 37 to 22, the case history page from
112 to 20.)

**What changed.** Every page: the signed-in user is read with their agency, its partnership and their role codes in
one query (`agencies.backends.UserBackend`, 4 queries before), and the header's two counts in one
(`core.pages.counts_capped`). Templates: form widgets are drawn in Python to Django's own markup
(`core.forms.Renderer`), form fields and the deadline tag by `format_html` tags instead of included templates
(`{% govuk_field %}`, `{% deadline_tag %}`), `date` without Django's per-value locale look-ups
(`core/templatetags/moments.py`) and a list row's case address without resolving the route again (`case_url`);
each is compared with what it replaces in `tests/core/test_request_cost.py`. A listed case carries its
partnership's standard timescale rather than the partnership's row, and its children's names only. The
case page reads its strategy discussion deadline from the case's deadlines and the allocated worker and referrer's
agency with the case; the meeting page prefetches the discussion's children, decisions, plan, risks and records once
for the page and for the checks of what stops it ending; the history page reads each table's rows with the
objects they show and counts every table in one query.

**Under load** (the last section, `bench/load.py`): Python per request 42.5 -> 30.0 ms at 20,000 referrals and 47.1 ->
30.7 ms at 2,000,000; requests a second 24.9 -> 47.4 and 18.8 -> 46.6; p95 1,204 -> 551 ms and 1,384 -> 549 ms; no
errors (after: 194377a; 7526a49 is the step between). The before runs shared the machine with other work, which
inflates their CPU per request somewhat: compare the ceilings too.

**Not reached.** The meeting page's and the list's Python time fell by nearly half and by a third; the case page's
by a sixth. What is left, from the profiles: the ORM building each query (the case page's access query alone joins
eight related rows, about 4 ms; a discussion's about 5 ms), the user's query with its roles, and the list's keyset
page and children. Under load the goal of p95 under 400 ms is not met: with 20 users asking back to back, the
average wait is users / throughput (20 / 47 = 425 ms), so p95 under 400 ms needs some 55 requests a second or
more.
"""

# Issue 29's report: how its rows are made and what the numbers show; kept by hand next to the code measuring it.
REPORT_29 = """
The report page reads only the monthly counts (`reports.Cell`), never the case tables: two queries (the range's
cells, one index range of `cell_partnership_month`, and when the oldest was built) whatever the size. The pages are
requested as a partnership analyst of the personas' partnership (`bench000.analyst00`, added with the facts); the
CSV is one measure's, filtered as the second page.

**How the benchmark's facts are made.** The generated cases are written by SQL with no history of their changes, so
the report's task would find nothing to build. `bench/report_facts.py` writes every case's facts with one
`INSERT ... SELECT` per kind, with the meanings of `reports.facts.facts_build` (London months, real hours, working
days from a running count of each partnership calendar's working days made by `core.timescales.is_working_day`);
`tests/bench/test_report_facts.py` checks, on a small generated database varied where the generator makes every
case alike (clocks moved by each role, no response, gone ahead without, every outcome, a draft, a closure day),
that both make the same facts. Then `reports.services.counts_rebuild`, the app's own code, counts every
partnership-month. `bench/pages.py` does this once on a kept database and again only when the code the facts come
from changes, never making the cases again. At 20,000 referrals `reports.services.facts_backfill` (the app's
Python, a batch of cases at a time) took 77-99 s for the same 194,038 facts and counts, about 15-35 s of it the
facts; SQL writes them in 3-5 s. At 2 million the facts take 3.5 minutes (the table's three secondary indexes
dropped while loading and built again, 42 s of it) and the counts of 6,000 partnership-months 5.3 minutes.

**Made flat** (`reports/`, behaviour unchanged: every value of the report compared before and after on both
databases, for the default range, the police with standard urgency, complex urgency since 2024, and the police
alone). The page's work follows the number of cells of the range, not of cases, but a partnership of 1,333 cases
fills fewer of them than one of 133,000: 117 cells a month against 215 (every urgency, agency and category seen).
The first measurement took 34 ms at 20,000 and 56 ms at 2,000,000 (1.65x): the database summed cells already unique
by key (GROUP BY, 4.7 ms at 2 million), a second index scan read the histograms, and each of the page's some 500
values scanned every count of its counter (before that, every count of the range: 65-76 ms of tables at 20,000).
`reports.selectors._read` now reads the range's cells once and sums them by key in Python; `_Sums` groups them by
counter and month, so a month's value reads its month's rows. `reports.cells.cells_rebuild` reads a month's facts
as tuples instead of model instances (about twice as quick). Past about 215 cells a month a partnership has every
cell already, so a larger one costs the page nothing more.

**The rebuild** of one partnership-month reads its facts and writes its cells again, so it grows with the month's
facts (7-8 microseconds a fact at 2 million), not with the database: 20-25 ms for the 20,000 database's busiest
month, 260-310 ms for 38,423 facts at 2 million. At that scale the hourly rebuild of this month and the last for
every partnership is about 2 / 37 of the 5.3 minutes above (some 17 s), the nightly one of 13 months about 2
minutes. The load average was about 4 on 2 cores while these were measured (other work on the shared machine):
the times of every page are higher than on a quiet machine, at both sizes alike.
"""

NOT_FLAT = """## What is not flat, and why

Every page keeps its number of queries at every size, and each query of the list pages is an index range
that stops at its page (`tests/test_query_plans.py` asserts the plans on a 20,000-referral database). Three
pages still take longer at 2,000,000 referrals than at 20,000, each for a reason the data gives it, not a
scan of a partnership:

- **Search by surname, and by first name and surname.** More people share a surname in a partnership of
  80,000 cases than in one of 800 (the page shows 2 matches at 20,000 and 25 at 2,000,000), and the results
  are sorted by deadline, so every match is read and sorted: 192 cases for the surname searched here. The
  matches came from the trigram index (`referral_search_trgm`, replaced in issue 28: see below). Walking the
  list in deadline order and testing each row would read the page divided by the name's share of cases
  instead (about 5,000 rows here), slower at this size. Still about 40 ms.
- **My actions, as a police officer.** The officer has 19,461 actions over three years; most are on
  cases now closed, which an invited agency no longer sees, so the count (capped at 1,000) reads past them.
  Copying the case's closed state onto the action row, with it in the list index, would make that a range:
  the next step.
- **Deadlines: team** is flat since each report's first page is read from their own range of the
  open-deadline index and the pages merged (`core.pages.keyset_page(merge_by=...)`); it sorted the team's
  4,391 open deadlines before.
- **Referrals list, overdue and invited police** are within the target (about 1.4x and 1.5x): the count reads
  up to 1,000 rows and, for an invited agency, checks each for the agency's grant.

The ratio to the floor is near 1 for every page because the floor is the same queries run again plus the
page without the database: what it shows is that no time goes anywhere else (connection, middleware).

"""

# Issue 28's search and counts, measured by EXPLAIN ANALYZE at the test's scale; kept by hand.
SEARCH_28 = """## Issue 28: search bounded by the partnership, lists without count queries

**What changed.** The trigram index held `(partnership_id, search_text gin_trgm_ops)`, but GIN keeps each
column's keys apart and the planner never used the partnership's: it read every partnership's matches of a
trigram and intersected them with the partnership's rows afterwards (726 index entries for "ada" at 20,000
referrals, 136 of them the partnership's), and a two-letter term has no trigram at all, so it read every row
of the partnership. Migration `referrals 0025_issue28_search_index` replaces it with a GIN index on
`referral_search_keys(partnership_id, search_text)`: each word's trigrams (the word padded with a space each
side) tagged with the partnership, `17:gal`, `17: li`. One key's entries are that partnership's matches and no
other's. A word of three letters or more still matches anywhere in a name; two letters now match the start of
a name ("li" finds Li and Lily, not Eliza); one letter an initial (`referrals/search.py`).

**One match per request.** No list runs a count query any more (`core.pages`): the first page counts the rows
it read ("3 referrals", or "More than 25 referrals" when there is a next page) and later pages show no number;
the home page's queues likewise ("3 items", "More than 5 items"), one query each instead of two.
The header's overdue and unread counts stay (capped at 99, each one index range of the user's own rows), and so
does a case's history count (bounded by the case). The search asks the planner, without running anything
(`EXPLAIN` of the keys' condition, about 0.3 ms of planning), how many of the partnership's cases hold its keys:
up to 500 (`COMMON_MATCHES`), it reads those few by the index and sorts them; more, it walks the list's own
index in order, checking each case, until the page is full (about 26 x cases / matches rows). A search of
several words checks that one person has them all (a probe per match); one word is checked on the referral's
own search text, which is its current people's names.

**Measured** (`tests/test_query_plans.py`'s data: 20,000 referrals, the personas' partnership 4,000 of them,
Zipf surnames; the page's referral queries, EXPLAIN ANALYZE, best of five, ms; "before" is the old index and
SQL on the same rows, with its count, and a two-letter term then matched anywhere in a name):

| Search | before: count + page | after: the page | how it is read now |
| --- | ---: | ---: | --- |
| "el" (two letters) | 43.8 | 0.3 | walks the list until 26 match (about 130 rows) |
| "Li" (the commonest surname, 118 cases) | 56.2 | 1.9 | the partnership's 118 entries of " li", sorted |
| "Ada" (a first name alone, 136 cases) | 2.1 | 2.0 | the partnership's 136 entries of "ada", sorted |
| "Galdmere" (a rarer surname, 10 cases) | 0.3 | 0.3 | 10 entries |
| "Li Ada" | 0.8 | 0.3 | the keys of both words intersected in the index |

`tests/test_query_plans.py` asserts, for "el", "Ada", "Li" and "Li Ada", that every index read of the referrals
is the partnership's own (its range of a list index, or keys tagged with it) and that no node reads or sorts
more than a page's 200 rows.

**For the lead, at 2,000,000** (not run here): `make bench` with the generator's new skew (the personas'
partnership ten times the average, 133,000 cases; Zipf surnames with Li, Ng, Wu and Ho among the commonest;
300 list views of each measured case). The pages "Search, two letters", "Search by a first name alone" and
"Search by the commonest surname" are in the table. Expect the worst case to be a term the partnership has
about 1,900 cases for (the square root of 26 x 133,000), where either way reads about 1,900 rows; the
commonest surname ("Li", about 2.3% of families, some 4,000 cases there) is past the threshold and walks
(about 900 rows). Building `referral_search_keys` on 2 million rows takes longer than the trigram index did
(a function per row): time the migration. One cost this scale hides: for a search with few matches the
planner still ANDs the keys' entries with the partnership's range of a list index (index entries only, 3,934
at 20,000; some 133,000 at 2 million, a few ms), because it takes the partnership condition of the access
policy as independent of the keys that already imply it. A `btree_gin` `partnership_id` column in the same
GIN index, tried at 20,000, did not change that plan (the ms above are with the AND).

"""


def _write_documents() -> None:
    runs = sorted((json.loads(path.read_text()) for path in RESULTS.glob("pages-*.json")), key=lambda run: run["size"])
    if not runs:
        return
    DOCS.mkdir(exist_ok=True)
    (DOCS / "benchmarks.md").write_text(_markdown(runs))
    (DOCS / "benchmarks-explain.md").write_text(_explain(runs))
    _chart(runs)
    print(f"wrote {DOCS / 'benchmarks.md'}, {DOCS / 'benchmarks-explain.md'} and {DOCS / 'benchmarks.png'}")


def _markdown(runs: list[dict]) -> str:
    machine = runs[-1]["machine"]
    sizes = [run["size"] for run in runs]
    by_size = {run["size"]: {page["name"]: page for page in run["pages"]} for run in runs}
    smallest, largest = sizes[0], sizes[-1]
    lines = [
        "# Benchmarks: the pages at national scale (issue 18)",
        "",
        "Written by `bench/pages.py` (`make bench` runs it); do not edit by hand.",
        "",
        f"- Machine: {machine['cpus']} CPUs, {machine['memory']} RAM, {machine['system']}, Python {machine['python']}",
        f"- Database: {machine['postgresql']}, "
        + ", ".join(f"{k} {v}" for k, v in machine["postgresql_settings"].items()),
        "- Each page requested "
        f"{REQUESTS} times after two warm-up requests, by django.test.Client with DEBUG off, signed in as a "
        "persona of the first partnership (the largest, ten times the average: 6.7% of the cases; the social "
        "worker holds half of them).",
        "- *Floor*: the page's own queries run again alone (summed, best of five) plus the page without the "
        "database (the request less the time its queries took in it). *Ratio*: p50 over the floor (target: "
        f"{FLOOR:g}x at most). *Flat*: p50 at {largest:,} over p50 at {smallest:,} (target: {FLAT:g}x at most).",
        "- *Load*: the machine's 1-minute load average before and after the pages were timed; above the number "
        "of CPUs, other work was running and the times are higher than on a quiet machine.",
        "",
        "",
        "| Referrals | measured | commit | command | data generated in | VACUUM ANALYZE | load |",
        "| ---: | --- | --- | --- | ---: | ---: | --- |",
    ]
    for run in runs:
        load = " / ".join(str(n) for n in run.get("load", [])) or "not recorded"
        lines.append(
            f"| {run['size']:,} | {run['at']} | {run['commit']} | `{run['command']}` | "
            f"{_duration(run['generated_seconds'])} | {_duration(run['vacuum_seconds'])} | {load} |"
        )
    lines += ["", "## Pages", ""]
    header = "| Page | persona |" + "".join(f" {s:,}: p50 / p95 ms | queries | ratio |" for s in sizes)
    header += " flat | verdict |"
    lines += [header, "| --- | --- |" + " ---: | ---: | ---: |" * len(sizes) + " ---: | --- |"]
    for name in [page["name"] for page in runs[0]["pages"]]:
        cells = []
        for size in sizes:
            page = by_size[size].get(name)
            if not page or page.get("status") != 200:
                cells.append(f" {page.get('status') if page else '-'} | | |")
                continue
            cells.append(f" {page['p50']} / {page['p95']} | {page['queries']} | {page['ratio']}x |")
        first, last = by_size[smallest].get(name), by_size[largest].get(name)
        flat, verdict = "", ""
        if first and last and first.get("p50") and last.get("p50") and len(sizes) > 1:
            growth = last["p50"] / first["p50"]
            flat = f"{growth:.2f}x"
            problems = []
            if growth > FLAT:
                problems.append("not flat")
            if any(by_size[s].get(name, {}).get("ratio", 0) > FLOOR for s in sizes):
                problems.append(f"over {FLOOR:g}x its floor")
            if len({by_size[s].get(name, {}).get("queries") for s in sizes}) > 1:
                problems.append("queries differ")
            verdict = ", ".join(problems) or "ok"
        persona = by_size[smallest][name]["persona"].replace("_", " ")
        lines.append(f"| {name} | {persona} |" + "".join(cells) + f" {flat} | {verdict} |")
    lines += ["", "Table rows shown on each page (the same page can show fewer rows on a smaller database):", ""]
    lines += ["| Page |" + "".join(f" {s:,} |" for s in sizes), "| --- |" + " ---: |" * len(sizes)]
    for name in [page["name"] for page in runs[0]["pages"]]:
        lines.append(f"| {name} |" + "".join(f" {by_size[s].get(name, {}).get('table_rows', '')} |" for s in sizes))
    lines += ["", "Where the time goes, at each size (ms: SQL alone + Python alone = floor):", ""]
    lines += ["| Page |" + "".join(f" {s:,} |" for s in sizes), "| --- |" + " --- |" * len(sizes)]
    for name in [page["name"] for page in runs[0]["pages"]]:
        cells = []
        for size in sizes:
            page = by_size[size].get(name, {})
            cells.append(
                f" {page.get('sql_alone')} + {page.get('python_alone')} = {page.get('floor')} |"
                if page.get("p50")
                else " |"
            )
        lines.append(f"| {name} |" + "".join(cells))
    lines += ["", "![p50 against referrals](benchmarks.png)", ""]
    lines += NOT_FLAT.splitlines()
    lines += SEARCH_28.splitlines()
    lines += PYTHON_28.splitlines()
    lines += _report_section(runs, by_size)
    lines += ["## Rows generated", "", "| Table |" + "".join(f" {s:,} |" for s in sizes)]
    lines += ["| --- |" + " ---: |" * len(sizes)]
    for table in runs[-1]["rows"]:
        lines.append(f"| {table} |" + "".join(f" {run['rows'].get(table, 0):,} |" for run in runs))
    others = RESULTS / "others.json"
    if not others.exists():
        lines += _section_kept("## The other benchmarks")
    else:
        data = json.loads(others.read_text())
        lines += [
            "",
            "## The other benchmarks",
            "",
            f"On PostgreSQL, {data['at']}, commit {data['commit']} (`BENCH_OTHERS=1 python bench/pages.py`):",
            "",
        ]
        for run in data["runs"]:
            status = "" if run["status"] == 0 else f" (exit {run['status']}: its target missed)"
            lines += [f"`{run['script']}`{status}, {run['seconds']} s in all:", "", "```", run["output"], "```", ""]
    lines += _list_log_section()
    lines += _load_section()
    lines += ["", "The slowest query of each page, explained: [benchmarks-explain.md](benchmarks-explain.md).", ""]
    return "\n".join(lines)


REPORT_PAGES = [
    "Report, last 12 months",
    "Report, one agency and urgency",
    "Report CSV, median hours to the discussion",
]


def _report_section(runs: list[dict], by_size: dict) -> list[str]:
    """Issue 29: the report's pages and CSV at each size, the rebuild of one partnership-month, its rows."""
    measured = [run for run in runs if run.get("report")]
    if not measured:
        return []
    sizes = [run["size"] for run in measured]
    smallest, largest = sizes[0], sizes[-1]
    lines = ["## Issue 29: the timeliness report", "", *REPORT_29.strip().splitlines(), ""]
    lines += [
        "| Page | persona |" + "".join(f" {s:,}: p50 / p95 ms | queries |" for s in sizes) + " flat |",
        "| --- | --- |" + " ---: | ---: |" * len(sizes) + " ---: |",
    ]
    for name in REPORT_PAGES:
        cells, persona = [], ""
        for size in sizes:
            page = by_size[size].get(name) or {}
            persona = page.get("persona", persona).replace("_", " ")
            cells.append(f" {page['p50']} / {page['p95']} | {page['queries']} |" if page.get("p50") else " - | |")
        first, last = by_size[smallest].get(name) or {}, by_size[largest].get(name) or {}
        flat = (
            f"{last['p50'] / first['p50']:.2f}x" if first.get("p50") and last.get("p50") and largest > smallest else ""
        )
        lines.append(f"| {name} | {persona} |" + "".join(cells) + f" {flat} |")
    lines += [
        "",
        "The rebuild of one partnership-month's counts (`reports.cells.cells_rebuild`), the personas' partnership's "
        f"busiest month, {REBUILDS} times:",
        "",
        "| Referrals | month | its facts | its cells | p50 ms | best ms |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for run in measured:
        r = run["report"]
        lines.append(
            f"| {run['size']:,} | {r['month']} | {r['month_facts']:,} | {r['month_cells']:,} | {r['rebuild_p50']} | "
            f"{r['rebuild_best']} |"
        )
    kinds = sorted({kind for run in measured for kind in run["report"].get("facts_by_kind", {})})
    lines += [
        "",
        "The report's rows at each size: facts written by `bench/report_facts.py` (SQL), then every "
        "partnership-month counted by `reports.services.counts_rebuild` (the app's own code):",
        "",
        "| Rows | " + " | ".join(f"{s:,}" for s in sizes) + " |",
        "| --- |" + " ---: |" * len(sizes),
    ]
    for kind in kinds:
        lines.append(
            f"| facts: {kind} |" + "".join(f" {r['report']['facts_by_kind'].get(kind, 0):,} |" for r in measured)
        )
    lines.append("| **facts** |" + "".join(f" **{r['report']['fact_rows']:,}** |" for r in measured))
    lines.append("| **cells** |" + "".join(f" **{r['report']['cell_rows']:,}** |" for r in measured))
    lines.append(
        "| cells of the personas' partnership |" + "".join(f" {r['report']['partnership_cells']:,} |" for r in measured)
    )
    lines.append(
        "| partnership-months |" + "".join(f" {r['report'].get('partnership_months') or 0:,} |" for r in measured)
    )
    lines.append(
        "| facts written in (SQL) |"
        + "".join(f" {_duration(r['report'].get('facts_seconds') or 0)} |" for r in measured)
    )
    lines.append(
        "| every partnership-month counted in |"
        + "".join(f" {_duration(r['report'].get('cells_seconds') or 0)} |" for r in measured)
    )
    return [*lines, ""]


def _list_log_section() -> list[str]:
    """bench/list_log.py's last result (issue 28), kept in docs/benchmarks.md when it is rewritten."""
    list_log = RESULTS / "list-log.md"
    if not list_log.exists():
        return _section_kept("## The list log")
    return ["", *list_log.read_text().splitlines()]


def _section_kept(heading: str) -> list[str]:
    """The section of the current docs/benchmarks.md whose heading starts so, as it is: a benchmark not run on this
    machine (its results under var/bench/ missing) keeps its last published result rather than losing it."""
    current = DOCS / "benchmarks.md"
    if not current.exists():
        return []
    kept: list[str] = []
    for line in current.read_text().splitlines():
        if line.startswith("## "):
            if kept:
                break
            if line.startswith(heading):
                kept.append(line)
        elif kept:
            kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return ["", *kept, ""] if kept else []


def _load_section() -> list[str]:
    """bench/load.py's section (issue 28), from the runs it keeps in docs/benchmarks-load.json."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bench.load import section

    lines = section()
    while lines and not lines[-1]:
        lines.pop()
    return ["", *lines] if lines else []


def _explain(runs: list[dict]) -> str:
    lines = ["# The slowest query of each page, explained", "", "Written by `bench/pages.py`.", ""]
    for run in runs:
        lines += [f"## {run['size']:,} referrals ({run['at']}, commit {run['commit']})", ""]
        for page in run["pages"]:
            slowest = page.get("slowest") or {}
            if not slowest.get("plan"):
                continue
            sql = re.sub(r"LIKE '%[^']*%'", "LIKE '%...%'", slowest["sql"])  # what was searched for is left out
            sql = re.sub(r"^SELECT .*? FROM ", "SELECT ... FROM ", sql, count=1, flags=re.S)  # not every column
            plan = re.sub(r"~~ '%[^']*%'", "~~ '%...%'", slowest["plan"])
            lines += [f"### {page['name']}: {slowest['ms']} ms", "", "```sql", sql, "```", "", "```", plan, "```", ""]
    return "\n".join(lines)


def _chart(runs: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [run["size"] for run in runs]
    figure, axes = plt.subplots(figsize=(8, 5), dpi=110)
    for name in CHARTED:
        times = [next((p.get("p50") for p in run["pages"] if p["name"] == name), None) for run in runs]
        points = [(s, t) for s, t in zip(sizes, times, strict=True) if t is not None]
        if points:
            axes.plot([s for s, _ in points], [t for _, t in points], marker="o", label=name)
    axes.set_xscale("log")
    axes.set_xticks(sizes, [f"{s:,}" for s in sizes])
    axes.set_xlabel("referrals in the database")
    axes.set_ylabel("p50 of the whole request (ms)")
    axes.set_ylim(bottom=0)
    axes.set_title("Page time against the size of the database")
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(DOCS / "benchmarks.png")
    plt.close(figure)


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 120 else f"{seconds:.0f} s"


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--size":
        measure(int(sys.argv[2]))
    elif len(sys.argv) == 2 and sys.argv[1] == "--documents":
        _write_documents()
    else:
        main()
