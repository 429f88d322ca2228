"""The report's measures against the rows a test made (issue 29): each worked out here in plain Python over the
objects the services wrote, never by the report's own queries, and compared with what the report counts (before
suppression: the counts here are small, and tests/reports/test_suppress.py checks how they are shown)."""

import datetime as dt
import math

import pytest

from actions.models import Action
from agencies.models import AgencyType
from core.timescales import LONDON, to_local
from disputes.models import Disagreement, DisagreementStatus, StageResult, Subject
from referrals.deadlines import deadline_meet, deadline_move_later
from referrals.models import ClosureOutcome, Deadline, DeadlineState, Referral, ReferralStatus, Urgency
from reports.facts import facts_replace
from reports.models import Fact, Watermark
from reports.selectors import TABLES, Filters, Part, _read, measure_value, nearest_rank, report_for
from reports.services import report_refresh
from strategy import services as strategy_services
from strategy.models import Attendance, ChildDecision, Discussion, DiscussionStatus, Invitation, InvitationStatus
from tests import builders
from tests.disputes.builders import RAISED, managed, raise_, record

pytestmark = pytest.mark.django_db

# After everything below: the actions and minutes still open are overdue by now.
REPORT_NOW = dt.datetime(2026, 12, 15, 12, 0, tzinfo=LONDON)
NOVEMBER = dt.date(2026, 11, 1)
DECEMBER = dt.date(2026, 12, 1)


def _held_with(world, referral, *, started, ended, absent=(), s47_first=False, action_lead=None, action_done=None):
    """Convene, hold and end a discussion on `referral`: everyone attends but `absent`; the first child an s47
    authorised in the meeting (if asked), the others no further action; an action for `action_lead`."""
    discussion = builders.convene(world, referral, now=referral.received_at + dt.timedelta(minutes=30))
    builders.start(world, discussion, now=started)
    builders.attend(world, discussion, absent=absent)
    if absent:
        strategy_services.proceed_save(
            acting_user=world["tm"],
            checker=builders.checker(world["tm"], discussion),
            agencies=list(absent),
            reason="Invented: the child cannot wait.",
            urgency="Invented: risk tonight.",
            now=started,
            version=None,
        )
    builders.assess(world, discussion)
    children = list(discussion.children.order_by("pk"))
    for index, child in enumerate(children):
        if index == 0 and s47_first:
            decision = builders.decide(world, discussion, child, now=started, s47=True)
            strategy_services.decision_authorise_s47(
                acting_user=world["tm"],
                checker=builders.checker(world["tm"], discussion),
                decision=decision,
                now=started + dt.timedelta(minutes=20),
            )
        else:
            builders.decide(world, discussion, child, now=started)
    if action_lead is not None:
        action = builders.add_action(
            world, discussion, lead=action_lead, now=started, due=started + dt.timedelta(days=2)
        )
        if action_done is not None:
            deadline_meet(acting_user=world["tm"], deadline=action.deadline, at=action_done, by="Action completed")
    builders.full_plan(world, discussion)
    return builders.end(world, discussion, now=ended)


@pytest.fixture
def report_cases(world):
    """Four cases in November 2026: held on time (s47, minutes circulated in 20 hours, police's action done on
    time); same-day urgency held late without health (health's action left overdue, minutes never circulated);
    a clock moved later by the team manager, then held after the original deadline; one closed without a
    discussion. The report's facts and counts built as the task builds them."""
    police, health = world["police_agency"], builders.health_agency(world)
    monday = builders.MONDAY_10AM
    first = builders.case(world, children=[builders.child("Robin"), builders.child("Sky")])
    held = _held_with(
        world,
        first,
        started=monday + dt.timedelta(hours=24),
        ended=monday + dt.timedelta(hours=25),
        s47_first=True,
        action_lead=police,
        action_done=monday + dt.timedelta(hours=30),
    )
    deadline_meet(
        acting_user=world["admin"],
        deadline=held.minutes_deadline,
        at=held.ended_at + dt.timedelta(hours=20),
        by="Minutes circulated",
    )
    second = builders.case(
        world, urgency=Urgency.SERIOUS_RISK, urgency_reason="Invented serious risk.", received_at=monday
    )
    _held_with(
        world,
        second,
        started=monday + dt.timedelta(days=1, hours=3),
        ended=monday + dt.timedelta(days=1, hours=4),
        absent=(health,),
        action_lead=health,
    )
    third = builders.case(world, received_at=monday + dt.timedelta(hours=2))
    deadline_move_later(
        acting_user=world["tm"],
        deadline=third.sd_deadline,
        due=third.sd_deadline.due_at + dt.timedelta(days=5),
        reason="Invented: the family is away.",
        now=monday + dt.timedelta(hours=3),
    )
    _held_with(
        world,
        third,
        started=third.sd_deadline.due_at + dt.timedelta(days=2),
        ended=monday + dt.timedelta(days=5, hours=3),
    )
    fourth = builders.case(world, received_at=monday + dt.timedelta(hours=4))
    strategy_services.case_close(
        acting_user=world["tm"],
        referral=fourth,
        outcome=ClosureOutcome.THRESHOLD_NOT_MET,
        reason="Invented: no significant harm.",
        now=monday + dt.timedelta(hours=6),
    )
    report_refresh(now=REPORT_NOW)
    return world


