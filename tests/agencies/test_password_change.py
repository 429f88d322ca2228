"""Changing one's own password (issue 26): the current password, the second factor for whoever has one, and the
password rules (`aaaaaaaaaaaa` was accepted); a stolen session cannot guess the current password either."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.models import AuthEvent, AuthEventKind
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db
URL = "/account/password/"
NEW = "a-quiet-walk-by-the-invented-canal"
START = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(old: str = TEST_PASSWORD, new: str = NEW, **extra) -> dict:
    return {"old_password": old, "new_password1": new, "new_password2": new, **extra}


def test_a_social_worker_changes_their_password_with_the_current_one(world):
    sw = world["sw"]
    client = _client(sw)
    page = client.get(URL)
    assert page.status_code == 200 and "Current password" in page.content.decode()
    wrong = client.post(URL, _form(old="not-my-password"))
    assert wrong.status_code == 400 and "Your current password is not right" in wrong.content.decode()
    assert client.post(URL, _form()).status_code == 302
    sw.refresh_from_db()
    assert sw.check_password(NEW)
    assert client.get("/referrals/").status_code == 200  # this session stays signed in
    assert AuthEvent.objects.filter(kind=AuthEventKind.PASSWORD_CHANGED, user=sw).exists()


@pytest.mark.parametrize("weak", ["aaaaaaaaaaaa", "abcabcabcabc", "password1234", "short"])
def test_a_weak_new_password_is_refused_and_nothing_changes(world, weak):
    sw = world["sw"]
    response = _client(sw).post(URL, _form(new=weak))
    assert response.status_code == 400
    assert 'class="govuk-error-summary"' in response.content.decode()
    sw.refresh_from_db()
    assert sw.check_password(TEST_PASSWORD)


def test_with_debug_off_the_demo_password_cannot_be_chosen(world, settings):
    settings.DEBUG = False
    settings.DEMO_PASSWORD = "some-other-demo-password"
    for demo in ("demo-pass-2026", "some-other-demo-password"):
        response = _client(world["sw"]).post(URL, _form(new=demo))
        assert response.status_code == 400 and "published with the demo data" in response.content.decode()


def test_a_user_with_an_authenticator_needs_its_code_too(world):
    tm = world["tm"]
    with time_machine.travel(START, tick=False) as traveller:
        client = _client(tm)  # verified with the authenticator the fixture gives a team manager
        device = TOTPDevice.objects.get(user=tm)
        assert "Code from your authenticator app" in client.get(URL).content.decode()
        assert client.post(URL, _form()).status_code == 400  # no code
        assert client.post(URL, _form(code="000000")).status_code == 400
        tm.refresh_from_db()
        assert tm.check_password(TEST_PASSWORD)
        traveller.shift(dt.timedelta(seconds=31))  # past the throttle a wrong code sets, and a new code
        assert client.post(URL, _form(code=f"{TOTP(device.bin_key).token():06d}")).status_code == 302
    tm.refresh_from_db()
    assert tm.check_password(NEW)


def test_a_stolen_session_cannot_guess_the_current_password(world):
    sw = world["sw"]
    with time_machine.travel(START, tick=False):
        client = _client(sw)
        for _ in range(5):
            client.post(URL, _form(old="a-guess-at-the-password"))
        locked = client.post(URL, _form())
        assert locked.status_code == 400 and "Too many wrong passwords" in locked.content.decode()
        sw.refresh_from_db()
        assert sw.check_password(TEST_PASSWORD)
