"""The demo's actions are in every state at the moment it is seeded from, worked through the action services."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command

from actions.access import get_action_for_user
from actions.models import Action, ActionStatus
from actions.selectors import agency_actions, dashboard_tabs, my_actions, open_deadlines, overdue_deadlines
from agencies.models import User
from core.timescales import LONDON
from referrals.models import DeadlineState

pytestmark = pytest.mark.django_db

AGENCIES = {"Demo Police", "Demo Health Trust", "Demo Children's Social Care", "Demo Primary School"}

# A Wednesday mid-morning; a leap day just before midnight; the night the clocks go forward (a Sunday).
MOMENTS = [
    dt.datetime(2026, 12, 2, 10, 30, tzinfo=LONDON),
    dt.datetime(2028, 2, 29, 23, 58, tzinfo=LONDON),
    dt.datetime(2027, 3, 28, 0, 30, tzinfo=LONDON),
]


@pytest.fixture(params=MOMENTS, ids=lambda moment: moment.strftime("%Y-%m-%dT%H:%M"))
def seeded_at(request, settings, demo_at) -> dt.datetime:
    settings.DEBUG = True
    demo_at(request.param)
    return request.param


def user(username: str) -> User:
    return User.objects.get(username=username)


def demo_actions():
    return Action.objects.select_related("deadline", "lead_agency", "person")


def is_overdue(action: Action, now: dt.datetime) -> bool:
    return action.status in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS) and action.deadline.due_at < now


def is_due_soon(action: Action, now: dt.datetime) -> bool:
    deadline = action.deadline
    return deadline.state == DeadlineState.OPEN and deadline.due_soon_at <= now < deadline.due_at


def test_every_status_is_present_and_every_agency_leads_actions(seeded_at):
    assert set(Action.objects.values_list("status", flat=True)) == set(ActionStatus.values)
    assert set(Action.objects.values_list("lead_agency__name", flat=True)) == AGENCIES
    for agency in AGENCIES:
        states = set(Action.objects.filter(lead_agency__name=agency).values_list("status", flat=True))
        assert len(states) >= 2, f"{agency} has actions in one state only: {states}"


def test_an_overdue_open_police_action_for_police_demo(seeded_at):
    overdue = [
        a
        for a in demo_actions().filter(lead_agency__name="Demo Police", person__username="police.demo")
        if a.status == ActionStatus.OPEN and is_overdue(a, seeded_at)
    ]
    assert overdue
    assert all(
        a.deadline.state == DeadlineState.OPEN and a.deadline.responsible.username == "police.demo" for a in overdue
    )
    # police.demo may work it, sees it in both lists, and the header counts it.
    police = user("police.demo")
    assert get_action_for_user(police, overdue[0].pk)[1].can_update()
    assert set(overdue) <= set(agency_actions(user=police, params={"due": "overdue"}, now=seeded_at).qs)
    assert set(overdue) <= set(my_actions(user=police, params={"due": "overdue"}, now=seeded_at).qs)
    assert overdue_deadlines(police, seeded_at).count() >= len(overdue)


def test_overdue_actions_in_police_health_and_csc(seeded_at):
    overdue = {a.lead_agency.name for a in demo_actions() if is_overdue(a, seeded_at)}
    assert {"Demo Police", "Demo Health Trust", "Demo Children's Social Care"} <= overdue


def test_done_late_and_done_on_time(seeded_at):
    done = list(demo_actions().filter(status=ActionStatus.DONE))
    late = [a for a in done if a.deadline.met_at > a.deadline.due_at]
    on_time = [a for a in done if a.deadline.met_at <= a.deadline.due_at]
    assert late and on_time
    assert {a.lead_agency.name for a in late} >= {"Demo Police", "Demo Health Trust"}
    for action in done:
        assert action.completion_note and action.deadline.state == DeadlineState.MET
        assert action.deadline.starts_at < action.deadline.met_at <= seeded_at
        assert action.deadline.met_by == "Action done"


def test_one_cancelled_with_its_reason(seeded_at):
    (cancelled,) = demo_actions().filter(status=ActionStatus.CANCELLED)
    assert cancelled.cancel_reason
    assert cancelled.deadline.state == DeadlineState.STOPPED and cancelled.deadline.stopped_at <= seeded_at
    assert cancelled.deadline.stop_reason == f"Action cancelled: {cancelled.cancel_reason}"


def test_due_soon_and_on_track_and_in_progress(seeded_at):
    actions = list(demo_actions())
    due_soon = [a for a in actions if is_due_soon(a, seeded_at)]
    assert {a.lead_agency.name for a in due_soon} >= {"Demo Police", "Demo Children's Social Care"}
    on_track = [a for a in actions if a.deadline.state == DeadlineState.OPEN and seeded_at < a.deadline.due_soon_at]
    assert on_track
    in_progress = {a.lead_agency.name for a in actions if a.status == ActionStatus.IN_PROGRESS}
    assert in_progress == AGENCIES
    for action in actions:
        assert action.deadline.starts_at == action.created_at  # the window runs from when it was agreed


@pytest.mark.parametrize("moment", MOMENTS, ids=lambda moment: moment.strftime("%Y-%m-%dT%H:%M"))
def test_the_due_soon_moment_is_a_quarter_of_the_window_before_it_is_due(moment, demo_at):
    demo_at(moment)
    for action in demo_actions():
        deadline = action.deadline  # moments from the database are in UTC: real elapsed time
        window = deadline.due_at - deadline.starts_at
        assert deadline.due_soon_at == deadline.due_at - window * 0.25, action.what


def test_the_team_managers_team_tab_and_the_head_of_services_agency_tab(seeded_at):
    tm, hos = user("tm.demo"), user("hos.demo")
    assert "team" in dashboard_tabs(tm) and "agency" in dashboard_tabs(hos)
    team = list(open_deadlines(user=tm, tab="team", params={}).qs.select_related("responsible"))
    assert team and {d.responsible.username for d in team} == {"sw.demo"}
    team_actions = [d for d in team if hasattr(d, "action")]
    assert any(d.due_at < seeded_at for d in team_actions)  # an overdue action of sw.demo's
    assert any(d.due_soon_at <= seeded_at < d.due_at for d in team_actions)  # and one due soon
    agency = open_deadlines(user=hos, tab="agency", params={}).qs
    assert agency.exists()
    assert agency.filter(action__isnull=False).exists()


def test_every_demo_user_of_a_lead_agency_has_their_own_actions(seeded_at):
    for username in ("police.demo", "health.demo", "sw.demo", "dsl.demo"):
        assert my_actions(user=user(username), params={}, now=seeded_at).qs.exists(), username


def test_the_status_changes_were_made_by_the_lead_or_the_chair_after_the_meeting(seeded_at):
    for action in demo_actions().exclude(status=ActionStatus.OPEN):
        latest = action.history.first()
        assert latest.history_change_reason == f"Status: {action.get_status_display().lower()}"
        agreed_in = action.agreed_in.discussion
        assert latest.history_user.username in {action.person.username, agreed_in.chair.username}
        assert agreed_in.ended_at < (action.deadline.met_at or action.deadline.stopped_at or seeded_at)


def test_seeding_again_works_no_action_again(seeded_at):
    before = list(Action.objects.order_by("pk").values_list("pk", "status", "due_at"))
    out = io.StringIO()
    call_command("seed_demo", now=seeded_at.isoformat(), stdout=out)
    assert list(Action.objects.order_by("pk").values_list("pk", "status", "due_at")) == before
    assert out.getvalue().endswith("0 strategy discussions, 0 actions created\n")


# --- Found while seeding: long reasons ---------------------------------------------------------------------

LONG_REASON = (
    "The health visitor had already referred Megan Wren to the parenting support service, which has started "
    "work with her this week."
)


@pytest.fixture
def demo_police_client(client, settings, demo_at):
    settings.DEBUG = True
    demo_at(MOMENTS[0])
    client.force_login(user("police.demo"))
    return client


def police_action() -> Action:
    return Action.objects.filter(lead_agency__name="Demo Police", status=ActionStatus.OPEN).first()


def test_cancelling_with_a_long_reason_is_saved(demo_police_client):
    action = police_action()
    response = demo_police_client.post(
        f"/actions/{action.pk}/status/", {"status-status": "cancelled", "status-note": LONG_REASON}
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.CANCELLED and action.cancel_reason == LONG_REASON


def test_changing_the_due_date_with_a_long_reason_is_saved(demo_police_client):
    # At the seeding moment, one of police's own actions not yet due (an overdue one's date is the chair's to move).
    action = (
        Action.objects.filter(lead_agency__name="Demo Police", status=ActionStatus.OPEN, due_at__gt=MOMENTS[0])
        .order_by("due_at")
        .first()
    )
    with time_machine.travel(MOMENTS[0], tick=False):
        demo_police_client.force_login(user("police.demo"))  # a session of that moment
        response = demo_police_client.post(
            f"/actions/{action.pk}/due/",
            {
                "due-due_date_0": "15",
                "due-due_date_1": "6",
                "due-due_date_2": "2031",
                "due-due_time": "17:00",
                "due-reason": LONG_REASON,
            },
        )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.due_at.year == 2031
