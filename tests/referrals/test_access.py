"""The one access policy: CSC staff of the partnership see its referrals; nobody else sees any (404)."""

import re

import pytest
from django.urls import reverse

from referrals import access
from referrals.models import Referral
from tests.builders import child, make_referral

pytestmark = pytest.mark.django_db

NO_CASE_DATA = ["police", "health", "outsider", "analyst", "other_sw"]


@pytest.fixture
def referral(world) -> Referral:
    return make_referral(acting_user=world["sw"], children=[child("Secret", "Childname")])


@pytest.mark.parametrize("persona", NO_CASE_DATA)
@pytest.mark.parametrize("page", ["referrals:detail", "referrals:edit"])
def test_users_outside_partnership_csc_get_404_for_a_referral(persona_client, referral, persona, page):
    response = persona_client(persona).get(reverse(page, args=[referral.pk]))
    assert response.status_code == 404
    assert "Secret" not in response.content.decode()


@pytest.mark.parametrize("persona", NO_CASE_DATA)
def test_users_outside_partnership_csc_see_no_referral_in_the_list_or_search(persona_client, referral, persona):
    client = persona_client(persona)
    for params in ({}, {"q": "Secret"}, {"overdue": "on"}):
        html = client.get(reverse("referrals:list"), params).content.decode()
        assert referral.reference not in html and "Childname" not in html
        if persona == "other_sw":
            assert "No referrals match." in html
        elif persona == "analyst":
            assert "Partnership analysts see the partnership's figures, not case records." in html
        else:
            assert "These are the cases your agency is invited to a strategy discussion about" in html
            assert "No referrals match." in html


@pytest.mark.parametrize("persona", NO_CASE_DATA)
def test_a_post_to_edit_by_an_outsider_changes_nothing(persona_client, referral, persona):
    response = persona_client(persona).post(
        reverse("referrals:edit", args=[referral.pk]), {"referrer_name": "Changed", "version": "1"}
    )
    assert response.status_code == 404
    referral.refresh_from_db()
    assert referral.referrer_name == "Invented Referrer" and referral.version == 1


def test_outsider_404_does_not_reveal_whether_the_referral_exists(outsider_client, referral):
    real = outsider_client.get(reverse("referrals:detail", args=[referral.pk]))
    missing = outsider_client.get(reverse("referrals:detail", args=[referral.pk + 1000]))
    assert real.status_code == missing.status_code == 404

    def page(response) -> str:  # the CSRF token is masked afresh, and the script nonce made afresh, every response
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        return re.sub(r'nonce="[^"]+"', "", text)

    assert page(real) == page(missing)


@pytest.mark.parametrize("persona", ["sw", "tm", "hos", "admin"])
def test_csc_staff_of_the_partnership_see_the_referral(persona_client, referral, persona):
    client = persona_client(persona)
    assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 200
    assert referral.reference in client.get(reverse("referrals:list")).content.decode()


@pytest.mark.parametrize("persona", ["hos", "admin"])
def test_csc_staff_without_the_role_may_read_but_not_edit(persona_client, referral, persona):
    client = persona_client(persona)
    assert "Edit referral" not in client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert client.get(reverse("referrals:edit", args=[referral.pk])).status_code == 403
    response = client.post(reverse("referrals:edit", args=[referral.pk]), {"referrer_name": "Changed"})
    assert response.status_code == 403
    referral.refresh_from_db()
    assert referral.referrer_name == "Invented Referrer"


@pytest.mark.parametrize("persona", ["hos", "admin", "police", "health", "outsider", "analyst"])
def test_only_social_workers_and_team_managers_log_referrals(persona_client, world, persona):
    client = persona_client(persona)
    assert client.get(reverse("referrals:create")).status_code == 403
    assert client.post(reverse("referrals:create"), {"referrer_name": "x"}).status_code == 403
    assert "Log a referral" not in client.get(reverse("referrals:list")).content.decode()
    assert not Referral.objects.exists()


