"""Strategy discussion services: guard rails, deadlines, quoracy, sections, access and history (DOMAIN 2, 3, 4)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from agencies.models import AgencyType
from agencies.selectors import partnership_calendar
from agencies.services import user_agency_group_sync
from core.timescales import LONDON, Rule, due_at, end_of_working_day_after
from referrals import services as referral_services
from referrals.access import Relationship, referrals_visible_to, relationship
from referrals.models import Deadline, ReferralStatus, Urgency
from strategy import services
from strategy.models import PLAN_ITEMS, Attendance, ChildDecision, ChildRisk, Discussion, Invitation, Trigger
from strategy.services import StaleSectionError
from tests.builders import (
    CONVENED,
    ENDED,
    MEETING,
    MONDAY_10AM,
    assess,
    attend,
    case,
    checker,
    child,
    children_of,
    convene,
    decide,
    end,
    full_plan,
    health_agency,
    hold,
    start,
)
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db


def calendar_of(world):
    return partnership_calendar(world["partnership"])


def fresh(deadline: Deadline) -> Deadline:
    return Deadline.objects.get(pk=deadline.pk)


# --- 1. Guard rails --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("chair", ["sw", "police"])
def test_convening_with_a_chair_who_is_not_a_csc_team_manager_is_refused(world, chair):
    referral = case(world)
    with pytest.raises(ValidationError) as exc:
        convene(world, referral, chair=world[chair])
    assert "chair" in exc.value.message_dict
    assert not Discussion.objects.filter(referral=referral).exists()


def test_a_decision_for_a_child_the_discussion_does_not_cover_is_refused(world):
    referral = case(world, children=[child("Covered"), child("Notcovered")])
    covered, not_covered = children_of(referral)
    discussion = convene(world, referral, children=[covered])
    with pytest.raises(ValidationError) as exc:
        decide(world, discussion, not_covered)
    assert "child" in exc.value.message_dict
    assert not ChildDecision.objects.filter(discussion=discussion).exists()


def test_an_icpc_decided_without_s47_is_refused(world):
    discussion = convene(world, case(world))
    with pytest.raises(ValidationError) as exc:
        decide(world, discussion, children_of(discussion.referral)[0], icpc=True)
    assert "decisions" in exc.value.message_dict
    assert not ChildDecision.objects.filter(discussion=discussion).exists()


def test_s47_authorised_by_a_social_worker_is_refused(world):
    discussion = convene(world, case(world))
    start(world, discussion)
    decision = decide(world, discussion, children_of(discussion.referral)[0], s47=True)
    with pytest.raises(PermissionDenied):
        services.decision_authorise_s47(
            acting_user=world["sw"], checker=checker(world["sw"], discussion), decision=decision, now=MEETING
        )
    decision.refresh_from_db()
    assert (decision.s47_authorised_by, decision.s47_authorised_at, decision.icpc_deadline) == (None, None, None)


def test_s47_authorised_by_the_team_manager_records_who_and_when(world):
    discussion = convene(world, case(world))
    start(world, discussion)
    decision = decide(world, discussion, children_of(discussion.referral)[0], s47=True)
    authorised_at = MEETING + dt.timedelta(minutes=40)
    services.decision_authorise_s47(
        acting_user=world["tm"], checker=checker(world["tm"], discussion), decision=decision, now=authorised_at
    )
    decision.refresh_from_db()
    assert decision.s47_authorised
    assert (decision.s47_authorised_by, decision.s47_authorised_at) == (world["tm"], authorised_at)


def _infant_case(world):
    return case(
        world,
        concerns=["physical"],
        children=[child("Baby", "Testinfant", date_of_birth=dt.date(2026, 10, 1))],
        non_mobile_infant_injury=True,
    )


def test_closing_an_injured_non_mobile_infants_case_without_a_discussion_is_refused(world):
    referral = _infant_case(world)
    convene(world, referral)  # convened, not yet held
    with pytest.raises(ValidationError):
        services.case_close(
            acting_user=world["tm"], referral=referral, outcome="early_help", reason="Invented reason", now=CONVENED
        )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.AWAITING_DISCUSSION


def test_closing_an_injured_non_mobile_infants_case_is_allowed_once_the_discussion_has_been_held(world):
    referral = _infant_case(world)
    hold(world, convene(world, referral))
    services.case_close(
        acting_user=world["tm"],
        referral=referral,
        outcome="early_help",
        reason="Invented reason",
        now=ENDED + dt.timedelta(hours=2),
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CLOSED


def test_a_case_cannot_be_closed_while_its_discussion_is_being_held(world):
    referral = case(world)
    start(world, convene(world, referral))
    with pytest.raises(ValidationError, match="A strategy discussion is being held"):
        services.case_close(
            acting_user=world["tm"], referral=referral, outcome="early_help", reason="Invented reason", now=MEETING
        )
    referral.refresh_from_db()
    assert referral.status != ReferralStatus.CLOSED


def test_decisions_wait_for_the_meeting_to_start(world):
    discussion = convene(world, case(world))
    with pytest.raises(ValidationError, match="Start the meeting before recording decisions"):
        services.decision_save(
            acting_user=world["tm"],
            checker=checker(world["tm"], discussion),
            child=children_of(discussion.referral)[0],
            data={"nfa": True, "reasoning": "Invented"},
            version=None,
            now=MEETING,
        )


# --- 2. Deadlines are the engine's -------------------------------------------------------------------------------


def test_the_first_discussion_takes_over_the_referrals_deadline_and_a_later_concern_never_moves_it_later(world):
    referral = case(world)  # SD_STANDARD from Mon 10:00: Thu 26 November 17:00
    referrals_own = referral.strategy_discussion_deadline()
    identified = dt.datetime(2026, 11, 24, 8, 0, tzinfo=LONDON)  # counted from here, complex would be Tue 1 Dec
    discussion = convene(
        world,
        referral,
        now=identified + dt.timedelta(hours=1),
        concern_identified_at=identified,
        urgency=Urgency.COMPLEX,
        trigger=Trigger.NEW_INFORMATION,
    )
    deadline = fresh(discussion.deadline)
    assert deadline.pk == referrals_own.pk
    referral.refresh_from_db()
    assert referral.sd_deadline_id == deadline.pk
    assert (deadline.rule, deadline.starts_at, deadline.state) == (Rule.SD_STANDARD, MONDAY_10AM, "open")
    assert deadline.due_at == dt.datetime(2026, 11, 26, 17, 0, tzinfo=LONDON)


def test_the_first_discussion_brings_the_referrals_deadline_forward_by_an_earlier_concern_and_tighter_urgency(world):
    referral = case(world)  # SD_STANDARD from Mon 10:00: Thu 26 November 17:00
    identified = dt.datetime(2026, 11, 23, 9, 0, tzinfo=LONDON)
    discussion = convene(
        world, referral, concern_identified_at=identified, urgency=Urgency.SERIOUS_RISK, trigger=Trigger.NEW_REFERRAL
    )
    deadline = fresh(discussion.deadline)
    assert (deadline.rule, deadline.starts_at) == (Rule.SD_SAME_DAY, identified)
    assert deadline.due_at == due_at(Rule.SD_SAME_DAY, identified, calendar_of(world))
    assert deadline.original_due_at == deadline.due_at


def test_a_second_discussion_needs_the_rationale_for_reconvening(world):
    referral = case(world)
    first = hold(world, convene(world, referral))
    with pytest.raises(ValidationError) as exc:
        convene(world, referral, now=ENDED + dt.timedelta(days=1), reconvened_from=first, reconvene_rationale=" ")
    assert "reconvene_rationale" in exc.value.message_dict
    assert referral.discussions.count() == 1


def test_a_second_discussion_on_the_case_opens_its_own_deadline(world):
    referral = case(world)
    first = hold(world, convene(world, referral))
    identified = dt.datetime(2026, 11, 27, 9, 0, tzinfo=LONDON)  # a Friday
    second = convene(
        world,
        referral,
        now=identified + dt.timedelta(hours=1),
        trigger=Trigger.NEW_INFORMATION,
        concern_identified_at=identified,
        urgency=Urgency.STANDARD,
        reconvened_from=first,
        reconvene_rationale="New information from the school.",
    )
    assert second.deadline_id != first.deadline_id
    assert fresh(first.deadline).state == "met"
    deadline = fresh(second.deadline)
    assert (deadline.rule, deadline.starts_at, deadline.state) == (Rule.SD_STANDARD, identified, "open")
    assert deadline.due_at == due_at(Rule.SD_STANDARD, identified, calendar_of(world))
    assert deadline.due_at == dt.datetime(2026, 12, 2, 17, 0, tzinfo=LONDON)
    referral.refresh_from_db()
    assert referral.sd_deadline_id == deadline.pk
    assert referral.status == ReferralStatus.AWAITING_DISCUSSION


def test_a_discussion_about_a_missing_child_is_due_within_24_hours(world):
    identified = MONDAY_10AM + dt.timedelta(hours=1)
    discussion = convene(
        world, case(world), trigger=Trigger.MISSING, concern_identified_at=identified, urgency=Urgency.STANDARD
    )
    deadline = fresh(discussion.deadline)
    assert deadline.rule == Rule.SD_MISSING_CHILD
    assert deadline.due_at == due_at(Rule.SD_MISSING_CHILD, identified, calendar_of(world))
    assert deadline.due_at == identified + dt.timedelta(hours=24)


def test_starting_the_meeting_does_not_meet_the_deadline_ending_it_quorate_does_at_the_time_it_began(world):
    discussion = convene(world, case(world))
    start(world, discussion, now=MEETING)
    deadline = fresh(discussion.deadline)
    assert (deadline.state, deadline.paused, deadline.next_alert_at) == ("open", True, None)
    hold_rest = dt.datetime(2026, 11, 27, 10, 0, tzinfo=LONDON)  # ended the day after it was due; began in time
    attend(world, discussion)
    for person in discussion.children.all():
        decide(world, discussion, person)
    assess(world, discussion)
    end(world, discussion, now=hold_rest)
    deadline = fresh(discussion.deadline)
    assert (deadline.state, deadline.met_at, deadline.met_by) == ("met", MEETING, "Strategy discussion held")
    assert not deadline.met_late


def test_a_meeting_begun_after_the_deadline_is_held_late(world):
    discussion = convene(world, case(world))
    late = dt.datetime(2026, 11, 27, 10, 0, tzinfo=LONDON)  # due Thu 26 17:00
    hold(world, discussion, started=late, ended=late + dt.timedelta(hours=1))
    deadline = fresh(discussion.deadline)
    assert (deadline.state, deadline.met_at) == ("met", late)
    assert deadline.met_late


def test_authorising_s47_opens_the_childs_icpc_and_assessment_deadlines(world):
    referral = case(world, children=[child("Subject"), child("Sibling")])
    subject, sibling = children_of(referral)
    discussion = convene(world, referral)
    start(world, discussion, now=MEETING)
    decision = decide(world, discussion, subject, s47=True)
    services.decision_authorise_s47(
        acting_user=world["tm"], checker=checker(world["tm"], discussion), decision=decision, now=ENDED
    )
    decision.refresh_from_db()
    icpc = Deadline.objects.get(referral=referral, rule=Rule.ICPC)
    assert decision.icpc_deadline_id == icpc.pk
    assert (icpc.child, icpc.starts_at, icpc.state) == (subject, MEETING, "open")
    assert icpc.due_at == due_at(Rule.ICPC, MEETING, calendar_of(world))
    assessment = Deadline.objects.get(referral=referral, rule=Rule.ASSESSMENT)
    assert (assessment.child, assessment.starts_at) == (subject, referral.received_at)
    assert assessment.due_at == due_at(Rule.ASSESSMENT, referral.received_at, calendar_of(world))
    assert not Deadline.objects.filter(child=sibling).exists()


def test_ending_the_discussion_opens_the_minutes_deadline_48_hours_later(world):
    discussion = hold(world, convene(world, case(world)), ended=ENDED)
    minutes = discussion.minutes_deadline
    assert (minutes.rule, minutes.starts_at, minutes.state) == (Rule.MINUTES_CIRCULATED, ENDED, "open")
    assert minutes.due_at == ENDED + dt.timedelta(hours=48)
    assert minutes.due_at == due_at(Rule.MINUTES_CIRCULATED, ENDED, calendar_of(world))


def test_recording_the_medical_opens_the_medical_report_deadline(world):
    discussion = convene(world, case(world))
    subject = children_of(discussion.referral)[0]
    examined = MONDAY_10AM + dt.timedelta(hours=5)
    decision = decide(world, discussion, subject, s47=True, medical_done_at=examined, now=MEETING)
    report = decision.medical_deadline
    assert (report.rule, report.starts_at, report.child, report.agency) == (
        Rule.MEDICAL_REPORT,
        examined,
        subject,
        health_agency(world),
    )
    assert report.due_at == due_at(Rule.MEDICAL_REPORT, examined, calendar_of(world))
    assert report.due_at == dt.datetime(2026, 12, 3, 23, 59, 59, tzinfo=LONDON)


def test_an_s47_outcome_needing_no_conference_stops_the_icpc_deadline_with_the_reason(world):
    discussion = convene(world, case(world))
    start(world, discussion)
    decision = decide(world, discussion, children_of(discussion.referral)[0], s47=True)
    tm_checker = checker(world["tm"], discussion)
    services.decision_authorise_s47(acting_user=world["tm"], checker=tm_checker, decision=decision, now=ENDED)
    decided = ENDED + dt.timedelta(days=7)
    services.decision_record_outcome(
        acting_user=world["tm"],
        checker=tm_checker,
        decision=decision,
        conference_needed=False,
        reason="The concerns were not substantiated",
        now=decided,
    )
    decision.refresh_from_db()
    icpc = fresh(decision.icpc_deadline)
    assert (icpc.state, icpc.stopped_at) == ("stopped", decided)
    assert icpc.stop_reason == "No conference needed: The concerns were not substantiated"
    assert (decision.conference_needed, decision.no_conference_reason) == (False, "The concerns were not substantiated")


# --- 3. Quoracy and the automatic follow-up action ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # A Friday: the end of the next working day is Monday.
        (dt.datetime(2026, 11, 27, 14, 0, tzinfo=LONDON), dt.datetime(2026, 11, 30, 17, 0, tzinfo=LONDON)),
        # Christmas Eve: 25 December and the 28th (Boxing Day's substitute) are bank holidays.
        (dt.datetime(2026, 12, 24, 14, 0, tzinfo=LONDON), dt.datetime(2026, 12, 29, 17, 0, tzinfo=LONDON)),
    ],
    ids=["friday", "before-bank-holidays"],
)
def test_proceeding_without_health_creates_the_automatic_action_to_obtain_its_information(world, now, expected):
    received = now - dt.timedelta(hours=4)
    discussion = convene(world, case(world, received_at=received), now=received + dt.timedelta(hours=1))
    start(world, discussion, now=now)  # proceeding without an agency is decided in the meeting
    health = health_agency(world)
    services.proceed_save(
        acting_user=world["tm"],
        checker=checker(world["tm"], discussion),
        agencies=[health],
        reason="Waiting would put the child at risk",
        urgency="The child is seen today",
        now=now,
        version=None,
    )
    action = discussion.agreed_actions.get()
    assert action.automatic is True
    assert action.what == "Obtain information from Invented Health"
    assert action.lead_agency == health
    assert action.deadline.rule == Rule.ACTION
    assert action.due_at == action.deadline.due_at == end_of_working_day_after(now, 1, calendar_of(world))
    assert action.deadline.due_at == expected
    discussion.refresh_from_db()
    assert list(discussion.proceeded_without.all()) == [health]


def _ready_to_end(world, **decisions):
    """A started discussion with everyone attending, a risk analysis and a decision for every child."""
    discussion = convene(world, case(world))
    start(world, discussion)
    attend(world, discussion)
    assess(world, discussion)
    for subject in children_of(discussion.referral):
        decide(world, discussion, subject, **decisions)
    return discussion


def _end_refused(world, discussion) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        end(world, discussion)
    discussion.refresh_from_db()
    assert (discussion.status, discussion.ended_at, discussion.minutes_deadline) == ("in_progress", None, None)
    return exc.value.messages


def test_ending_refuses_a_discussion_not_quorate_with_no_reason_to_proceed(world):
    discussion = _ready_to_end(world)
    attend(world, discussion, absent=(health_agency(world),))
    assert _end_refused(world, discussion) == [
        "Record why the discussion proceeds without health, or record their attendance"
    ]


def test_ending_refuses_when_an_absent_core_agency_is_not_among_those_proceeded_without(world):
    discussion = _ready_to_end(world)
    attend(world, discussion, absent=(health_agency(world), world["police_agency"]))
    services.proceed_save(
        acting_user=world["tm"],
        checker=checker(world["tm"], discussion),
        agencies=[health_agency(world)],
        reason="Waiting would put the child at risk",
        urgency="The child is seen today",
        now=MEETING,
        version=None,
    )
    problems = _end_refused(world, discussion)
    assert any("police" in problem for problem in problems)


def test_ending_refuses_while_a_child_has_no_decision(world):
    referral = case(world, children=[child("Decided", "Testchild"), child("Undecided", "Testchild")])
    decided, undecided = children_of(referral)
    discussion = convene(world, referral)
    start(world, discussion)
    attend(world, discussion)
    assess(world, discussion)
    decide(world, discussion, decided)
    assert _end_refused(world, discussion) == ["Record the decision for Undecided Testchild"]


def test_ending_refuses_an_s47_decision_with_the_enquiry_plan_incomplete(world):
    discussion = _ready_to_end(world, s47=True)
    services.plan_save(
        acting_user=world["tm"],
        checker=checker(world["tm"], discussion),
        answers={"medical": ("Child protection medical today", ""), "abe": ("", "Too young for an interview")},
        version=None,
    )
    left = len(PLAN_ITEMS) - 2
    assert _end_refused(world, discussion) == [
        f"Answer every item of the enquiry plan, or say why it is not needed ({left} left)"
    ]
    full_plan(world, discussion)
    assert end(world, discussion).status == "ended"


# --- 4. Sections and concurrency ---------------------------------------------------------------------------------


def _invitation(discussion, agency) -> Invitation:
    return discussion.invitations.get(agency=agency)


def test_a_stale_attendance_save_is_refused_and_changes_nothing(world):
    discussion = convene(world, case(world))
    police_line, health_line = (
        _invitation(discussion, world["police_agency"]),
        _invitation(discussion, health_agency(world)),
    )
    first, second = checker(world["tm"], discussion), checker(world["sw"], discussion)
    services.attendance_save(
        acting_user=world["tm"], checker=first, rows={police_line.pk: (Attendance.ATTENDED, True)}, version=0
    )
    with pytest.raises(StaleSectionError):
        services.attendance_save(
            acting_user=world["sw"], checker=second, rows={health_line.pk: (Attendance.APOLOGIES, True)}, version=0
        )
    health_line.refresh_from_db()
    assert (health_line.attendance, health_line.information_sent_in_advance) == (Attendance.INVITED, False)
    discussion.refresh_from_db()
    assert discussion.section_versions == {"attendance": 1}


def test_a_stale_risk_save_is_refused_and_changes_nothing(world):
    discussion = convene(world, case(world))
    child = children_of(discussion.referral)[0]
    first, second = checker(world["tm"], discussion), checker(world["sw"], discussion)
    services.child_risk_save(
        acting_user=world["tm"], checker=first, child=child, data={"worry": "Saved first"}, version=0
    )
    with pytest.raises(StaleSectionError):
        services.child_risk_save(
            acting_user=world["sw"], checker=second, child=child, data={"worry": "Stale", "level": "high"}, version=0
        )
    risk = ChildRisk.objects.get(discussion=discussion, child=child)
    assert (risk.worry, risk.level) == ("Saved first", "")
    services.risk_save(acting_user=world["tm"], checker=first, data={"risk_review": "Saved first"}, version=0)
    with pytest.raises(StaleSectionError):
        services.risk_save(acting_user=world["sw"], checker=second, data={"risk_review": "Stale"}, version=0)
    discussion.refresh_from_db()
    assert discussion.risk_review == "Saved first"
    assert discussion.section_versions == {f"risk-{child.pk}": 1, "risk": 1}


def test_a_stale_plan_save_is_refused_and_changes_nothing(world):
    discussion = convene(world, case(world))
    first, second = checker(world["tm"], discussion), checker(world["sw"], discussion)
    services.plan_save(acting_user=world["tm"], checker=first, answers={"medical": ("Saved first", "")}, version=0)
    with pytest.raises(StaleSectionError):
        services.plan_save(
            acting_user=world["sw"],
            checker=second,
            answers={"medical": ("Stale", ""), "abe": ("Stale", "")},
            version=0,
        )
    assert {i.item: i.answer for i in discussion.plan_items.all()} == {"medical": "Saved first"}
    discussion.refresh_from_db()
    assert discussion.section_versions == {"plan": 1}


def test_saving_one_section_bumps_only_that_sections_version(world):
    discussion = convene(world, case(world))
    tm = checker(world["tm"], discussion)
    services.risk_save(acting_user=world["tm"], checker=tm, data={"risk_review": "In a week"}, version=0)
    discussion.refresh_from_db()
    assert discussion.section_versions == {"risk": 1}
    services.plan_save(acting_user=world["tm"], checker=tm, answers={"medical": ("Today", "")}, version=0)
    discussion.refresh_from_db()
    assert discussion.section_versions == {"risk": 1, "plan": 1}
    services.risk_save(acting_user=world["tm"], checker=tm, data={"risk_review": "In a week"}, version=1)
    discussion.refresh_from_db()
    assert discussion.section_versions == {"risk": 2, "plan": 1}
    child = children_of(discussion.referral)[0]
    services.child_risk_save(acting_user=world["tm"], checker=tm, child=child, data={"worry": "Bruising"}, version=0)
    services.plan_save(
        acting_user=world["tm"], checker=tm, answers={"medical": ("", "None for this child")}, version=0, child=child
    )
    discussion.refresh_from_db()
    assert discussion.section_versions == {"risk": 2, "plan": 1, f"risk-{child.pk}": 1, f"plan-{child.pk}": 1}


def test_a_plan_item_with_both_an_answer_and_not_needed_is_refused(world):
    discussion = convene(world, case(world))
    with pytest.raises(ValidationError) as exc:
        services.plan_save(
            acting_user=world["tm"],
            checker=checker(world["tm"], discussion),
            answers={"medical": ("Today at the hospital", "No injury seen")},
            version=0,
        )
    assert "medical" in exc.value.message_dict
    assert not discussion.plan_items.exists()
    discussion.refresh_from_db()
    assert discussion.section_versions == {}


def test_police_mark_their_own_attendance_but_not_healths(world):
    discussion = convene(world, case(world))
    police = checker(world["police"], discussion)
    police_line, health_line = (
        _invitation(discussion, world["police_agency"]),
        _invitation(discussion, health_agency(world)),
    )
    services.attendance_save(
        acting_user=world["police"], checker=police, rows={police_line.pk: (Attendance.ATTENDED, True)}, version=0
    )
    police_line.refresh_from_db()
    assert (police_line.attendance, police_line.information_sent_in_advance) == (Attendance.ATTENDED, True)
    with pytest.raises(PermissionDenied):
        services.attendance_save(
            acting_user=world["police"], checker=police, rows={health_line.pk: (Attendance.APOLOGIES, False)}, version=1
        )
    health_line.refresh_from_db()
    assert health_line.attendance == Attendance.INVITED


def test_police_add_their_own_agencys_information_but_not_healths(world):
    discussion = convene(world, case(world))
    police = checker(world["police"], discussion)
    data = {"information": "Two call-outs to the address this year.", "consent": "not_applicable"}
    entry = services.information_add(
        acting_user=world["police"], checker=police, agency=world["police_agency"], data=data, now=CONVENED
    )
    assert (entry.agency, entry.recorded_by) == (world["police_agency"], world["police"])
    with pytest.raises(PermissionDenied):
        services.information_add(
            acting_user=world["police"], checker=police, agency=health_agency(world), data=data, now=CONVENED
        )
    assert list(discussion.information.values_list("agency", flat=True)) == [world["police_agency"].pk]


def test_after_the_discussion_the_police_still_see_it_but_no_longer_record(world):
    discussion = convene(world, case(world))
    assert checker(world["police"], discussion).can_record_for_own_agency()
    hold(world, discussion)
    police = checker(world["police"], discussion)
    assert police.can_view()
    assert not police.can_record_for_own_agency()
    assert not police.can_record_agency(world["police_agency"].pk)


# --- 5. Access through the guardian grant ------------------------------------------------------------------------


def test_an_invited_agency_sees_exactly_the_case_it_was_invited_to(world):
    referral = case(world)
    uninvited = case(world, children=[child("Other", "Case")])
    assert not referrals_visible_to(world["police"]).exists()
    convene(world, referral)
    assert list(referrals_visible_to(world["police"])) == [referral]
    assert relationship(world["police"], referral) is Relationship.INVITED
    assert relationship(world["police"], uninvited) is Relationship.NONE


def test_the_invited_agency_reads_only_after_the_discussion_and_loses_the_case_when_closed(world):
    referral = case(world)
    discussion = convene(world, referral)
    hold(world, discussion)
    referral.refresh_from_db()
    assert list(referrals_visible_to(world["police"])) == [referral]
    assert relationship(world["police"], referral) is Relationship.INVITED_READ_ONLY
    services.case_close(
        acting_user=world["tm"],
        referral=referral,
        outcome="early_help",
        reason="Invented reason",
        now=ENDED + dt.timedelta(days=1),
    )
    referral.refresh_from_db()
    assert relationship(world["police"], referral) is Relationship.NONE
    assert not referrals_visible_to(world["police"]).exists()


def test_the_neighbouring_partnerships_police_never_see_the_case(world):
    outsider = world["outsider"]
    referral = case(world)

    def sees() -> bool:
        referral.refresh_from_db()
        return referrals_visible_to(outsider).exists() or relationship(outsider, referral) is not Relationship.NONE

    discussion = convene(world, referral)
    assert not sees()
    hold(world, discussion)
    assert not sees()
    services.case_close(
        acting_user=world["tm"],
        referral=referral,
        outcome="early_help",
        reason="Invented reason",
        now=ENDED + dt.timedelta(days=1),
    )
    assert not sees()


def test_withdrawing_the_only_police_invitation_removes_police_access(world):
    referral = case(world)
    discussion = convene(world, referral)
    services.invitation_withdraw(
        reason="Invented reason",
        acting_user=world["sw"],
        checker=checker(world["sw"], discussion),
        invitation=_invitation(discussion, world["police_agency"]),
    )
    assert not referrals_visible_to(world["police"]).exists()
    assert relationship(world["police"], referral) is Relationship.NONE


def test_withdrawing_one_police_invitation_keeps_access_while_another_is_active(world):
    referral = case(world)
    first = convene(world, referral)
    second = convene(
        world,
        referral,
        now=CONVENED + dt.timedelta(hours=1),
        trigger=Trigger.NEW_INFORMATION,
        invitations=[{"agency": world["police_agency"], "contact_name": "DC Invented", "role": "Police officer"}],
    )
    services.invitation_withdraw(
        reason="Invented reason",
        acting_user=world["sw"],
        checker=checker(world["sw"], first),
        invitation=_invitation(first, world["police_agency"]),
    )
    assert list(referrals_visible_to(world["police"])) == [referral]
    services.invitation_withdraw(
        reason="Invented reason",
        acting_user=world["sw"],
        checker=checker(world["sw"], second),
        invitation=_invitation(second, world["police_agency"]),
    )
    assert not referrals_visible_to(world["police"]).exists()


def test_a_user_moved_to_another_agency_loses_access(world):
    referral = case(world)
    convene(world, referral)
    police = world["police"]
    assert list(referrals_visible_to(police)) == [referral]
    police.agency = AgencyFactory(
        partnership=world["partnership"], name="Invented Probation", agency_type=AgencyType.PROBATION
    )
    police.save()
    user_agency_group_sync(police)
    assert not referrals_visible_to(police).exists()
    assert relationship(police, referral) is Relationship.NONE


# --- 6. History ------------------------------------------------------------------------------------------------


def test_the_discussion_and_a_decision_keep_history_with_the_acting_user(world):
    discussion = convene(world, case(world), acting_user=world["sw"])
    convened = discussion.history.earliest()
    assert (convened.history_user, convened.history_change_reason) == (world["sw"], "Strategy discussion convened")
    services.risk_save(
        acting_user=world["tm"], checker=checker(world["tm"], discussion), data={"risk_review": "In a week"}, version=0
    )
    assert discussion.history.latest().history_user == world["tm"]

    subject = children_of(discussion.referral)[0]
    start(world, discussion)
    services.decision_save(
        acting_user=world["sw"],
        checker=checker(world["sw"], discussion),
        child=subject,
        data={"s47": True, "investigation_type": "joint", "reasoning": "Unexplained bruising."},
        version=None,
        now=MEETING,
    )
    decision = ChildDecision.objects.get(discussion=discussion, child=subject)
    assert decision.history.get().history_user == world["sw"]
    services.decision_authorise_s47(
        acting_user=world["tm"], checker=checker(world["tm"], discussion), decision=decision, now=MEETING
    )
    assert [h.history_user for h in decision.history.order_by("history_id")] == [world["sw"], world["tm"]]


# --- Found while testing -----------------------------------------------------------------------------------------


def test_editing_the_referral_keeps_the_deadline_the_first_discussion_took_over(world):
    referral = case(world)
    identified = dt.datetime(2026, 11, 24, 8, 0, tzinfo=LONDON)
    discussion = convene(
        world,
        referral,
        now=identified + dt.timedelta(hours=1),
        concern_identified_at=identified,
        urgency=Urgency.COMPLEX,
        trigger=Trigger.NEW_INFORMATION,
    )
    taken_over = fresh(discussion.deadline).due_at
    referral.refresh_from_db()
    referral_services.referral_update(
        acting_user=world["sw"],
        referral=referral,
        expected_version=referral.version,
        data={
            **{f: getattr(referral, f) for f in referral_services.REFERRAL_FIELDS},
            "concern_summary": "A corrected summary.",
        },
        concerns=["neglect"],
        children=[{"id": p.pk, **child(on=referral.received_at)} for p in children_of(referral)],
        now=identified + dt.timedelta(hours=2),
    )
    deadline = fresh(discussion.deadline)
    assert (deadline.rule, deadline.starts_at, deadline.due_at) == (Rule.SD_STANDARD, MONDAY_10AM, taken_over)
