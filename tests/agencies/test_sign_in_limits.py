"""Sign-in limits (issue 26): a lock ends when it says it will, a spray of usernames from one address is slowed
then blocked, a refused sign-in takes as long as a wrong password, and a 256-character username is a clear error."""

import datetime as dt
import statistics
import time

import pytest
import time_machine
from django.conf import global_settings
from django.test import Client
from django.urls import reverse

from agencies import lockout
from agencies.models import AuthEvent, AuthEventKind
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def sign_in(username: str, password: str, *, address: str = "192.0.2.10", admin: bool = False):
    client = Client(REMOTE_ADDR=address)
    response = client.post(reverse("admin:login" if admin else "login"), {"username": username, "password": password})
    return client, response


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_a_wrong_attempt_inside_the_lock_does_not_extend_it(world):
    tm = world["tm"].username
    with time_machine.travel(START, tick=False):
        for _ in range(5):
            sign_in(tm, "wrong-password")
        assert not signed_in(sign_in(tm, TEST_PASSWORD)[0])
    with time_machine.travel(START + dt.timedelta(minutes=10), tick=False):
        for _ in range(3):  # the attacker keeps trying while it is locked
            sign_in(tm, "wrong-password")
    with time_machine.travel(START + dt.timedelta(minutes=15, seconds=1), tick=False):
        client, _ = sign_in(tm, TEST_PASSWORD)
        assert signed_in(client)  # 15 minutes after the lock began, as it said
    assert AuthEvent.objects.filter(kind=AuthEventKind.LOCKED_OUT, user=world["tm"]).count() >= 1


def test_a_spray_of_usernames_from_one_address_is_slowed_then_blocked(world):
    address, moment = "198.51.100.7", START
    with time_machine.travel(moment, tick=False):
        for number in range(lockout.ADDRESS_SLOW_AFTER):
            sign_in(f"sprayed-{number}", "Winter2026!", address=address)
        # Slowed: straight away, even the right password of a real user from that address is refused ...
        client, response = sign_in(world["sw"].username, TEST_PASSWORD, address=address)
        assert not signed_in(client)
        assert "too many failed sign-ins from your network" in response.content.decode()
        # ... but the same user from another address signs in: the limit is the address's, not the account's.
        assert signed_in(sign_in(world["sw"].username, TEST_PASSWORD, address="203.0.113.9")[0])
    tried = lockout.ADDRESS_SLOW_AFTER
    while tried < lockout.ADDRESS_BLOCK_AFTER:  # one attempt per slow interval is still tried
        moment += dt.timedelta(seconds=lockout.ADDRESS_SLOW_SECONDS + 1)
        with time_machine.travel(moment, tick=False):
            sign_in(f"sprayed-{tried}", "Winter2026!", address=address)
        tried += 1
    last = moment
    for later in (dt.timedelta(seconds=30), dt.timedelta(minutes=14)):  # blocked now, not only slowed
        with time_machine.travel(last + later, tick=False):
            client, response = sign_in(world["tm"].username, TEST_PASSWORD, address=address)
            assert not signed_in(client)
            assert response.status_code == 200
    with time_machine.travel(last + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert signed_in(sign_in(world["tm"].username, TEST_PASSWORD, address=address)[0])
    counted = AuthEvent.objects.filter(kind=AuthEventKind.SIGN_IN_FAILED, username__startswith="sprayed-")
    assert counted.count() >= lockout.ADDRESS_BLOCK_AFTER
    assert AuthEvent.objects.filter(kind=AuthEventKind.ADDRESS_LIMITED, detail__contains=address).exists()


def test_the_admin_sign_in_page_keeps_the_address_limit(world):
    with time_machine.travel(START, tick=False):
        for number in range(lockout.ADDRESS_SLOW_AFTER):
            sign_in(f"sprayed-{number}", "Winter2026!", address="198.51.100.8", admin=True)
        client, response = sign_in(world["admin"].username, TEST_PASSWORD, address="198.51.100.8", admin=True)
        assert response.status_code == 200 and not signed_in(client)


@pytest.mark.parametrize("admin", [False, True])
def test_a_256_character_username_is_a_clear_error_and_audited(world, admin):
    client, response = sign_in("u" * 256, "any-password-at-all", admin=admin)
    assert response.status_code == 200
    assert not signed_in(client)
    page = response.content.decode()
    assert "correct username and password" in page
    event = AuthEvent.objects.get(kind=AuthEventKind.SIGN_IN_FAILED, username="u" * 150)
    assert "256 characters" in event.detail


def _median_seconds(username: str, password: str, tries: int) -> float:
    took = []
    for _ in range(tries):
        started = time.perf_counter()
        client, _ = sign_in(username, password, address="192.0.2.77")
        took.append(time.perf_counter() - started)
        assert not signed_in(client)
    return statistics.median(took)


def test_locked_unknown_and_wrong_password_take_the_same_time_with_the_production_hasher(world, settings):
    """The probe measured 25 ms for a locked account against 260 ms for a wrong password: the lock showed."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # the production hasher, not the tests' MD5
    locked, other = world["tm"], world["sw"]
    for user in (locked, other):
        user.set_password(TEST_PASSWORD)
        user.save()
    with time_machine.travel(START, tick=True):
        for _ in range(5):
            sign_in(locked.username, "wrong-password", address="192.0.2.78")
        assert not signed_in(sign_in(locked.username, TEST_PASSWORD, address="192.0.2.78")[0])
        medians: dict[str, list[float]] = {"locked": [], "unknown": [], "wrong": []}
        for _ in range(3):  # interleaved, so a busy moment of the machine falls on each kind alike
            medians["locked"].append(_median_seconds(locked.username, TEST_PASSWORD, 1))
            medians["unknown"].append(_median_seconds("nobody-by-this-name", "wrong-password", 1))
            # A wrong password for a real account (another one: the locked one is refused before its password).
            medians["wrong"].append(_median_seconds(other.username, "wrong-password", 1))
    lock, unknown, wrong = (statistics.median(values) for values in medians.values())
    assert wrong > 0.02, "the production hasher is in use (a hash takes tens of milliseconds at least)"
    for name, value in (("locked", lock), ("unknown", unknown)):
        assert 0.5 * wrong < value < 2 * wrong, f"{name} took {value:.3f} s against {wrong:.3f} s for a wrong password"
