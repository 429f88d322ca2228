"""Working an action: each status and its effect on the deadline, due date changes, reassigning (DOMAIN 4, 5)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from actions import services
from actions.access import get_action_for_user
from actions.models import Action
from core.timescales import LONDON, due_soon_at, escalation_at
from referrals.models import Deadline
from tests.builders import DUE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BEFORE_DUE = dt.datetime(2026, 11, 24, 15, 0, tzinfo=LONDON)
AFTER_DUE = dt.datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)


def _checker(user, action):
    return get_action_for_user(user, action.pk)[1]


def _set(user, action, status, note="", now=BEFORE_DUE):
    return services.action_set_status(
        acting_user=user, checker=_checker(user, action), status=status, note=note, now=now
    )


def test_an_agreed_action_owns_an_open_action_deadline_for_its_lead_agency(police_action, world):
    deadline = police_action.deadline
    assert (deadline.rule, deadline.state, deadline.due_at) == ("ACTION", "open", DUE)
    assert (deadline.agency, deadline.responsible) == (world["police_agency"], world["police"])


def test_in_progress_keeps_the_deadline_open(police_action, world):
    _set(world["police"], police_action, "in_progress")
    police_action.refresh_from_db()
    assert police_action.status == "in_progress"
    assert Deadline.objects.get(pk=police_action.deadline_id).state == "open"


def test_done_needs_a_note_and_meets_the_deadline(police_action, world):
    with pytest.raises(ValidationError, match="completion note is needed"):
        _set(world["police"], police_action, "done", note=" ")
    assert Action.objects.get(pk=police_action.pk).status == "open"
    _set(world["police"], police_action, "done", note="Invented: records checked", now=AFTER_DUE)
    police_action.refresh_from_db()
    deadline = Deadline.objects.get(pk=police_action.deadline_id)
    assert (police_action.status, police_action.completion_note) == ("done", "Invented: records checked")
    assert (deadline.state, deadline.met_at, deadline.met_by) == ("met", AFTER_DUE, "Action done")
    assert deadline.met_late


def test_cancelled_needs_a_reason_and_stops_the_deadline(police_action, world):
    with pytest.raises(ValidationError, match="reason the action is cancelled"):
        _set(world["tm"], police_action, "cancelled")
    _set(world["tm"], police_action, "cancelled", note="Invented: no longer needed")
    police_action.refresh_from_db()
    deadline = Deadline.objects.get(pk=police_action.deadline_id)
    assert (police_action.status, police_action.cancel_reason) == ("cancelled", "Invented: no longer needed")
    assert (deadline.state, deadline.stop_reason) == ("stopped", "Action cancelled: Invented: no longer needed")


def test_a_finished_action_cannot_change_again(police_action, world):
    _set(world["police"], police_action, "done", note="Invented")
    with pytest.raises(ValidationError, match="cannot change"):
        _set(world["police"], police_action, "open")


def test_a_due_date_change_needs_a_reason_and_moves_the_deadline_through_the_engine(police_action, world):
    new_due = dt.datetime(2026, 11, 30, 17, 0, tzinfo=LONDON)
    with pytest.raises(ValidationError) as exc:
        services.action_change_due(
            acting_user=world["police"],
            checker=_checker(world["police"], police_action),
            due_at=new_due,
            reason="",
            now=BEFORE_DUE,
        )
    assert "reason" in exc.value.message_dict
    services.action_change_due(
        acting_user=world["police"],
        checker=_checker(world["police"], police_action),
        due_at=new_due,
        reason="Invented: the records office is closed",
        now=BEFORE_DUE,
    )
    deadline = Deadline.objects.select_related("partnership").get(pk=police_action.deadline_id)
    assert deadline.due_at == new_due
    assert deadline.due_soon_at == due_soon_at(deadline.starts_at, new_due, 0.25)
    assert deadline.escalate_at == escalation_at(new_due)
    latest = Action.objects.get(pk=police_action.pk).history.latest()
    assert latest.history_change_reason == "Due date changed: Invented: the records office is closed"
    assert latest.history_user == world["police"]
    assert deadline.history.latest().history_change_reason == "Due date changed: Invented: the records office is closed"


def test_a_due_date_in_the_past_is_refused(police_action, world):
    with pytest.raises(ValidationError) as exc:
        services.action_change_due(
            acting_user=world["police"],
            checker=_checker(world["police"], police_action),
            due_at=BEFORE_DUE - dt.timedelta(days=1),
            reason="Invented",
            now=BEFORE_DUE,
        )
    assert "due" in exc.value.message_dict


def test_another_agency_cannot_update_a_police_action(police_action, world):
    with pytest.raises(PermissionDenied):
        _set(world["health"], police_action, "done", note="Invented")
    assert Action.objects.get(pk=police_action.pk).status == "open"


def test_the_head_of_service_reads_but_does_not_update(police_action, world):
    checker = _checker(world["hos"], police_action)
    assert checker.can_view() and not checker.can_update()


def test_the_case_social_worker_and_the_chair_update_any_action(police_action, world):
    assert _checker(world["sw"], police_action).can_update()  # the case's allocated social worker
    assert _checker(world["tm"], police_action).can_update()  # the chair


def test_reassigning_within_the_agency_moves_the_deadline_to_the_new_person(police_action, world):
    colleague = UserFactory(username="police2", agency=world["police_agency"], roles=["police_officer"])
    services.action_reassign(
        acting_user=world["police"],
        checker=_checker(world["police"], police_action),
        lead_agency=world["police_agency"],
        person=colleague,
        contact_name="",
    )
    deadline = Deadline.objects.get(pk=police_action.deadline_id)
    assert (deadline.responsible, deadline.agency) == (colleague, world["police_agency"])


def test_reassigning_to_whoever_leads_it_already_is_refused_and_writes_no_history(police_action, world):
    """A walk: "Reassign" with nothing changed said "Action reassigned" and wrote a history entry."""
    versions = police_action.history.count()
    with pytest.raises(ValidationError) as refused:
        services.action_reassign(
            acting_user=world["police"],
            checker=_checker(world["police"], police_action),
            lead_agency=police_action.lead_agency,
            person=police_action.person,
            contact_name="",
        )
    assert refused.value.message_dict == {
        "person": [f"{police_action.person} already leads this action: choose someone else"]
    }
    assert police_action.history.count() == versions


def test_a_person_chosen_and_a_name_typed_is_asked_which(world):
    """A walk: a name typed beside the person already chosen was silently dropped, and "Action reassigned" said."""
    from actions.forms import ReassignForm

    form = ReassignForm(
        {"lead_agency": world["police_agency"].pk, "person": world["police"].pk, "contact_name": "DC Someone"},
        people=[world["police"]],
        agencies=[world["police_agency"]],
    )
    assert not form.is_valid()
    assert form.errors["contact_name"] == [
        f"Choose {world['police']} from the list or type the name of someone not listed, not both"
    ]


def test_moving_an_action_to_another_agency_is_the_chairs(police_action, world):
    health = world["health"].agency
    with pytest.raises(PermissionDenied):
        services.action_reassign(
            acting_user=world["police"],
            checker=_checker(world["police"], police_action),
            lead_agency=health,
            person=world["health"],
            contact_name="",
        )
    services.action_reassign(
        acting_user=world["tm"],
        checker=_checker(world["tm"], police_action),
        lead_agency=health,
        person=world["health"],
        contact_name="",
    )
    police_action.refresh_from_db()
    assert police_action.lead_agency == health
    assert Deadline.objects.get(pk=police_action.deadline_id).agency == health


def test_closing_the_case_cancels_unfinished_actions(police_action, world, discussion):
    from strategy import services as strategy_services
    from strategy.access import get_discussion_for_user

    # A discussion being held stops the case closing; end it first (everything it needs recorded).
    checker = get_discussion_for_user(world["tm"], discussion.pk)[1]
    invited = list(discussion.invitations.filter(status="invited"))
    rows = {i.pk: ("attended", False) for i in invited}
    names = {i.pk: (None, f"Invented attendee {i.pk}") for i in invited if not i.person_id}  # who attended, named
    strategy_services.attendance_save(acting_user=world["tm"], checker=checker, rows=rows, names=names, version=None)
    child = discussion.children.get()
    strategy_services.decision_save(
        acting_user=world["tm"],
        checker=checker,
        child=child,
        data={"nfa": True, "reasoning": "Invented"},
        version=None,
        now=BEFORE_DUE,
    )
    strategy_services.standing_save(
        acting_user=world["tm"],
        checker=checker,
        data={
            "police_decision": "no_investigation",
            "police_decision_reason": "Invented",
            "police_decision_maker": "DS Invented",
            "legal_advice_sought": False,
            "protection": "none",
        },
        children={child.pk: {"cin_support": "not_needed", "cin_support_reason": "Invented"}},
        version=None,
        now=BEFORE_DUE,
    )
    strategy_services.child_risk_save(
        acting_user=world["tm"],
        checker=checker,
        child=child,
        data={"worry": "Invented", "impact": "Invented", "factors": "Invented", "reduce": "Invented", "level": "low"},
        version=None,
    )
    strategy_services.discussion_end(acting_user=world["tm"], checker=checker, now=BEFORE_DUE)
    strategy_services.case_close(
        acting_user=world["tm"],
        referral=discussion.referral,
        outcome="early_help",
        reason="Invented reason",
        now=BEFORE_DUE,
    )
    police_action.refresh_from_db()
    assert (police_action.status, police_action.cancel_reason) == ("cancelled", "Case closed")
    assert Deadline.objects.get(pk=police_action.deadline_id).state == "stopped"


def test_an_action_cannot_move_to_an_agency_that_cannot_see_the_case(police_action, world):
    from tests.factories import AgencyFactory

    school = AgencyFactory(partnership=world["partnership"], name="Invented Uninvited School", agency_type="education")
    with pytest.raises(ValidationError, match="Invite Invented Uninvited School"):
        services.action_reassign(
            acting_user=world["tm"],
            checker=_checker(world["tm"], police_action),
            lead_agency=school,
            person=None,
            contact_name="Invented Teacher",
        )
    assert Action.objects.get(pk=police_action.pk).lead_agency == world["police_agency"]


def test_a_progress_note_is_kept_in_the_history(police_action, world):
    _set(world["police"], police_action, "in_progress", note="Invented: records requested")
    latest = Action.objects.get(pk=police_action.pk).history.latest()
    assert latest.history_change_reason == "Status: in progress: Invented: records requested"


def test_only_the_chair_or_the_social_worker_moves_an_overdue_actions_date(police_action, world):
    new_due = dt.datetime(2026, 11, 30, 17, 0, tzinfo=LONDON)
    with pytest.raises(PermissionDenied):
        services.action_change_due(
            acting_user=world["police"],
            checker=_checker(world["police"], police_action),
            due_at=new_due,
            reason="Invented",
            now=AFTER_DUE,
        )
    services.action_change_due(
        acting_user=world["tm"],
        checker=_checker(world["tm"], police_action),
        due_at=new_due,
        reason="Invented",
        now=AFTER_DUE,
    )
    assert Deadline.objects.get(pk=police_action.deadline_id).due_at == new_due
