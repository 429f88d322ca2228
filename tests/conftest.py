"""Shared fixtures: real services, a small invented world, and one client per persona."""

import datetime as dt
import gc
import io
import os
import shutil
import tempfile
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import redis
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.http import HttpRequest
from django.test import Client, override_settings
from django.utils import timezone

from administration.management.commands.seed_demo import ensure_reference_rows
from agencies.models import AgencyType, RoleCode
from tests import db_roles, demo_snapshot, template_db, world_snapshot
from tests.factories import TEST_PASSWORD, AgencyFactory, PartnershipFactory, UserFactory
from tests.services import SmtpServer

# Playwright's sync API runs an event loop in the test thread; Django's ORM must still be usable there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

_moved_clock = None


def pytest_configure(config: pytest.Config) -> None:
    """TEST_CLOCK=2028-02-29T23:58 runs the whole suite as if it were then (London time if no offset).

    The clock ticks on from that moment. `make test` runs the suite a second time this way,
    well ahead of today, so no test can depend on the day it was written; tests that need a
    particular moment freeze it themselves and are unaffected.
    """
    global _moved_clock
    _fewer_collections()
    _own_redis_database()
    _shared_folder(config)
    value = os.environ.get("TEST_CLOCK")
    if value:
        moment = dt.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo("Europe/London"))
        _moved_clock = time_machine.travel(moment, tick=True)
        _moved_clock.start()


def _fewer_collections() -> None:
    """Python's cyclic garbage collector, left at its defaults, ran thousands of times per worker and took a fifth of
    the suite's CPU (measured: 19 s of 94 s on tests/strategy, minutes and referrals), scanning the same long-lived
    objects (Django's models, URL patterns, templates) every time. Those made at start-up are frozen out of its
    scans, and it runs after 100,000 allocations rather than 700: cycles are still collected, far less often."""
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)


def _own_redis_database() -> None:
    """Under pytest-xdist each worker publishes to (and its in-process Celery workers read) a Redis database of its
    own, gw0 the 1st, gw1 the 2nd...: a worker never runs a task another worker's test queued for its database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    url = os.environ.get("REDIS_URL")
    if not worker.startswith("gw") or not url:
        return
    from config.celery import app as celery_app

    own = urlsplit(url)._replace(path=f"/{int(worker[2:]) % 15 + 1}").geturl()
    os.environ["REDIS_URL"] = own
    if os.environ.get("CELERY_BROKER_URL") == url:
        os.environ["CELERY_BROKER_URL"] = own
        settings.CELERY_BROKER_URL = own
        celery_app.conf.broker_url = own


def _shared_folder(config: pytest.Config) -> None:
    """The xdist controller makes a folder for this run, which its workers inherit (TEST_SHARED_DIR): they share the
    demo data's copies there (tests/demo_snapshot.py). Removed when the run ends."""
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    folder = tempfile.mkdtemp(prefix="strategy-tests-")
    os.environ["TEST_SHARED_DIR"] = folder
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


def pytest_unconfigure(config: pytest.Config) -> None:
    if _moved_clock is not None:
        _moved_clock.stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    value = os.environ.get("TEST_CLOCK")
    return f"clock moved to {value} (TEST_CLOCK)" if value else None


