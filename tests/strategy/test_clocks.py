"""Clocks that tell the truth (DOMAIN sections 1 and 3, issue 24): convening never resets a clock, starting is
not holding, a meeting left running or abandoned is chased, and every clock after the meeting has its step."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from actions import alerts
from actions.models import Alert, AlertStage
from core.timescales import LONDON, Rule, due_at
from referrals.access import ReferralChecker
from referrals.deadlines import deadline_move_later, deadlines_reschedule
from referrals.models import Deadline
from strategy import services, steps
from strategy.models import ChildDecision, Discussion, Trigger
from tests.builders import (
    CONVENED,
    ENDED,
    MEETING,
    assess,
    attend,
    case,
    checker,
    children_of,
    convene,
    decide,
    end,
    full_plan,
    hold,
    start,
)
from tests.conftest import _client_for

pytestmark = pytest.mark.django_db

THURSDAY_5PM = dt.datetime(2026, 11, 26, 17, 0, tzinfo=LONDON)  # the SD_STANDARD deadline of MONDAY_10AM
FRIDAY_9AM = dt.datetime(2026, 11, 27, 9, 0, tzinfo=LONDON)


def fresh(deadline: Deadline) -> Deadline:
    return Deadline.objects.get(pk=deadline.pk)


def alerts_of(deadline: Deadline) -> set[int]:
    return set(Alert.objects.filter(deadline=deadline).values_list("stage", flat=True))


def s47_held(world, *, started=MEETING, ended=ENDED, referral=None):
    """A discussion held with a section 47 enquiry authorised for the case's child."""
    referral = referral or case(world)
    discussion = convene(world, referral)
    start(world, discussion, now=started)
    attend(world, discussion)
    subject = children_of(referral)[0]
    decision = decide(world, discussion, subject, now=started, s47=True)
    services.decision_authorise_s47(
        acting_user=world["tm"], checker=checker(world["tm"], discussion), decision=decision, now=started
    )
    full_plan(world, discussion)
    assess(world, discussion)
    end(world, discussion, now=ended)
    decision.refresh_from_db()
    return discussion, decision


# --- Convening never moves a clock later --------------------------------------------------------------------


def test_convening_on_an_overdue_case_leaves_it_overdue(world):
    referral = case(world)
    own = referral.strategy_discussion_deadline()
    discussion = convene(world, referral, now=FRIDAY_9AM, concern_identified_at=FRIDAY_9AM)
    deadline = fresh(discussion.deadline)
    assert deadline.pk == own.pk
    assert deadline.due_at == THURSDAY_5PM
    assert alerts.sweep(now=FRIDAY_9AM + dt.timedelta(minutes=1))[AlertStage.OVERDUE] == 1


def test_a_team_manager_moves_a_clock_later_with_a_reason_kept_and_the_original_kept(world):
    referral = case(world)
    deadline = referral.strategy_discussion_deadline()
    later = dt.datetime(2026, 11, 30, 12, 0, tzinfo=LONDON)
    moved = deadline_move_later(
        acting_user=world["tm"], deadline=deadline, due=later, reason="The family is abroad until Monday.", now=CONVENED
    )
    assert (moved.due_at, moved.original_due_at, moved.moved_from) == (later, THURSDAY_5PM, THURSDAY_5PM)
    assert (moved.moved_by, moved.moved_reason, moved.times_moved, moved.set_by_person) == (
        world["tm"],
        "The family is abroad until Monday.",
        1,
        True,
    )
    assert fresh(deadline).history.first().history_user == world["tm"]


@pytest.mark.parametrize("who", ["sw", "police", "hos"])
def test_nobody_but_a_team_manager_moves_a_clock_later(world, who):
    deadline = case(world).strategy_discussion_deadline()
    with pytest.raises(PermissionDenied):
        deadline_move_later(
            acting_user=world[who], deadline=deadline, due=THURSDAY_5PM + dt.timedelta(days=3), reason="x", now=CONVENED
        )
    assert fresh(deadline).due_at == THURSDAY_5PM


@pytest.mark.parametrize(
    ("due", "reason", "field"),
    [
        (THURSDAY_5PM + dt.timedelta(days=1), " ", "reason"),
        (THURSDAY_5PM - dt.timedelta(hours=1), "Earlier is not later.", "due"),
    ],
)
def test_moving_a_clock_later_needs_a_later_moment_and_a_reason(world, due, reason, field):
    deadline = case(world).strategy_discussion_deadline()
    with pytest.raises(ValidationError) as exc:
        deadline_move_later(acting_user=world["tm"], deadline=deadline, due=due, reason=reason, now=CONVENED)
    assert field in exc.value.message_dict
    assert fresh(deadline).due_at == THURSDAY_5PM


