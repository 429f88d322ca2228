"""The demo data holds strategy discussions in every state, written through the strategy services."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from actions.models import Action
from agencies.models import User
from core.timescales import LONDON
from referrals.access import referrals_visible_to
from referrals.models import Person, Referral
from strategy import services
from strategy.models import (
    PLAN_ITEMS,
    Attendance,
    ChildDecision,
    ChildRecord,
    Discussion,
    DiscussionStatus,
    InvitationStatus,
    ProceedWithout,
    RiskLevel,
    Trigger,
)

pytestmark = pytest.mark.django_db

SEEDED_AT = dt.datetime(2026, 12, 2, 10, 30, tzinfo=LONDON)


@pytest.fixture
def demo_output(settings, demo_at):
    settings.DEBUG = True
    return demo_at(SEEDED_AT).output


def case(first_name: str) -> Referral:
    return Referral.objects.get(people__first_name=first_name)


def test_the_demo_has_an_upcoming_discussion_chaired_by_the_team_manager(demo_output):
    upcoming = Discussion.objects.get(referral=case("Leo"), status=DiscussionStatus.CONVENED)
    assert upcoming.scheduled_at > SEEDED_AT
    assert upcoming.chair.username == "tm.demo" and upcoming.convened_by.username == "sw.demo"
    invited = set(upcoming.invitations.filter(status=InvitationStatus.INVITED).values_list("agency__name", flat=True))
    assert {"Demo Police", "Demo Health Trust"} <= invited
    assert set(Discussion.objects.values_list("chair__username", flat=True)) == {"tm.demo"}
    assert "demo data ready: 19 users, 9 referrals created\n6 strategy discussions" in demo_output


def test_an_ended_discussion_authorised_s47_for_one_child_and_no_further_action_for_the_sibling(demo_output):
    held = Discussion.objects.get(referral=case("Mia"))
    assert held.status == DiscussionStatus.ENDED and held.ended_at <= SEEDED_AT
    mia = ChildDecision.objects.get(discussion=held, child__first_name="Mia")
    ella = ChildDecision.objects.get(discussion=held, child__first_name="Ella")
    assert mia.s47 and mia.s47_authorised_by.username == "tm.demo" and mia.s47_authorised_at <= SEEDED_AT
    assert mia.icpc_deadline is not None
    assert ella.nfa and ella.decided() == ["No further action"]
    whole = held.plan_items.filter(child=None)
    assert whole.count() == len(PLAN_ITEMS) and all(i.recorded for i in whole)
    # Where the plan differs for Ella (no medical: she has no injuries), her answer is kept beside the whole plan's.
    assert [(i.item, i.child) for i in held.plan_items.exclude(child=None)] == [("medical", ella.child)]
    # A risk analysis for each child, every question answered, with its level; the review once for the discussion.
    levels = {risk.child.first_name: risk.level for risk in held.child_risks.all() if not risk.unanswered()}
    assert levels == {"Mia": RiskLevel.HIGH, "Ella": RiskLevel.LOW}
    assert held.risk_review and not held.legacy_risk_answers()
    assert set(held.information.values_list("agency__name", flat=True)) >= {
        "Demo Police",
        "Demo Health Trust",
        "Demo Children's Social Care",
    }
    assert held.information.filter(not_for_family=True).exists()
    actions = held.agreed_actions.select_related("lead_agency", "person")
    assert {a.lead_agency.name for a in actions} == {
        "Demo Police",
        "Demo Health Trust",
        "Demo Children's Social Care",
        "Demo Primary School",
    }
    assert all(a.person is not None and a.due_at > SEEDED_AT for a in actions)


def test_a_discussion_proceeded_without_health_with_its_automatic_action(demo_output):
    discussion = Discussion.objects.get(referral=case("Kai"))
    assert discussion.status == DiscussionStatus.ENDED
    assert list(discussion.proceeded_without.values_list("name", flat=True)) == ["Demo Health Trust"]
    assert discussion.proceed_reason and discussion.proceed_urgency
    assert discussion.invitations.get(agency__name="Demo Health Trust").attendance == Attendance.APOLOGIES
    automatic = discussion.agreed_actions.get(automatic=True)
    assert automatic.what == "Obtain information from Demo Health Trust"


def test_the_complex_case_invites_police_and_health_but_declines_the_school_with_a_reason(demo_output):
    complex_case = Discussion.objects.get(referral=case("Ruby"))
    invitations = complex_case.invitations.select_related("agency")
    invited = {i.agency.name for i in invitations if i.status == InvitationStatus.INVITED}
    assert {"Demo Police", "Demo Health Trust"} <= invited and "Demo Primary School" not in invited
    declined = [i for i in invitations if i.status == InvitationStatus.DECLINED]
    assert declined and all(i.agency.name == "Demo Primary School" and i.decline_reason for i in declined)


def test_held_discussions_are_real_and_the_overdue_case_has_none(demo_output):
    # The one held for the injury; the other, convened since to resolve a disagreement (disputes/demo.py), is to come.
    held, later = Discussion.objects.filter(referral=case("Jacob")).order_by("pk")
    assert held.status == DiscussionStatus.ENDED and later.trigger == Trigger.PROFESSIONAL_DISAGREEMENT
    assert later.status != DiscussionStatus.ENDED
    isla = Discussion.objects.get(referral=case("Isla"))
    assert isla.ended_at < case("Isla").closed_at
    noah = case("Noah")
    assert not noah.discussions.exists() and noah.sd_deadline.state == "open" and noah.sd_deadline.due_at < SEEDED_AT


def test_police_see_the_cases_they_are_invited_to_and_the_neighbouring_police_see_nothing(demo_output):
    police = referrals_visible_to(User.objects.get(username="police.demo"))
    assert police.filter(pk=case("Mia").pk).exists() and police.filter(pk=case("Ruby").pk).exists()
    assert not police.filter(people__last_name="Caldwell").exists()
    assert not police.filter(pk=case("Isla").pk).exists()  # closed
    assert not referrals_visible_to(User.objects.get(username="outsider.police")).exists()
    assert not Discussion.objects.filter(invitations__agency__name="Neighbouring Police").exists()


def test_seeding_again_creates_no_discussion_or_action(demo_output, settings):
    counts = (Discussion.objects.count(), Action.objects.count())
    out = io.StringIO()
    call_command("seed_demo", now=SEEDED_AT.isoformat(), stdout=out)
    assert (Discussion.objects.count(), Action.objects.count()) == counts
    assert (
        out.getvalue() == "demo data ready: 19 users, 0 referrals created\n0 strategy discussions, 0 actions created\n"
    )


@pytest.mark.parametrize("username", ["school.demo", "outsider.police", "analyst.demo"])
def test_users_never_invited_reach_no_case_data_anywhere(demo_output, username, settings):
    """DOMAIN section 2: not in lists, search, counts, the dashboard, or by guessing any case URL."""
    from django.test import Client
    from django.urls import reverse

    from actions.models import Action
    from agencies.models import User
    from referrals.access import referrals_visible_to
    from strategy.models import Discussion

    settings.DEBUG = False
    user = User.objects.get(username=username)
    assert not referrals_visible_to(user).exists()
    client = Client()
    client.force_login(user)
    names = list(Referral.objects.values_list("people__last_name", flat=True).distinct())
    for url in (
        reverse("referrals:list"),
        reverse("actions:mine"),
        reverse("actions:agency"),
        reverse("actions:dashboard"),
    ):
        page = client.get(url).content.decode()
        assert not [name for name in names if name and name in page], url
    for referral in Referral.objects.all():
        for url in (f"/referrals/{referral.pk}/", f"/referrals/{referral.pk}/history/"):
            assert client.get(url).status_code == 404
    for discussion in Discussion.objects.all():
        assert client.get(f"/discussions/{discussion.pk}/").status_code == 404
    for action in Action.objects.all():
        assert client.get(f"/actions/{action.pk}/").status_code == 404


def test_the_held_discussion_has_approved_minutes_and_family_summary_ready_to_circulate(demo_output):
    from minutes import record, services
    from minutes.access import get_minutes_for_user
    from minutes.models import Kind

    held = Discussion.objects.get(referral=case("Mia"))
    version = held.minutes_versions.get()
    assert version.number == 1 and version.approved_by.username == "tm.demo"
    assert {d.kind for d in version.documents.all()} == {Kind.FULL, Kind.SUMMARY}
    assert version.snapshot["sections"]["family"]["shares"]  # the family summary agreed is in the approved version
    assert held.family_summary.shares and held.family_summary.recorded_by.username == "tm.demo"
    assert record.changed_sections(version.snapshot, services.live_snapshot(held, now=SEEDED_AT)) == []
    parent = held.recipients.get(source="family")
    assert parent.sends == "summary" and parent.email
    admin = User.objects.get(username="admin.demo")
    checker = get_minutes_for_user(admin, held.pk)[1]
    assert checker.can_circulate()
    sent = services.minutes_circulate(acting_user=admin, checker=checker, now=SEEDED_AT)
    assert len(sent) == held.recipients.exclude(sends="none").count() >= 5


def test_the_demo_records_the_steps_after_a_meeting_and_the_sweep_leaves_them_alone(demo_output):
    """Jacob's medical report received, assessment completed and conference held (with a plan) meet their clocks;
    the sweep at the seeding moment and a month on raises nothing for any clock whose step was recorded."""
    from actions import alerts
    from actions.models import Alert
    from referrals.models import Deadline

    wren = case("Jacob")
    met = {d.rule: d for d in Deadline.objects.filter(referral=wren, rule__in=["MEDICAL_REPORT", "ASSESSMENT", "ICPC"])}
    assert {rule: d.state for rule, d in met.items()} == {"MEDICAL_REPORT": "met", "ASSESSMENT": "met", "ICPC": "met"}
    assert met["ICPC"].met_note == "Child protection plan" and not met["ICPC"].met_late
    assert ChildDecision.objects.get(icpc_deadline=met["ICPC"]).conference_outcome == "plan"
    assert met["MEDICAL_REPORT"].met_recorded_by.username == "health.demo"
    alerts.sweep(now=SEEDED_AT)
    alerts.sweep(now=SEEDED_AT + dt.timedelta(days=31))
    stepped = Deadline.objects.filter(state="met").exclude(met_recorded_by=None)
    assert stepped.count() >= 3
    assert not Alert.objects.filter(deadline__in=stepped, raised_at__gte=SEEDED_AT).exists()


def test_the_demo_has_a_case_closed_with_its_outcome_and_minutes_still_to_circulate_and_one_reopened(demo_output):
    from core.timescales import Rule
    from referrals.models import DeadlineState

    isla = case("Isla")
    assert (isla.status, isla.closure_outcome, isla.closed_by.username) == ("closed", "early_help", "tm.demo")
    assert "early help" in isla.closure_reason
    minutes = isla.deadlines.get(rule=Rule.MINUTES_CIRCULATED)
    assert minutes.state == DeadlineState.OPEN  # closing left the duty to circulate running
    assert Discussion.objects.get(referral=isla).minutes_versions.count() == 1
    assert not isla.deadlines.exclude(rule=Rule.MINUTES_CIRCULATED).filter(state=DeadlineState.OPEN).exists()

    sam = case("Sam")
    assert (sam.status, sam.closure_outcome) == ("awaiting_discussion", "threshold_not_met")
    assert sam.reopened_by.username == "tm.demo" and "bruise" in sam.reopen_reason
    assert sam.closed_at < sam.reopened_at < SEEDED_AT
    clock = sam.strategy_discussion_deadline()
    assert (clock.state, clock.starts_at) == (DeadlineState.OPEN, sam.reopened_at)
    assert clock.due_at > SEEDED_AT  # counted from the reopening, not from the original receipt


def test_every_held_discussion_records_the_police_decision_legal_advice_and_protection(demo_output):
    held = Discussion.objects.filter(status="ended")
    assert held.exists()
    for discussion in held:
        assert discussion.police_decision and discussion.police_decision_maker
        assert discussion.legal_advice_sought is not None and discussion.protection
        assert services.end_problems(discussion) == []


def test_the_demo_records_mias_safe_discharge_ellas_child_in_need_support_and_kais_police_protection(demo_output):
    mia = Person.objects.get(first_name="Mia", last_name="Thornbury")
    ella = Person.objects.get(first_name="Ella")
    assert mia.in_hospital and ChildRecord.objects.get(child=mia).safe_discharge
    assert ChildRecord.objects.get(child=ella).cin_support == "not_needed"
    kai = Discussion.objects.get(children__first_name="Kai")
    assert kai.protection == "police_protection" and kai.police_only_first
    assert [(row.agency.name, row.reason) for row in ProceedWithout.objects.filter(discussion=kai)] == [
        ("Demo Health Trust", kai.proceed_reason)
    ]
