"""The minutes record the action plan as agreed when the meeting ended (DOMAIN section 6; issue 25, item 5).

Each action is frozen when its meeting ends (`Action.agreed`): later progress on the action (its status, a
new due date, another named person) belongs to the action's own page and neither shows in the minutes nor
asks for a new version. The chair's correction of what was agreed is a change to the record: a new version.
"""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from actions import services as actions_services
from actions.access import get_action_for_user
from actions.models import Action, ActionStatus
from agencies.models import Agency
from minutes import record, services
from minutes.models import MinutesVersion
from referrals.models import DeadlineState
from strategy import services as strategy_services
from tests import builders
from tests.minutes.conftest import AFTER, minutes_checker

pytestmark = pytest.mark.django_db

AGREED_DUE = "25 November 2026, 11:00"  # the conftest's action: due a day after the meeting ended


def approve(world, discussion, *, now=AFTER) -> MinutesVersion:
    return services.minutes_approve(acting_user=world["tm"], checker=minutes_checker(world["tm"], discussion), now=now)


def progress(world, action: Action, *, user="police") -> Action:
    """The lead agency works the action after the meeting: in progress, then a later due date."""
    checker = get_action_for_user(world[user], action.pk)[1]
    actions_services.action_set_status(
        acting_user=world[user], checker=checker, status=ActionStatus.IN_PROGRESS, note="", now=AFTER
    )
    checker = get_action_for_user(world[user], action.pk)[1]
    return actions_services.action_change_due(
        acting_user=world[user],
        checker=checker,
        due_at=action.due_at + dt.timedelta(days=7),
        reason="Invented: records held by another force",
        now=AFTER,
    )


def plan(snapshot) -> list[dict]:
    return snapshot["sections"]["actions"]


def test_progress_after_the_meeting_neither_shows_in_the_minutes_nor_asks_for_a_new_version(world, held):
    v1 = approve(world, held)
    action = held.agreed_actions.get()
    progress(world, action)
    held.refresh_from_db()
    assert record.changed_sections(v1.snapshot, services.live_snapshot(held, now=AFTER)) == []
    with pytest.raises(ValidationError, match="Nothing has changed since version 1"):
        approve(world, held)
    action.refresh_from_db()
    assert action.status == ActionStatus.IN_PROGRESS and action.deadline.due_at == action.due_at  # progress is kept


def test_version_1_approved_after_progress_shows_the_plan_as_it_stood_when_the_meeting_ended(world, held):
    progress(world, held.agreed_actions.get())
    v1 = approve(world, held)
    (row,) = plan(v1.snapshot)
    assert (row["status"], row["due"]) == ("Open", AGREED_DUE)
    assert row["what"] == "Invented: share police records with the social worker"


def test_the_chair_correcting_what_was_agreed_asks_for_a_new_version_that_shows_it(world, held, tm_client):
    v1 = approve(world, held)
    action = held.agreed_actions.get()
    corrected_due = action.due_at + dt.timedelta(days=1)
    response = tm_client.post(
        f"/actions/{action.pk}/agreed/",
        {
            "agreed-what": "Invented: share police and probation records with the social worker",
            "agreed-measure": "Invented: records received",
            "agreed-due_date_0": "26",
            "agreed-due_date_1": "11",
            "agreed-due_date_2": "2026",
            "agreed-due_time": "11:00",
            "agreed-reason": "Invented: the minute-taker missed probation",
        },
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.due_at == corrected_due and action.deadline.due_at == corrected_due  # still at the agreed date
    assert action.what.startswith("Invented: share police and probation")
    held.refresh_from_db()
    assert record.changed_sections(v1.snapshot, services.live_snapshot(held, now=AFTER)) == ["Action plan"]
    v2 = approve(world, held)
    (row,) = plan(v2.snapshot)
    assert row["what"].startswith("Invented: share police and probation") and row["due"] == "26 November 2026, 11:00"
    assert "What was agreed corrected: Invented: the minute-taker missed probation" in [
        h.history_change_reason for h in action.history.all()
    ]


def test_a_corrected_date_leaves_a_due_date_already_moved_as_it_was_moved(world, held):
    action = progress(world, held.agreed_actions.get())
    moved = action.due_at
    actions_services.action_correct_agreed(
        acting_user=world["tm"],
        checker=get_action_for_user(world["tm"], action.pk)[1],
        what=action.what,
        measure=action.measure,
        due_at=moved - dt.timedelta(days=6),
        reason="Invented: recorded wrongly",
        now=AFTER,
    )
    action.refresh_from_db()
    assert action.due_at == moved and action.deadline.state == DeadlineState.OPEN
    assert action.agreed["due_at"] == (moved - dt.timedelta(days=6)).isoformat()


def test_only_the_chair_corrects_what_was_agreed(world, held, sw_client, police_client):
    action = held.agreed_actions.get()
    for name in ("sw", "police"):
        with pytest.raises(PermissionDenied):
            actions_services.action_correct_agreed(
                acting_user=world[name],
                checker=get_action_for_user(world[name], action.pk)[1],
                what="Invented: other words",
                measure=action.measure,
                due_at=action.due_at,
                reason="Invented",
                now=AFTER,
            )
    assert sw_client.post(f"/actions/{action.pk}/agreed/", {}).status_code == 403
    assert police_client.post(f"/actions/{action.pk}/agreed/", {}).status_code == 403
    action.refresh_from_db()
    assert action.what == "Invented: share police records with the social worker"


def test_a_correction_without_its_reason_is_a_gov_uk_error_and_changes_nothing(world, held, tm_client):
    action = held.agreed_actions.get()
    response = tm_client.post(
        f"/actions/{action.pk}/agreed/",
        {"agreed-what": "Invented: other words", "agreed-measure": "", "agreed-reason": ""},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "govuk-error-summary" in text and "Give the reason for the correction" in text
    assert "Invented: other words" in text  # what was typed is kept
    action.refresh_from_db()
    assert action.what == "Invented: share police records with the social worker"


def test_an_action_added_to_the_record_after_the_meeting_is_a_change_to_the_minutes(world, held):
    v1 = approve(world, held)
    strategy_services.discussion_action_add(
        acting_user=world["tm"],
        checker=builders.checker(world["tm"], held),
        data={
            "what": "Invented: an action agreed at the meeting and missed from the record",
            "measure": "Invented: done",
            "lead_agency": Agency.objects.get(pk=world["police_agency"].pk),
            "person": world["police"],
            "due_at": AFTER + dt.timedelta(days=3),
        },
        now=AFTER,
    )
    held.refresh_from_db()
    assert record.changed_sections(v1.snapshot, services.live_snapshot(held, now=AFTER)) == ["Action plan"]
    assert held.agreed_actions.filter(agreed__isnull=True).count() == 0
