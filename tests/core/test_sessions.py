"""Sessions end on the server after 30 minutes idle or 12 hours signed in (ASVS 7.3.1, 7.3.2), and a form
posted after its session ended is kept for the same user's next sign-in, never anyone else's."""

import datetime as dt
import uuid

import pytest
import redis
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.accounts import sessions_end
from agencies.models import AuthEvent, AuthEventKind
from config import settings as config_settings
from core import sessions
from core.timescales import LONDON
from referrals.models import Referral
from tests.builders import case, convene
from tests.conftest import pass_second_factor
from tests.factories import TEST_PASSWORD
from tests.referrals.test_views import form_data

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 24, 12, 0, tzinfo=LONDON)
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _real_timeouts(settings) -> None:
    """The time-outs of the settings module (the rest of the suite turns them off)."""
    settings.SESSION_IDLE_MINUTES = config_settings.SESSION_IDLE_MINUTES
    settings.SESSION_ABSOLUTE_HOURS = config_settings.SESSION_ABSOLUTE_HOURS


@pytest.fixture
def clock(time_machine):
    """The server's clock, frozen at T0; `clock(minutes=31)` moves it to that long after T0."""
    time_machine.move_to(T0, tick=False)
    return lambda **after: time_machine.move_to(T0 + dt.timedelta(**after), tick=False)


def sign_in(client: Client, user, next_url: str = ""):
    """Through the sign-in page, as a person would (then the second factor, for a role that needs it)."""
    data = {"username": user.username, "password": TEST_PASSWORD}
    if next_url:
        data["next"] = next_url
    response = client.post(reverse("login"), data)
    assert response.status_code == 302, "the sign-in failed"
    pass_second_factor(client, user)
    return response


@pytest.fixture
def signed_in(world, clock):
    """A client that signed in as this persona at T0."""

    def make(name: str) -> Client:
        client = Client()
        sign_in(client, world[name])
        return client

    return make


def status(client: Client) -> dict:
    response = client.get(reverse("session_status"))
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    return response.json()


def timed_out_events(user) -> list[str]:
    return list(AuthEvent.objects.filter(user=user, kind=AuthEventKind.SIGNED_OUT).values_list("detail", flat=True))


# --- The timeouts -----------------------------------------------------------------------------------------------


def test_the_timeouts_are_30_minutes_idle_and_12_hours_in_all():
    assert config_settings.SESSION_IDLE_MINUTES == 30
    assert config_settings.SESSION_ABSOLUTE_HOURS == 12
    assert config_settings.SESSION_COOKIE_AGE > 12 * 60 * 60  # the server ends the sign-in, not the cookie


