"""Every look and every sign-in traceable: the list log, "who looked at this record", what a user looked at, and
the sign-in audit (DOMAIN section 2; Data Protection Act 2018 section 62)."""

import pytest
from django.db import DatabaseError, transaction
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from agencies.models import AuthEvent
from referrals.models import CaseView, ListLook
from tests.factories import TEST_PASSWORD, make_referral

pytestmark = pytest.mark.django_db


def test_a_search_records_the_query_and_the_cases_it_returned_in_one_row(world, sw_client):
    found = make_referral(acting_user=world["sw"], children=[{"first_name": "Quill", "last_name": "Inventedname"}])
    make_referral(acting_user=world["sw"])
    sw_client.get(reverse("referrals:list"), {"q": "Inventedname"})
    look = ListLook.objects.get(user=world["sw"], page="referral list")
    assert look.query == "q=Inventedname"
    assert look.referral_ids == [found.pk]


def test_the_list_log_cannot_be_rewritten(world, sw_client):
    sw_client.get(reverse("referrals:list"))
    for attempt in (
        lambda: ListLook.objects.update(query="forged"),
        lambda: ListLook.objects.all().delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert ListLook.objects.get().query == ""


def test_who_looked_at_a_record_for_the_team_manager_filtered_by_agency(world, persona_client):
    referral = make_referral(acting_user=world["sw"])
    persona_client("sw").get(reverse("referrals:detail", args=[referral.pk]))
    persona_client("hos").get(reverse("referrals:detail", args=[referral.pk]))
    url = reverse("audit:case_looks", args=[referral.pk])
    page = persona_client("tm").get(url).content.decode()
    assert str(world["sw"]) in page and str(world["hos"]) in page and "referral detail" in page
    filtered = persona_client("tm").get(url, {"agency": world["police_agency"].pk}).content.decode()
    assert "No looks match." in filtered
    assert persona_client("sw").get(url).status_code == 403
    assert persona_client("outsider").get(url).status_code == 404
    # Looking at the log is a look too.
    assert CaseView.objects.filter(user=world["tm"], page="who looked").exists()


def test_what_a_user_looked_at_for_the_head_of_service(world, persona_client):
    referral = make_referral(acting_user=world["sw"])
    persona_client("sw").get(reverse("referrals:detail", args=[referral.pk]))
    url = reverse("audit:user_looks", args=[world["sw"].pk])
    page = persona_client("hos").get(url).content.decode()
    assert referral.reference in page
    assert persona_client("tm").get(url).status_code == 404
    other = reverse("audit:user_looks", args=[world["other_sw"].pk])
    assert persona_client("hos").get(other).status_code == 404  # another partnership's user


def test_sign_ins_failures_and_sign_outs_are_recorded_without_passwords(world, persona_client):
    client = Client()
    client.post(reverse("login"), {"username": world["police"].username, "password": "wrong-password"})
    client.post(reverse("login"), {"username": "nobody-at-all", "password": "wrong-password"})
    assert client.login(request=HttpRequest(), username=world["police"].username, password=TEST_PASSWORD)
    client.post(reverse("logout"))
    events = list(
        AuthEvent.objects.filter(user=world["police"])
        .exclude(kind="password_changed")  # set by the test factory
        .order_by("at", "pk")
        .values_list("kind", flat=True)
    )
    assert events == ["sign_in_failed", "signed_in", "signed_out"]
    assert AuthEvent.objects.filter(kind="sign_in_failed", username="nobody-at-all", user=None).exists()
    assert not AuthEvent.objects.filter(detail__icontains="wrong-password").exists()
    page = persona_client("hos").get(reverse("audit:auth_events")).content.decode()
    assert "Sign-in failed" in page and str(world["police"]) in page
    assert persona_client("police").get(reverse("audit:auth_events")).status_code == 404


def test_a_password_change_is_recorded(world):
    world["police"].set_password("another-long-invented-password")
    world["police"].save()
    assert AuthEvent.objects.filter(user=world["police"], kind="password_changed").exists()


def test_role_and_agency_changes_in_the_admin_are_recorded_with_who_did_it(world):
    from django.contrib.auth.models import Permission

    from agencies.models import User

    admin = world["admin"]
    admin.is_staff = True
    admin.save()
    admin.user_permissions.set(Permission.objects.filter(content_type__app_label="agencies", codename__endswith="user"))
    client = Client()
    assert client.login(request=HttpRequest(), username=admin.username, password=TEST_PASSWORD)
    target = world["police"]
    url = reverse("admin:agencies_user_change", args=[target.pk])
    form = client.get(url).context["adminform"].form
    data = {key: value for key, value in form.initial.items() if value is not None and not isinstance(value, list)}
    data.update(
        {
            "username": target.username,
            "first_name": target.first_name,
            "last_name": target.last_name,
            "email": "",
            "agency": world["csc"].pk,
            "roles": ["social_worker"],
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00",
            "job_title": "",
            "line_manager": "",
        }
    )
    data.pop("password", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    kinds = set(AuthEvent.objects.filter(user=target, actor=admin).values_list("kind", flat=True))
    assert kinds == {"roles_changed", "agency_changed"}
    assert User.objects.get(pk=target.pk).agency == world["csc"]


def test_lists_that_showed_a_case_are_on_its_who_looked_page_and_the_users_page(world, persona_client):
    referral = make_referral(acting_user=world["sw"], children=[{"first_name": "Quill", "last_name": "Listedname"}])
    persona_client("sw").get(reverse("referrals:list"), {"q": "Listedname"})
    case_page = persona_client("tm").get(reverse("audit:case_looks", args=[referral.pk])).content.decode()
    assert "Lists and searches that showed this case" in case_page and "q=Listedname" in case_page
    user_page = persona_client("hos").get(reverse("audit:user_looks", args=[world["sw"].pk])).content.decode()
    assert "referral list" in user_page and "q=Listedname" in user_page


def test_a_history_page_number_out_of_range_shows_the_nearest_page(world, tm_client):
    referral = make_referral(acting_user=world["sw"])
    url = reverse("strategy:history", args=[referral.pk])
    for page in ("99999999999999999999999", "0", "abc", "-3"):
        assert tm_client.get(url, {"page": page}).status_code == 200


def test_the_database_refuses_to_rewrite_the_sign_in_audit(world, sw_client):
    from django.db import connection

    assert AuthEvent.objects.exists()  # sw_client signed in
    for attempt in (
        lambda: AuthEvent.objects.update(detail="forged"),
        lambda: AuthEvent.objects.all().delete(),
        lambda: connection.cursor().execute("UPDATE agencies_authevent SET detail = 'forged'"),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert not AuthEvent.objects.filter(detail="forged").exists()
