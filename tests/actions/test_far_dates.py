"""Issue 26: an action due 31/12/9999 gave a 500 (OverflowError in the timescale engine). Refused, every way in."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from actions.access import get_action_for_user
from actions.models import Action
from core import timescales
from core.timescales import LONDON
from referrals.models import Deadline
from tests.builders import add_action

pytestmark = pytest.mark.django_db

BEFORE_DUE = dt.datetime(2026, 11, 24, 15, 0, tzinfo=LONDON)
FAR = dt.datetime(9999, 12, 31, 17, 0, tzinfo=LONDON)


def test_the_engine_refuses_a_date_it_cannot_count_with_a_clean_error_not_an_overflow():
    for call in (
        lambda: timescales.escalation_at(FAR),
        lambda: timescales.due_at(timescales.Rule.SD_STANDARD, FAR),
        lambda: timescales.add_working_days(dt.date(9999, 12, 31), 1, timescales.DEFAULT_CALENDAR),
        lambda: timescales.end_of_date(dt.date(9999, 12, 31)),
        lambda: timescales.due_at(timescales.Rule.ASSESSMENT, dt.datetime(1, 1, 2, tzinfo=dt.UTC)),
    ):
        with pytest.raises(timescales.OutOfRange, match="outside the dates the timescale engine counts"):
            call()
    assert issubclass(timescales.OutOfRange, ValueError)
    with pytest.raises(timescales.OutOfRange):
        timescales.add_working_days(dt.date(2026, 11, 23), 10**9, timescales.DEFAULT_CALENDAR)


def test_an_action_agreed_for_9999_is_refused_by_the_service_and_nothing_is_saved(world, discussion):
    actions_before, deadlines_before = Action.objects.count(), Deadline.objects.count()
    with pytest.raises(ValidationError) as exc:
        add_action(world, discussion, lead=world["police_agency"], person=world["police"], due=FAR)
    assert "due" in exc.value.message_dict
    assert (Action.objects.count(), Deadline.objects.count()) == (actions_before, deadlines_before)


def test_moving_an_action_to_9999_is_refused_by_the_service_and_nothing_changes(world, police_action):
    from actions import services

    with pytest.raises(ValidationError) as exc:
        services.action_change_due(
            acting_user=world["police"],
            checker=get_action_for_user(world["police"], police_action.pk)[1],
            due_at=FAR,
            reason="Invented",
            now=BEFORE_DUE,
        )
    assert "due" in exc.value.message_dict
    assert Action.objects.get(pk=police_action.pk).due_at == police_action.due_at


@pytest.mark.parametrize("year", ["9999", "2040", "1066"])
def test_a_due_date_far_ahead_on_the_page_is_a_gov_uk_error_on_its_field(police_action, police_client, year):
    url = reverse("actions:due", kwargs={"action_pk": police_action.pk})
    with time_machine.travel(BEFORE_DUE, tick=False):
        response = police_client.post(
            url,
            {
                "due-due_date_0": "31",
                "due-due_date_1": "12",
                "due-due_date_2": year,
                "due-due_time": "17:00",
                "due-reason": "Invented: typed the wrong year",
            },
        )
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page and 'href="#id_due-due_date_0"' in page
    if year == "1066":
        assert "New due date must be after 1 January 1900: check the year" in page
    else:
        assert "New due date must be no more than 5 years from today (on or before 24 November 2031)" in page
    assert 'value="Invented: typed the wrong year"' in page or "Invented: typed the wrong year" in page
    assert Action.objects.get(pk=police_action.pk).due_at == police_action.due_at


def test_a_due_date_within_the_bound_is_accepted(police_action, police_client):
    url = reverse("actions:due", kwargs={"action_pk": police_action.pk})
    with time_machine.travel(BEFORE_DUE, tick=False):
        response = police_client.post(
            url,
            {
                "due-due_date_0": "24",
                "due-due_date_1": "11",
                "due-due_date_2": "2031",
                "due-due_time": "17:00",
                "due-reason": "Invented: a long wait",
            },
        )
    assert response.status_code == 302
