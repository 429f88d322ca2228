"""Professional disagreements (DOMAIN section 7, issue 30): raising, each stage, each clock, the watcher, who may."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from actions.alerts import sweep
from actions.models import AlertKind, AlertStage, Notification
from agencies.selectors import partnership_calendar
from core.presenters import RULE_NAMES
from core.timescales import Rule, due_at, to_local
from disputes.access import get_disagreement_for_user, may_raise
from disputes.models import Disagreement, DisagreementStatus, Stage, StageResult, Subject
from minutes.record import snapshot
from referrals.models import DeadlineState
from strategy import services as strategy_services
from tests import builders
from tests.disputes.builders import RAISED, managed, raise_, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispute_people(world):
    return managed(world)


@pytest.fixture
def case_in_dispute(dispute_people):
    """A case with a discussion to which police and the school are invited (health never is)."""
    case_in_dispute = builders.case(dispute_people)
    builders.convene(
        dispute_people,
        case_in_dispute,
        invitations=[
            {"agency": dispute_people["police_agency"], "person": dispute_people["police"], "role": "Police officer"},
            {
                "agency": dispute_people["school"],
                "person": dispute_people["school_dsl"],
                "role": "Designated safeguarding lead",
            },
        ],
    )
    return case_in_dispute


def _subject_data(dispute_people, case_in_dispute, subject):
    if subject == Subject.CHILD_DECISION:
        return {"child": builders.children_of(case_in_dispute)[0]}
    if subject == Subject.ACTION:
        discussion = case_in_dispute.discussions.get()
        return {
            "action": builders.add_action(
                dispute_people, discussion, lead=dispute_people["police_agency"], person=dispute_people["police"]
            )
        }
    return {}


@pytest.mark.parametrize("subject", Subject.values)
def test_raising_starts_stage_1_held_by_the_person_disagreed_with_on_its_clock(
    dispute_people, case_in_dispute, subject
):
    extra = _subject_data(dispute_people, case_in_dispute, subject)
    disagreement = raise_(dispute_people, case_in_dispute, subject=subject, **extra)

    stage = Stage.objects.get(disagreement=disagreement)
    assert (disagreement.status, disagreement.stage, stage.number) == (DisagreementStatus.OPEN, 1, 1)
    assert stage.holder == dispute_people["sw"] and list(stage.participants.all()) == [dispute_people["police"]]
    assert disagreement.raised_by_agency == dispute_people["police_agency"]
    assert disagreement.child == extra.get("child") and disagreement.action == extra.get("action")
    clock = disagreement.deadline
    assert clock == stage.deadline and clock.rule == Rule.DISAGREEMENT_STAGE_1
    # From the engine: 1 working day, end of the working day (Monday 13:00 -> Tuesday 17:00).
    assert clock.due_at == due_at(Rule.DISAGREEMENT_STAGE_1, RAISED, partnership_calendar(case_in_dispute.partnership))
    assert to_local(clock.due_at) == dt.datetime(2026, 11, 24, 17, 0, tzinfo=to_local(clock.due_at).tzinfo)
    assert (clock.responsible, clock.agency, clock.state) == (
        dispute_people["sw"],
        dispute_people["csc"],
        DeadlineState.OPEN,
    )
    assert disagreement.history.first().history_user == dispute_people["police"]
    assert stage.history.filter(
        history_change_reason="Disagreement at stage 1", history_user=dispute_people["police"]
    ).exists()


def test_a_subject_naming_a_child_or_an_action_needs_one_of_this_case(dispute_people, case_in_dispute):
    other_case = builders.case(dispute_people)
    with pytest.raises(ValidationError) as raised:
        raise_(dispute_people, case_in_dispute, subject=Subject.CHILD_DECISION)
    assert raised.value.message_dict == {"child": ["Select the child the decision is about"]}
    with pytest.raises(ValidationError) as raised:
        raise_(
            dispute_people, case_in_dispute, subject=Subject.CHILD_DECISION, child=builders.children_of(other_case)[0]
        )
    assert raised.value.message_dict == {"child": ["Select a child of this case"]}
    with pytest.raises(ValidationError) as raised:
        raise_(dispute_people, case_in_dispute, subject=Subject.ACTION)
    assert raised.value.message_dict == {"action": ["Select the action"]}
    assert not Disagreement.objects.exists()


def test_bad_input_is_refused_with_every_problem_on_its_field_and_nothing_saved(dispute_people, case_in_dispute):
    with pytest.raises(ValidationError) as raised:
        raise_(
            dispute_people,
            case_in_dispute,
            subject="nonsense",
            with_agency=None,
            with_person="police",  # the raiser themselves
            outcome_sought="   ",
        )
    assert set(raised.value.message_dict) == {"subject", "with_agency", "outcome_sought", "with_person"}
    with pytest.raises(ValidationError) as raised:
        raise_(dispute_people, case_in_dispute, with_agency=dispute_people["police_agency"])  # sw is not of the police
    assert raised.value.message_dict == {"with_person": ["Select a person of the agency you disagree with"]}
    assert not Disagreement.objects.exists() and not Stage.objects.exists()
    assert not case_in_dispute.deadlines.filter(rule=Rule.DISAGREEMENT_STAGE_1).exists()


def test_who_may_raise_one(dispute_people, case_in_dispute):
    # Practitioners who see the case, and of any agency invited to it; not business support, an analyst, an agency
    # never invited or another partnership.
    for name in ("sw", "tm", "hos", "police", "school_dsl"):
        assert may_raise(dispute_people[name], case_in_dispute), name
    for name in ("admin", "analyst", "health", "outsider", "other_sw"):
        assert not may_raise(dispute_people[name], case_in_dispute), name
    with pytest.raises(PermissionDenied):
        raise_(dispute_people, case_in_dispute, by="health")
    # The agency that referred the case may, even never invited.
    case_in_dispute.referrer_agency = dispute_people["health"].agency
    case_in_dispute.save()
    assert may_raise(dispute_people["health"], case_in_dispute)


def test_an_invited_agency_raises_one_after_closure_without_seeing_the_case(dispute_people, case_in_dispute):
    strategy_services.case_close(
        acting_user=dispute_people["tm"],
        referral=case_in_dispute,
        outcome="threshold_not_met",
        reason="Invented",
        now=RAISED,
    )
    from referrals.access import ReferralChecker

    assert not ReferralChecker.for_user(dispute_people["police"], case_in_dispute).can_view()
    disagreement = raise_(
        dispute_people, case_in_dispute, subject=Subject.DISCUSSION_OUTCOME, now=RAISED + dt.timedelta(hours=1)
    )
    assert disagreement.deadline.state == DeadlineState.OPEN
    assert not ReferralChecker.for_user(
        dispute_people["police"], case_in_dispute
    ).can_view()  # raising grants no other access
    # Withdrawing an agency's invitation does not take away that it was invited.
    assert may_raise(dispute_people["school_dsl"], case_in_dispute)


def test_stage_1_resolved_meets_its_clock_and_ends_the_disagreement(dispute_people, case_in_dispute):
    disagreement = raise_(dispute_people, case_in_dispute)
    clock = disagreement.deadline
    at = RAISED + dt.timedelta(hours=2)
    disagreement = record(dispute_people, disagreement, by="sw", result=StageResult.RESOLVED, now=at)

    clock.refresh_from_db()
    assert (clock.state, clock.met_at, clock.met_recorded_by) == (DeadlineState.MET, at, dispute_people["sw"])
    assert (disagreement.status, disagreement.ended_at, disagreement.deadline) == (
        DisagreementStatus.RESOLVED,
        at,
        None,
    )
    stage = disagreement.stages.get()
    assert (stage.result, stage.said, stage.recorded_by) == (
        "resolved",
        "Invented: we talked it through.",
        dispute_people["sw"],
    )
    assert stage.history.first().history_change_reason == "Disagreement resolved at stage 1"


def test_stage_1_escalated_opens_stage_2_held_by_the_line_manager_on_its_clock(dispute_people, case_in_dispute):
    disagreement = raise_(dispute_people, case_in_dispute)  # police with the social worker
    first = disagreement.deadline
    at = RAISED + dt.timedelta(hours=2)
    disagreement = record(dispute_people, disagreement, by="sw", result=StageResult.ESCALATED, now=at)

    first.refresh_from_db()
    assert first.state == DeadlineState.MET
    stage = disagreement.stages.get(number=2)
    # Between the line managers: the social worker's (who holds it) and the police officer's.
    assert stage.holder == dispute_people["tm"] and list(stage.participants.all()) == [dispute_people["police_manager"]]
    clock = disagreement.deadline
    assert clock == stage.deadline and clock.rule == Rule.DISAGREEMENT_STAGE_2
    assert clock.due_at == due_at(Rule.DISAGREEMENT_STAGE_2, at, partnership_calendar(case_in_dispute.partnership))
    assert to_local(clock.due_at).date() == dt.date(2026, 11, 25)  # 2 working days: Wednesday, 17:00
    assert clock.responsible == dispute_people["tm"]


def test_a_team_managers_decision_goes_to_the_head_of_service_at_stage_2(dispute_people, case_in_dispute):
    disagreement = raise_(dispute_people, case_in_dispute, with_person="tm", subject=Subject.S47_OUTCOME)
    disagreement = record(dispute_people, disagreement, by="tm", result=StageResult.ESCALATED, now=RAISED)
    assert disagreement.stages.get(number=2).holder == dispute_people["hos"]
    # tm has a manager who is not head of service: still CSC's head of service.
    dispute_people["tm"].line_manager = None
    dispute_people["tm"].save()
    second = raise_(dispute_people, case_in_dispute, with_person="tm")
    second = record(dispute_people, second, by="tm", result=StageResult.ESCALATED, now=RAISED)
    assert second.stages.get(number=2).holder == dispute_people["hos"]


def test_stage_2_escalated_moves_to_a_strategy_discussion_on_its_own_clock(dispute_people, case_in_dispute):
    disagreement = raise_(dispute_people, case_in_dispute)
    disagreement = record(dispute_people, disagreement, by="sw", result=StageResult.ESCALATED, now=RAISED)
    second = disagreement.deadline
    disagreement = record(
        dispute_people, disagreement, by="tm", result=StageResult.ESCALATED, now=RAISED + dt.timedelta(days=1)
    )
    second.refresh_from_db()
    assert second.state == DeadlineState.MET
    third = disagreement.stages.get(number=3)
    assert (disagreement.stage, disagreement.status, disagreement.deadline) == (
        3,
        DisagreementStatus.OPEN,
        third.deadline,
    )
    # Held by CSC's strategy discussion lead, on the stage-3 clock (tests/disputes/test_stage3.py: the rest).
    assert third.holder == dispute_people["hos"] and third.deadline.rule == Rule.DISAGREEMENT_STAGE_3
    assert get_disagreement_for_user(dispute_people["police_manager"], disagreement.pk).results_allowed() == []


def test_who_raised_it_may_withdraw_it_only_and_the_clock_stops(dispute_people, case_in_dispute):
    disagreement = raise_(dispute_people, case_in_dispute)
    with pytest.raises(ValidationError) as raised:
        record(dispute_people, disagreement, by="police", result=StageResult.RESOLVED, now=RAISED)
    assert list(raised.value.message_dict) == ["result"]
    with pytest.raises(PermissionDenied):
        record(
            dispute_people, disagreement, by="hos", result=StageResult.RESOLVED, now=RAISED
        )  # sees it, does not hold it
    with pytest.raises(ValidationError) as raised:
        record(dispute_people, disagreement, by="sw", result=StageResult.RESOLVED, said=" ", now=RAISED)
    assert raised.value.message_dict == {"said": ["Enter what was said"]}
    disagreement = record(dispute_people, disagreement, by="police", result=StageResult.WITHDRAWN, now=RAISED)
    clock = disagreement.stages.get().deadline
    assert (clock.state, clock.stop_reason) == (DeadlineState.STOPPED, "Disagreement withdrawn at stage 1")
    assert disagreement.status == DisagreementStatus.WITHDRAWN


def test_the_person_disagreed_with_cannot_withdraw_it_and_the_raiser_is_told_what_they_recorded(
    dispute_people, case_in_dispute
):
    """A walk of `make run`: the person a disagreement was raised with could end it as withdrawn, alone, and the
    raiser was never told. Withdrawing is the raiser's; a stage recorded by someone else alerts the raiser."""
    disagreement = raise_(dispute_people, case_in_dispute)
    assert get_disagreement_for_user(dispute_people["sw"], disagreement.pk).results_allowed() == [
        StageResult.RESOLVED,
        StageResult.ESCALATED,
    ]
    with pytest.raises(ValidationError) as raised:
        record(dispute_people, disagreement, by="sw", result=StageResult.WITHDRAWN, now=RAISED)
    assert raised.value.message_dict == {
        "result": [
            "Only the person who raised the disagreement can withdraw it: record whether it was resolved or escalated"
        ]
    }
    assert not Notification.objects.filter(user=dispute_people["police"]).exists()
    disagreement = record(dispute_people, disagreement, by="sw", result=StageResult.RESOLVED, now=RAISED)
    (told,) = Notification.objects.filter(user=dispute_people["police"]).select_related("alert")
    assert told.alert.kind == AlertKind.DISAGREEMENT_RECORDED
    assert told.alert.link == f"/disagreements/{disagreement.pk}/"
    assert told.alert.message == (
        "Stage 1 of a professional disagreement you raised was recorded as resolved. Open it to read what was said."
    )
    assert all(person.first_name not in told.alert.message for person in disagreement.referral.people.all())