def test_a_calendar_change_moves_computed_clocks_but_not_a_date_a_person_set(world):
    first, second = case(world), case(world)
    moved_to = dt.datetime(2026, 12, 2, 12, 0, tzinfo=LONDON)
    deadline_move_later(
        acting_user=world["tm"],
        deadline=first.strategy_discussion_deadline(),
        due=moved_to,
        reason="Agreed.",
        now=CONVENED,
    )
    partnership = world["partnership"]
    partnership.closure_days.create(date=dt.date(2026, 11, 25))
    deadlines_reschedule(acting_user=world["tm"], partnership=partnership, reason="Closure day added")
    assert fresh(first.strategy_discussion_deadline()).due_at == moved_to
    computed = fresh(second.strategy_discussion_deadline())
    assert computed.due_at == dt.datetime(2026, 11, 27, 17, 0, tzinfo=LONDON)
    assert computed.original_due_at == computed.due_at


def test_the_move_page_is_for_team_managers_and_the_case_page_shows_the_move(world, tm_client, sw_client):
    referral = case(world)
    deadline = referral.strategy_discussion_deadline()
    url = reverse("referrals:deadline_move", args=[referral.pk, deadline.pk])
    with time_machine.travel(CONVENED, tick=False):
        assert sw_client.get(url).status_code == 403
        refused = tm_client.post(url, {"due_date_0": "", "reason": ""})
        assert refused.status_code == 400
        page = refused.content.decode()
        assert "govuk-error-summary" in page and "Give the reason for moving the deadline later" in page
        response = tm_client.post(
            url,
            {
                "due_date_0": "30",
                "due_date_1": "11",
                "due_date_2": "2026",
                "due_time": "12:00",
                "reason": "Police asked for Monday.",
            },
        )
        assert response.status_code == 302
        case_page = tm_client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "Deadline moved from 26 November 2026 17:00 to 30 November 2026 12:00" in case_page
    assert "Police asked for Monday." in case_page


# --- Starting is not holding; a meeting left running or abandoned is chased ---------------------------------


def test_a_meeting_in_progress_raises_nothing_for_its_discussion_but_is_chased_after_four_hours(world):
    discussion = convene(world, case(world))
    start(world, discussion, now=dt.datetime(2026, 11, 26, 14, 0, tzinfo=LONDON))
    discussion.refresh_from_db()
    meeting = discussion.meeting_deadline
    assert (meeting.rule, meeting.due_at) == (Rule.MEETING_NOT_ENDED, dt.datetime(2026, 11, 26, 18, 0, tzinfo=LONDON))
    alerts.sweep(now=dt.datetime(2026, 11, 26, 19, 0, tzinfo=LONDON))
    assert alerts_of(discussion.deadline) == set()  # overdue at 17:00, but the meeting is in progress
    assert AlertStage.OVERDUE in alerts_of(meeting)


def test_a_started_and_abandoned_meeting_reopens_its_clock_where_it_was_and_raises_the_alert(world):
    discussion = convene(world, case(world))
    start(world, discussion, now=dt.datetime(2026, 11, 26, 16, 0, tzinfo=LONDON))
    alerts.sweep(now=dt.datetime(2026, 11, 26, 17, 30, tzinfo=LONDON))
    assert alerts_of(discussion.deadline) == set()
    with pytest.raises(ValidationError):
        services.discussion_abandon(
            acting_user=world["tm"], checker=checker(world["tm"], discussion), reason=" ", now=FRIDAY_9AM
        )
    services.discussion_abandon(
        acting_user=world["tm"],
        checker=checker(world["tm"], discussion),
        reason="The police officer was called away.",
        now=dt.datetime(2026, 11, 26, 17, 45, tzinfo=LONDON),
    )
    discussion = Discussion.objects.get(pk=discussion.pk)
    assert (discussion.status, discussion.held_at, discussion.abandon_reason) == (
        "convened",
        None,
        "The police officer was called away.",
    )
    deadline = fresh(discussion.deadline)
    assert (deadline.state, deadline.paused, deadline.due_at) == ("open", False, THURSDAY_5PM)
    stopped = Deadline.objects.get(referral=discussion.referral, rule=Rule.MEETING_NOT_ENDED)
    assert stopped.state == "stopped" and "called away" in stopped.stop_reason
    alerts.sweep(now=dt.datetime(2026, 11, 26, 18, 0, tzinfo=LONDON))
    assert AlertStage.OVERDUE in alerts_of(deadline)


