"""The referral services: deadlines from the engine with the partnership's calendar, one transaction each."""

import datetime as dt

import pytest
from django.urls import reverse

from agencies.models import ClosureDay, Jurisdiction
from agencies.timescales import LONDON
from referrals.models import Referral, Urgency
from tests.factories import make_referral

pytestmark = pytest.mark.django_db

MONDAY_10AM = dt.datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)


def test_local_closure_day_moves_the_deadline(world):
    ClosureDay.objects.create(partnership=world["partnership"], date=dt.date(2026, 11, 25), reason="Office move")
    referral = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    # Tue 24 is day 1, Wed 25 is closed, Thu 26 day 2, Fri 27 day 3.
    assert referral.sd_due_at == dt.datetime(2026, 11, 27, 17, 0, tzinfo=LONDON)


def test_partnership_settings_feed_the_engine(world):
    partnership = world["partnership"]
    partnership.standard_sd_days = 2
    partnership.end_of_working_day = dt.time(16, 0)
    partnership.save()
    referral = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    assert referral.sd_due_at == dt.datetime(2026, 11, 25, 16, 0, tzinfo=LONDON)


def test_scottish_partnership_uses_scottish_bank_holidays(world):
    partnership = world["partnership"]
    partnership.jurisdiction = Jurisdiction.SCOTLAND
    partnership.save()
    # Thu 31 Dec 2026: 1 Jan (Fri) and 2 Jan are Scottish holidays; 2 Jan is a Saturday, so Mon 4 Jan is
    # the substitute day, and day 1 is Tue 5 Jan.
    referral = make_referral(
        acting_user=world["sw"],
        received_at=dt.datetime(2026, 12, 31, 15, 0, tzinfo=LONDON),
        urgency=Urgency.IMMEDIATE_ACTION,
        immediate_action_taken=True,
        immediate_action_agency=world["police_agency"],
        immediate_action_details="Police protection.",
    )
    assert referral.sd_due_at == dt.datetime(2027, 1, 5, 17, 0, tzinfo=LONDON)


def test_complex_referral_is_due_in_five_working_days(world):
    referral = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM, urgency=Urgency.COMPLEX)
    assert referral.sd_rule == "SD_COMPLEX"
    assert referral.sd_due_at == dt.datetime(2026, 11, 30, 17, 0, tzinfo=LONDON)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"children-TOTAL_FORMS": "abc", "household-TOTAL_FORMS": "-1"},
        {"children-TOTAL_FORMS": "100000", "children-INITIAL_FORMS": "0"},
        {"received_date_0": "\x00", "received_time": "99:99:99", "concerns": ["\u202e"], "urgency": ["a", "b"]},
        {"immediate_action_agency": "999999", "immediate_action_taken": "on", "urgency": "immediate_action"},
        {"children-TOTAL_FORMS": "1", "children-INITIAL_FORMS": "0", "children-0-date_of_birth_2": "99999999999"},
        {"received_date_0": "1", "received_date_1": "1", "received_date_2": "0001", "received_time": "00:00"},
    ],
)
def test_garbage_input_gets_a_page_not_a_500(sw_client, payload):
    response = sw_client.post(reverse("referrals:create"), payload)
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not Referral.objects.exists()


def test_garbage_input_to_edit_gets_a_page_not_a_500(sw_client, world):
    referral = make_referral(acting_user=world["sw"])
    response = sw_client.post(reverse("referrals:edit", args=[referral.pk]), {"version": "x", "urgency": "\x00"})
    assert response.status_code == 200
    referral.refresh_from_db()
    assert referral.version == 1


def test_a_new_closure_day_moves_deadlines_already_stored(world):
    waiting = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    assert waiting.sd_due_at == dt.datetime(2026, 11, 26, 17, 0, tzinfo=LONDON)

    closure = ClosureDay.objects.create(partnership=world["partnership"], date=dt.date(2026, 11, 24))
    waiting.refresh_from_db()
    assert waiting.sd_due_at == dt.datetime(2026, 11, 27, 17, 0, tzinfo=LONDON)
    assert waiting.history.first().history_change_reason == "Local closure days changed"

    closure.delete()
    waiting.refresh_from_db()
    assert waiting.sd_due_at == dt.datetime(2026, 11, 26, 17, 0, tzinfo=LONDON)


def test_changing_partnership_settings_moves_open_deadlines_only(world):
    waiting = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    held = make_referral(acting_user=world["sw"], received_at=MONDAY_10AM)
    held.status, held.sd_held_at = "discussion_held", MONDAY_10AM + dt.timedelta(days=1)
    held.save()

    partnership = world["partnership"]
    partnership.end_of_working_day = dt.time(16, 30)
    partnership.save()

    waiting.refresh_from_db()
    held.refresh_from_db()
    assert waiting.sd_due_at == dt.datetime(2026, 11, 26, 16, 30, tzinfo=LONDON)
    assert held.sd_due_at == dt.datetime(2026, 11, 26, 17, 0, tzinfo=LONDON)
