"""Account administration with four eyes (issue 26, finding 1). The probe's takeover: an administrator changed a
team manager's email in the admin (recorded only in the user's history), sent a reset link (to the new address),
reset their two-factor and signed in as them. Each step is now refused, asked for, or confirmed by the owner."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.models import AccountReset, AuthEvent, AuthEventKind, ResetKind, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:agencies_user_changelist"
CONFIRM_LINK = re.compile(r"http://testserver(/account/email/[^\s]+/)")


def _staff(user: User) -> Client:
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="agencies"))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager(world):
    tm = world["tm"]
    tm.email = "tm@example.invalid"
    tm.save()
    TOTPDevice.objects.create(user=tm, name="Authenticator app", confirmed=True)
    return tm


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


def _act(client: Client, action: str, user: User):
    return client.post(reverse(CHANGELIST), {"action": action, "_selected_action": [user.pk]})


def test_the_takeover_is_refused_at_every_step(staff_client, manager, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        # 1. The email change is not saved: the owner must confirm it from the new address; the old one is told.
        response = staff_client.post(
            reverse("admin:agencies_user_change", args=[manager.pk]),
            _change_form(manager, email="attacker@example.invalid"),
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        manager.refresh_from_db()
        assert manager.email == "tm@example.invalid"
        # 2. A reset link and 3. a two-factor reset are only asked for.
        assert _act(staff_client, "send_reset_link", manager).status_code == 302
        assert _act(staff_client, "reset_two_factor", manager).status_code == 302
    assert TOTPDevice.objects.filter(user=manager).exists()
    assert AuthEvent.objects.filter(kind=AuthEventKind.RESET_LINK_SENT).count() == 0
    assert set(AccountReset.objects.filter(user=manager, decided_at=None).values_list("kind", flat=True)) == {
        ResetKind.PASSWORD_LINK,
        ResetKind.TWO_FACTOR,
    }
    to_attacker = [m for m in mailoutbox if m.to == ["attacker@example.invalid"]]
    assert len(to_attacker) == 1 and "/password/" not in to_attacker[0].body  # a confirmation link, nothing else
    to_owner = [m.subject for m in mailoutbox if m.to == ["tm@example.invalid"]]
    assert any("change of your email address" in s for s in to_owner)
    assert sum("reset of your sign-in was asked for" in s for s in to_owner) == 2
    # The email change is in the sign-in audit, with who asked.
    asked = AuthEvent.objects.get(kind=AuthEventKind.EMAIL_CHANGE_REQUESTED, user=manager)
    assert asked.actor.username == "admin" and "attacker@example.invalid" in asked.detail
    # 4. The attacker cannot approve their own request, nor use the confirmation link as anyone but the owner.
    reset = AccountReset.objects.get(user=manager, kind=ResetKind.TWO_FACTOR)
    assert staff_client.post("/account/resets/", {"reset": reset.pk, "decision": "approve"}).status_code == 404
    link = CONFIRM_LINK.search(to_attacker[0].body).group(1)
    assert staff_client.post(link).status_code == 404
    manager.refresh_from_db()
    assert manager.email == "tm@example.invalid" and TOTPDevice.objects.filter(user=manager).exists()


def test_the_owner_confirms_the_new_address_signed_in(
    staff_client, manager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:agencies_user_change", args=[manager.pk]),
            _change_form(manager, email="tm.new@example.invalid"),
        )
    link = CONFIRM_LINK.search(next(m for m in mailoutbox if m.to == ["tm.new@example.invalid"]).body).group(1)
    assert Client().get(link).status_code == 302  # signed out: to the sign-in page first
    owner = Client()
    owner.force_login(manager)
    assert owner.get(link).status_code == 200
    assert owner.post(link).status_code == 302
    manager.refresh_from_db()
    assert manager.email == "tm.new@example.invalid"
    changed = AuthEvent.objects.get(kind=AuthEventKind.EMAIL_CHANGED, user=manager)
    assert "tm@example.invalid" in changed.detail and changed.actor == manager
    again = owner.post(link)
    assert again.status_code == 400 and "has been used" in again.content.decode()


def test_a_head_of_service_approves_the_reset_and_the_user_is_told(
    staff_client, manager, world, mailoutbox, django_capture_on_commit_callbacks
):
    world["hos"].email = "hos@example.invalid"
    world["hos"].save()
    with django_capture_on_commit_callbacks(execute=True):
        _act(staff_client, "reset_two_factor", manager)
    assert any(m.to == ["hos@example.invalid"] and "waits for your approval" in m.subject for m in mailoutbox)
    hos = Client()
    hos.force_login(world["hos"])
    page = hos.get("/account/resets/")
    assert page.status_code == 200 and manager.username in page.content.decode()
    reset = AccountReset.objects.get(user=manager)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert hos.post("/account/resets/", {"reset": reset.pk, "decision": "approve"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=manager).exists()
    assert [m.to for m in mailoutbox] == [["tm@example.invalid"]]
    assert "removed" in mailoutbox[0].subject
    approved = AuthEvent.objects.get(kind=AuthEventKind.RESET_APPROVED, user=manager)
    assert approved.actor == world["hos"] and "asked for by" in approved.detail
    # Decided once: a second approval is refused, nothing is done again.
    assert hos.post("/account/resets/", {"reset": reset.pk, "decision": "approve"}).status_code == 302
    assert AuthEvent.objects.filter(kind=AuthEventKind.RESET_APPROVED).count() == 1


def test_a_second_administrator_approves_a_reset_link_which_then_goes_to_the_owners_address(
    staff_client, manager, world, mailoutbox
):
    _act(staff_client, "send_reset_link", manager)
    assert not [m for m in mailoutbox if "choose your password" in m.subject]
    second = _staff(UserFactory(username="second.admin", agency=world["csc"]))
    reset = AccountReset.objects.get(user=manager)
    assert second.post("/account/resets/", {"reset": reset.pk, "decision": "approve"}).status_code == 302
    sent = [m for m in mailoutbox if "choose your password" in m.subject]
    assert [m.to for m in sent] == [["tm@example.invalid"]]


def test_a_declined_reset_changes_nothing(staff_client, manager, world):
    _act(staff_client, "reset_two_factor", manager)
    hos = Client()
    hos.force_login(world["hos"])
    reset = AccountReset.objects.get(user=manager)
    hos.post("/account/resets/", {"reset": reset.pk, "decision": "decline"})
    assert TOTPDevice.objects.filter(user=manager).exists()
    assert AuthEvent.objects.filter(kind=AuthEventKind.RESET_DECLINED, user=manager, actor=world["hos"]).exists()


def test_a_social_workers_reset_is_done_at_once_and_they_are_told(
    staff_client, world, mailoutbox, django_capture_on_commit_callbacks
):
    sw = world["sw"]
    sw.email = "sw@example.invalid"
    sw.save()
    TOTPDevice.objects.create(user=sw, name="Authenticator app", confirmed=True)
    with django_capture_on_commit_callbacks(execute=True):
        _act(staff_client, "reset_two_factor", sw)
    assert not TOTPDevice.objects.filter(user=sw).exists()
    assert [m.to for m in mailoutbox] == [["sw@example.invalid"]]


def test_no_administrator_acts_on_their_own_account_or_one_with_more_rights(world, settings):
    root = User.objects.create_superuser("root", "root@example.invalid", "a-long-root-password", agency=world["csc"])
    root_client = Client()
    root_client.force_login(root)
    # A superuser: not on their own account (its pages are not found, an action on it does nothing).
    assert root_client.get(reverse("admin:agencies_user_change", args=[root.pk])).status_code == 404
    assert TOTPDevice.objects.filter(user=root).count() == 1  # the one force_login verified with
    _act(root_client, "reset_two_factor", root)
    assert TOTPDevice.objects.filter(user=root).count() == 1
    # An administrator: not on a superuser or a fellow administrator, nor themselves.
    admin_client = _staff(world["admin"])
    other_admin = UserFactory(username="other.admin", agency=world["csc"], is_staff=True)
    for target in (root, other_admin, world["admin"]):
        assert admin_client.get(reverse("admin:agencies_user_change", args=[target.pk])).status_code == 404
        _act(admin_client, "send_reset_link", target)
    assert not AccountReset.objects.exists()
    assert not AuthEvent.objects.filter(kind=AuthEventKind.RESET_LINK_SENT).exists()


def test_the_resets_page_is_not_found_for_anyone_else_whatever_the_method(world):
    client = Client()
    client.force_login(world["sw"])
    for method in ("get", "post", "delete"):
        assert getattr(client, method)("/account/resets/").status_code == 404


def test_taking_the_managers_role_away_first_does_not_skip_the_approval(staff_client, manager):
    """The detour: demote the manager, reset at once, give the role back."""
    response = staff_client.post(
        reverse("admin:agencies_user_change", args=[manager.pk]), _change_form(manager, roles=["social_worker"])
    )
    assert response.status_code == 302
    _act(staff_client, "reset_two_factor", manager)
    assert TOTPDevice.objects.filter(user=manager).exists()
    assert AccountReset.objects.filter(user=manager, decided_at=None).exists()
