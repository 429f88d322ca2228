"""Account lockout (ASVS 6.3): 5 failed sign-ins lock a username for 15 minutes on both sign-in pages, with the
page a wrong password gets; administrators unlock; lockouts and unlocks are in the sign-in audit."""

import datetime as dt

import pytest
import time_machine
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from agencies.models import AuthEvent, AuthEventKind
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def sign_in(client: Client, username: str, password: str, *, admin: bool = False):
    url = reverse("admin:login") if admin else reverse("login")
    return client.post(url, {"username": username, "password": password})


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def error_of(response) -> str:
    """The error the sign-in page shows (the GOV.UK error summary, or the admin's error note)."""
    page = response.content.decode()
    marker, end = (
        ("govuk-error-summary__list", "</ul>") if "govuk-error-summary__list" in page else ("errornote", "</p>")
    )
    start = page.index(marker)
    return page[start : page.index(end, start)]


def test_sixty_wrong_passwords_then_the_right_one_does_not_sign_in_for_15_minutes(world):
    tm = world["tm"].username
    with time_machine.travel(START, tick=False):
        wrong = Client()
        first_failure = sign_in(wrong, tm, "wrong-password")
        for _ in range(59):
            sign_in(wrong, tm, "wrong-password")
        client = Client()
        locked = sign_in(client, tm, TEST_PASSWORD)
        assert locked.status_code == first_failure.status_code == 200
        assert error_of(locked) == error_of(first_failure)  # the same message as any failed sign-in
        assert not signed_in(client)
    with time_machine.travel(START + dt.timedelta(minutes=14), tick=False):
        assert not signed_in(_after(sign_in, tm))
    with time_machine.travel(START + dt.timedelta(minutes=75), tick=False):  # long after the lock ended
        client = Client()
        assert sign_in(client, tm, TEST_PASSWORD).status_code == 302 and signed_in(client)
    assert AuthEvent.objects.filter(kind=AuthEventKind.LOCKED_OUT, user=world["tm"]).exists()


def _after(sign_in_fn, username: str) -> Client:
    client = Client()
    sign_in_fn(client, username, TEST_PASSWORD)
    return client


def test_four_failures_do_not_lock_and_a_success_starts_the_count_again(world):
    sw = world["sw"].username
    with time_machine.travel(START, tick=False):
        for _ in range(4):
            sign_in(Client(), sw, "wrong-password")
        assert signed_in(_after(sign_in, sw))
        for _ in range(4):
            sign_in(Client(), sw, "wrong-password")
        assert signed_in(_after(sign_in, sw))
    assert not AuthEvent.objects.filter(kind=AuthEventKind.LOCKED_OUT).exists()


def test_the_admin_sign_in_page_locks_the_same_username(world, staff):
    with time_machine.travel(START, tick=False):
        for _ in range(3):
            sign_in(Client(), staff.username, "wrong-password", admin=True)
        for _ in range(2):
            sign_in(Client(), staff.username, "wrong-password")
        client = Client()
        first = sign_in(Client(), "nobody-at-all", "wrong-password", admin=True)
        locked = sign_in(client, staff.username, TEST_PASSWORD, admin=True)
        assert locked.status_code == first.status_code == 200
        assert error_of(locked) == error_of(first)
        assert not signed_in(client)


def test_an_administrator_unlocks_an_account_at_once_and_the_audit_says_who(world, staff):
    sw = world["sw"]
    with time_machine.travel(START, tick=False):
        for _ in range(5):
            sign_in(Client(), sw.username, "wrong-password")
        assert not signed_in(_after(sign_in, sw.username))
        admin_client = Client()
        assert admin_client.login(request=HttpRequest(), username=staff.username, password=TEST_PASSWORD)
        response = admin_client.post(
            reverse("admin:agencies_user_changelist"), {"action": "unlock_sign_in", "_selected_action": [sw.pk]}
        )
        assert response.status_code == 302
        assert signed_in(_after(sign_in, sw.username))
    unlocked = AuthEvent.objects.get(kind=AuthEventKind.UNLOCKED, user=sw)
    assert unlocked.actor == staff
    locked = AuthEvent.objects.filter(kind=AuthEventKind.LOCKED_OUT, user=sw).earliest("at")
    assert locked.at <= unlocked.at