def test_only_the_chair_abandons_a_meeting(world):
    discussion = convene(world, case(world))
    start(world, discussion)
    with pytest.raises(PermissionDenied):
        services.discussion_abandon(
            acting_user=world["sw"], checker=checker(world["sw"], discussion), reason="No.", now=ENDED
        )


def test_the_minutes_clock_follows_the_partnerships_setting(world):
    partnership = world["partnership"]
    partnership.minutes_hours = 24
    partnership.save()
    discussion = hold(world, convene(world, case(world)))
    discussion.refresh_from_db()
    assert discussion.minutes_deadline.due_at == ENDED + dt.timedelta(hours=24)


# --- Each clock after the meeting has its step --------------------------------------------------------------


def test_the_conference_recorded_meets_the_icpc_clock_at_its_date_and_no_alert_follows(world):
    discussion, decision = s47_held(world)
    icpc = decision.icpc_deadline
    held_on = dt.date(2026, 12, 10)
    steps.deadline_step_record(
        acting_user=world["sw"],
        checker=ReferralChecker.for_user(world["sw"], discussion.referral),
        deadline=icpc,
        data={"on": held_on, "outcome": "plan"},
        now=dt.datetime(2026, 12, 20, 10, 0, tzinfo=LONDON),  # entered ten days later
    )
    icpc = fresh(icpc)
    assert (icpc.state, icpc.met_at, icpc.met_note) == (
        "met",
        dt.datetime(2026, 12, 10, tzinfo=LONDON),
        "Child protection plan",
    )
    assert not icpc.met_late
    decision.refresh_from_db()
    assert (decision.conference_held_on, decision.conference_outcome) == (held_on, "plan")
    alerts.sweep(now=icpc.escalate_at + dt.timedelta(days=30))
    assert alerts_of(icpc) == set()


@pytest.mark.parametrize(("rule", "on", "error"), [("ICPC", None, "on"), ("ICPC", dt.date(2026, 11, 1), "on")])
def test_a_step_needs_a_date_within_the_clock(world, rule, on, error):
    discussion, decision = s47_held(world)
    with pytest.raises(ValidationError) as exc:
        steps.deadline_step_record(
            acting_user=world["sw"],
            checker=ReferralChecker.for_user(world["sw"], discussion.referral),
            deadline=decision.icpc_deadline,
            data={"on": on, "outcome": "plan"},
            now=ENDED,
        )
    assert error in exc.value.message_dict
    assert fresh(decision.icpc_deadline).state == "open"


def test_the_assessment_completed_meets_its_clock_at_the_date_given(world):
    discussion, decision = s47_held(world)
    referral = discussion.referral
    assessment = Deadline.objects.get(referral=referral, rule=Rule.ASSESSMENT)
    steps.deadline_step_record(
        acting_user=world["sw"],
        checker=ReferralChecker.for_user(world["sw"], referral),
        deadline=assessment,
        data={"on": dt.date(2026, 12, 15)},
        now=dt.datetime(2026, 12, 16, 9, 0, tzinfo=LONDON),
    )
    assert (fresh(assessment).state, fresh(assessment).met_by) == ("met", "Assessment completed")
    assert fresh(assessment).met_at == dt.datetime(2026, 12, 15, tzinfo=LONDON)


def test_a_health_practitioner_records_the_medical_report_received(world):
    referral = case(world)
    discussion = convene(world, referral)
    start(world, discussion)
    attend(world, discussion)
    subject = children_of(referral)[0]
    decide(
        world,
        discussion,
        subject,
        nfa=False,
        s17=True,
        medical_done_at=dt.datetime(2026, 11, 24, 9, 0, tzinfo=LONDON),
    )
    assess(world, discussion)
    end(world, discussion)
    report = Deadline.objects.get(referral=referral, rule=Rule.MEDICAL_REPORT)
    health = ReferralChecker.for_user(world["health"], referral)
    assert steps.can_record_step(health, report)
    police = ReferralChecker.for_user(world["police"], referral)
    assert not steps.can_record_step(police, report)
    steps.deadline_step_record(
        acting_user=world["health"],
        checker=health,
        deadline=report,
        data={"on": dt.date(2026, 11, 30)},
        now=dt.datetime(2026, 12, 1, 9, 0, tzinfo=LONDON),
    )
    report = fresh(report)
    assert (report.state, report.met_by, report.met_recorded_by) == ("met", "Medical report received", world["health"])


