"""Benchmark: mixed load over real HTTP, against gunicorn as production runs it (issue 28).

For each size in BENCH_SIZES (default 20000,2000000), on the database bench/pages.py makes and keeps for it
(`strategy_bench_<size>` on the server of DATABASE_URL, generated once by bench/generate.py):

1. A child process with the production settings (DEBUG off, so psycopg's pool per worker; REDIS_URL, so the cache
   and `cached_db` sessions in Redis) migrates the database, generates it if it is new, collects the static files
   (whitenoise's compressed manifest, as the Dockerfile does) and signs in BENCH_LOAD_USERS (default 20) users
   among the generator's personas: a session each, made by `django.contrib.auth.login` with the second factor
   passed as bench/pages.py does it (`pages.sign_in`), its cookie handed to the client. The real sign-in pages are
   not used: the personas have no password, and a time-based code works once per device and 30 s, so 20 sessions
   of 4 personas could not all pass the second factor through the page in one minute.
2. gunicorn serves the app with gunicorn.conf.py (its 3 sync workers and its access log, here into
   var/bench/load-<size>-gunicorn.log) on a free port of 127.0.0.1; the client sends what the TLS proxy in front
   of it would (`X-Forwarded-Proto: https`, `X-Forwarded-For`, PROXY_COUNT=1), so nothing is redirected.
3. Every user opens each of its pages once (warm-up: statuses checked, not timed), and one static file is fetched.
4. For BENCH_LOAD_SECONDS (default 60) the users request pages back to back, each a kind drawn by weight (list 25%,
   search 25%, case 20%, meeting 15%, dashboard 15%) and a page of that kind its persona should see, on a
   client of its own (httpx, asyncio, one connection per user, no think time, redirects not followed).

Reported per page kind, per page and overall: requests a second, p50 and p95 of the whole request as the client
saw it, and errors (any status other than 2xx or 3xx, a redirect to the sign-in page, and a 404, since every page
asked for is one its persona sees). CPU per request from /proc, before and after the timed run: *Python* is the
gunicorn master and workers (utime + stime, and the children's that ended); *PostgreSQL* is every process of the
cluster (the postmaster and its children, live and ended: backends, autovacuum, writers); *Redis* its server's
process; *client* is this process; *machine* is all the machine's busy time (/proc/stat), so that other work on the
2 cores shows, and the *ceiling* is what the cores would serve at that CPU per request with nothing else running.

Afterwards the database is as the run found it: every row the run added (the list log and case views its requests
wrote, the sessions and sign-in audit) is removed, so runs do not pile audit onto the kept database (the measured
case's "who has looked" among it) and each run reads the same data; what was removed is reported per table.

BENCH_LOAD_KEEP=1 keeps each size's database even if bench/generate.py has changed since it was made (bench/pages.py
would make it again): the runs before and after a change of the app then read the same rows. BENCH_LOAD_LABEL
names the run in the docs (e.g. "before (db530cb)"; by default the last commit that changed the app).

Results: var/bench/load-<size>.json (the latest run), every run kept in docs/benchmarks-load.json, and the section
"Load over HTTP (issue 28)" of docs/benchmarks.md written from it (bench/pages.py keeps it when it rewrites the file).

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/postgres REDIS_URL=redis://127.0.0.1:56379/1 \\
        BENCH_SIZES=20000 .venv/bin/python bench/load.py
"""

import asyncio
import concurrent.futures
import json
import logging
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import pages  # noqa: E402 (the project's root on the path first, when run as a script)