def test_every_page_needs_sign_in(client, referral):
    for url in (
        reverse("referrals:list"),
        reverse("referrals:create"),
        reverse("referrals:detail", args=[referral.pk]),
        reverse("referrals:edit", args=[referral.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_inactive_user_sees_nothing(world, referral):
    world["sw"].is_active = False
    world["sw"].save()
    assert not access.referrals_visible_to(world["sw"]).exists()


def test_superuser_without_a_csc_membership_sees_no_case_data(db, referral, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.invalid", "a-long-root-password")
    assert not access.referrals_visible_to(root).exists()
    assert not access.ReferralChecker.for_user(root, referral).can_view()


def test_service_refuses_a_referral_from_a_user_who_may_not_log_one(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        make_referral(acting_user=world["police"])
    assert not Referral.objects.exists()


def test_sign_out_by_address_asks_first_and_post_signs_out(sw_client):
    page = sw_client.get(reverse("logout"))
    assert page.status_code == 200 and "Sign out of Strategy Discussions on this device?" in page.content.decode()
    response = sw_client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == "/sign-in/?signed_out=1"
    assert "You have signed out" in sw_client.get(response["Location"]).content.decode()
    assert sw_client.get(reverse("referrals:list")).status_code == 302


def test_failed_sign_in_shows_the_error_and_keeps_the_username(client, world):
    response = client.post(reverse("login"), {"username": "sw", "password": "wrong"})
    html = response.content.decode()
    assert "<title>Error: Sign in" in html
    assert 'href="#id_username"' in html and 'id="id_username-error"' in html
    assert 'value="sw"' in html


def test_signed_in_pages_are_never_cached(sw_client, world):
    referral = make_referral(acting_user=world["sw"])
    for url in (reverse("referrals:list"), reverse("referrals:detail", args=[referral.pk])):
        cache_control = sw_client.get(url)["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control


def test_every_look_at_a_case_is_recorded_and_refusals_are_not(persona_client, world, referral):
    from referrals.models import CaseView

    persona_client("tm").get(reverse("referrals:detail", args=[referral.pk]))
    persona_client("sw").get(reverse("referrals:edit", args=[referral.pk]))
    persona_client("outsider").get(reverse("referrals:detail", args=[referral.pk]))
    views = list(CaseView.objects.order_by("viewed_at").values_list("user__username", "referral_id", "page"))
    assert views == [("tm", referral.pk, "referral detail"), ("sw", referral.pk, "referral edit")]


def test_case_view_records_cannot_be_changed_or_deleted(world, referral):
    from referrals.models import CaseView

    record = CaseView.objects.create(user=world["sw"], referral=referral, page="referral detail")
    record.page = "something else"
    with pytest.raises(PermissionError):
        record.save()
    with pytest.raises(PermissionError):
        record.delete()
    assert CaseView.objects.get().page == "referral detail"


def test_the_database_refuses_to_rewrite_the_case_view_log(world, referral):
    from django.db import DatabaseError, connection, transaction

    from referrals.models import CaseView

    CaseView.objects.create(user=world["sw"], referral=referral, page="referral detail")
    attempts = [
        lambda: CaseView.objects.filter(referral=referral).update(page="forged"),
        lambda: CaseView.objects.filter(referral=referral).delete(),
        lambda: connection.cursor().execute("UPDATE referrals_caseview SET page = 'forged'"),
        lambda: connection.cursor().execute("DELETE FROM referrals_caseview"),
    ]
    for attempt in attempts:
        # As the app's role (which the tests run as) the rights refuse it; as the owner, the append-only triggers
        # do (tests/core/test_db_roles.py).
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            attempt()
    assert list(CaseView.objects.values_list("page", flat=True)) == ["referral detail"]


def test_a_forged_moment_in_the_case_view_log_is_replaced_by_the_databases_clock(world, referral):
    import datetime as dt

    from referrals.models import CaseView

    forged = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    CaseView.objects.bulk_create([CaseView(user=world["sw"], referral=referral, page="forged", viewed_at=forged)])
    assert CaseView.objects.get().viewed_at.year >= 2025