def test_a_session_ends_after_30_minutes_without_a_request(signed_in, clock, world):
    client = signed_in("sw")
    clock(minutes=29, seconds=59)
    assert client.get(reverse("referrals:list")).status_code == 200
    clock(minutes=59, seconds=58)  # 29:59 after the last request
    assert client.get(reverse("referrals:list")).status_code == 200
    clock(minutes=89, seconds=58)  # 30:00 after it

    response = client.get(reverse("referrals:list"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('referrals:list')}"
    assert client.get(reverse("actions:mine")).status_code == 302  # the session is gone, not just one page refused
    assert timed_out_events(world["sw"]) == ["Timed out after 30 minutes without activity"]
    page = client.get(reverse("login")).content.decode()
    assert "You were signed out because you did nothing for 30 minutes." in page
    assert "What you were saving has been kept" not in page


def test_a_session_ends_12_hours_after_signing_in_however_busy(signed_in, clock, world):
    client = signed_in("sw")
    for minutes in range(25, 12 * 60, 25):
        clock(minutes=minutes)
        assert client.post(reverse("session_keep_alive")).json()["signed_in"] is True, minutes
    clock(hours=12)

    assert client.get(reverse("referrals:list")).status_code == 302
    assert timed_out_events(world["sw"]) == ["Timed out 12 hours after signing in"]
    assert "because you had been signed in for 12 hours" in client.get(reverse("login")).content.decode()


def test_time_left_is_whichever_timeout_comes_first():
    hour = 60 * 60
    fresh = {sessions.SIGNED_IN_AT: 0.0, sessions.LAST_ACTIVE_AT: 0.0}
    late = {sessions.SIGNED_IN_AT: 0.0, sessions.LAST_ACTIVE_AT: 11.9 * hour}
    assert sessions.seconds_left(fresh, 10 * 60) == 20 * 60
    assert sessions.seconds_left(late, 11.9 * hour) == 6 * 60  # the absolute timeout, before the idle one
    assert sessions.ended_by(late, 12 * hour) == "absolute"
    assert sessions.ended_by(fresh, 30 * 60) == "idle"
    assert sessions.ended_by(fresh, 30 * 60 - 1) is None


def test_activity_is_noted_to_the_minute_and_never_moved_back():
    session = {sessions.LAST_ACTIVE_AT: 1000.0}
    sessions.touch(session, 1059)
    assert session[sessions.LAST_ACTIVE_AT] == 1000.0  # most requests write nothing
    sessions.touch(session, 1059, force=True)  # "stay signed in"
    assert session[sessions.LAST_ACTIVE_AT] == 1059
    sessions.touch(session, 1000 - 3600, force=True)  # a clock put back
    assert session[sessions.LAST_ACTIVE_AT] == 1059
    sessions.touch(session, 1119)
    assert session[sessions.LAST_ACTIVE_AT] == 1119


def test_asking_how_long_is_left_does_not_count_as_activity(signed_in, clock):
    client = signed_in("sw")
    clock(minutes=10)
    assert status(client) == {"signed_in": True, "seconds_left": 20 * 60, "warn_seconds": 120}
    clock(minutes=29)
    assert status(client)["seconds_left"] == 60
    clock(minutes=30)

    assert status(client) == {"signed_in": False, "seconds_left": 0}
    assert client.get(reverse("referrals:list")).status_code == 302


def test_stay_signed_in_restarts_the_idle_clock(signed_in, clock):
    client = signed_in("sw")
    clock(minutes=29)

    kept = client.post(reverse("session_keep_alive"))

    assert kept.status_code == 200 and kept.json()["seconds_left"] == 30 * 60
    clock(minutes=58)
    assert client.get(reverse("referrals:list")).status_code == 200


def test_stay_signed_in_after_the_timeout_signs_nobody_in(signed_in, clock):
    client = signed_in("sw")
    clock(minutes=30)
    assert client.post(reverse("session_keep_alive")).json() == {"signed_in": False, "seconds_left": 0}
    assert client.get(reverse("referrals:list")).status_code == 302


def test_signed_in_pages_carry_the_warning_that_a_script_opens(signed_in):
    page = signed_in("sw").get(reverse("referrals:list")).content.decode()
    assert '<dialog class="app-timeout-dialog"' in page
    assert 'data-seconds-left="1800"' in page and 'data-warn-seconds="120"' in page
    assert "app-timeout-dialog" not in Client().get(reverse("login")).content.decode()


# --- Nothing typed is lost ---------------------------------------------------------------------------------------


def test_a_referral_posted_after_the_timeout_is_saved_once_the_same_user_signs_in(signed_in, clock, world):
    client = signed_in("sw")
    clock(minutes=31)

    posted = client.post(
        reverse("referrals:create"), {**form_data(), "csrfmiddlewaretoken": "a-token", "new_password1": "typed-secret"}
    )

    assert posted.status_code == 302
    assert posted["Location"] == f"{reverse('login')}?next={reverse('referrals:create')}"
    assert not Referral.objects.exists()
    kept = client.session[sessions.KEPT_WORK]
    assert kept["user"] == world["sw"].pk and kept["path"] == reverse("referrals:create")
    assert "csrfmiddlewaretoken" not in dict(kept["data"]) and "new_password1" not in dict(kept["data"])
    assert "Invented Teacher" not in client.cookies.output()  # kept on the server, not in a cookie
    assert "What you were saving has been kept" in client.get(posted["Location"]).content.decode()

    landed = sign_in(client, world["sw"], next_url=reverse("referrals:create"))
    assert landed["Location"] == reverse("referrals:create")
    saved = client.get(landed["Location"], follow=True)

    referral = Referral.objects.get()
    assert referral.created_by == world["sw"] and referral.referrer_name == "Invented Teacher"
    assert [c.first_name for c in referral.people.filter(kind="child")] == ["Alex", "Billie"]
    assert saved.redirect_chain[-1][0] == reverse("referrals:detail", args=[referral.pk])
    assert "You were signed out before this was saved" in saved.content.decode()
    assert sessions.KEPT_WORK not in client.session
    assert client.get(reverse("referrals:create")).status_code == 200  # posted once, not again
    assert Referral.objects.count() == 1


def test_a_referral_with_mistakes_comes_back_with_what_was_typed_for_the_user_to_save(signed_in, clock, world):
    client = signed_in("sw")
    clock(minutes=45)
    client.post(reverse("referrals:create"), form_data(referrer_name="Invented Teacher", received_time="25:99"))

    sign_in(client, world["sw"])
    page = client.get(reverse("referrals:list"), follow=True)  # wherever they land, they go back to the form

    html = page.content.decode()
    assert page.redirect_chain == [(reverse("referrals:create"), 302)]
    assert "govuk-error-summary" in html and 'value="Invented Teacher"' in html and "Alex" in html
    assert not Referral.objects.exists()


def test_a_risk_analysis_posted_after_the_timeout_is_saved_once_the_same_user_signs_in(signed_in, clock, world):
    discussion = convene(world, case(world))
    client = signed_in("tm")
    url = reverse("strategy:risk", kwargs={"discussion_pk": discussion.pk})
    clock(hours=3)

    posted = client.post(url, {"risk-version": "0", "risk-risk_review": "Invented worry typed for an hour"})

    assert posted.status_code == 302 and posted["Location"] == f"{reverse('login')}?next={url}"
    discussion.refresh_from_db()
    assert discussion.risk_review == ""
    sign_in(client, world["tm"], next_url=url)
    page = client.get(url, follow=True)

    discussion.refresh_from_db()
    assert discussion.risk_review == "Invented worry typed for an hour"
    assert page.redirect_chain == [
        (reverse("strategy:meeting", kwargs={"discussion_pk": discussion.pk}) + "#risk", 302)
    ]
    html = page.content.decode()
    assert "Risk review saved at 15:00" in html and "You were signed out before this was saved" in html


def test_a_background_save_after_the_timeout_answers_401_so_the_page_posts_it_plainly(signed_in, clock, world):
    discussion = convene(world, case(world))
    client = signed_in("tm")
    clock(minutes=30)
    response = client.post(
        reverse("strategy:risk", kwargs={"discussion_pk": discussion.pk}),
        {"risk-version": "0", "risk-risk_review": "Invented worry"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 401


def test_what_one_user_typed_is_never_given_to_another(signed_in, clock, world):
    client = signed_in("sw")
    clock(minutes=31)
    client.post(reverse("referrals:create"), form_data())
    assert sessions.KEPT_WORK in client.session

    sign_in(client, world["tm"], next_url=reverse("referrals:create"))  # someone else, on the same browser

    assert sessions.KEPT_WORK not in client.session
    page = client.get(reverse("referrals:create"))
    assert page.status_code == 200 and "Invented Teacher" not in page.content.decode()
    client.post(reverse("logout"))
    sign_in(client, world["sw"])
    client.get(reverse("referrals:create"))
    assert not Referral.objects.exists()


def test_a_post_from_a_browser_with_no_ended_session_is_not_kept(world, clock):
    client = Client()
    response = client.post(reverse("referrals:create"), form_data())
    assert response.status_code == 302
    assert sessions.KEPT_WORK not in client.session
    assert "has been kept" not in client.get(response["Location"]).content.decode()


def test_more_than_a_form_can_hold_is_not_kept(signed_in, clock):
    client = signed_in("sw")
    clock(minutes=31)
    client.post(reverse("referrals:create"), form_data(concern_summary="x" * (sessions.MAX_KEPT_CHARS + 1)))
    assert sessions.KEPT_WORK not in client.session


def test_a_kept_form_whose_page_has_gone_sends_the_user_there_once_only(signed_in, clock, world):
    client = signed_in("sw")
    clock(minutes=31)
    client.post(reverse("referrals:create"), form_data())
    session = client.session
    session[sessions.KEPT_WORK] = {**session[sessions.KEPT_WORK], "path": "/a-page-a-new-release-removed/"}
    session.save()
    sign_in(client, world["sw"])

    assert client.get(reverse("referrals:list"))["Location"] == "/a-page-a-new-release-removed/"
    assert client.get("/a-page-a-new-release-removed/").status_code == 404
    assert client.get(reverse("referrals:list")).status_code == 200
    assert sessions.KEPT_WORK not in client.session


def test_work_kept_from_a_timeout_waits_for_the_second_factor_then_is_saved(signed_in, clock, world):
    """A team manager's kept work survives the code page: it is sent again only once the code is entered."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    discussion = convene(world, case(world))
    client = signed_in("tm")
    device = TOTPDevice.objects.get(user=world["tm"], confirmed=True)
    url = reverse("strategy:risk", kwargs={"discussion_pk": discussion.pk})
    clock(hours=3)
    client.post(url, {"risk-version": "0", "risk-risk_review": "Invented worry kept through the code page"})
    password = client.post(reverse("login"), {"username": world["tm"].username, "password": TEST_PASSWORD, "next": url})
    assert password.status_code == 302
    to_code = client.get(url)
    assert to_code.status_code == 302 and to_code["Location"].startswith("/sign-in/code/")
    assert client.get(to_code["Location"]).status_code == 200  # the code page itself, not sent elsewhere
    clock(hours=3, seconds=40)
    entered = client.post("/sign-in/code/", {"code": f"{TOTP(device.bin_key).token():06d}", "next": url})
    assert entered.status_code == 302 and entered["Location"] == url
    client.get(url, follow=True)
    discussion.refresh_from_db()
    assert discussion.risk_review == "Invented worry kept through the code page"


# --- Production's sessions: read from Redis (issue 28) ---------------------------------------------------------

CACHED_DB = "django.contrib.sessions.backends.cached_db"


@pytest.fixture
def cached_db_sessions(settings, redis_url):
    _use_cached_db_sessions(settings, redis_url)


def _use_cached_db_sessions(settings, redis_url: str) -> None:
    """What config/settings.py sets in production with REDIS_URL (tests/test_platform.py checks that it does):
    Django's Redis cache, on the Redis the tests run, and sessions read from it. A key prefix of the test's own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"test-sessions-{uuid.uuid4().hex}",
        }
    }
    settings.SESSION_ENGINE = CACHED_DB


def _queries_of_a_second_request(user) -> tuple[list[str], str]:
    """The SQL of a signed-in user's second request (the first may note activity), and their session's key."""
    client = Client()
    client.force_login(user)
    assert client.get(reverse("referrals:list")).status_code == 200
    with CaptureQueriesContext(connection) as context:
        assert client.get(reverse("referrals:list")).status_code == 200
    return [query["sql"] for query in context.captured_queries], client.session.session_key


def test_production_sessions_are_read_from_redis_one_query_fewer_per_request(world, clock, settings, redis_url):
    on_the_database, _ = _queries_of_a_second_request(world["sw"])
    _use_cached_db_sessions(settings, redis_url)

    from_redis, key = _queries_of_a_second_request(world["sw"])

    assert len(from_redis) == len(on_the_database) - 1
    assert [q for q in on_the_database if "django_session" in q]
    assert not [q for q in from_redis if "django_session" in q]
    in_redis = redis.Redis.from_url(redis_url).keys(f"{settings.CACHES['default']['KEY_PREFIX']}:*")
    assert [k.decode() for k in in_redis] == [
        f"{settings.CACHES['default']['KEY_PREFIX']}:1:{cached_db.KEY_PREFIX}{key}"
    ]
    assert Session.objects.filter(session_key=key).exists()  # in the database too, which outlives a Redis restart


def test_a_session_read_from_redis_still_ends_after_30_minutes_without_a_request(
    cached_db_sessions, signed_in, clock, world
):
    client = signed_in("sw")
    clock(minutes=29, seconds=59)
    assert client.get(reverse("referrals:list")).status_code == 200
    clock(minutes=59, seconds=59)  # 30:00 after that request

    response = client.get(reverse("referrals:list"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(reverse("actions:mine")).status_code == 302
    assert timed_out_events(world["sw"]) == ["Timed out after 30 minutes without activity"]
    assert (
        "You were signed out because you did nothing for 30 minutes." in client.get(reverse("login")).content.decode()
    )


def test_ending_a_users_sessions_removes_them_from_redis_too(
    cached_db_sessions, signed_in, world, django_capture_on_commit_callbacks
):
    client = signed_in("sw")
    assert client.get(reverse("referrals:list")).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        assert sessions_end(world["sw"]) == 1

    assert not Session.objects.exists()
    assert client.get(reverse("referrals:list")).status_code == 302  # not read back from the cache
