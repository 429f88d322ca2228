"""The platform the app runs on: the real services, the Celery worker, settings and deployment files."""

import datetime as dt
import os
import runpy
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import yaml
from celery.contrib.testing.worker import start_worker
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper

from agencies.models import Agency, Partnership, User
from agencies.tasks import clear_expired_sessions
from config.celery import app as celery_app
from referrals.models import Person, Referral
from tests.services import current_database_url

ROOT = Path(__file__).resolve().parents[1]
# A worker is another process with the real clock, which a moved test clock (TEST_CLOCK) does not reach:
# expiry dates far from any clock are expired, or not, for both.
LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
FAR_AHEAD = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
SEND_CLEAR_SESSIONS = "from agencies.tasks import clear_expired_sessions; clear_expired_sessions.delay()"


@pytest.mark.django_db
def test_database_is_a_real_postgresql_server():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        assert int(cursor.fetchone()[0].split(".")[0]) >= 13


def test_redis_is_a_real_server(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.set("strategy-discussions-test", "ok", ex=10)
    assert client.get("strategy-discussions-test") == b"ok"
    assert client.info("server")["redis_version"]


def test_celery_uses_redis_in_tests(redis_url):
    assert celery_app.conf.broker_url == redis_url
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.worker_prefetch_multiplier == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_nightly_session_clean_up():
    expired = Session.objects.create(session_key="expired-test-session", session_data="e30:", expire_date=LONG_AGO)
    live = Session.objects.create(session_key="live-test-session", session_data="e30:", expire_date=FAR_AHEAD)
    with start_worker(celery_app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
        clear_expired_sessions.delay()
        deadline = time.monotonic() + 20
        while Session.objects.filter(pk=expired.pk).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    assert not Session.objects.filter(pk=expired.pk).exists()
    assert Session.objects.filter(pk=live.pk).exists()


@pytest.mark.django_db  # importing the task modules makes Celery's Django fixup check the connection
def test_beat_schedule_names_registered_tasks():
    celery_app.loader.import_default_modules()
    for entry in celery_app.conf.beat_schedule.values():
        assert entry["task"] in celery_app.tasks


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "SECRET_KEY", "DEMO_PASSWORD", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.clock_free
def test_production_settings_pass_the_deployment_checks():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="a-production-like-secret-key-that-is-long-and-random-0123456789-abcdefghij",
        ALLOWED_HOSTS="sd.example.invalid",
        # A real mail server: the default console backend would write single-use links to the log (agencies.E003).
        EMAIL_URL="smtp+tls://mailer:secret@mail.example.invalid:587",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# --- Connections and sessions in production (issue 28) ----------------------------------------------------------

PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "a-production-like-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"}
CHOSEN = ("DEBUG", "DATABASE_URL", "REDIS_URL", "DATABASE_POOL", "DATABASE_POOL_MAX_SIZE")


def _settings_under(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict:
    """config/settings.py read afresh with this environment (the process's own settings are not touched)."""
    with monkeypatch.context() as patch:
        for name in CHOSEN:
            patch.delenv(name, raising=False)
        for name, value in env.items():
            patch.setenv(name, value)
        return runpy.run_path(str(ROOT / "config" / "settings.py"))


def test_production_pools_connections_and_reads_sessions_from_redis(monkeypatch):
    postgres = "postgres://strategy_app:secret@db.example.invalid:5432/strategy"
    production = _settings_under(monkeypatch, **PRODUCTION, DATABASE_URL=postgres, REDIS_URL="redis://r.invalid:6379/1")
    database = production["DATABASES"]["default"]
    assert database["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 4, "timeout": 10.0}
    assert database["CONN_MAX_AGE"] == 0 and database["CONN_HEALTH_CHECKS"] is True  # the pool checks, not the age
    assert production["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert production["CACHES"]["default"]["LOCATION"] == "redis://r.invalid:6379/1"
    assert production["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"
    sized = _settings_under(monkeypatch, **PRODUCTION, DATABASE_URL=postgres, DATABASE_POOL_MAX_SIZE="2")
    assert sized["DATABASES"]["default"]["OPTIONS"]["pool"]["max_size"] == 2
    assert "SESSION_ENGINE" not in sized and "CACHES" not in sized  # no REDIS_URL: database sessions, as before
    behind_pgbouncer = _settings_under(monkeypatch, **PRODUCTION, DATABASE_URL=postgres, DATABASE_POOL="false")
    assert "pool" not in behind_pgbouncer["DATABASES"]["default"].get("OPTIONS", {})


def test_make_run_and_the_tests_keep_one_connection_per_request_and_sessions_in_the_database(monkeypatch):
    make_run = _settings_under(monkeypatch, DEBUG="true")  # SQLite under var/, no Redis
    tests = _settings_under(  # DEBUG on, PostgreSQL and Redis (the tests switch roles and connection settings)
        monkeypatch, DEBUG="true", DATABASE_URL=os.environ["DATABASE_URL"], REDIS_URL=os.environ["REDIS_URL"]
    )
    for loaded in (make_run, tests):
        assert "pool" not in loaded["DATABASES"]["default"].get("OPTIONS", {})
        assert "SESSION_ENGINE" not in loaded and "CACHES" not in loaded


@pytest.mark.django_db
def test_the_production_pool_hands_each_request_the_same_warm_connection(monkeypatch):
    """On the real PostgreSQL with psycopg-pool, production's pool options on a connection of the test database:
    three requests' worth of queries, each connection closed as the end of a request closes it, run on one server
    process (one connection per request, as under DEBUG, would start three)."""
    production = _settings_under(monkeypatch, **PRODUCTION, DATABASE_URL=os.environ["DATABASE_URL"])
    pooled = {
        **connection.settings_dict,
        "OPTIONS": {
            **connection.settings_dict["OPTIONS"],
            "pool": production["DATABASES"]["default"]["OPTIONS"]["pool"],
        },
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": True,
    }
    probe = DatabaseWrapper(pooled, alias="pool_probe")
    try:
        probe.pool.open(wait=True)  # as a worker's first request leaves it: min_size connections made
        pids = set()
        for _ in range(3):
            with probe.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids.add(cursor.fetchone()[0])
            probe.close()  # back to the pool, not closed
        assert len(pids) == 1
        assert probe.pool.get_stats()["pool_size"] == 1
    finally:
        probe.close_pool()


@pytest.mark.clock_free
def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "Set SECRET_KEY in the environment when DEBUG is off." in result.stderr


@pytest.mark.django_db
def test_seed_demo_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = (
        User.objects.count(),
        Agency.objects.count(),
        Partnership.objects.count(),
        Referral.objects.count(),
        Person.objects.count(),
    )
    call_command("seed_demo")
    assert (
        User.objects.count(),
        Agency.objects.count(),
        Partnership.objects.count(),
        Referral.objects.count(),
        Person.objects.count(),
    ) == counts
    counts = (counts[0], counts[3])
    assert counts[1] >= 6
    assert set(Referral.objects.values_list("status", flat=True)) == {
        "awaiting_discussion",
        "discussion_held",
        "closed",
    }
    assert User.objects.get(username="sw.demo").check_password("demo-pass-2026")
    assert User.objects.get(username="outsider.police").agency.name == "Neighbouring Police"


@pytest.mark.django_db
def test_seed_demo_is_refused_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only with DEBUG on"):
        call_command("seed_demo")
    assert not User.objects.exists()


@pytest.mark.clock_free
def test_docker_compose_names_every_service_with_the_readme_commands():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    operations = (ROOT / "docs" / "operations.md").read_text()

    def command(name: str) -> str:
        value = services[name]["command"]
        return value if isinstance(value, str) else " ".join(value)

    assert command("web").startswith("gunicorn config.wsgi")
    assert command("worker").startswith("celery -A config worker")
    assert command("beat").startswith("celery -A config beat")
    for name in ("web", "worker", "beat"):
        assert command(name) in operations, f"docs/operations.md does not give the {name} command: {command(name)}"
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379")
        # The cache and sessions (issue 28) on the same Redis, in another database than the broker's.
        assert env["REDIS_URL"].startswith("redis://redis:6379/") and env["REDIS_URL"] != env["CELERY_BROKER_URL"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")


@pytest.mark.clock_free
def test_docker_compose_runs_migrations_as_the_owner_and_the_app_never_as_a_superuser():
    """Issue 26, finding 3: web, worker and beat connect as the app's role; only `migrate` as the owner; the
    superuser the postgres image makes is no service's; the init script makes the app's role with no rights."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]

    def user(name: str) -> str:
        return services[name]["environment"]["DATABASE_URL"].split("://", 1)[1].split(":", 1)[0]

    superuser = services["postgres"]["environment"]["POSTGRES_USER"]
    assert {name: user(name) for name in ("web", "worker", "beat")} == dict.fromkeys(
        ("web", "worker", "beat"), "strategy_app"
    )
    assert user("migrate") == "strategy_owner" and superuser not in {"strategy_owner", "strategy_app"}
    assert services["migrate"]["environment"]["DATABASE_APP_ROLE"] == "strategy_app"
    assert "DATABASE_APP_ROLE" not in services["web"]["environment"]
    mount = next(v for v in services["postgres"]["volumes"] if "docker-entrypoint-initdb.d" in v)
    script = (ROOT / mount.split(":")[0]).joinpath("10-roles.sh").read_text()
    app_role = next(line for line in script.splitlines() if line.startswith("CREATE ROLE strategy_app"))
    assert "NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS" in app_role
    assert 'ALTER DATABASE :"db" OWNER TO strategy_owner' in script
    operations = (ROOT / "docs" / "operations.md").read_text()
    assert "strategy_owner" in operations and "strategy_app" in operations and "DATABASE_APP_ROLE" in operations


@pytest.mark.clock_free
def test_make_run_starts_web_worker_and_beat():
    procfile = dict(
        line.split(":", 1) for line in (ROOT / "Procfile.dev").read_text().splitlines() if line and ":" in line
    )
    assert procfile["web"].strip().startswith("python manage.py runserver 127.0.0.1:$PORT")
    assert procfile["worker"].strip().startswith("celery -A config worker")
    assert procfile["beat"].strip().startswith("celery -A config beat")
    makefile = (ROOT / "Makefile").read_text()
    assert "seed_demo" in makefile and "honcho -f Procfile.dev start --port $(PORT)" in makefile


@pytest.mark.django_db(transaction=True)
def test_the_embedded_filesystem_broker_reaches_a_separate_worker_process(tmp_path):
    """`make run` has no Redis: its default broker must still carry tasks to a real, separate worker."""
    expired = Session.objects.create(session_key="expired-fs-session", session_data="e30:", expire_date=LONG_AGO)
    env = {
        **os.environ,
        "CELERY_BROKER_URL": "filesystem://",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": current_database_url(),
    }
    worker = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "worker.log").open("w"),
    )
    try:
        # Published the way the web process of `make run` publishes: the project's app, embedded defaults.
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "shell", "-c", SEND_CLEAR_SESSIONS],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=60,
        )
        deadline = time.monotonic() + 30
        while Session.objects.filter(pk=expired.pk).exists() and time.monotonic() < deadline:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(0.3)
        assert not Session.objects.filter(pk=expired.pk).exists(), (tmp_path / "worker.log").read_text()
    finally:
        worker.terminate()
        worker.wait(timeout=20)


@pytest.mark.clock_free
def test_production_static_files_collect_with_hashed_names(tmp_path):
    """What the Dockerfile runs: the manifest storage must find every file the CSS points at."""
    result = _manage(
        "collectstatic",
        "--noinput",
        DEBUG="false",
        SECRET_KEY="collectstatic-only-key-for-the-test-0123456789-abcdefghijklmnop",
        STATIC_ROOT=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert '"app.css"' in manifest and '"govuk/govuk-frontend.min.js"' in manifest


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sweeps_deadlines_and_two_sweeps_raise_each_alert_once():
    from actions.models import Alert
    from actions.tasks import sweep_deadlines
    from administration.management.commands.seed_demo import ensure_reference_rows
    from agencies.models import RoleCode
    from referrals.deadlines import deadline_open
    from tests.builders import make_referral
    from tests.factories import AgencyFactory, UserFactory

    ensure_reference_rows()  # a transactional test before this one may have flushed the role rows
    csc = AgencyFactory(name="Sweep CSC", agency_type="csc")
    worker_user = UserFactory(username="sweep_sw", agency=csc, roles=[RoleCode.SOCIAL_WORKER])
    UserFactory(username="sweep_hos", agency=csc, roles=[RoleCode.HEAD_OF_SERVICE])
    referral = make_referral(acting_user=worker_user)
    # Due long ago, so overdue and escalated whatever the clock of the worker.
    deadline = deadline_open(
        acting_user=worker_user,
        referral=referral,
        rule="ACTION",
        starts_at=LONG_AGO,
        agreed_due=LONG_AGO,
        responsible=worker_user,
        agency=csc,
        reason="Invented overdue action",
    )
    with start_worker(celery_app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
        sweep_deadlines.delay()
        sweep_deadlines.delay()
        until = time.monotonic() + 20
        while Alert.objects.filter(deadline=deadline).count() < 2 and time.monotonic() < until:
            time.sleep(0.2)
        time.sleep(1)  # let the second sweep finish too
    assert sorted(Alert.objects.filter(deadline=deadline).values_list("stage", flat=True)) == [2, 3]
