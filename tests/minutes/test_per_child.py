"""The minutes show the risk analysis for each child with its level, and the enquiry plan per child where it
differs (DOMAIN sections 4 and 6); versions approved before keep reading and comparing as they were."""

import copy

import pytest

from minutes import record, services
from minutes.models import Kind
from strategy import services as strategy_services
from strategy.models import RISK_QUESTIONS, Discussion, RiskLevel
from tests import builders
from tests.builders import child
from tests.minutes.conftest import AFTER, minutes_checker, pdf_pages

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(world):
    """Held: Robin at high risk, Sky at low; the plan for the whole discussion and one item different for Sky."""
    referral = builders.case(world, children=[child("Robin", "Testchild"), child("Sky", "Testchild")])
    discussion = builders.convene(world, referral)
    robin, sky = builders.children_of(referral)
    builders.start(world, discussion)
    builders.attend(world, discussion)
    tm = builders.checker(world["tm"], discussion)
    for subject, level, worry in (
        (robin, RiskLevel.HIGH, "Invented: Robin's worry"),
        (sky, RiskLevel.LOW, "Invented: Sky's worry"),
    ):
        strategy_services.child_risk_save(
            acting_user=world["tm"],
            checker=tm,
            child=subject,
            data={"worry": worry, "impact": "Invented", "factors": "Invented", "reduce": "Invented", "level": level},
            version=None,
        )
    strategy_services.risk_save(
        acting_user=world["tm"], checker=tm, data={"risk_review": "Invented: at the core group"}, version=None
    )
    builders.full_plan(world, discussion)
    strategy_services.plan_save(
        acting_user=world["tm"],
        checker=tm,
        answers={"medical": ("", "Invented: no injury to Sky")},
        version=None,
        child=sky,
    )
    for subject in (robin, sky):
        builders.decide(world, discussion, subject)
    builders.end(world, discussion)
    discussion.refresh_from_db()
    return discussion


def test_the_snapshot_has_each_childs_analysis_with_its_level_and_the_review_once(two):
    risk = record.snapshot(two, now=AFTER)["sections"]["risk"]
    assert [(c["child"], c["level"], c["answers"][0]) for c in risk["children"]] == [
        ("Robin Testchild", "High", [RISK_QUESTIONS["worry"], "Invented: Robin's worry"]),
        ("Sky Testchild", "Low", [RISK_QUESTIONS["worry"], "Invented: Sky's worry"]),
    ]
    assert risk["review"] == [[RISK_QUESTIONS["review"], "Invented: at the core group"]]
    assert risk["for_all"] == []


def test_the_snapshot_has_the_plan_for_a_child_where_it_differs(two):
    plan = record.snapshot(two, now=AFTER)["sections"]["plan"]
    medical = next(row for row in plan if row["item"].startswith("Medical assessment"))
    assert medical["answer"] == "Invented answer."
    assert medical["children"] == [
        {"child": "Sky Testchild", "answer": "", "not_needed_because": "Invented: no injury to Sky"}
    ]
    assert all(row["children"] == [] for row in plan if row is not medical)


def test_the_pdf_shows_each_childs_level_and_the_plan_where_it_differs(world, two, tmp_path):
    version = services.minutes_approve(acting_user=world["tm"], checker=minutes_checker(world["tm"], two), now=AFTER)
    text = " ".join(" ".join(pdf_pages(bytes(services.documents_ensure(version)[Kind.FULL].pdf), tmp_path)).split())
    assert "Robin Testchild: high risk" in text and "Sky Testchild: low risk" in text
    assert "High: significant harm is likely soon unless protective action is taken now" in text
    assert "Invented: Robin's worry" in text and "Invented: at the core group" in text
    assert "For Sky Testchild: not needed because Invented: no injury to Sky" in text


def test_a_change_to_one_childs_level_changes_the_risk_analysis_only(world, two):
    before = record.snapshot(two, now=AFTER)
    sky = builders.children_of(two.referral)[1]
    strategy_services.child_risk_save(
        acting_user=world["tm"],
        checker=builders.checker(world["tm"], two),
        child=sky,
        data={"worry": "Invented: Sky's worry", "impact": "Invented", "factors": "Invented", "reduce": "Invented"}
        | {"level": RiskLevel.MEDIUM},
        version=None,
    )
    assert record.changed_sections(before, record.snapshot(two, now=AFTER)) == ["Risk analysis"]


def test_a_version_from_before_reads_as_unchanged_when_nothing_per_child_has_been_recorded(world):
    """A snapshot approved before the analysis was per child (one list of five answers) compares equal to today's
    record of the same discussion: its answers are shown "for all the children", and the plan rows had no
    per-child answers."""
    referral = builders.case(world)
    discussion = builders.convene(world, referral)
    worry = "Invented: a worry recorded for all the children"
    Discussion.objects.filter(pk=discussion.pk).update(risk_worry=worry, risk_review="Invented: in a month")
    builders.full_plan(world, discussion)
    discussion.refresh_from_db()
    now = record.snapshot(discussion, now=AFTER)
    assert now["sections"]["risk"]["for_all"][0] == [RISK_QUESTIONS["worry"], worry]
    old = copy.deepcopy(now)
    old["sections"]["risk"] = [
        ["What harm are we most worried about", worry],
        ["Its impact on the child", ""],
        ["What makes harm more or less likely", ""],
        ["What is needed to reduce it", ""],
        ["When it will be reviewed", "Invented: in a month"],
    ]
    for row in old["sections"]["plan"]:
        del row["children"]
    assert record.changed_sections(old, now) == []