RESULTS = ROOT / "var" / "bench"
DOCS = ROOT / "docs"
RUNS = DOCS / "benchmarks-load.json"
HEADING = "## Load over HTTP (issue 28)"
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
USERS = int(os.environ.get("BENCH_LOAD_USERS", "20"))
SEED = 28
KINDS = {"list": 0.25, "search": 0.25, "case": 0.20, "meeting": 0.15, "dashboard": 0.15}
# Which personas the users are, in turn: 20 users are 8 social workers, 4 team managers, 4 police officers, 4 heads
# of service (each persona one account, each user a session of its own).
PERSONAS = ["social_worker", "team_manager", "police_officer", "head_of_service", "social_worker"]
# bench/pages.py's pages that the load mixes, by kind (its names, personas and addresses).
PAGE_KINDS = {
    "Referrals list": "list",
    "Referrals list, received newest first": "list",
    "Referrals list, overdue": "list",
    "Referrals list, invited police": "list",
    "Search by surname": "search",
    "Search by first name and surname": "search",
    "Search, two letters": "search",
    "Search by a first name alone": "search",
    "Search by the commonest surname": "search",
    "Case page": "case",
    "History": "case",
    "Who has looked": "case",
    "Meeting page, ended": "meeting",
    "Meeting page, convened": "meeting",
    "My actions": "dashboard",
    "My actions, police": "dashboard",
    "Deadlines: mine": "dashboard",
    "Deadlines: team": "dashboard",
    "Deadlines: agency": "dashboard",
}
# The searches every persona makes (the social worker makes every search of bench/pages.py).
SKEWED_SEARCHES = ["Search, two letters", "Search by a first name alone", "Search by the commonest surname"]
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
APP_PATHS = ["bench", "docs", "tests/bench", "pyproject.toml", "requirements.txt", "requirements-dev.txt", "Makefile"]


# --- the parent: one size after another ------------------------------------------------------------------------


def main() -> None:
    base_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not base_url.startswith(("postgres://", "postgresql://")) or not redis_url.startswith("redis://"):
        sys.exit(
            "bench/load.py needs PostgreSQL and Redis, as production: DATABASE_URL=postgres://... REDIS_URL=redis://..."
        )
    sizes = [int(size) for size in os.environ.get("BENCH_SIZES", "20000,2000000").split(",") if size.strip()]
    command = (
        f"BENCH_SIZES={','.join(str(s) for s in sizes)} BENCH_LOAD_SECONDS={SECONDS:g} BENCH_LOAD_USERS={USERS} "
        + ("BENCH_LOAD_KEEP=1 " if os.environ.get("BENCH_LOAD_KEEP") == "1" else "")
        + "python bench/load.py"
    )
    status = 0
    for size in sizes:
        database_url = _database(base_url, size)
        result = run(database_url, redis_url, size, seconds=SECONDS, users=USERS, command=command)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"load-{size}.json").write_text(json.dumps(result, indent=1))
        _keep(result)
        status |= 1 if result["overall"]["errors"] else 0
    write_documents()
    sys.exit(status)


def _database(base_url: str, size: int) -> str:
    """bench/pages.py's database for the size: made again when bench/generate.py has changed since it was made,
    unless BENCH_LOAD_KEEP=1 keeps the one there is (migrated as production would be), so that a run after a change
    of the app reads the same rows as the run before it."""
    if os.environ.get("BENCH_LOAD_KEEP") == "1":
        import psycopg

        name = f"strategy_bench_{size}"
        with psycopg.connect(pages._database_url(base_url, "postgres")) as admin:
            if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                return pages._database_url(base_url, name)
    return pages._prepare_database(base_url, size)


def production_env(database_url: str, redis_url: str) -> dict:
    """The environment production gives web (docs/operations.md): DEBUG off, the pool on (its default then),
    Redis for the cache and the sessions, the broker in Redis, behind one proxy."""
    redis_base = redis_url.rsplit("/", 1)[0] if re.search(r"/\d+$", redis_url) else redis_url.rstrip("/")
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", "bench-load-only-not-a-secret-" + "x" * 24),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", f"{redis_base}/0"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PROXY_COUNT": "1",
        "STATIC_ROOT": str(RESULTS / "static"),
        "PYTHONPATH": os.pathsep.join(p for p in [os.environ.get("PYTHONPATH", ""), str(ROOT)] if p),
    }