def _report(world, **filters):
    agencies = list(world["partnership"].agencies.order_by("name"))
    return report_for(world["partnership"], Filters(NOVEMBER, DECEMBER, **filters), agencies=agencies)


def _value(report, slug, part=None):
    table = next(t for t in TABLES if any(m.slug == slug for m in t.measures))
    measure = next(m for m in table.measures if m.slug == slug)
    return measure_value(report.sums, measure, part or Part(report.filters.months()))


def _ended():
    return list(Discussion.objects.filter(status=DiscussionStatus.ENDED).select_related("deadline", "minutes_deadline"))


def test_referrals_received_and_discussions_held_within_their_original_timescale(report_cases):
    report = _report(report_cases)
    received = Referral.objects.exclude(status=ReferralStatus.DRAFT).count()
    ended = _ended()
    on_time = [d for d in ended if d.held_at <= (d.deadline.original_due_at or d.deadline.due_at)]
    moved = [d for d in ended if d.deadline.times_moved]
    assert (received, len(ended), len(on_time), len(moved)) == (4, 3, 1, 1)
    assert _value(report, "referrals-received").numerator == received
    assert _value(report, "discussions-held").numerator == len(ended)
    share = _value(report, "held-within-timescale")
    assert (share.numerator, share.denominator) == (len(on_time), len(ended))
    assert _value(report, "held-clock-moved").numerator == len(moved)