def test_the_raiser_withdrawing_is_told_nothing(dispute_people, case_in_dispute):
    disagreement = raise_(dispute_people, case_in_dispute)
    record(dispute_people, disagreement, by="police", result=StageResult.WITHDRAWN, now=RAISED)
    assert not Notification.objects.filter(alert__kind=AlertKind.DISAGREEMENT_RECORDED).exists()


def test_the_watcher_chases_an_overdue_stage_to_the_holders_line_manager(dispute_people, case_in_dispute):
    disagreement = raise_(dispute_people, case_in_dispute)
    clock = disagreement.deadline
    sweep(now=clock.due_at + dt.timedelta(minutes=1))
    overdue = Notification.objects.filter(alert__deadline=clock, alert__stage=AlertStage.OVERDUE)
    assert set(overdue.values_list("user__username", flat=True)) == {"sw", "tm"}
    sweep(now=clock.escalate_at + dt.timedelta(minutes=1))
    escalated = Notification.objects.filter(alert__deadline=clock, alert__stage=AlertStage.ESCALATED)
    assert set(escalated.values_list("user__username", flat=True)) == {"hos"}


def test_closing_the_case_leaves_a_disagreements_clock_running(dispute_people, case_in_dispute):
    disagreement = raise_(dispute_people, case_in_dispute)
    strategy_services.case_close(
        acting_user=dispute_people["tm"],
        referral=case_in_dispute,
        outcome="threshold_not_met",
        reason="Invented",
        now=RAISED,
    )
    disagreement.deadline.refresh_from_db()
    assert disagreement.deadline.state == DeadlineState.OPEN


