"""Two-factor sign-in (ASVS 6.5): required for team managers, heads of service and administrators, offered to
everyone, with recovery codes; nothing opens between the password and the code."""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies import two_factor
from agencies.models import AuthEvent, AuthEventKind
from core.timescales import LONDON
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def code_for(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key).token():06d}"


def password_sign_in(username: str) -> Client:
    client = Client()
    assert client.post(reverse("login"), {"username": username, "password": TEST_PASSWORD}).status_code == 302
    return client


def test_a_team_manager_must_set_up_an_authenticator_before_anything_else(world):
    tm = world["tm"]
    with time_machine.travel(START, tick=False) as traveller:
        client = password_sign_in(tm.username)
        for url in ("/referrals/", "/deadlines/", "/admin/"):
            response = client.get(url)
            assert response.status_code == 302 and response["Location"].startswith("/account/two-factor/"), url
        setup = client.get("/account/two-factor/?next=/deadlines/")
        page = setup.content.decode()
        assert setup.status_code == 200 and "Set up two-factor sign-in" in page
        assert 'src="data:image/svg+xml' in page and 'alt="QR code for your authenticator app' in page
        assert not TOTPDevice.objects.filter(user=tm).exists()  # opening the page writes nothing
        wrong = client.post("/account/two-factor/", {"code": "000000", "start": "again", "next": "/deadlines/"})
        assert wrong.status_code == 400 and "The code is not right" in wrong.content.decode()
        device = TOTPDevice.objects.get(user=tm, confirmed=False)  # the key shown, kept for the failed code
        assert device.key == client.session[two_factor.SETUP_SESSION_KEY]
        traveller.shift(dt.timedelta(seconds=31))
        done = client.post("/account/two-factor/", {"code": code_for(device), "start": "again", "next": "/deadlines/"})
        assert done.status_code == 200
        codes = re.findall(r"<li><code>([^<]+)</code></li>", done.content.decode())
        assert len(codes) == 10 and len(set(codes)) == 10
        assert client.get("/deadlines/").status_code == 200
    assert AuthEvent.objects.filter(kind=AuthEventKind.TWO_FACTOR_SET_UP, user=tm).exists()


@pytest.fixture
def enrolled(world):
    tm = world["tm"]
    device = TOTPDevice.objects.create(user=tm, name="Authenticator app", confirmed=True)
    from agencies import two_factor

    codes = two_factor.recovery_codes_replace(tm)
    return tm, device, codes


def test_after_the_password_a_code_is_needed_and_a_wrong_one_is_refused_and_recorded(enrolled):
    tm, device, _codes = enrolled
    with time_machine.travel(START, tick=False) as traveller:
        client = password_sign_in(tm.username)
        before = client.session.session_key
        response = client.get("/referrals/?q=x")
        assert response.status_code == 302
        assert response["Location"] == "/sign-in/code/?next=%2Freferrals%2F%3Fq%3Dx"
        assert client.get("/account/two-factor/").status_code == 302  # no replacing the app on a password alone
        wrong = client.post("/sign-in/code/", {"code": "123456", "next": "/referrals/"})
        assert wrong.status_code == 400
        page = wrong.content.decode()
        assert "There is a problem" in page and 'href="#id_code"' in page
        assert AuthEvent.objects.filter(kind=AuthEventKind.TWO_FACTOR_FAILED, user=tm).count() == 1
        traveller.shift(dt.timedelta(seconds=31))
        right = client.post("/sign-in/code/", {"code": code_for(device), "next": "/referrals/?q=x"})
        assert right.status_code == 302 and right["Location"] == "/referrals/?q=x"
        assert client.session.session_key != before
        assert client.get("/referrals/").status_code == 200


def test_a_recovery_code_works_once(enrolled):
    tm, _device, codes = enrolled
    client = password_sign_in(tm.username)
    assert client.post("/sign-in/code/", {"code": codes[0], "next": "/referrals/"}).status_code == 302
    assert client.get("/referrals/").status_code == 200
    assert AuthEvent.objects.filter(user=tm, kind=AuthEventKind.RECOVERY_CODE_USED).count() == 1
    again = password_sign_in(tm.username)
    assert again.post("/sign-in/code/", {"code": codes[0]}).status_code == 400