def test_hours_and_working_days_from_concern_to_discussion_are_exact_nearest_rank_percentiles(report_cases):
    report = _report(report_cases)
    hours = sorted(int((d.held_at - d.concern_identified_at).total_seconds() // 3600) for d in _ended())

    def rank(values, percentile):
        return values[max(math.ceil(percentile / 100 * len(values)), 1) - 1]

    sums = _read(report_cases["partnership"], report.filters)
    months = report.filters.months()
    assert nearest_rank(sums.values("held_hours", months), 50) == rank(hours, 50)
    assert nearest_rank(sums.values("held_hours", months), 90) == rank(hours, 90)
    # Working days as the clocks count them: the received Monday is day 0; the next day's meeting is day 1.
    days = sorted(
        sum(
            1
            for n in range(1, (to_local(d.held_at).date() - to_local(d.concern_identified_at).date()).days + 1)
            if (to_local(d.concern_identified_at).date() + dt.timedelta(days=n)).weekday() < 5
        )
        for d in _ended()
    )
    assert nearest_rank(sums.values("held_working_days", months), 50) == rank(days, 50)
    assert _value(report, "held-hours-median").numerator == len(hours)


def test_attendance_by_agency_and_police_and_health_present(report_cases):
    report = _report(report_cases)
    invited = list(
        Invitation.objects.filter(discussion__status=DiscussionStatus.ENDED, status=InvitationStatus.INVITED)
    )
    for agency in report_cases["partnership"].agencies.all():
        theirs = [i for i in invited if i.agency_id == agency.pk]
        part = Part(report.filters.months(), agency=agency.pk)
        assert _value(report, "invited", part).numerator == len(theirs)
        attended = [i for i in theirs if i.attendance == Attendance.ATTENDED]
        assert _value(report, "attendance-attended", part).numerator == len(attended)
        apologies = [i for i in theirs if i.attendance == Attendance.APOLOGIES]
        assert _value(report, "attendance-apologies", part).numerator == len(apologies)

    def present(discussion, kind):
        return any(
            i.attendance == Attendance.ATTENDED and i.agency.agency_type == kind
            for i in invited
            if i.discussion_id == discussion.pk
        )

    ended = _ended()
    police = [d for d in ended if present(d, AgencyType.POLICE)]
    health = [d for d in ended if present(d, AgencyType.HEALTH)]
    assert (len(police), len(health)) == (3, 2)
    assert _value(report, "police-present").numerator == len(police)
    assert _value(report, "health-present").numerator == len(health)
    assert _value(report, "police-and-health-present").numerator == len([d for d in police if d in health])


def test_decisions_s47_and_authorised_within_the_meeting(report_cases):
    report = _report(report_cases)
    decisions = list(ChildDecision.objects.select_related("discussion"))
    s47 = [d for d in decisions if d.s47 or d.s47_continued]
    in_meeting = [d for d in s47 if d.s47_authorised_at and d.s47_authorised_at <= d.discussion.ended_at]
    assert (len(decisions), len(s47), len(in_meeting)) == (4, 1, 1)
    share = _value(report, "s47-share")
    assert (share.numerator, share.denominator) == (len(s47), len(decisions))
    authorised = _value(report, "s47-authorised")
    assert (authorised.numerator, authorised.denominator) == (len(in_meeting), len(s47))
    nfa = [d for d in decisions if d.nfa and not (d.s47 or d.s47_continued)]
    assert _value(report, "outcome-children", Part(report.filters.months(), category="nfa")).numerator == len(nfa)


def test_minutes_circulated_within_48_hours_and_those_still_overdue(report_cases):
    report = _report(report_cases)
    clocks = [d.minutes_deadline for d in _ended()]
    circulated = [c for c in clocks if c.state == DeadlineState.MET]
    on_time = [c for c in circulated if c.met_at <= c.original_due_at]
    overdue = [c for c in clocks if c.state == DeadlineState.OPEN and c.due_at < REPORT_NOW]
    assert (len(clocks), len(circulated), len(on_time), len(overdue)) == (3, 1, 1, 2)
    share = _value(report, "minutes-within-48-hours")
    assert (share.numerator, share.denominator) == (len(on_time), len(clocks))
    assert _value(report, "minutes-circulated").numerator == len(circulated)
    assert _value(report, "minutes-overdue").numerator == len(overdue)


def test_actions_by_lead_agency_against_their_first_due_date(report_cases):
    report = _report(report_cases)
    actions = list(Action.objects.select_related("deadline"))
    for agency in (report_cases["police_agency"], builders.health_agency(report_cases)):
        theirs = [a.deadline for a in actions if a.lead_agency_id == agency.pk and a.deadline.state != "stopped"]
        part = Part(report.filters.months(), agency=agency.pk)
        on_time = [d for d in theirs if d.state == DeadlineState.MET and d.met_at <= d.original_due_at]
        overdue = [d for d in theirs if d.state == DeadlineState.OPEN and d.original_due_at < REPORT_NOW]
        assert _value(report, "actions-due", part).numerator == len(theirs)
        assert _value(report, "actions-on-time", part).numerator == len(on_time)
        assert _value(report, "actions-overdue", part).numerator == len(overdue)
    # Obtaining health's information is an automatic action of its own, led by CSC (DOMAIN section 4).
    assert {a.lead_agency_id for a in actions} >= {
        report_cases["police_agency"].pk,
        builders.health_agency(report_cases).pk,
    }


def test_clocks_moved_later_by_role_and_cases_closed_without_a_discussion(report_cases):
    report = _report(report_cases)
    moved = list(Deadline.objects.filter(times_moved__gt=0))
    assert len(moved) == 1
    clocks = _value(report, "clocks-moved", Part(report.filters.months(), category="team_manager"))
    assert clocks.numerator == len(moved)
    assert _value(report, "moves").numerator == sum(d.times_moved for d in moved)
    closed = [
        r
        for r in Referral.objects.filter(status=ReferralStatus.CLOSED)
        if not r.discussions.exclude(held_at=None).exists()
    ]
    part = Part(report.filters.months(), category=ClosureOutcome.THRESHOLD_NOT_MET)
    assert _value(report, "closed-without-discussion", part).numerator == len(closed) == 1


def test_an_urgency_filter_counts_that_urgency_only(report_cases):
    report = _report(report_cases, urgency=Urgency.SERIOUS_RISK)
    ended = [d for d in _ended() if d.urgency == Urgency.SERIOUS_RISK]
    assert _value(report, "discussions-held").numerator == len(ended) == 1
    assert (
        _value(report, "referrals-received").numerator == Referral.objects.filter(urgency=Urgency.SERIOUS_RISK).count()
    )


def test_the_facts_hold_no_name_and_a_second_run_with_nothing_new_writes_nothing(report_cases):
    facts = list(Fact.objects.order_by("pk").values())
    assert facts and not any("Robin" in str(fact) or "Testchild" in str(fact) for fact in facts)
    marks = list(Watermark.objects.order_by("name").values_list("name", "last_id"))
    assert report_refresh(now=REPORT_NOW) == 0
    assert list(Fact.objects.order_by("pk").values()) == facts  # the same rows, not rebuilt
    assert list(Watermark.objects.order_by("name").values_list("name", "last_id")) == marks


def test_a_case_rebuilt_again_gives_the_same_facts(report_cases):
    def meaning():
        return sorted(tuple(v for k, v in fact.items() if k != "id") for fact in Fact.objects.values())

    before = meaning()
    facts_replace(Referral.objects.values_list("pk", flat=True))
    assert meaning() == before


def test_a_change_to_a_case_is_counted_by_the_next_run(report_cases):
    report = _report(report_cases)
    before = _value(report, "minutes-circulated").numerator
    late = next(d.minutes_deadline for d in _ended() if d.minutes_deadline.state == DeadlineState.OPEN)
    deadline_meet(acting_user=report_cases["admin"], deadline=late, at=REPORT_NOW, by="Minutes circulated")
    assert _value(_report(report_cases), "minutes-circulated").numerator == before  # not yet: the task has not run
    report_refresh(now=REPORT_NOW)
    assert _value(_report(report_cases), "minutes-circulated").numerator == before + 1


def test_disagreements_by_stage_and_subject(world):
    """Professional disagreements (issue 30) counted by the stage each is open at or ended at, and by subject."""
    people = managed(world)
    referral = builders.case(people)
    builders.convene(people, referral)  # police and health invited: police may raise one
    escalated = raise_(people, referral, by="police", with_person="sw")
    record(people, escalated, by="sw", result=StageResult.ESCALATED, now=RAISED + dt.timedelta(hours=2))
    resolved = raise_(people, referral, by="police", with_person="sw", subject=Subject.DISCUSSION_OUTCOME)
    record(people, resolved, by="sw", result=StageResult.RESOLVED, now=RAISED + dt.timedelta(hours=3))
    raise_(people, referral, by="police", with_person="sw")
    report_refresh(now=REPORT_NOW)
    report = _report(people)
    rows = list(Disagreement.objects.all())
    for status in DisagreementStatus:
        for stage in (1, 2):
            expected = len([d for d in rows if d.status == status and d.stage == stage])
            part = Part(report.filters.months(), category=f"stage_{stage}")
            assert _value(report, f"disagreements-{status}", part).numerator == expected
    assert sorted(d.stage for d in rows if d.status == DisagreementStatus.OPEN) == [1, 2]
    for subject in Subject:
        part = Part(report.filters.months(), category=subject)
        assert _value(report, "disagreements-raised", part).numerator == len([d for d in rows if d.subject == subject])


def test_a_clock_not_yet_due_is_no_part_of_a_share(world):
    """A walk: every conference clock of the month, those not yet due too, was in the share's denominator, so the
    current month read 35% held within 15 working days. A share is of the clocks met or past their deadline."""
    from reports.cells import FactRow, cells_for
    from reports.models import Cell, FactKind

    now = dt.datetime(2026, 12, 15, 12, 0, tzinfo=LONDON)

    def icpc(state, due_at, on_time=None):
        return FactRow(
            FactKind.ICPC, "standard", None, "", state, due_at, on_time, None, None, None, None, None, None, 1
        )

    earlier, later = now - dt.timedelta(days=3), now + dt.timedelta(days=10)
    facts = (
        [icpc(DeadlineState.MET, earlier, on_time=True)] * 8
        + [icpc(DeadlineState.MET, earlier, on_time=False)] * 5
        + [icpc(DeadlineState.OPEN, earlier)] * 7  # past due, not held: counted as not within
        + [icpc(DeadlineState.OPEN, later)] * 20  # not yet due: neither
    )
    cells = cells_for(facts, partnership_id=world["partnership"].pk, month=DECEMBER, now=now)
    Cell.objects.bulk_create(cells)
    report = _report(world)
    share = _value(report, "icpc-within-15", Part([DECEMBER]))
    assert (share.numerator, share.denominator, share.shown.text) == (8, 20, "40%")
    assert _value(report, "icpc-due", Part([DECEMBER])).numerator == 40  # the count of clocks due in the month
