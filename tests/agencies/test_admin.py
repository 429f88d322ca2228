"""The Django admin: administrators manage their own partnership's people and agencies, and no more."""

import re

import pytest
from django.http import HttpRequest
from django.urls import reverse

from agencies.models import Agency, Partnership, User
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_administrator_cannot_make_anyone_superuser_or_staff(staff_client, world):
    sw = world["sw"]
    page = staff_client.get(reverse("admin:agencies_user_change", args=[sw.pk]))
    assert page.status_code == 200
    assert 'name="is_superuser"' not in page.content.decode()
    response = staff_client.post(
        reverse("admin:agencies_user_change", args=[sw.pk]),
        {
            "username": sw.username,
            "first_name": "Changed",
            "last_name": sw.last_name,
            "email": "",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "agency": str(world["csc"].pk),
            "roles": ["social_worker"],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    sw.refresh_from_db()
    assert sw.first_name == "Changed"
    assert not sw.is_superuser and not sw.is_staff


def test_administrator_sees_only_their_partnership(staff_client, world):
    users = staff_client.get(reverse("admin:agencies_user_changelist")).content.decode()
    agencies = staff_client.get(reverse("admin:agencies_agency_changelist")).content.decode()
    assert world["sw"].username in users and world["outsider"].username not in users
    assert "Invented Police" in agencies and "Neighbouring Police" not in agencies
    outsider_page = staff_client.get(reverse("admin:agencies_user_change", args=[world["outsider"].pk]))
    assert outsider_page.status_code == 404  # not visible means 404, nothing shown
    neighbour = Partnership.objects.get(name="Neighbouring Invented Partnership")
    assert staff_client.get(reverse("admin:agencies_partnership_change", args=[neighbour.pk])).status_code == 404


def test_administrator_cannot_move_a_user_into_another_partnerships_agency(staff_client, world):
    page = staff_client.get(reverse("admin:agencies_user_change", args=[world["sw"].pk])).content.decode()
    neighbouring = Agency.objects.get(name="Neighbouring CSC")
    agency_choices = re.search(r'<select name="agency".*?</select>', page, re.S)
    assert agency_choices is not None and f'value="{world["csc"].pk}"' in agency_choices.group()
    assert f'value="{neighbouring.pk}"' not in agency_choices.group()


def test_superusers_are_not_listed_for_administrators(staff_client, world):
    User.objects.create_superuser("root", "root@example.invalid", "a-long-root-password", agency=world["csc"])
    assert "root" not in staff_client.get(reverse("admin:agencies_user_changelist")).content.decode()


def test_history_pages_of_another_partnership_are_not_found(staff_client, world):
    outsider = world["outsider"]
    neighbour_agency = Agency.objects.get(name="Neighbouring CSC")
    neighbour_agency.name = "Neighbouring CSC renamed"
    neighbour_agency.save()
    version = neighbour_agency.history.earliest()
    urls = [
        reverse("admin:agencies_user_history", args=[outsider.pk]),
        reverse("admin:agencies_agency_history", args=[neighbour_agency.pk]),
        reverse("admin:agencies_agency_simple_history", args=[neighbour_agency.pk, version.history_id]),
        reverse("admin:auth_user_password_change", args=[outsider.pk]),
    ]
    for url in urls:
        assert staff_client.get(url).status_code == 404, url
    response = staff_client.post(
        reverse("admin:agencies_agency_simple_history", args=[neighbour_agency.pk, version.history_id]),
        {"name": "Neighbouring CSC", "agency_type": "csc", "partnership": str(world["partnership"].pk)},
    )
    assert response.status_code == 404
    neighbour_agency.refresh_from_db()
    assert neighbour_agency.partnership.name == "Neighbouring Invented Partnership"


def test_old_versions_cannot_be_saved_back_even_in_scope(staff_client, world):
    police = world["police_agency"]
    police.name = "Invented Police renamed"
    police.save()
    version = police.history.earliest()
    url = reverse("admin:agencies_agency_simple_history", args=[police.pk, version.history_id])
    assert staff_client.get(url).status_code == 200
    assert staff_client.post(url, {"name": "Invented Police", "agency_type": "police"}).status_code == 404
    police.refresh_from_db()
    assert police.name == "Invented Police renamed"


def test_administrator_cannot_edit_themselves_or_another_administrator(staff_client, world):
    me = world["admin"]
    peer = User.objects.create_user("peer", password="a-long-peer-password", agency=world["csc"], is_staff=True)
    for user in (me, peer):
        assert staff_client.get(reverse("admin:agencies_user_change", args=[user.pk])).status_code == 404
        assert staff_client.get(reverse("admin:auth_user_password_change", args=[user.pk])).status_code == 404
    response = staff_client.post(
        reverse("admin:agencies_user_change", args=[me.pk]), {"username": me.username, "roles": ["team_manager"]}
    )
    assert response.status_code == 404
    assert not me.has_role("team_manager")


def test_administrator_must_give_a_new_user_an_agency(staff_client, world):
    response = staff_client.post(
        reverse("admin:agencies_user_add"),
        {"username": "noagency", "password1": "a-long-new-password-2026", "password2": "a-long-new-password-2026"},
    )
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not User.objects.filter(username="noagency").exists()


def test_end_of_working_day_must_be_plausible(world):
    from django.core.exceptions import ValidationError

    partnership = world["partnership"]
    partnership.end_of_working_day = "00:00"
    with pytest.raises(ValidationError, match="between 12:00 and 22:00"):
        partnership.full_clean()


def test_signing_in_adds_no_history_row(client, world):
    before = world["sw"].history.count()
    assert client.login(request=HttpRequest(), username="sw", password=TEST_PASSWORD)
    assert world["sw"].history.count() == before


def _partnership_post(partnership, closure_days: list[tuple[str, str]]) -> dict:
    data = {
        "name": partnership.name,
        "jurisdiction": partnership.jurisdiction,
        "standard_sd_days": str(partnership.standard_sd_days),
        "end_of_working_day": partnership.end_of_working_day.strftime("%H:%M"),
        "start_of_working_day": partnership.start_of_working_day.strftime("%H:%M"),
        "delays_alert_after": str(partnership.delays_alert_after),
        "due_soon_percent": str(partnership.due_soon_percent),
        "minutes_hours": str(partnership.minutes_hours),
        "meeting_not_ended_hours": str(partnership.meeting_not_ended_hours),
        "disagreement_stage_1_days": str(partnership.disagreement_stage_1_days),
        "disagreement_stage_2_days": str(partnership.disagreement_stage_2_days),
        "disagreement_stage_3_days": str(partnership.disagreement_stage_3_days),
        "max_entry_characters": str(partnership.max_entry_characters),
        "reference_prefix": partnership.reference_prefix,
        "meeting_harms": partnership.meeting_harms,
        "closure_days-TOTAL_FORMS": str(len(closure_days)),
        "closure_days-INITIAL_FORMS": "0",
        "closure_days-MIN_NUM_FORMS": "0",
        "closure_days-MAX_NUM_FORMS": "1000",
    }
    for index, (day, reason) in enumerate(closure_days):
        data[f"closure_days-{index}-date"] = day
        data[f"closure_days-{index}-reason"] = reason
    return data


def test_a_closure_day_added_in_the_admin_returns_at_once_and_a_celery_task_moves_open_deadlines(
    staff_client, world, django_capture_on_commit_callbacks
):
    import datetime as dt

    from core.timescales import LONDON
    from referrals.tasks import reschedule_partnership
    from tests.builders import make_referral

    monday = dt.datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)
    waiting = make_referral(acting_user=world["sw"], received_at=monday)
    assert waiting.strategy_discussion_deadline().due_at == dt.datetime(2026, 11, 26, 17, 0, tzinfo=LONDON)

    partnership = world["partnership"]
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = staff_client.post(
            reverse("admin:agencies_partnership_change", args=[partnership.pk]),
            _partnership_post(partnership, [("2026-11-24", "Office move")]),
            follow=True,
        )
    assert response.status_code == 200
    assert "The open deadlines are being moved to the new calendar" in response.content.decode()
    assert len(queued) == 1  # the task, queued once the change is committed
    deadline = waiting.strategy_discussion_deadline()
    assert deadline.due_at == dt.datetime(2026, 11, 26, 17, 0, tzinfo=LONDON)  # not moved in the request
    page = staff_client.get(reverse("admin:agencies_partnership_change", args=[partnership.pk])).content.decode()
    assert "Being moved to the calendar as changed at" in page

    assert reschedule_partnership(partnership.pk, world["admin"].pk) == 1  # what the worker runs
    deadline = waiting.strategy_discussion_deadline()
    assert deadline.due_at == dt.datetime(2026, 11, 27, 17, 0, tzinfo=LONDON)
    assert deadline.history.first().history_user == world["admin"]
    assert deadline.history.first().history_change_reason == "Partnership calendar changed"
    page = staff_client.get(reverse("admin:agencies_partnership_change", args=[partnership.pk])).content.decode()
    assert "They follow this calendar: moved to it at" in page
    assert reschedule_partnership(partnership.pk, world["admin"].pk) == 0  # done: nothing to do again
