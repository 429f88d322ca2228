"""Production refuses demo credentials (issue 26, finding 2): the probe set DEMO_PASSWORD to something else and signed
in as sw.demo with the published password and as tm.demo with the README's authenticator key; outsider.police was
never checked. Now every account the demo data makes is flagged, and with DEBUG off nothing starts while one is
active or an authenticator holds the demo key; no demo password can be set whatever DEMO_PASSWORD says."""

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies import two_factor
from agencies.checks import demo_passwords, email_backend, refuse_to_start_with_demo_passwords
from agencies.demo import DEMO_TOTP_KEY, PUBLISHED_DEMO_PASSWORD
from agencies.models import User
from core.timescales import LONDON
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
DEMO_MOMENT = dt.datetime(2026, 12, 2, 10, 30, tzinfo=LONDON)  # when does not matter here: who is made
SEEDED = {
    "sw.demo",
    "tm.demo",
    "hos.demo",
    "police.demo",
    "health.demo",
    "school.demo",
    "dsl.demo",
    "admin.demo",
    "analyst.demo",
    "outsider.police",
    "police.lead",
    "health.lead",
    "dcs.demo",
    "police.supt",
    "health.dir",
    "head.academy",
    "head.primary",
    "outsider.sgt",
    "edt.demo",
}


@pytest.fixture
def seeded(settings, demo_at):
    settings.DEMO_PASSWORD = "another-demo-password"  # the probe's bypass: DEMO_PASSWORD set to anything else
    demo_at(DEMO_MOMENT)
    return User.objects.filter(is_demo=True)


def test_every_account_the_demo_data_makes_is_flagged_outsider_police_too(seeded):
    assert set(seeded.values_list("username", flat=True)) == SEEDED


def test_with_debug_off_nothing_starts_while_a_demo_account_is_active_whatever_demo_password_says(seeded, settings):
    errors = demo_passwords()
    assert "agencies.E001" in [e.id for e in errors]
    assert "outsider.police" in errors[0].msg and "sw.demo" in errors[0].msg
    with pytest.raises(ImproperlyConfigured, match="demo data"):
        refuse_to_start_with_demo_passwords()
    settings.DEBUG = True
    assert demo_passwords() == []


def test_an_authenticator_with_the_published_key_fails_the_check_until_removed(seeded):
    seeded.update(is_active=False)
    errors = demo_passwords()
    assert [e.id for e in errors] == ["agencies.E002"] and "tm.demo" in errors[0].msg
    for user in User.objects.filter(username__in=["tm.demo", "hos.demo", "admin.demo", "police.lead", "health.lead"]):
        two_factor.devices_remove(actor=None, user=user)
    assert demo_passwords() == []


def test_a_real_account_given_the_demo_key_is_caught_too(world):
    TOTPDevice.objects.create(user=world["tm"], name=two_factor.APP_DEVICE, key=DEMO_TOTP_KEY, confirmed=True)
    assert [e.id for e in demo_passwords()] == ["agencies.E002"]


@pytest.mark.parametrize("password", [PUBLISHED_DEMO_PASSWORD, "another-demo-password"])
def test_with_debug_off_no_demo_password_can_be_set(world, settings, password):
    settings.DEMO_PASSWORD = "another-demo-password"
    with pytest.raises(ValidationError, match="demo data"):
        validate_password(password)
    user = world["sw"]
    user.set_password(password)
    with pytest.raises(ValidationError, match="demo data"):
        user.save()  # a shell or a command that skips the validators is refused too
    assert not User.objects.get(pk=user.pk).check_password(password)


def test_with_debug_on_the_demo_password_is_allowed(settings):
    settings.DEBUG = True
    user = UserFactory(username="local.person")
    user.set_password(PUBLISHED_DEMO_PASSWORD)
    user.save()
    assert user.check_password(PUBLISHED_DEMO_PASSWORD)


def test_the_demo_data_is_refused_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only with DEBUG on"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not User.objects.filter(is_demo=True).exists()


@pytest.mark.parametrize(
    "backend",
    ["django.core.mail.backends.console.EmailBackend", "django.core.mail.backends.filebased.EmailBackend"],
)
def test_an_email_backend_that_writes_links_to_a_log_fails_the_deployment_check(settings, backend):
    settings.DEBUG, settings.EMAIL_BACKEND = False, backend
    assert [e.id for e in email_backend()] == ["agencies.E003"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert email_backend() == []


def test_check_deploy_fails_with_the_console_email():
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "EMAIL_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env={
            **clean,
            "DEBUG": "false",
            "SECRET_KEY": "a-production-like-secret-key-that-is-long-and-random-0123456789-abcdefghij",
            "ALLOWED_HOSTS": "sd.example.invalid",
            # Set on purpose: with DEBUG off the default is SMTP (tests/core/test_log_redaction.py).
            "EMAIL_URL": "consolemail://",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "agencies.E003" in result.stdout + result.stderr


def test_the_operator_clears_every_demo_credential_with_one_command(seeded):
    out = io.StringIO()
    call_command("demo_deactivate", stdout=out)
    assert "19 demo account(s) deactivated, 5 demo authenticator(s) removed" in out.getvalue()
    assert demo_passwords() == []
    refuse_to_start_with_demo_passwords()
