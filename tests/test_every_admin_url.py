"""Every URL of the Django admin, by an explicit table: nobody but staff gets in; staff (an administrator of one
partnership) reach their own partnership's records and get 404 for another's. A pattern missing from the table
fails the test."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.http import HttpRequest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from agencies.models import AuthEvent, Duty, OnCall, auth_event_record
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

PERSONAS = ["sw", "tm", "hos", "admin", "analyst", "police", "health", "outsider", "other_sw"]
LOGIN = {404}  # anyone signed in who is not staff: the app's 404, as any page they may not see (administration.site)
# name -> (status for a non-staff persona, status for staff on their own record, status for staff on another
# partnership's record); one status for pages with no record.
EXPECTED = {
    "admin:index": (LOGIN, {200}, None),
    "admin:login": (LOGIN, {302}, None),
    "admin:logout": (LOGIN, {405}, None),  # signing out is a POST
    "admin:password_change": (LOGIN, {200}, None),
    "admin:password_change_done": (LOGIN, {200}, None),
    "admin:autocomplete": (LOGIN, {403}, None),
    "admin:jsi18n": (LOGIN, {200}, None),
    "admin:view_on_site": (LOGIN, {404}, {404}),
    "admin:app_list": (LOGIN, {200}, None),
    "admin:auth_group_changelist": (LOGIN, {403}, None),
    "admin:auth_group_add": (LOGIN, {403}, None),
    "admin:auth_group_history": (LOGIN, {403}, {403}),
    "admin:auth_group_delete": (LOGIN, {403}, {403}),
    "admin:auth_group_change": (LOGIN, {403}, {403}),
    "admin:agencies_partnership_changelist": (LOGIN, {200}, None),
    "admin:agencies_partnership_add": (LOGIN, {403}, None),
    "admin:agencies_partnership_history": (LOGIN, {200}, {404}),
    "admin:agencies_partnership_simple_history": (LOGIN, {200}, {404}),
    "admin:agencies_partnership_delete": (LOGIN, {403}, {404}),
    "admin:agencies_partnership_change": (LOGIN, {200}, {404}),
    "admin:agencies_agency_changelist": (LOGIN, {200}, None),
    "admin:agencies_agency_add": (LOGIN, {200}, None),
    "admin:agencies_agency_history": (LOGIN, {200}, {404}),
    "admin:agencies_agency_simple_history": (LOGIN, {200}, {404}),
    "admin:agencies_agency_delete": (LOGIN, {200}, {404}),
    "admin:agencies_agency_change": (LOGIN, {200}, {404}),
    "admin:agencies_user_changelist": (LOGIN, {200}, None),
    "admin:agencies_user_add": (LOGIN, {200}, None),
    "admin:agencies_user_history": (LOGIN, {200}, {404}),
    "admin:agencies_user_simple_history": (LOGIN, {200}, {404}),
    "admin:agencies_user_delete": (LOGIN, {200}, {404}),
    "admin:agencies_user_change": (LOGIN, {200}, {404}),
    # The on-call rota (issue 30): each partnership's administrators keep their own.
    "admin:agencies_oncall_changelist": (LOGIN, {200}, None),
    "admin:agencies_oncall_add": (LOGIN, {200}, None),
    "admin:agencies_oncall_history": (LOGIN, {200}, {404}),
    "admin:agencies_oncall_simple_history": (LOGIN, {200}, {404}),
    "admin:agencies_oncall_delete": (LOGIN, {200}, {404}),
    "admin:agencies_oncall_change": (LOGIN, {200}, {404}),
    "admin:auth_user_password_change": (LOGIN, {404}, {404}),  # nobody sets another user's password
    # The whole sign-in audit: superusers only, read-only.
    "admin:agencies_authevent_changelist": (LOGIN, {403}, None),
    "admin:agencies_authevent_add": (LOGIN, {403}, None),
    "admin:agencies_authevent_history": (LOGIN, {403}, {403}),
    "admin:agencies_authevent_delete": (LOGIN, {403}, {403}),
    "admin:agencies_authevent_change": (LOGIN, {403}, {403}),
}


def admin_patterns() -> list[tuple[str, str]]:
    def walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern) and entry.name:
                yield f"{namespace}{entry.name}", prefix + str(entry.pattern)

    return [(name, route) for name, route in walk(get_resolver()) if name.startswith("admin:")]


def test_every_admin_pattern_is_in_the_table():
    names = {name for name, _ in admin_patterns()}
    assert names ^ set(EXPECTED) == set()


def _url(name: str, route: str, record: dict[str, str]) -> str:
    """Fill in a pattern for a record: its model (from the URL name), its id, and a history row of it."""
    model = next(
        (key for key in ("partnership", "agency", "user", "group", "authevent", "oncall") if f"_{key}_" in name), ""
    )
    object_id = record.get(model, "1")
    url = route.replace("<path:object_id>", object_id).replace("<id>", object_id)
    url = url.replace("<path:content_type_id>", "1")
    url = re.sub(
        r"\^\(\[\^/\]\+\)/history/\(\[\^/\]\+\)/\$", f"{object_id}/history/{record.get(model + '_history', '1')}/", url
    )
    url = url.replace("^(?P<app_label>auth|agencies)/$", "agencies/")
    return "/" + url


@pytest.fixture
def agencies_staff(world):
    """Business support as staff with rights on the five models the admin shows (users, agencies, partnerships,
    closure days, the on-call rota) and nothing else."""
    user = world["admin"]
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="agencies",
            content_type__model__in=["user", "agency", "partnership", "closureday", "oncall"],
        )
    )
    return user


def _records(world, mine: bool) -> dict[str, str]:
    for user in (world["police"], world["outsider"]):
        if not AuthEvent.objects.filter(user=user).exists():
            auth_event_record(kind="signed_in", user=user, actor=user)
    partnership = world["partnership"] if mine else world["outsider"].agency.partnership
    agency = world["police_agency"] if mine else world["outsider"].agency
    user = world["police"] if mine else world["outsider"]
    spell = OnCall.objects.filter(user=user).first() or OnCall.objects.create(
        partnership=partnership,
        user=user,
        duty=Duty.EMERGENCY_DUTY_TEAM,
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 1, 31),
    )
    return {
        "partnership": str(partnership.pk),
        "partnership_history": str(partnership.history.latest().history_id),
        "agency": str(agency.pk),
        "agency_history": str(agency.history.latest().history_id),
        "user": str(user.pk),
        "user_history": str(user.history.latest().history_id),
        "group": str(agency.group_id),
        "authevent": str(AuthEvent.objects.filter(user=user).latest("pk").pk),
        "oncall": str(spell.pk),
        "oncall_history": str(spell.history.latest().history_id),
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_one_but_staff_reaches_the_admin(world, persona):
    client = Client()
    assert client.login(request=HttpRequest(), username=world[persona].username, password=TEST_PASSWORD)
    mine = _records(world, mine=True)
    for name, route in admin_patterns():
        response = client.get(_url(name, route, mine))
        assert response.status_code in EXPECTED[name][0], f"{persona} GET {name}: {response.status_code}"
        assert "not authorized" not in response.content.decode() and "Page not found" in response.content.decode()


def test_signed_out_every_admin_page_asks_for_a_sign_in(world):
    """Signed out, every admin address asks for a sign-in (which goes on to the second factor): the admin's sign-in
    page itself, or a redirect to a sign-in page."""
    client = Client()
    mine = _records(world, mine=True)
    for name, route in admin_patterns():
        response = client.get(_url(name, route, mine))
        if name == "admin:login":
            assert response.status_code == 200 and 'name="password"' in response.content.decode()
            continue
        assert response.status_code == 302, name
        assert response["Location"].startswith(("/sign-in/?next=", "/admin/login/?next=")), name


def test_staff_reach_their_partnership_and_get_404_for_another(world, agencies_staff):
    client = Client()
    assert client.login(request=HttpRequest(), username=agencies_staff.username, password=TEST_PASSWORD)
    for mine in (True, False):
        records = _records(world, mine=mine)
        for name, route in admin_patterns():
            _none, own, other = EXPECTED[name]
            expected = own if mine or other is None else other
            response = client.get(_url(name, route, records))
            assert response.status_code in expected, (
                f"staff GET {name} ({'own' if mine else 'other'}): {response.status_code}"
            )