def _run_async(coroutine):
    """asyncio.run, or in a thread of its own where this thread already runs an event loop (a test process in
    which Playwright's sync API has one)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def run(
    url: str, redis_url: str, size: int, *, seconds: float, users: int, command: str, workers: int | None = None
) -> dict:
    """One size on the database of `url`: prepare (child process), serve (gunicorn: `workers`, or as
    gunicorn.conf.py says), warm up, load, stop; the result."""
    env = production_env(url, redis_url)
    prepared = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--prepare", str(size), str(users)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    sys.stderr.write(prepared.stderr)
    if prepared.returncode:
        raise RuntimeError(f"preparing {size:,} referrals failed:\n{prepared.stdout}")
    plan = json.loads(prepared.stdout.splitlines()[-1])
    port = _free_port()
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = (RESULTS / f"load-{size}-gunicorn.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [str(Path(sys.executable).with_name("gunicorn")), "config.wsgi", "-c", "gunicorn.conf.py"]
        + ["--bind", f"127.0.0.1:{port}"]
        + (["--workers", str(workers)] if workers else []),
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        serving = _wait_until_serving(base, server)
        print(f"{size:,} referrals: gunicorn serving on {base} with {len(serving)} workers; {len(plan['users'])} users")
        outcome = _run_async(
            _load(base, plan, seconds=seconds, server=server.pid, database_url=url, redis_url=redis_url)
        )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        removed = _undo(url, redis_url, plan["marks"], [user["cookie"] for user in plan["users"]])
    result = {
        "size": size,
        "at": pages._now_text(),
        "commit": pages._commit(),
        "app_commit": _app_commit(),
        "label": os.environ.get("BENCH_LOAD_LABEL", ""),
        "command": command,
        "machine": plan["machine"],
        "workers": len(serving),
        "users": len(plan["users"]),
        "personas": dict(sorted(_count(u["persona"] for u in plan["users"]).items())),
        "sign_in": "sessions made by django.contrib.auth.login, second factor passed (bench/pages.py sign_in)",
        **outcome,
        "rows_written": removed,
    }
    _print(result)
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_serving(base: str, server: subprocess.Popen) -> list[int]:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn stopped: see var/bench/load-<size>-gunicorn.log")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                workers = _children(server.pid)
                if len(workers) >= 1:
                    return workers
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


# --- the load ----------------------------------------------------------------------------------------------------


PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.10"}  # what the TLS proxy adds


async def _load(base: str, plan: dict, *, seconds: float, server: int, database_url: str, redis_url: str) -> dict:
    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)  # its request lines hold what was searched for

    clients = [
        httpx.AsyncClient(
            base_url=base,
            headers={**PROXY_HEADERS, "Cookie": f"{plan['cookie_name']}={user['cookie']}"},
            timeout=60,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )
        for user in plan["users"]
    ]
    try:
        # Warm-up: each user opens each of its pages once (not timed); the statuses are kept.
        warm = await asyncio.gather(*(_warm(client, user) for client, user in zip(clients, plan["users"], strict=True)))
        warm_errors = sorted({f"{name}: {status}" for statuses in warm for name, status in statuses if _error(status)})
        static = await clients[0].get(plan["static"]) if plan.get("static") else None
        postmaster, redis_server = _postmaster(database_url), _redis_server(redis_url)
        before = _cpu(server, postmaster, redis_server)
        started = time.perf_counter()
        deadline = started + seconds
        samples = await asyncio.gather(
            *(
                _user(client, user, deadline, n)
                for n, (client, user) in enumerate(zip(clients, plan["users"], strict=True))
            )
        )
        elapsed = time.perf_counter() - started
        after = _cpu(server, postmaster, redis_server)
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    flat = [sample for user_samples in samples for sample in user_samples]
    return {
        "seconds": round(elapsed, 1),
        "warm_up_errors": warm_errors,
        "static": {"url": plan.get("static"), "status": static.status_code if static else None},
        "overall": _summary(flat, elapsed),
        "kinds": {kind: _summary([s for s in flat if s[0] == kind], elapsed) for kind in KINDS},
        "pages": {
            name: {"kind": kind, **_summary([s for s in flat if s[1] == name], elapsed)}
            for kind, name in sorted({(s[0], s[1]) for s in flat})
        },
        "cpu": _cpu_per_request(before, after, len(flat)),
        "load_average": [round(n, 2) for n in os.getloadavg()],
    }


async def _warm(client, user: dict) -> list[tuple[str, int]]:
    statuses = []
    for page in user["pages"]:
        response = await client.get(page["url"])
        statuses.append((page["name"], _status(response)))
    return statuses


async def _user(client, user: dict, deadline: float, n: int) -> list[tuple[str, str, int, float]]:
    """Requests back to back until the deadline: (kind, page name, status, ms) each."""
    rng = random.Random(SEED * 1000 + n)  # noqa: S311 (a mix of pages, not a secret)
    by_kind: dict[str, list[dict]] = {}
    for page in user["pages"]:
        by_kind.setdefault(page["kind"], []).append(page)
    kinds = [kind for kind in KINDS if kind in by_kind]
    weights = [KINDS[kind] for kind in kinds]
    samples = []
    while time.perf_counter() < deadline:
        page = rng.choice(by_kind[rng.choices(kinds, weights)[0]])
        start = time.perf_counter()
        try:
            response = await client.get(page["url"])
            status = _status(response)
        except Exception:  # noqa: BLE001 (a refused or timed-out request is an error of the run, not of the client)
            status = 0
        samples.append((page["kind"], page["name"], status, (time.perf_counter() - start) * 1000))
    return samples


def _status(response) -> int:
    """The status, except that a redirect to the sign-in page counts as 401 (the session was lost)."""
    if response.is_redirect and "/sign-in/" in response.headers.get("location", ""):
        return 401
    return response.status_code


def _error(status: int) -> bool:
    return not 200 <= status < 400


def _summary(samples: list[tuple], seconds: float) -> dict:
    times = [s[3] for s in samples]
    return {
        "requests": len(samples),
        "per_second": round(len(samples) / seconds, 1) if seconds else 0,
        "p50": round(pages._percentile(times, 50), 1) if times else None,
        "p95": round(pages._percentile(times, 95), 1) if times else None,
        "errors": sum(1 for s in samples if _error(s[2])),
        "statuses": dict(sorted(_count(str(s[2]) for s in samples).items())),
    }


def _count(values) -> dict:
    counts: dict = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


# --- CPU from /proc ----------------------------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, int, int] | None:
    """(ppid, own utime + stime, ended children's cutime + cstime) in clock ticks, or None if it has gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) ": state is fields[0]
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat and stat[0] == pid:
                found.append(int(entry.name))
    return found


def _tree_ticks(pid: int) -> int:
    """CPU ticks of a process, its live children and every child that has ended (and was waited for)."""
    own = _stat(pid)
    if own is None:
        return 0
    return own[1] + own[2] + sum((_stat(child) or (0, 0, 0))[1] for child in _children(pid))


def _postmaster(database_url: str) -> int | None:
    """The PostgreSQL server's main process, when it runs on this machine: the parent of our backend."""
    import psycopg

    with psycopg.connect(database_url) as connection:
        backend = connection.execute("SELECT pg_backend_pid()").fetchone()[0]
        stat = _stat(backend)
    return stat[0] if stat else None


def _redis_server(redis_url: str) -> int | None:
    """Redis's process (the cache and the sessions), when it runs on this machine."""
    import redis

    pid = redis.Redis.from_url(redis_url).info("server").get("process_id")
    return int(pid) if pid and _stat(int(pid)) else None


def _machine_busy() -> int:
    """The machine's busy ticks: user, nice, system, irq and softirq (not idle, iowait, steal or guest, which user
    already holds)."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return fields[0] + fields[1] + fields[2] + fields[5] + fields[6]


def _cpu(server: int, postmaster: int | None, redis_server: int | None) -> dict:
    usage = os.times()
    return {
        "python": _tree_ticks(server),
        "postgresql": _tree_ticks(postmaster) if postmaster else None,
        "redis": _tree_ticks(redis_server) if redis_server else None,
        "client": round((usage.user + usage.system) * TICKS),
        "machine": _machine_busy(),
    }


def _cpu_per_request(before: dict, after: dict, requests: int) -> dict:
    """ms of CPU per request for each part, and the machine's other work (busy time none of them spent)."""

    def ms(key: str) -> float | None:
        if before[key] is None or after[key] is None or not requests:
            return None
        return round((after[key] - before[key]) * 1000 / TICKS / requests, 1)

    result = {key: ms(key) for key in ["python", "postgresql", "redis", "client", "machine"]}
    parts = [result[key] for key in ["python", "postgresql", "redis", "client"] if result[key] is not None]
    if result["machine"] is not None:
        result["other"] = round(result["machine"] - sum(parts), 1)
    # What the machine's cores would serve at this CPU per request with nothing else running: a figure that other
    # work on the machine disturbs much less than requests a second do.
    result["ceiling_per_second"] = round((os.cpu_count() or 1) * 1000 / sum(parts), 1) if sum(parts) else None
    return result


def _app_commit() -> str:
    """The last commit that changed the app or its tests (anything but the benchmarks, their tests, docs, lock files
    and Makefile)."""
    excluded = [f":(exclude){path}" for path in APP_PATHS]
    done = subprocess.run(  # noqa: S603
        ["git", "log", "-1", "--format=%h", "--", ".", *excluded],  # noqa: S607
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    return done.stdout.strip()


def _print(result: dict) -> None:
    cpu = result["cpu"]
    for kind, row in [*result["kinds"].items(), ("overall", result["overall"])]:
        print(
            f"  {kind}: {row['requests']} requests, {row['per_second']}/s, p50 {row['p50']} ms, "
            f"p95 {row['p95']} ms, {row['errors']} errors"
        )
    print(
        f"  CPU per request: Python {cpu['python']} ms, PostgreSQL {cpu['postgresql']} ms, Redis {cpu['redis']} ms, "
        f"client {cpu['client']} ms, other work {cpu.get('other')} ms; ceiling {cpu.get('ceiling_per_second')}/s"
    )
    if result["warm_up_errors"]:
        print(f"  warm-up errors: {', '.join(result['warm_up_errors'])}")


# --- the child: prepare the database and the users ---------------------------------------------------------------


def prepare(size: int, users: int) -> dict:
    """With the production settings: the database migrated (and generated once), the static files collected, and
    `users` sessions signed in among the personas, each with the pages it mixes. Printed as JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.templatetags.static import static

    if (
        settings.DEBUG
        or not settings.DATABASE_POOL
        or settings.SESSION_ENGINE != "django.contrib.sessions.backends.cached_db"
    ):
        raise RuntimeError("bench/load.py must run with production settings (DEBUG off, the pool, Redis sessions)")
    with _stdout_to_stderr():
        meta = pages.ensure_generated(size)
        if _collect_static(settings):
            call_command("collectstatic", interactive=False, verbosity=0)
    marks = _marks(connection)  # before the sessions: the run's rows, sign-ins included, are removed after it
    personas = meta["made"]
    planned = _plan(personas)
    signed_in = []
    for n in range(users):
        persona = PERSONAS[n % len(PERSONAS)]
        client = pages.sign_in(personas[persona])
        signed_in.append(
            {
                "persona": persona,
                "cookie": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "pages": [page for page in planned if page["persona"] == persona],
            }
        )
    return {
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "marks": marks,
        "users": signed_in,
        "static": static("app.css") if "Manifest" in settings.STORAGES["staticfiles"]["BACKEND"] else None,
        "machine": pages._machine(connection),
    }


def _collect_static(settings) -> bool:
    """Whether collectstatic must run: production's manifest storage, and no manifest newer than the sources."""
    if "Manifest" not in settings.STORAGES["staticfiles"]["BACKEND"]:
        return False  # the test's settings (tests/bench/test_load.py): nothing to collect
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    sources = [path for folder in settings.STATICFILES_DIRS for path in Path(folder).rglob("*") if path.is_file()]
    newest = max((path.stat().st_mtime for path in sources), default=0)
    return not manifest.exists() or manifest.stat().st_mtime < newest


def _plan(personas: dict) -> list[dict]:
    """bench/pages.py's pages of the kinds mixed, and each persona's home page ("Your work") as a dashboard."""
    planned = [
        {"kind": PAGE_KINDS[page["name"]], "name": page["name"], "persona": page["persona"], "url": page["url"]}
        for page in pages._pages(personas)
        if page["name"] in PAGE_KINDS
    ]
    for persona in sorted(set(PERSONAS)):
        planned.append({"kind": "dashboard", "name": "Your work", "persona": persona, "url": "/"})
    # Every persona lists and searches too (their partnership's cases, or an invited agency's).
    for persona in ["team_manager", "head_of_service"]:
        planned.append({"kind": "list", "name": "Referrals list", "persona": persona, "url": "/referrals/"})
    skewed = [page for page in planned if page["name"] in SKEWED_SEARCHES]
    for persona in ["team_manager", "head_of_service", "police_officer"]:
        planned += [{**page, "persona": persona} for page in skewed]
    planned.append(
        {"kind": "case", "name": "Case page", "persona": "team_manager", "url": f"/referrals/{personas['referral']}/"}
    )
    return planned


def _marks(connection) -> dict:
    """Before the run: the highest key of every table keyed by one integer column, the tables keyed otherwise (the
    list log by case, keyed by case, moment and list) and the next transaction's id."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, a.attname FROM pg_index i
            JOIN pg_class c ON c.oid = i.indrelid
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
            WHERE i.indisprimary AND i.indnatts = 1 AND c.relkind = 'r'
            AND c.relnamespace = current_schema()::regnamespace AND a.atttypid IN ('int4'::regtype, 'int8'::regtype)"""
        )
        keys = cursor.fetchall()
        ids = {}
        for table, column in keys:
            cursor.execute(f'SELECT coalesce(max("{column}"), 0) FROM "{table}"')  # noqa: S608 (catalogue names)
            ids[f"{table}.{column}"] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace"
        )
        others = sorted({name for (name,) in cursor.fetchall()} - {key.split(".")[0] for key in ids} - UNKEYED)
        cursor.execute("SELECT pg_current_xact_id()::text::bigint % 4294967296")
        xid = cursor.fetchone()[0]
    return {"ids": ids, "others": others, "xid": xid}