def test_the_code_page_sends_nowhere_else(enrolled):
    tm, device, _codes = enrolled
    with time_machine.travel(START, tick=False):
        client = password_sign_in(tm.username)
        response = client.post("/sign-in/code/", {"code": code_for(device), "next": "https://elsewhere.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_admin_sign_in_page_also_needs_the_code(world):
    admin = world["admin"]
    admin.is_staff = True
    admin.save()
    device = TOTPDevice.objects.create(user=admin, name="Authenticator app", confirmed=True)
    client = Client()
    with time_machine.travel(START, tick=False):
        signed = client.post(reverse("admin:login"), {"username": admin.username, "password": TEST_PASSWORD})
        assert signed.status_code == 302
        response = client.get("/admin/")
        assert response.status_code == 302 and response["Location"].startswith("/sign-in/code/")
        client.post("/sign-in/code/", {"code": code_for(device), "next": "/admin/"})
        assert client.get("/admin/").status_code == 200


def test_a_social_worker_needs_no_second_factor_but_may_turn_it_on(world):
    sw = world["sw"]
    with time_machine.travel(START, tick=False):
        client = password_sign_in(sw.username)
        assert client.get("/referrals/").status_code == 200
        page = client.get("/account/two-factor/").content.decode()
        assert "A code from an authenticator app" in page
        device = TOTPDevice(key=client.session[two_factor.SETUP_SESSION_KEY])  # the key the page shows
        assert two_factor.secret_of(device) in page
        assert client.post("/account/two-factor/", {"code": code_for(device), "start": "again"}).status_code == 200
    later = password_sign_in(sw.username)
    assert later.get("/referrals/")["Location"].startswith("/sign-in/code/")


def test_the_demo_managers_share_one_documented_key_and_the_command_prints_its_code(settings, demo_at):
    settings.DEBUG = True
    demo_at(dt.datetime(2026, 12, 2, 10, 30, tzinfo=LONDON))  # when does not matter: who gets the key
    devices = TOTPDevice.objects.filter(confirmed=True).select_related("user")
    assert {d.user.username for d in devices} == {"tm.demo", "hos.demo", "admin.demo", "police.lead", "health.lead"}
    with time_machine.travel(START, tick=False):
        out = io.StringIO()
        call_command("demo_code", stdout=out)
        assert all(out.getvalue().strip() == code_for(d) for d in devices)
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_code", stdout=io.StringIO())


def test_an_administrator_removes_a_lost_authenticator_with_a_second_approval_and_the_user_sets_up_again(
    enrolled, world
):
    tm, _device, _codes = enrolled
    admin = world["admin"]
    admin.is_staff = True
    admin.save()
    from django.contrib.auth.models import Permission

    admin.user_permissions.set(Permission.objects.filter(content_type__app_label="agencies"))
    staff = Client()
    staff.force_login(admin)
    response = staff.post(
        reverse("admin:agencies_user_changelist"), {"action": "reset_two_factor", "_selected_action": [tm.pk]}
    )
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=tm).exists()  # a manager's: asked for, waiting for a second approval
    hos = Client()
    hos.force_login(world["hos"])
    reset = tm.resets.get()
    assert hos.post("/account/resets/", {"reset": reset.pk, "decision": "approve"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=tm).exists()
    event = AuthEvent.objects.get(user=tm, kind=AuthEventKind.TWO_FACTOR_REMOVED)
    assert event.actor == world["hos"]
    assert AuthEvent.objects.get(user=tm, kind=AuthEventKind.RESET_REQUESTED).actor == admin
    client = password_sign_in(tm.username)
    assert client.get("/referrals/")["Location"].startswith("/account/two-factor/")
    assert staff.get("/admin/otp_totp/totpdevice/").status_code == 404


def test_a_user_made_team_manager_mid_session_must_pass_the_second_factor_before_anything_else(world):
    """The probe: a social worker made team manager kept their session without two-factor and approved minutes."""
    from agencies.models import Role, RoleCode

    sw = world["sw"]
    with time_machine.travel(START, tick=False):
        client = password_sign_in(sw.username)
        assert client.get("/referrals/").status_code == 200  # a social worker needs no second factor
        sw.roles.add(Role.objects.get(code=RoleCode.TEAM_MANAGER))  # promoted while signed in
        for method, url in (("get", "/referrals/"), ("post", "/referrals/"), ("get", "/deadlines/")):
            response = getattr(client, method)(url)
            assert response.status_code == 302, (method, url)
            assert response["Location"].startswith("/account/two-factor/"), (method, url)


def test_a_user_made_staff_mid_session_who_has_an_authenticator_must_enter_its_code(world):
    sw = world["sw"]
    TOTPDevice.objects.create(user=sw, name="Authenticator app", confirmed=True)
    client = Client()
    client.force_login(sw)  # stands for a whole sign-in: verified with the device
    session = client.session
    session.pop("otp_device_id", None)  # as a session that never passed it (the device was set up after)
    session["two_factor"] = "none"
    session.save()
    assert client.get("/referrals/").status_code == 200
    sw.is_staff = True
    sw.save()
    response = client.get("/referrals/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/code/")


def test_a_code_used_once_is_refused_again_with_the_reason_to_wait_for_the_next(enrolled):
    """A walk of `make run`: a manager signing in twice within 30 seconds was told their right code was wrong."""
    tm, device, _codes = enrolled
    with time_machine.travel(START, tick=False):
        code = code_for(device)
        assert password_sign_in(tm.username).post("/sign-in/code/", {"code": code}).status_code == 302
        device.refresh_from_db()
        again = password_sign_in(tm.username).post("/sign-in/code/", {"code": code})
        assert again.status_code == 400
        assert "That code has been used: wait for your app to show the next one" in again.content.decode()
        wrong = password_sign_in(tm.username).post("/sign-in/code/", {"code": f"{(int(code) + 1) % 10**6:06d}"})
        assert "The code is not right" in wrong.content.decode()
