"""The risk analysis per child with a level of risk, and the enquiry plan per child where it differs (DOMAIN
section 4, [002] [003]): through the services and the meeting page, with and without JavaScript."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from strategy import services
from strategy.models import CHILD_RISK_QUESTIONS, PLAN_ITEMS, RISK_QUESTIONS, ChildRisk, EnquiryPlanItem, RiskLevel
from tests.builders import (
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
    record_standing,
    start,
)

pytestmark = pytest.mark.django_db

TWO_CHILDREN = [child("Robin", "Testchild"), child("Sky", "Testchild")]


def _two(world):
    discussion = convene(world, case(world, children=TWO_CHILDREN))
    return discussion, *children_of(discussion.referral)


def _answers(**overrides) -> dict[str, str]:
    return {**dict.fromkeys(CHILD_RISK_QUESTIONS, "Invented answer."), "level": RiskLevel.HIGH, **overrides}


def _url(discussion, section: str) -> str:
    return reverse(f"strategy:{section}", kwargs={"discussion_pk": discussion.pk})


# --- The questions, worded once ---------------------------------------------------------------------------------


def test_the_five_questions_of_the_sources_are_worded_once_four_per_child_and_the_review_for_the_discussion():
    assert list(RISK_QUESTIONS) == ["worry", "impact", "factors", "reduce", "review"]
    assert [str(ChildRisk._meta.get_field(key).verbose_name) for key in CHILD_RISK_QUESTIONS] == [
        RISK_QUESTIONS[key] for key in CHILD_RISK_QUESTIONS
    ]
    assert [level.label for level in RiskLevel] == ["High", "Medium", "Low"]


# --- The risk analysis per child ------------------------------------------------------------------------------


def test_each_child_has_their_own_risk_analysis_and_level_kept_in_history(world):
    discussion, robin, sky = _two(world)
    tm = checker(world["tm"], discussion)
    services.child_risk_save(acting_user=world["tm"], checker=tm, child=robin, data=_answers(), version=0)
    services.child_risk_save(
        acting_user=world["sw"],
        checker=checker(world["sw"], discussion),
        child=sky,
        data=_answers(worry="Invented: Sky's own worry.", level=RiskLevel.LOW),
        version=0,
    )
    risks = {r.child: r for r in ChildRisk.objects.filter(discussion=discussion)}
    assert (risks[robin].level, risks[sky].level) == ("high", "low")
    assert risks[sky].worry == "Invented: Sky's own worry."
    services.child_risk_save(
        acting_user=world["tm"], checker=tm, child=robin, data=_answers(level=RiskLevel.MEDIUM), version=1
    )
    history = list(risks[robin].history.order_by("history_id"))
    assert [(h.level, h.history_user, h.history_change_reason) for h in history] == [
        ("high", world["tm"], "Risk analysis recorded"),
        ("medium", world["tm"], "Risk analysis recorded"),
    ]


def test_a_level_off_the_scale_is_refused_and_nothing_is_saved(world):
    discussion, robin, _sky = _two(world)
    with pytest.raises(ValidationError) as exc:
        services.child_risk_save(
            acting_user=world["tm"],
            checker=checker(world["tm"], discussion),
            child=robin,
            data=_answers(level="severe"),
            version=0,
        )
    assert exc.value.message_dict["level"] == ["Select the level of risk for Robin Testchild: high, medium or low"]
    assert not ChildRisk.objects.exists()
    discussion.refresh_from_db()
    assert discussion.section_versions == {}


def test_only_csc_record_a_childs_risk_analysis_and_only_for_a_child_of_the_discussion(world):
    discussion, robin, _sky = _two(world)
    with pytest.raises(PermissionDenied):
        services.child_risk_save(
            acting_user=world["police"],
            checker=checker(world["police"], discussion),
            child=robin,
            data=_answers(),
            version=None,
        )
    stranger = children_of(case(world))[0]
    with pytest.raises(ValidationError, match="not about that child"):
        services.child_risk_save(
            acting_user=world["tm"],
            checker=checker(world["tm"], discussion),
            child=stranger,
            data=_answers(),
            version=0,
        )
    assert not ChildRisk.objects.exists()


def test_the_meeting_cannot_end_until_every_child_has_every_answer_and_a_level(world):
    discussion, robin, sky = _two(world)
    start(world, discussion)
    attend(world, discussion)
    for subject in (robin, sky):
        decide(world, discussion, subject)
    record_standing(world, discussion)  # what every discussion records: left out here, it is another file's
    discussion.refresh_from_db()
    tm = checker(world["tm"], discussion)
    services.child_risk_save(
        acting_user=world["tm"], checker=tm, child=robin, data=_answers(impact="", level=""), version=None
    )
    assert services.end_problems(discussion) == [
        "Complete the risk analysis for Robin Testchild: what is its impact on the child; the level of risk",
        "Record the risk analysis for Sky Testchild, with the level of risk",
    ]
    with pytest.raises(ValidationError):
        end(world, discussion)
    services.child_risk_save(acting_user=world["tm"], checker=tm, child=robin, data=_answers(), version=None)
    services.child_risk_save(
        acting_user=world["tm"], checker=tm, child=sky, data=_answers(level=RiskLevel.LOW), version=None
    )
    assert services.end_problems(discussion) == []
    assert end(world, discussion).status == "ended"


def test_an_analysis_recorded_for_all_the_children_before_stays_readable_and_does_not_end_the_meeting(
    world, tm_client, police_client
):
    discussion, robin, sky = _two(world)
    invented = "Invented: a worry recorded once for all the children"
    type(discussion).objects.filter(pk=discussion.pk).update(risk_worry=invented, risk_reduce="Invented: a plan")
    discussion.refresh_from_db()
    assert discussion.legacy_risk_answers()[0] == (RISK_QUESTIONS["worry"], invented)
    start(world, discussion)
    attend(world, discussion)
    for subject in (robin, sky):
        decide(world, discussion, subject)
    assert "Record the risk analysis for Robin Testchild, with the level of risk" in services.end_problems(discussion)
    for client in (tm_client, police_client):
        page = client.get(_url(discussion, "meeting")).content.decode()
        risk = page[page.index('id="risk"') : page.index("</section>", page.index('id="risk"'))]
        assert "For all the children" in risk and invented in risk


# --- The risk analysis on the meeting page ------------------------------------------------------------------------


def _risk_post(subject, *, version: int = 0, **answers: str) -> dict:
    return {
        "child": subject.pk,
        f"risk-{subject.pk}-version": str(version),
        **{f"risk-{subject.pk}-{key}": value for key, value in answers.items()},
    }


def test_a_childs_risk_analysis_saves_from_the_page_without_javascript(world, tm_client):
    discussion, robin, _sky = _two(world)
    response = tm_client.post(
        _url(discussion, "risk"), _risk_post(robin, worry="Invented worry", level="high"), follow=True
    )
    assert response.redirect_chain[-1][0].endswith(f"#risk-{robin.pk}")
    page = response.content.decode()
    block = page[page.index(f'id="risk-{robin.pk}"') :]
    assert "Risk analysis for Robin Testchild saved at" in block
    risk = ChildRisk.objects.get(discussion=discussion, child=robin)
    assert (risk.worry, risk.level) == ("Invented worry", "high")


def test_with_htmx_only_the_risk_section_is_drawn_again_with_each_childs_form(world, tm_client):
    discussion, robin, sky = _two(world)
    response = tm_client.post(_url(discussion, "risk"), _risk_post(sky, level="medium"), headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200 and page.lstrip().startswith('<section class="app-section')
    assert "Risk analysis for Sky Testchild saved at" in page
    assert f'id="risk-{robin.pk}"' in page and f'id="risk-{sky.pk}"' in page
    assert "Level of risk for Sky Testchild" in page
    assert 'value="medium" checked' in page


def test_a_forged_level_gets_an_error_summary_and_keeps_what_was_typed(world, tm_client):
    discussion, robin, _sky = _two(world)
    response = tm_client.post(_url(discussion, "risk"), _risk_post(robin, worry="Typed and kept", level="severe"))
    page = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in page and "Select the level of risk for Robin Testchild" in page
    assert "Typed and kept" in page
    assert not ChildRisk.objects.exists()


def test_a_stale_childs_risk_analysis_is_refused_showing_theirs_and_keeping_yours(world, tm_client, sw_client):
    discussion, robin, sky = _two(world)
    assert sw_client.post(_url(discussion, "risk"), _risk_post(robin, worry="First worry")).status_code == 302
    # Another child's form is versioned on its own: saving Sky's from version 0 is not stale.
    saved = tm_client.post(_url(discussion, "risk"), _risk_post(sky, worry="Sky's worry"), follow=True)
    assert saved.redirect_chain[-1][1] == 302
    second = tm_client.post(_url(discussion, "risk"), _risk_post(robin, worry="Second worry"))
    page = second.content.decode()
    assert second.status_code == 409 and "Someone else saved this section" in page
    assert "First worry" in page and "Second worry" in page
    assert ChildRisk.objects.get(child=robin).worry == "First worry"


def test_a_child_not_of_the_discussion_is_404_and_police_may_not_post_it(world, tm_client, police_client):
    discussion, robin, _sky = _two(world)
    stranger = children_of(case(world))[0]
    assert tm_client.post(_url(discussion, "risk"), _risk_post(stranger, level="low")).status_code == 404
    assert police_client.post(_url(discussion, "risk"), _risk_post(robin, level="low")).status_code == 403
    assert police_client.post(_url(discussion, "plan"), {"child": robin.pk}).status_code == 403
    assert not ChildRisk.objects.exists()


def test_invited_agencies_read_each_childs_analysis_and_level(world, police_client):
    discussion, robin, sky = _two(world)
    assess(world, discussion, level=RiskLevel.HIGH)
    page = police_client.get(_url(discussion, "meeting")).content.decode()
    block = page[page.index(f'id="risk-{robin.pk}"') : page.index(f'id="risk-{sky.pk}"')]
    assert "What harm are we most worried about?" in block and "Invented answer." in block
    assert '<strong class="govuk-tag govuk-tag--red">High</strong>' in block
    assert "Save the risk analysis" not in page


# --- The enquiry plan per child where it differs ----------------------------------------------------------------


def test_the_plan_asks_who_is_interviewed_what_the_child_is_told_and_who_leads_the_enquiry():
    assert {"interviews", "child_sharing", "s47_lead"} <= set(PLAN_ITEMS)
    assert "sharing" not in PLAN_ITEMS  # the family summary is the one home for what the family is told
    assert "by whom and when" in PLAN_ITEMS["interviews"]
    assert "in what stages" in PLAN_ITEMS["child_sharing"]
    assert "by when it finishes" in PLAN_ITEMS["s47_lead"]


def test_a_childs_answer_where_it_differs_is_kept_beside_the_whole_plans_and_cleared_when_blank(world):
    discussion, robin, sky = _two(world)
    tm = checker(world["tm"], discussion)
    full_plan(world, discussion)
    services.plan_save(
        acting_user=world["tm"],
        checker=tm,
        answers={"medical": ("", "Invented: no injury to Sky"), "abe": ("", "")},
        version=0,
        child=sky,
    )
    rows = EnquiryPlanItem.objects.filter(discussion=discussion)
    assert rows.filter(child=None).count() == len(PLAN_ITEMS)
    assert [(r.item, r.child, r.not_needed_because) for r in rows.exclude(child=None)] == [
        ("medical", sky, "Invented: no injury to Sky")
    ]  # a blank item for a child is no difference: no row
    discussion.refresh_from_db()
    assert discussion.section_versions == {"plan": 1, f"plan-{sky.pk}": 1}
    services.plan_save(acting_user=world["tm"], checker=tm, answers={"medical": ("", "")}, version=1, child=sky)
    differs = rows.get(child=sky)
    assert not differs.recorded  # no longer differs; the row and its history stay
    assert [h.not_needed_because for h in differs.history.order_by("history_id")] == ["Invented: no injury to Sky", ""]
    assert rows.get(child=None, item="medical").answer == "Invented answer."


def test_a_childs_plan_item_cannot_be_both_answered_and_not_needed(world):
    discussion, robin, _sky = _two(world)
    with pytest.raises(ValidationError) as exc:
        services.plan_save(
            acting_user=world["tm"],
            checker=checker(world["tm"], discussion),
            answers={"medical": ("Today", "Not needed")},
            version=0,
            child=robin,
        )
    assert "for Robin Testchild" in exc.value.message_dict["medical"][0]
    assert not EnquiryPlanItem.objects.exists()


def test_ending_needs_the_whole_plan_including_the_new_items_a_childs_answer_does_not_stand_in(world):
    discussion, robin, sky = _two(world)
    start(world, discussion)
    attend(world, discussion)
    assess(world, discussion)
    decide(world, discussion, robin, s47=True)
    decide(world, discussion, sky)
    record_standing(world, discussion)
    discussion.refresh_from_db()
    tm = checker(world["tm"], discussion)
    whole = {item: ("Invented answer.", "") for item in PLAN_ITEMS if item != "s47_lead"}
    services.plan_save(acting_user=world["tm"], checker=tm, answers=whole, version=None)
    services.plan_save(
        acting_user=world["tm"], checker=tm, answers={"s47_lead": ("Invented lead", "")}, version=None, child=robin
    )
    assert services.end_problems(discussion) == [
        "Answer every item of the enquiry plan, or say why it is not needed (1 left)"
    ]
    full_plan(world, discussion)
    assert services.end_problems(discussion) == []


def test_the_plan_for_a_child_saves_from_the_page_and_invited_agencies_read_it(world, tm_client, police_client):
    discussion, robin, sky = _two(world)
    post = {
        "child": sky.pk,
        f"plan-{sky.pk}-version": "0",
        f"plan-{sky.pk}-medical_not_needed": "Invented: no injury to Sky",
    }
    response = tm_client.post(_url(discussion, "plan"), post, follow=True)
    assert response.redirect_chain[-1][0].endswith(f"#plan-{sky.pk}")
    assert "Enquiry plan for Sky Testchild saved at" in response.content.decode()
    assert EnquiryPlanItem.objects.get(child=sky).not_needed_because == "Invented: no injury to Sky"
    page = police_client.get(_url(discussion, "meeting")).content.decode()
    plan = page[page.index('id="plan"') :]
    assert "For Sky Testchild:</strong> Not needed because Invented: no injury to Sky" in plan


def test_a_bad_plan_for_a_child_gets_an_error_summary_keeping_what_was_typed(world, tm_client):
    discussion, _robin, sky = _two(world)
    post = {
        "child": sky.pk,
        f"plan-{sky.pk}-version": "0",
        f"plan-{sky.pk}-medical_answer": "Invented: typed answer",
        f"plan-{sky.pk}-medical_not_needed": "Invented: typed reason",
    }
    response = tm_client.post(_url(discussion, "plan"), post, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in page and "for Sky Testchild: give an answer or say why" in page
    assert "Invented: typed answer" in page and "Invented: typed reason" in page
    assert not EnquiryPlanItem.objects.exists()


def test_one_child_has_no_separate_plan_form(world, tm_client):
    referral = case(world, children=[child("Solo", "Testchild")])
    discussion = convene(world, referral)
    page = tm_client.get(_url(discussion, "meeting")).content.decode()
    assert "Where the plan differs for" not in page
    assert f'id="risk-{children_of(referral)[0].pk}"' in page