def test_the_risk_review_date_is_a_clock_met_by_recording_the_review_with_its_outcome(world):
    referral = case(world)
    discussion = convene(world, referral)
    start(world, discussion)
    services.risk_save(
        acting_user=world["tm"],
        checker=checker(world["tm"], discussion),
        data={"risk_review": "At the core group.", "risk_review_on": dt.date(2026, 12, 8)},
        version=None,
    )
    hold_children = children_of(referral)
    attend(world, discussion)
    for person in hold_children:
        decide(world, discussion, person)
    assess(world, discussion)
    end(world, discussion)
    discussion.refresh_from_db()
    review = discussion.risk_review_deadline
    assert (review.rule, review.due_at, review.set_by_person) == (
        Rule.RISK_REVIEW,
        dt.datetime(2026, 12, 8, 23, 59, 59, tzinfo=LONDON),
        True,
    )
    with pytest.raises(ValidationError) as exc:
        steps.deadline_step_record(
            acting_user=world["sw"],
            checker=ReferralChecker.for_user(world["sw"], referral),
            deadline=review,
            data={"on": dt.date(2026, 12, 8), "outcome": ""},
            now=dt.datetime(2026, 12, 9, 9, 0, tzinfo=LONDON),
        )
    assert "outcome" in exc.value.message_dict
    steps.deadline_step_record(
        acting_user=world["sw"],
        checker=ReferralChecker.for_user(world["sw"], referral),
        deadline=review,
        data={"on": dt.date(2026, 12, 8), "outcome": "Risk reduced: the plan is working."},
        now=dt.datetime(2026, 12, 9, 9, 0, tzinfo=LONDON),
    )
    assert (fresh(review).state, fresh(review).met_note) == ("met", "Risk reduced: the plan is working.")


def test_a_reconvene_date_is_a_clock_met_when_the_reconvened_discussion_is_held(world):
    referral = case(world)
    first = convene(world, referral)
    start(world, first)
    attend(world, first)
    subject = children_of(referral)[0]
    decide(
        world,
        first,
        subject,
        nfa=False,
        s17=True,
        reconvene=True,
        reconvene_on=dt.date(2026, 12, 1),
        reconvene_rationale="To hear from the school.",
    )
    assess(world, first)
    end(world, first)
    decision = ChildDecision.objects.get(discussion=first, child=subject)
    clock = decision.reconvene_deadline
    assert (clock.rule, clock.state, clock.child) == (Rule.RECONVENE, "open", subject)
    second = convene(
        world,
        referral,
        now=dt.datetime(2026, 11, 30, 9, 0, tzinfo=LONDON),
        trigger=Trigger.NEW_INFORMATION,
        concern_identified_at=dt.datetime(2026, 11, 30, 9, 0, tzinfo=LONDON),
        reconvened_from=first,
        reconvene_rationale="As agreed.",
    )
    hold(
        world,
        second,
        started=dt.datetime(2026, 11, 30, 14, 0, tzinfo=LONDON),
        ended=dt.datetime(2026, 11, 30, 15, 0, tzinfo=LONDON),
    )
    clock = fresh(clock)
    assert (clock.state, clock.met_by) == ("met", "Reconvened discussion held")
    assert not clock.met_late


# --- One ICPC per child per enquiry --------------------------------------------------------------------------


def test_a_reconvened_discussion_continues_the_enquiry_and_never_opens_a_second_icpc(world):
    first, decision = s47_held(world)
    referral = first.referral
    subject = decision.child
    second = convene(
        world,
        referral,
        now=dt.datetime(2026, 11, 30, 9, 0, tzinfo=LONDON),
        trigger=Trigger.NEW_INFORMATION,
        concern_identified_at=dt.datetime(2026, 11, 30, 9, 0, tzinfo=LONDON),
    )
    later = dt.datetime(2026, 11, 30, 14, 0, tzinfo=LONDON)
    with pytest.raises(ValidationError) as exc:
        decide(world, second, subject, now=later, nfa=False, s47=True)
    assert "already under way" in str(exc.value)
    continued = decide(world, second, subject, now=later, nfa=False, s47_continued=True, investigation_type="joint")
    assert continued.s47_continued
    assert Deadline.objects.filter(referral=referral, child=subject, rule=Rule.ICPC).count() == 1


def test_an_enquiry_continued_needs_one_under_way(world):
    referral = case(world)
    discussion = convene(world, referral)
    with pytest.raises(ValidationError) as exc:
        decide(world, discussion, children_of(referral)[0], nfa=False, s47_continued=True, investigation_type="csc")
    assert "No section 47 enquiry is under way" in str(exc.value)