# The longest tests start first (10-90 s each: the browser journeys, the every-URL walk, and the modules that
# generate a database of rows once), so that none of them starts at the end of a parallel run while the other
# workers sit idle. The rest keep their order.
LONGEST_FIRST = ("tests/test_query_plans.py", "tests/bench/", "tests/e2e/", "tests/test_every_url.py")
# Modules whose fixture generates thousands of rows once: all their tests go to one worker, which generates them
# once (sent out test by test, they would be spread over every worker and generated on each).
KEPT_TOGETHER = ("tests/test_query_plans.py", "tests/bench/test_generate.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(LONGEST_FIRST))


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: without it (-p no:xdist) there is nothing to schedule
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """pytest-xdist's scheduling by test, but a module of KEPT_TOGETHER is one unit of work (its `loadgroup`
    marks are not applied by the pytest-xdist and pytest installed here: measured, they spread over the workers)."""
    from xdist.scheduler import LoadScopeScheduling

    class ByTestKeepingGeneratedModules(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in KEPT_TOGETHER else nodeid

    return ByTestKeepingGeneratedModules(config, log)


@pytest.fixture(scope="session", autouse=True)
def _real_services_only() -> None:
    """Tests run on the PostgreSQL and Redis that `make test` starts; anything else fails, never skips."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        pytest.fail(f"Tests need PostgreSQL (run `make test`); DATABASE_URL gives {engine}", pytrace=False)
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.fail("Tests need Redis (run `make test`); REDIS_URL is not set", pytrace=False)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {url} did not answer: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings, django_db_blocker) -> None:
    """Before the test database is made: the app's database role exists, for `migrate` to grant it its rights."""
    settings.DATABASE_APP_ROLE = os.environ.get("DATABASE_APP_ROLE") or db_roles.APP_ROLE
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        return  # _real_services_only says why
    from django.db import connection

    with django_db_blocker.unblock():
        try:
            db_roles.create_app_role(connection, settings.DATABASE_APP_ROLE)
        except RuntimeError as exc:
            pytest.fail(str(exc), pytrace=False)
        finally:
            connection.close()


@pytest.fixture(scope="session")
def django_db_keepdb(request, django_db_modify_db_settings, django_db_blocker) -> bool:
    """Each worker's test database is a copy of one migrated once for the run (tests/template_db.py); Django's
    setup then keeps it as it is (every migration applied) rather than making and migrating it again."""
    reuse = bool(request.config.getvalue("reuse_db"))
    if request.config.getvalue("create_db"):
        return False
    from django.db import connection

    with django_db_blocker.unblock():
        try:
            copied = template_db.prepare(connection, app_role=settings.DATABASE_APP_ROLE, reuse=reuse)
        finally:
            connection.close()
    return copied or reuse


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database made and migrated by the owner; every test then runs as the app's restricted role
    (issue 26), and emptying the database between transactional tests goes through the owner."""
    from django.db import connection
    from django.db.backends.postgresql.operations import DatabaseOperations

    if connection.vendor != "postgresql":
        yield
        return
    db_roles.owner_login.update(USER=connection.settings_dict["USER"], PASSWORD=connection.settings_dict["PASSWORD"])
    # make test's server trusts loopback connections: the app's role needs no password there.
    db_roles.app_login.update(USER=settings.DATABASE_APP_ROLE, PASSWORD=os.environ.get("DATABASE_APP_PASSWORD", ""))
    with django_db_blocker.unblock():
        connection.close()
    connection.settings_dict.update(db_roles.app_login)
    with django_db_blocker.unblock():
        demo_snapshot.forget_all()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "execute_sql_flush", db_roles.flush_as_owner)
        yield
    with django_db_blocker.unblock():
        connection.close()
    connection.settings_dict.update(db_roles.owner_login)


@pytest.fixture
def demo_at(transactional_db, settings, time_machine):
    """`demo_at(moment)`: the demo data exactly as `manage.py seed_demo --now <moment>` makes it; returns its
    snapshot (`.output` is what the command printed). Seeded for real once per moment per test database, then
    copied back for each later test (tests/demo_snapshot.py). A transactional test: the rows are committed, and
    emptied after the test like any transactional test's. The emails seeding sent are put in mail.outbox.

    With `move_clock=True` the clock is moved to `moment` (ticking on) before seeding, as the browser tests' server
    has it; a copied-back demo then leaves the clock where the seeding had brought it, so what the test does comes
    after everything the demo did. Without it the clock is not touched and the demo's own timestamps (history,
    creation) are those of the first seeding in this session, minutes before the test."""

    def seed(moment: dt.datetime, *, move_clock: bool = False) -> demo_snapshot.Snapshot:
        if move_clock:
            time_machine.move_to(moment, tick=True)

        def run() -> str:
            out = io.StringIO()
            with override_settings(DEBUG=True, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                call_command("seed_demo", now=moment.isoformat(), stdout=out)
            return out.getvalue()

        snapshot = demo_snapshot.seeded((moment.isoformat(), move_clock, settings.DEMO_PASSWORD), run)
        if move_clock and snapshot.seeded_until > timezone.now():
            time_machine.move_to(snapshot.seeded_until, tick=True)
        return snapshot

    return seed


def pass_second_factor(client: Client, user) -> None:
    """What a user whose role needs two-factor sign-in does after the password: an authenticator, and this
    session verified with it (tests of the sign-in itself go through /sign-in/ and /sign-in/code/ instead)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from agencies import two_factor

    if not two_factor.required(user):
        return
    device = two_factor.app_device(user) or TOTPDevice.objects.create(
        user=user, name=two_factor.APP_DEVICE, confirmed=True
    )
    session = client.session
    two_factor.mark_verified(session, device)
    session.save()


@pytest.fixture(autouse=True)
def _signed_in_means_both_factors(monkeypatch) -> None:
    """`client.login()` / `client.force_login()` in a test stand for a whole sign-in, second factor included."""
    original_login, original_force_login = Client.login, Client.force_login

    def login(self, **credentials):
        if not original_login(self, **credentials):
            return False
        from agencies.models import User

        pass_second_factor(self, User.objects.get(pk=self.session["_auth_user_id"]))
        return True

    def force_login(self, user, backend=None):
        original_force_login(self, user, backend)
        pass_second_factor(self, user)

    monkeypatch.setattr(Client, "login", login)
    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def _fast_hasher(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_session_timeouts(settings) -> None:
    """Tests move the clock by days with a client signed in: the session time-outs are off (ten years) except
    in their own tests (tests/core/test_sessions.py, tests/e2e/test_session_timeout.py), which set them."""
    settings.SESSION_IDLE_MINUTES = 10 * 365 * 24 * 60
    settings.SESSION_ABSOLUTE_HOURS = 10 * 365 * 24


@pytest.fixture
def redis_url() -> str:
    return os.environ["REDIS_URL"]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback, with Django's SMTP backend pointed at it (not the in-memory outbox)."""
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 2
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def world(db):
    """Two partnerships: ours with CSC, police, health and a school; a neighbour with its own police.

    Made once per test database and copied in for later tests (tests/world_snapshot.py)."""
    ensure_reference_rows()  # a transactional test before this one may have flushed them
    return world_snapshot.world(_make_world)


def _make_world() -> dict:
    ours = PartnershipFactory(name="Invented Partnership")
    neighbour = PartnershipFactory(name="Neighbouring Invented Partnership")
    csc = AgencyFactory(partnership=ours, name="Invented CSC", agency_type=AgencyType.CHILDRENS_SOCIAL_CARE)
    police = AgencyFactory(partnership=ours, name="Invented Police", agency_type=AgencyType.POLICE)
    health = AgencyFactory(partnership=ours, name="Invented Health", agency_type=AgencyType.HEALTH)
    other_police = AgencyFactory(partnership=neighbour, name="Neighbouring Police", agency_type=AgencyType.POLICE)
    other_csc = AgencyFactory(
        partnership=neighbour, name="Neighbouring CSC", agency_type=AgencyType.CHILDRENS_SOCIAL_CARE
    )
    people = {
        "sw": UserFactory(username="sw", agency=csc, roles=[RoleCode.SOCIAL_WORKER]),
        "tm": UserFactory(username="tm", agency=csc, roles=[RoleCode.TEAM_MANAGER]),
        "hos": UserFactory(username="hos", agency=csc, roles=[RoleCode.HEAD_OF_SERVICE]),
        "admin": UserFactory(username="admin", agency=csc, roles=[RoleCode.BUSINESS_SUPPORT]),
        "analyst": UserFactory(username="analyst", agency=csc, roles=[RoleCode.PARTNERSHIP_ANALYST]),
        "police": UserFactory(username="police", agency=police, roles=[RoleCode.POLICE_OFFICER]),
        "health": UserFactory(username="health", agency=health, roles=[RoleCode.HEALTH_PRACTITIONER]),
        "outsider": UserFactory(username="outsider", agency=other_police, roles=[RoleCode.POLICE_OFFICER]),
        "other_sw": UserFactory(username="other_sw", agency=other_csc, roles=[RoleCode.SOCIAL_WORKER]),
    }
    return {"partnership": ours, "csc": csc, "police_agency": police, **people}


def _client_for(user) -> Client:
    client = Client()
    assert client.login(request=HttpRequest(), username=user.username, password=TEST_PASSWORD)
    return client


@pytest.fixture
def sw_client(world) -> Client:
    return _client_for(world["sw"])


@pytest.fixture
def tm_client(world) -> Client:
    return _client_for(world["tm"])


@pytest.fixture
def admin_client_bs(world) -> Client:
    """Business support administrator: sees cases, does not edit referrals."""
    return _client_for(world["admin"])


@pytest.fixture
def police_client(world) -> Client:
    return _client_for(world["police"])


@pytest.fixture
def outsider_client(world) -> Client:
    return _client_for(world["outsider"])


@pytest.fixture
def analyst_client(world) -> Client:
    return _client_for(world["analyst"])


@pytest.fixture
def other_sw_client(world) -> Client:
    return _client_for(world["other_sw"])


@pytest.fixture
def persona_client(world):
    """Any persona's client by name, for parametrised access tests."""
    return lambda name: _client_for(world[name])
