"""The demo's professional disagreements (issue 30): one resolved at stage 1, one escalated to stage 2 and overdue,
one urgent; and every demo user who may raise one has a line manager."""

import datetime as dt

import pytest

from agencies.models import PRACTITIONER_ROLES, User
from core.timescales import LONDON
from disputes.models import Disagreement, DisagreementStatus, StageNumber, StageResult
from referrals.models import DeadlineState

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


def test_one_urgent(seeded_disagreements):
    urgent = seeded_disagreements["Wren"]
    assert urgent.immediate_risk and urgent.is_open and urgent.child.first_name == "Jacob"
    assert urgent.raised_by.username == "health.demo" and urgent.with_person.username == "police.demo"


def test_everyone_who_may_raise_one_has_a_line_manager(seeded_disagreements):
    practitioners = User.objects.filter(is_demo=True, roles__code__in=PRACTITIONER_ROLES).distinct()
    assert practitioners.count() >= 9
    missing = [u.username for u in practitioners.select_related("line_manager") if u.line_manager is None]
    assert missing == []
