"""Administrators never learn or set another user's password (they send a reset link); passwords of 12 or more
characters and not common; deactivating a user ends their sessions; granting a role that edits cases is told to
the heads of service. (Demo credentials in production: test_demo_credentials.py.)"""

import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from agencies.models import AuthEvent, AuthEventKind, RoleCode, User
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://testserver(/password/[^/\s]+/[^/\s]+/)")
NEW_PASSWORD = "a-walk-by-the-invented-river"


def test_nobody_sets_another_users_password_in_the_admin(staff_client, world, client):
    sw = world["sw"]
    assert staff_client.get(reverse("admin:auth_user_password_change", args=[sw.pk])).status_code == 404
    form = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert staff_client.post(reverse("admin:auth_user_password_change", args=[sw.pk]), form).status_code == 404
    root = User.objects.create_superuser("root", "root@example.invalid", "a-long-root-password", agency=world["csc"])
    client.force_login(root)
    assert client.get(reverse("admin:auth_user_password_change", args=[sw.pk])).status_code == 404
    page = staff_client.get(reverse("admin:agencies_user_change", args=[sw.pk])).content.decode()
    assert "Send a password reset link" in page and 'href="../password/"' not in page
    sw.refresh_from_db()
    assert sw.check_password(TEST_PASSWORD)


def test_a_new_user_chooses_their_own_password_from_an_emailed_link(staff_client, world, mailoutbox):
    add = staff_client.get(reverse("admin:agencies_user_add")).content.decode()
    assert 'name="password1"' not in add
    response = staff_client.post(
        reverse("admin:agencies_user_add"),
        {
            "username": "new.worker",
            "first_name": "Invented",
            "last_name": "Worker",
            "email": "new.worker@example.invalid",
            "agency": str(world["csc"].pk),
            "roles": ["social_worker"],
            "job_title": "Social worker",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="new.worker")
    assert not user.has_usable_password()
    to_user = [m for m in mailoutbox if m.to == ["new.worker@example.invalid"]]
    assert len(to_user) == 1
    link = LINK.search(to_user[0].body).group(1)
    assert AuthEvent.objects.filter(kind=AuthEventKind.RESET_LINK_SENT, user=user, actor=world["admin"]).exists()

    visitor = Client()
    form_url = visitor.get(link, follow=True).redirect_chain[-1][0]  # Django moves the token into the session
    short = visitor.post(form_url, {"new_password1": "short-pass", "new_password2": "short-pass"})
    assert short.status_code == 200
    page = short.content.decode()
    assert "There is a problem" in page and "at least 12 characters" in page
    common = visitor.post(form_url, {"new_password1": "password1234", "new_password2": "password1234"})
    assert "too common" in common.content.decode()
    done = visitor.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/password/done/"
    signed_in = Client()
    assert signed_in.post(reverse("login"), {"username": "new.worker", "password": NEW_PASSWORD}).status_code == 302
    again = Client().get(link, follow=True).content.decode()
    assert "This link does not work" in again


def test_the_reset_link_action_emails_a_link_and_the_audit_records_it(staff_client, world, mailoutbox):
    sw = world["sw"]
    sw.email = "sw@example.invalid"
    sw.save()
    response = staff_client.post(
        reverse("admin:agencies_user_changelist"), {"action": "send_reset_link", "_selected_action": [sw.pk]}
    )
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["sw@example.invalid"]]
    assert LINK.search(mailoutbox[0].body) and TEST_PASSWORD not in mailoutbox[0].body
    assert AuthEvent.objects.get(kind=AuthEventKind.RESET_LINK_SENT, user=sw).actor == world["admin"]


def test_passwords_need_12_characters_and_not_a_common_one():
    for weak in ("short-pass", "password1234", "123456789012", "aaaaaaaaaaaa", "abcabcabcabc", "xyxyxyxyxyxyxy"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password(NEW_PASSWORD)


def _change_form(user: User, **changes) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "agency": str(user.agency_id),
        "roles": sorted(user.role_codes()),
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_deactivating_a_user_ends_all_their_sessions_at_once(staff_client, world):
    sw = world["sw"]
    laptop, phone = Client(), Client()
    for device in (laptop, phone):
        assert device.post(reverse("login"), {"username": sw.username, "password": TEST_PASSWORD}).status_code == 302
        assert device.get(reverse("referrals:list")).status_code == 200
    keys = [laptop.session.session_key, phone.session.session_key]
    response = staff_client.post(reverse("admin:agencies_user_change", args=[sw.pk]), _change_form(sw, is_active=None))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not Session.objects.filter(session_key__in=keys).exists()
    for device in (laptop, phone):
        assert device.get(reverse("referrals:list")).status_code == 302


def test_granting_a_role_that_edits_cases_is_told_to_the_heads_of_service(staff_client, world, mailoutbox):
    hos = world["hos"]
    hos.email = "hos@example.invalid"
    hos.save()
    analyst = world["analyst"]
    response = staff_client.post(
        reverse("admin:agencies_user_change", args=[analyst.pk]),
        _change_form(analyst, roles=[RoleCode.PARTNERSHIP_ANALYST, RoleCode.TEAM_MANAGER]),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    told = [m for m in mailoutbox if m.to == ["hos@example.invalid"]]
    assert len(told) == 1
    assert analyst.username in told[0].body and "team manager" in told[0].body
    assert AuthEvent.objects.filter(kind=AuthEventKind.ROLES_CHANGED, user=analyst, actor=world["admin"]).exists()
    mailoutbox.clear()
    staff_client.post(
        reverse("admin:agencies_user_change", args=[analyst.pk]),
        _change_form(analyst, first_name="Renamed", roles=[RoleCode.PARTNERSHIP_ANALYST, RoleCode.TEAM_MANAGER]),
    )
    assert mailoutbox == []  # nothing granted this time
