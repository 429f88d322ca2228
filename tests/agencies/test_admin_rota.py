"""The on-call rota in the admin (issue 30): an administrator sees and edits only their partnership's rota, names only
active people of its agencies, and every change is in history. The working day's start and the delays setting."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from agencies.models import Duty, OnCall
from agencies.selectors import on_call_at
from core.timescales import LONDON
from tests.agencies.test_admin import _partnership_post
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _spell(partnership, user, **extra) -> OnCall:
    values = {"duty": Duty.EMERGENCY_DUTY_TEAM, "starts_on": dt.date(2026, 11, 23), "ends_on": dt.date(2026, 11, 29)}
    return OnCall.objects.create(partnership=partnership, user=user, **{**values, **extra})


def _form(user, **extra) -> dict:
    return {"duty": "senior_manager", "user": str(user.pk), "starts_on": "30/11/2026", "ends_on": "06/12/2026", **extra}


def test_an_administrator_sees_and_edits_only_their_partnerships_rota(staff_client, world):
    ours = _spell(world["partnership"], world["tm"])
    neighbour = world["outsider"].agency.partnership
    theirs = _spell(neighbour, world["outsider"])
    listing = staff_client.get(reverse("admin:agencies_oncall_changelist")).content.decode()
    assert str(world["tm"]) in listing and str(world["outsider"]) not in listing
    assert staff_client.get(reverse("admin:agencies_oncall_change", args=[ours.pk])).status_code == 200
    for name in ("admin:agencies_oncall_change", "admin:agencies_oncall_history", "admin:agencies_oncall_delete"):
        assert staff_client.get(reverse(name, args=[theirs.pk])).status_code == 404, name
    # The form offers its own partnership and the active people of its agencies only.
    page = staff_client.get(reverse("admin:agencies_oncall_add")).content.decode()
    people = re.search(r'<select name="user".*?</select>', page, re.S).group()
    partnerships = re.search(r'<select name="partnership".*?</select>', page, re.S).group()
    assert f'value="{world["tm"].pk}"' in people and f'value="{world["outsider"].pk}"' not in people
    assert f'value="{world["partnership"].pk}"' in partnerships and f'value="{neighbour.pk}"' not in partnerships


def test_an_administrator_adds_a_spell_and_it_is_in_history(staff_client, world, staff):
    response = staff_client.post(
        reverse("admin:agencies_oncall_add"), _form(world["hos"], partnership=str(world["partnership"].pk))
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    spell = OnCall.objects.get(user=world["hos"])
    assert (spell.duty, spell.starts_on, spell.ends_on) == (
        Duty.SENIOR_MANAGER,
        dt.date(2026, 11, 30),
        dt.date(2026, 12, 6),
    )
    assert (spell.history.get().history_user, spell.history.get().history_change_reason) == (
        staff,
        "Added in the admin",
    )
    assert on_call_at(world["partnership"], dt.datetime(2026, 12, 6, 23, 0, tzinfo=LONDON)) == [world["hos"]]
    assert on_call_at(world["partnership"], dt.datetime(2026, 12, 7, 0, 30, tzinfo=LONDON)) == []


def test_a_spell_must_end_after_it_starts_be_bounded_and_name_an_active_person_of_the_partnership(staff_client, world):
    add = reverse("admin:agencies_oncall_add")
    partnership = str(world["partnership"].pk)
    backwards = staff_client.post(add, _form(world["hos"], partnership=partnership, ends_on="29/11/2026"))
    assert "The last day must be the same as or after the first day" in backwards.content.decode()
    too_long = staff_client.post(add, _form(world["hos"], partnership=partnership, ends_on="30/12/2027"))
    assert "366 days or fewer" in too_long.content.decode()
    outsider = staff_client.post(add, _form(world["outsider"], partnership=partnership))
    assert outsider.status_code == 200 and not OnCall.objects.exists()
    gone = UserFactory(username="gone", agency=world["csc"], is_active=False)
    spell = OnCall(partnership=world["partnership"], user=gone, duty=Duty.EMERGENCY_DUTY_TEAM)
    spell.starts_on = spell.ends_on = dt.date(2026, 11, 30)
    with pytest.raises(ValidationError, match="active"):
        spell.full_clean()
    spell.user = world["outsider"]
    with pytest.raises(ValidationError, match="of an agency of this partnership"):
        spell.full_clean()


def test_the_working_day_starts_before_it_ends_and_the_delays_setting_is_bounded(world):
    partnership = world["partnership"]
    assert (partnership.start_of_working_day, partnership.delays_alert_after) == (dt.time(9, 0), 3)
    partnership.start_of_working_day = dt.time(5, 0)
    with pytest.raises(ValidationError, match="between 06:00 and 12:00"):
        partnership.full_clean()
    partnership.start_of_working_day, partnership.end_of_working_day = dt.time(12, 0), dt.time(12, 0)
    with pytest.raises(ValidationError, match="before its end"):
        partnership.full_clean()
    partnership.start_of_working_day, partnership.end_of_working_day = dt.time(9, 0), dt.time(17, 0)
    partnership.delays_alert_after = 0
    with pytest.raises(ValidationError, match="delays_alert_after|greater than or equal to 1"):
        partnership.full_clean()


def test_the_partnership_form_has_the_new_settings(staff_client, world):
    page = staff_client.get(reverse("admin:agencies_partnership_change", args=[world["partnership"].pk]))
    text = page.content.decode()
    assert 'name="start_of_working_day"' in text and 'name="delays_alert_after"' in text


def test_changing_only_the_start_of_the_working_day_moves_no_deadline(staff_client, world):
    partnership = world["partnership"]
    data = {**_partnership_post(partnership, []), "start_of_working_day": "08:30"}
    response = staff_client.post(reverse("admin:agencies_partnership_change", args=[partnership.pk]), data, follow=True)
    assert response.status_code == 200
    partnership.refresh_from_db()
    assert partnership.start_of_working_day == dt.time(8, 30)
    assert partnership.calendar_changed_at is None  # no rescheduling queued: no stored moment depends on it
    assert "The open deadlines are being moved" not in response.content.decode()