def _undo(database_url: str, redis_url: str, marks: dict, sessions: list[str]) -> dict[str, int]:
    """The kept database as the run found it: every row added since the marks (the list log and case views the
    requests wrote, the sign-ins' sessions and audit) removed, as the server's superuser with triggers (the audit's
    refusals, foreign keys) off for the transaction. What a run writes would otherwise pile up run after run (the
    measured case's "who has looked" among it) and no two runs would read the same database. Returns the rows
    removed per table."""
    import psycopg

    removed = {}
    with psycopg.connect(database_url) as connection, connection.transaction():
        connection.execute("SET LOCAL session_replication_role = replica")
        for key, mark in marks["ids"].items():
            table, column = key.split(".")
            done = connection.execute(f'DELETE FROM "{table}" WHERE "{column}" > %s', [mark])  # noqa: S608
            if done.rowcount:
                removed[table] = done.rowcount
        for table in marks["others"]:  # rows a transaction since the mark made (these tables' rows are never updated)
            done = connection.execute(f'DELETE FROM "{table}" WHERE xmin::text::bigint >= %s', [marks["xid"]])  # noqa: S608
            if done.rowcount:
                removed[table] = done.rowcount
        done = connection.execute("DELETE FROM django_session WHERE session_key = ANY(%s)", [sessions])
        if done.rowcount:
            removed["django_session"] = done.rowcount
    import redis

    # The sessions' copies in the cache (config/settings.py: KEY_PREFIX "sd", version 1, cached_db's own prefix).
    if sessions:
        redis.Redis.from_url(redis_url).delete(*[f"sd:1:django.contrib.sessions.cached_db{key}" for key in sessions])
    return dict(sorted(removed.items()))