def test_a_second_enquiry_can_start_after_the_first_ended_with_its_conference(world):
    first, decision = s47_held(world)
    steps.deadline_step_record(
        acting_user=world["sw"],
        checker=ReferralChecker.for_user(world["sw"], first.referral),
        deadline=decision.icpc_deadline,
        data={"on": dt.date(2026, 12, 4), "outcome": "no_plan"},
        now=dt.datetime(2026, 12, 4, 15, 0, tzinfo=LONDON),
    )
    when = dt.datetime(2027, 1, 11, 10, 0, tzinfo=LONDON)
    second = convene(world, first.referral, now=when, trigger=Trigger.NEW_INFORMATION, concern_identified_at=when)
    fresh_decision = decide(world, second, decision.child, now=when, nfa=False, s47=True)
    services.decision_authorise_s47(
        acting_user=world["tm"], checker=checker(world["tm"], second), decision=fresh_decision, now=when
    )
    assert Deadline.objects.filter(referral=first.referral, child=decision.child, rule=Rule.ICPC).count() == 2


# --- The step page -------------------------------------------------------------------------------------------


def test_the_step_page_records_the_conference_and_is_404_for_those_who_do_not_record_it(world):
    discussion, decision = s47_held(world)
    url = reverse("strategy:step", args=[discussion.referral.pk, decision.icpc_deadline_id])
    with time_machine.travel(dt.datetime(2026, 12, 11, 10, 0, tzinfo=LONDON), tick=False):
        sw_client, police_client = _client_for(world["sw"]), _client_for(world["police"])
        assert police_client.get(url).status_code == 404
        page = sw_client.get(url).content.decode()
        assert "Record the conference" in page
        refused = sw_client.post(url, {"on_0": "10", "on_1": "12", "on_2": "2026"})
        assert refused.status_code == 400
        assert "Select the outcome of the conference" in refused.content.decode()
        assert 'value="10"' in refused.content.decode()  # what was typed is kept
        done = sw_client.post(url, {"on_0": "10", "on_1": "12", "on_2": "2026", "outcome": "plan"})
        assert done.status_code == 302
        assert sw_client.get(url).status_code == 404  # met: nothing left to record
    icpc = fresh(decision.icpc_deadline)
    assert (icpc.state, icpc.met_at) == ("met", dt.datetime(2026, 12, 10, tzinfo=LONDON))
    assert icpc.met_at <= due_at(Rule.ICPC, MEETING)  # 15 working days from the discussion: in time


def test_the_minutes_show_a_moved_deadline_with_its_reason_and_the_conference_held(world):
    from minutes import record as minutes_record

    discussion, decision = s47_held(world)
    steps.deadline_step_record(
        acting_user=world["sw"],
        checker=ReferralChecker.for_user(world["sw"], discussion.referral),
        deadline=decision.icpc_deadline,
        data={"on": dt.date(2026, 12, 3), "outcome": "plan"},
        now=dt.datetime(2026, 12, 3, 16, 0, tzinfo=LONDON),
    )
    assessment = Deadline.objects.get(referral=discussion.referral, rule=Rule.ASSESSMENT)
    deadline_move_later(
        acting_user=world["tm"],
        deadline=assessment,
        due=assessment.due_at + dt.timedelta(days=7),
        reason="The family moved house.",
        now=dt.datetime(2026, 12, 3, 16, 0, tzinfo=LONDON),
    )
    rows = {
        row["rule"]: row
        for row in minutes_record.snapshot(discussion, now=dt.datetime(2026, 12, 3, 17, 0, tzinfo=LONDON))["sections"][
            "deadlines"
        ]
    }
    conference = rows["Initial child protection conference"]["state_words"]
    assert conference == "Met 3 December 2026: Initial child protection conference held (Child protection plan)"
    assert rows["Assessment"]["moved"].startswith("Deadline moved from ")
    assert rows["Assessment"]["moved"].endswith("because The family moved house.")


def test_the_s47_outcome_saved_in_place_shows_its_problem_in_an_error_summary_and_its_saved_line(world, tm_client):
    """A walk: "No" with no reason, saved in the background, drew the section again with the error beside the field
    only, off the screen and in no summary, so it read as saved; a save said nothing either."""
    discussion, decision = s47_held(world)
    url = f"/discussions/{discussion.pk}/outcome/"
    prefix = f"outcome-{decision.pk}"
    refused = tm_client.post(
        url, {"decision": decision.pk, f"{prefix}-conference_needed": "no"}, HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 400
    section = refused.content.decode()
    assert 'class="govuk-error-summary"' in section
    assert f'href="#id_{prefix}-no_conference_reason"' in section
    done = tm_client.post(
        url,
        {"decision": decision.pk, f"{prefix}-conference_needed": "no", f"{prefix}-no_conference_reason": "Invented"},
        HTTP_HX_REQUEST="true",
    )
    assert done.status_code == 200
    assert "app-saved" in done.content.decode()