def test_the_stage_clocks_are_partnership_settings(dispute_people, case_in_dispute):
    partnership = case_in_dispute.partnership
    partnership.disagreement_stage_1_days = 3
    partnership.save()
    case_in_dispute.refresh_from_db()
    disagreement = raise_(dispute_people, case_in_dispute)
    assert to_local(disagreement.deadline.due_at).date() == dt.date(2026, 11, 26)  # Monday + 3 working days


def test_a_stage_clock_is_not_moved_later_from_the_case(dispute_people, case_in_dispute):
    from django.test import Client
    from django.urls import reverse

    from referrals.deadlines import deadline_move_later
    from tests.conftest import _client_for

    clock = raise_(dispute_people, case_in_dispute).deadline
    with pytest.raises(ValidationError) as raised:
        deadline_move_later(
            acting_user=dispute_people["tm"],
            deadline=clock,
            due=clock.due_at + dt.timedelta(days=2),
            reason="x",
            now=RAISED,
        )
    assert "recorded on the disagreement's page" in str(raised.value)
    tm: Client = _client_for(dispute_people["tm"])
    url = reverse("referrals:deadline_move", kwargs={"pk": case_in_dispute.pk, "deadline_pk": clock.pk})
    assert tm.get(url).status_code == 404


def test_the_minutes_never_list_a_disagreements_clocks(dispute_people, case_in_dispute):
    """The minutes go to every invited agency and to recipients with no account: a disagreement, seen only by those
    party to it, has no place in the case's deadlines they list (DOMAIN section 7)."""
    discussion = case_in_dispute.discussions.get()
    builders.start(dispute_people, discussion, now=RAISED)
    builders.attend(dispute_people, discussion)
    strategy_services.proceed_save(  # health was not invited: the meeting goes ahead without it, with the reason
        acting_user=dispute_people["tm"],
        checker=builders.checker(dispute_people["tm"], discussion),
        agencies=[builders.health_agency(dispute_people)],
        reason="Invented: the child cannot wait.",
        urgency="Invented: risk tonight.",
        now=RAISED,
        version=None,
    )
    builders.assess(dispute_people, discussion)
    for child in discussion.children.all():
        builders.decide(dispute_people, discussion, child, now=RAISED)
    builders.full_plan(dispute_people, discussion)
    builders.end(dispute_people, discussion, now=RAISED + dt.timedelta(hours=1))
    disagreement = raise_(dispute_people, case_in_dispute, now=RAISED + dt.timedelta(hours=2))
    assert disagreement.deadline is not None
    listed = snapshot(discussion, now=RAISED + dt.timedelta(hours=3))["sections"]["deadlines"]
    assert listed, "the case's own clocks are listed"
    names = " ".join(str(row) for row in listed)
    assert str(RULE_NAMES[Rule.DISAGREEMENT_STAGE_1]) not in names
    assert case_in_dispute.deadlines.count() == len(listed) + 1  # all but the disagreement's clock
