"""The demo's professional disagreements (issue 30): one resolved at stage 1, one escalated to stage 2 and overdue,
one that led to a stage-3 discussion, one urgent; the on-call rota; and every demo user who may raise one has a line
manager."""

import datetime as dt

import pytest

from actions.models import Alert, AlertKind
from agencies.models import PRACTITIONER_ROLES, Duty, OnCall, User
from core.timescales import LONDON
from disputes.models import Disagreement, DisagreementStatus, StageNumber, StageResult
from referrals.models import DeadlineState
from strategy.models import Trigger

pytestmark = pytest.mark.django_db

MOMENT = dt.datetime(2026, 12, 2, 10, 30, tzinfo=LONDON)  # a Wednesday mid-morning


@pytest.fixture
def seeded_disagreements(demo_at) -> dict[str, Disagreement]:
    demo_at(MOMENT)
    return {d.referral.people.filter(kind="child").first().last_name: d for d in Disagreement.objects.all()}


def test_one_resolved_at_stage_1(seeded_disagreements):
    resolved = seeded_disagreements["Penrose"]
    assert (resolved.status, resolved.stage) == (DisagreementStatus.RESOLVED, StageNumber.PRACTITIONERS)
    (stage,) = resolved.stages.all()
    assert stage.result == StageResult.RESOLVED and stage.recorded_by.username == "tm.demo"
    assert stage.deadline.state == DeadlineState.MET


def test_one_at_stage_2_held_by_the_head_of_service_and_overdue(seeded_disagreements):
    overdue = seeded_disagreements["Ellery"]
    assert (overdue.status, overdue.stage) == (DisagreementStatus.OPEN, StageNumber.LINE_MANAGERS)
    stage = overdue.stages.get(number=StageNumber.LINE_MANAGERS)
    assert stage.holder.username == "hos.demo"
    assert {p.username for p in stage.participants.all()} == {"head.primary"}  # the DSL's line manager
    assert stage.deadline.state == DeadlineState.OPEN and stage.deadline.due_at < MOMENT


def test_one_urgent_with_the_leads_alerted(seeded_disagreements):
    urgent = seeded_disagreements["Marchbank"]
    assert urgent.immediate_risk and urgent.is_open and urgent.child.first_name == "Kai"
    assert urgent.raised_by.username == "health.demo" and urgent.with_person.username == "police.demo"
    alerted = {u.username for u in urgent.alerted.all()}
    # Raised two hours before Wednesday 10:30, at 08:30: out of hours, so the strategy discussion leads of health,
    # the police and CSC, and whoever is on call (the emergency duty team; hos.demo is the senior manager too).
    assert urgent.alerted_out_of_hours
    assert alerted == {"health.lead", "police.lead", "hos.demo", "edt.demo"}
    alert = Alert.objects.get(kind=AlertKind.URGENT_DISAGREEMENT, key=f"disagreement:{urgent.pk}")
    assert {n.user.username for n in alert.notifications.all()} == alerted


def test_one_led_to_a_stage_3_discussion(seeded_disagreements):
    disagreement = seeded_disagreements["Wren"]
    assert (disagreement.status, disagreement.stage) == (DisagreementStatus.OPEN, StageNumber.DISCUSSION)
    stage = disagreement.stages.get(number=StageNumber.DISCUSSION)
    assert stage.holder.username == "hos.demo" and stage.deadline.state == DeadlineState.OPEN
    discussion = stage.discussion
    assert discussion.trigger == Trigger.PROFESSIONAL_DISAGREEMENT and discussion.scheduled_at > MOMENT
    assert discussion.referral_id == disagreement.referral_id
    assert {i.agency.name for i in discussion.invitations.all()} >= {"Demo Police", "Demo Health Trust"}


def test_the_on_call_rota_runs_out_within_a_week(seeded_disagreements):
    last = {spell.duty: spell.ends_on for spell in OnCall.objects.all()}
    today = MOMENT.date()
    assert last[Duty.EMERGENCY_DUTY_TEAM] - today < dt.timedelta(days=7) <= last[Duty.SENIOR_MANAGER] - today


def test_everyone_who_may_raise_one_has_a_line_manager(seeded_disagreements):
    practitioners = User.objects.filter(is_demo=True, roles__code__in=PRACTITIONER_ROLES).distinct()
    assert practitioners.count() >= 9
    missing = [u.username for u in practitioners.select_related("line_manager") if u.line_manager is None]
    assert missing == []