# Tables that _undo leaves: the benchmark's own, and the sessions (removed by their keys).
UNKEYED = {"bench_meta", "django_session"}


class _stdout_to_stderr:
    """What the generator and migrate print goes to standard error: standard output carries the plan."""

    def __enter__(self) -> None:
        self._stdout = sys.stdout
        sys.stdout = sys.stderr

    def __exit__(self, *exc) -> None:
        sys.stdout = self._stdout


# --- the documents -----------------------------------------------------------------------------------------------


def _keep(result: dict) -> None:
    """Every run is kept in docs/benchmarks-load.json (before and after a change, each size)."""
    runs = json.loads(RUNS.read_text()) if RUNS.exists() else []
    slim = {key: value for key, value in result.items() if key != "pages"}
    slim["pages"] = {name: {k: v for k, v in row.items() if k != "statuses"} for name, row in result["pages"].items()}
    runs.append(slim)
    DOCS.mkdir(exist_ok=True)
    RUNS.write_text(json.dumps(runs, indent=1) + "\n")


def section(runs: list[dict] | None = None) -> list[str]:
    """The section of docs/benchmarks.md, from every run kept (bench/pages.py includes it when it rewrites the file)."""
    if runs is None:
        runs = json.loads(RUNS.read_text()) if RUNS.exists() else []
    if not runs:
        return []
    machine = runs[-1]["machine"]
    lines = [
        HEADING,
        "",
        "Written by `bench/load.py` (`make bench-load`) from every run kept in `docs/benchmarks-load.json`; do not "
        "edit by hand.",
        "",
        f"- Machine: {machine['cpus']} CPUs, {machine['memory']} RAM, {machine['system']}, Python {machine['python']}; "
        f"{machine['postgresql']}, " + ", ".join(f"{k} {v}" for k, v in machine["postgresql_settings"].items()),
        "- Served by gunicorn with `gunicorn.conf.py` (3 sync workers, access log on), DEBUG off, psycopg's pool in "
        "each worker, cache and `cached_db` sessions in Redis, static files by whitenoise from `collectstatic`, the "
        "headers of one TLS proxy. The app connects as the server's superuser here, not as `strategy_app` (the same "
        "queries; the grants cost nothing per request).",
        "- Users: each a session of its own made by `django.contrib.auth.login` with the second factor passed "
        "(`bench/pages.py` `sign_in`), its cookie sent by the client; the generator's personas (8 social workers, "
        "4 team managers, 4 police officers, 4 heads of service for 20 users) in the largest partnership (6.7% of the "
        "cases). Each user requests back to back, no think time, a kind drawn by weight ("
        + ", ".join(f"{kind} {weight:.0%}" for kind, weight in KINDS.items())
        + ") and one of its persona's pages of that kind: lists (sorted, overdue, an invited police officer's), "
        "searches (the social worker's: a surname, first name and surname; everyone's: two letters, a first name "
        "alone, the commonest surname), the "
        "case page, its history and who has looked, the meeting pages (ended, convened), the home page, actions and "
        "deadlines.",
        "- After each run the rows it added are removed (the list log and case views its requests wrote, its "
        "sessions and sign-in audit: `rows_written` in the JSON), so every run reads the data as generated.",
        "- Times: the whole request as the client saw it. Errors: any status but 2xx or 3xx, a redirect to sign in, "
        "and any 404 (every page asked for is one its persona sees).",
        "- CPU per request (ms), from `/proc` before and after the timed run: *Python*, gunicorn's master and workers; "
        "*PostgreSQL*, every process of the cluster (the postmaster and its children, live and ended; "
        "pg_stat_statements gives time, not CPU); *Redis*, its server's process (cache and sessions); *client*, "
        "the load client's process (httpx on asyncio, sharing the "
        "2 cores); *other work*, busy time of the machine that none of them spent (other people's tests and "
        "profiles on this shared machine: requests a second and times fall as it rises). *Ceiling*: the machine's "
        "cores x 1000 / (Python + PostgreSQL + Redis + client), what the cores would serve at this CPU per request "
        "with nothing else running; compare runs by it and by the CPU per request when other work differs.",
        "- Client: httpx, a small asyncio client (one connection per user), rather than locust: one package and "
        "its three small dependencies in the bench extra instead of locust's gevent, Flask and web UI, and the "
        "client's CPU stays a few ms per request, measured in the same process.",
        "",
        "| Referrals | measured | commit (app) | label | users | seconds | command |",
        "| ---: | --- | --- | --- | ---: | ---: | --- |",
    ]
    for run in runs:
        lines.append(
            f"| {run['size']:,} | {run['at']} | {run['commit']} ({run['app_commit']}) | {run.get('label') or ''} | "
            f"{run['users']} | {run['seconds']} | `{run['command']}` |"
        )
    for size in sorted({run["size"] for run in runs}):
        of_size = [run for run in runs if run["size"] == size]
        lines += ["", f"### {size:,} referrals", ""]
        header = "| Pages |" + "".join(f" {_run_name(run)}: req/s | p50 ms | p95 ms | errors |" for run in of_size)
        lines += [header, "| --- |" + " ---: | ---: | ---: | ---: |" * len(of_size)]
        for kind in [*KINDS, "overall"]:
            cells = []
            for run in of_size:
                row = run["overall"] if kind == "overall" else run["kinds"].get(kind, {})
                cells.append(
                    f" {row.get('per_second', '')} | {row.get('p50', '')} | {row.get('p95', '')} | "
                    f"{row.get('errors', '')} |"
                )
            name = "**all**" if kind == "overall" else kind
            lines.append(f"| {name} |" + "".join(cells))
        lines += ["", "CPU per request (ms), and the ceiling it gives the machine's cores (requests a second):", ""]
        lines += ["| Run | Python | PostgreSQL | Redis | client | other work | ceiling | load average after |"]
        lines += ["| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
        for run in of_size:
            cpu = run["cpu"]
            lines.append(
                f"| {_run_name(run)} | {cpu['python']} | {cpu['postgresql']} | {cpu.get('redis')} | {cpu['client']} | "
                f"{cpu.get('other')} | "
                f"{cpu.get('ceiling_per_second', '')} | {' / '.join(str(n) for n in run.get('load_average', []))} |"
            )
        names = sorted({(row["kind"], name) for run in of_size for name, row in run["pages"].items()}, key=_kind_order)
        lines += ["", "Per page (p50 / p95 ms, requests):", ""]
        lines += ["| Page | kind |" + "".join(f" {_run_name(run)} |" for run in of_size)]
        lines += ["| --- | --- |" + " ---: |" * len(of_size)]
        for kind, name in names:
            cells = []
            for run in of_size:
                row = run["pages"].get(name)
                cells.append(f" {row['p50']} / {row['p95']} ({row['requests']}) |" if row else " |")
            lines.append(f"| {name} | {kind} |" + "".join(cells))
        errors = [f"{_run_name(run)}: {', '.join(run['warm_up_errors'])}" for run in of_size if run["warm_up_errors"]]
        if errors:
            lines += ["", "Warm-up errors: " + "; ".join(errors) + "."]
    if any(run.get("label", "").startswith("before") for run in runs):
        lines += ["", *READING.splitlines()]
    return [*lines, ""]


# What the numbers above do not say on their own; kept by hand next to the code that measures them.
READING = """**Reading the before runs** (db530cb). With 20 users and no think time the 3 sync workers are never idle,
so each request waits in gunicorn's queue behind the others: p50 is about users / requests a second, and every page
shows about the same time whatever its own cost. What a change of the app moves is the CPU per request: Python
42-47 ms, PostgreSQL 7-8 ms (the pool was already on at db530cb; the issue's 23-25 ms was a connection per request),
Redis 0.2 ms, the client 3 ms, so the 2 cores would serve 34-38 requests a second with nothing else running (the
ceiling). Other work on the shared machine took another 27-48 ms of CPU per request's worth during these runs, which
is why they served 19-25 requests a second and not 35. Three times 15-18 requests a second (45 or more) needs at
most 44 ms of CPU per request in all (2 cores x 1000 / 45) on a quiet machine: Python at about 30 ms. At 2,000,000
referrals a request costs Python about 5 ms and PostgreSQL 1 ms more than at 20,000; under this load no page stands
out (every request waits in the same queue): bench/pages.py times each page alone. Each run wrote about 0.8 lists
to the list log a request (each with 20-25 rows by case) and 0.2 case views (all removed after it).
"""


def _kind_order(kind_and_name: tuple[str, str]) -> tuple[int, str]:
    kind, name = kind_and_name
    return (list(KINDS).index(kind) if kind in KINDS else len(KINDS), name)


def _run_name(run: dict) -> str:
    return run.get("label") or run["app_commit"] or run["commit"]


def write_documents() -> None:
    """The section replaces its earlier self in docs/benchmarks.md (or is added before the link at its end)."""
    target = DOCS / "benchmarks.md"
    text = target.read_text() if target.exists() else ""
    new = "\n".join(section())
    if not new:
        return
    lines = text.splitlines()
    if HEADING in lines:
        start = lines.index(HEADING)
        end = next((n for n in range(start + 1, len(lines)) if lines[n].startswith("## ")), len(lines))
        tail = lines[end:]
        if end == len(lines):  # the section was last: keep the closing link after it
            tail = [line for line in lines[start:] if line.startswith("The slowest query of each page")]
        lines = lines[:start] + new.splitlines() + [""] + tail
    else:
        link = next(
            (n for n, line in enumerate(lines) if line.startswith("The slowest query of each page")), len(lines)
        )
        lines = lines[:link] + new.splitlines() + [""] + lines[link:]
    target.write_text("\n".join(lines) + "\n")
    print(f"wrote {target} and {RUNS}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--prepare":
        print(json.dumps(prepare(int(sys.argv[2]), int(sys.argv[3]))))
    elif len(sys.argv) == 2 and sys.argv[1] == "--documents":
        write_documents()
    else:
        main()
