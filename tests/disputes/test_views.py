"""The disagreement pages: who sees them (404 for anyone else), each look logged, errors in the GOV.UK summary with
what was typed kept, and the case page's panel."""

import pytest
from django.test import Client
from django.urls import reverse

from disputes.models import Disagreement, StageResult, Subject
from referrals.models import CaseView
from strategy import services as strategy_services
from tests import builders
from tests.conftest import _client_for
from tests.disputes.builders import managed, raise_

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispute_viewers(world):
    return managed(world)


@pytest.fixture
def disputed_case(dispute_viewers):
    """A case received an hour ago, with police and the school invited (health never)."""
    disputed_case = builders.make_referral(acting_user=dispute_viewers["sw"])
    builders.convene(
        dispute_viewers,
        disputed_case,
        now=disputed_case.received_at,
        invitations=[
            {"agency": dispute_viewers["police_agency"], "person": dispute_viewers["police"], "role": "Police officer"},
            {
                "agency": dispute_viewers["school"],
                "person": dispute_viewers["school_dsl"],
                "role": "Designated safeguarding lead",
            },
        ],
    )
    return disputed_case


def client(dispute_viewers, name) -> Client:
    return _client_for(dispute_viewers[name])


def test_who_sees_a_disagreement_and_each_look_is_logged(dispute_viewers, disputed_case):
    disagreement = raise_(
        dispute_viewers, disputed_case, now=disputed_case.received_at
    )  # police with the social worker
    url = reverse("disputes:detail", kwargs={"disagreement_pk": disagreement.pk})
    # Party to it, their line managers, CSC practitioners who see the case, the strategy discussion leads.
    for name in ("police", "sw", "tm", "hos", "police_manager", "police_lead", "health_lead"):
        response = client(dispute_viewers, name).get(url)
        assert response.status_code == 200, name
        assert "Invented: hold a strategy discussion." in response.content.decode()
    # Nobody else: another invited agency, business support, an agency never invited, another partnership.
    for name in ("school_dsl", "admin", "analyst", "health", "outsider"):
        assert client(dispute_viewers, name).get(url).status_code == 404, name
    looks = CaseView.objects.filter(referral=disputed_case, page="disagreement")
    assert set(looks.values_list("user__username", flat=True)) == {
        "police",
        "sw",
        "tm",
        "hos",
        "police_manager",
        "police_lead",
        "health_lead",
    }


def test_the_holder_records_the_stage_and_anyone_else_who_sees_it_is_refused(dispute_viewers, disputed_case):
    disagreement = raise_(dispute_viewers, disputed_case, now=disputed_case.received_at)
    url = reverse("disputes:stage", kwargs={"disagreement_pk": disagreement.pk})
    data = {"said": "Invented: agreed to hold a discussion.", "result": StageResult.RESOLVED}
    assert client(dispute_viewers, "hos").post(url, data).status_code == 403
    assert client(dispute_viewers, "school_dsl").post(url, data).status_code == 404
    page = client(dispute_viewers, "sw").get(reverse("disputes:detail", kwargs={"disagreement_pk": disagreement.pk}))
    assert "Record stage 1" in page.content.decode()
    response = client(dispute_viewers, "sw").post(url, data)
    assert response.status_code == 302
    disagreement.refresh_from_db()
    assert disagreement.status == "resolved"


def test_a_stage_recorded_badly_shows_the_error_summary_and_keeps_what_was_typed(dispute_viewers, disputed_case):
    disagreement = raise_(dispute_viewers, disputed_case, now=disputed_case.received_at)
    url = reverse("disputes:stage", kwargs={"disagreement_pk": disagreement.pk})
    response = client(dispute_viewers, "sw").post(url, {"said": "Invented words typed", "result": ""})
    body = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in body and "Select the result of this stage" in body
    assert "Invented words typed" in body
    disagreement.refresh_from_db()
    assert disagreement.stages.get().result == ""


def test_raising_from_the_page_and_its_errors(dispute_viewers, disputed_case):
    url = reverse("disputes:raise", kwargs={"pk": disputed_case.pk})
    police = client(dispute_viewers, "police")
    assert police.get(url).status_code == 200
    empty = police.post(url, {}).content.decode()  # every problem in one round (a walk: the subject's alone first)
    for message in ("Select what the disagreement is about", "Select the agency you disagree with"):
        assert message in empty.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0], message
    assert "Enter the outcome you are seeking" in empty
    response = police.post(url, {"subject": Subject.CHILD_DECISION, "outcome_sought": "Invented outcome typed"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Select the agency you disagree with" in body and "Select the child the decision is about" in body
    assert "Invented outcome typed" in body
    assert not Disagreement.objects.exists()
    child = builders.children_of(disputed_case)[0]
    response = police.post(
        url,
        {
            "subject": Subject.CHILD_DECISION,
            "child": child.pk,
            "with_agency": dispute_viewers["csc"].pk,
            "with_person": dispute_viewers["sw"].pk,
            "outcome_sought": "Invented outcome typed",
            "immediate_risk": "on",
        },
    )
    disagreement = Disagreement.objects.get()
    assert response.status_code == 302 and response.url == f"/disagreements/{disagreement.pk}/"
    assert (disagreement.child, disagreement.with_person, disagreement.immediate_risk) == (
        child,
        dispute_viewers["sw"],
        True,
    )
    # An agency never invited, business support and another partnership may not: 404 whatever the method.
    for name in ("health", "admin", "outsider"):
        assert client(dispute_viewers, name).get(url).status_code == 404, name
        assert client(dispute_viewers, name).post(url, {}).status_code == 404, name


def test_after_closure_an_invited_agency_raises_one_by_the_case_reference(dispute_viewers, disputed_case):
    strategy_services.case_close(
        acting_user=dispute_viewers["tm"],
        referral=disputed_case,
        outcome="threshold_not_met",
        reason="Invented",
        now=disputed_case.received_at,
    )
    police = client(dispute_viewers, "police")
    assert police.get(reverse("referrals:detail", kwargs={"pk": disputed_case.pk})).status_code == 404
    find = reverse("disputes:find")
    response = police.post(find, {"reference": disputed_case.reference.lower()})
    assert response.status_code == 302 and response.url == reverse("disputes:raise", kwargs={"pk": disputed_case.pk})
    page = police.get(response.url)
    assert page.status_code == 200
    # Raising grants no access to the case: police no longer see it, so its children and actions are not offered
    # (nor the subjects that would name one), only the subjects about the case as a whole.
    html = page.content.decode()
    for person in disputed_case.people.all():
        assert person.last_name not in html
    assert 'name="child"' not in html and 'name="action"' not in html
    assert 'value="child_decision"' not in html and 'value="threshold"' in html
    refused = police.post(response.url, {"subject": "child_decision", "outcome_sought": "Invented."})
    assert refused.status_code == 400 and "Select" in refused.content.decode()
    # Health was never invited: the same reference reads as no such case.
    response = client(dispute_viewers, "health").post(find, {"reference": disputed_case.reference})
    assert response.status_code == 400
    assert "no case with this reference that you can raise a disagreement about" in response.content.decode()


def test_the_case_page_lists_open_disagreements_to_those_who_see_them(dispute_viewers, disputed_case):
    disagreement = raise_(dispute_viewers, disputed_case, now=disputed_case.received_at)
    case_url = reverse("referrals:detail", kwargs={"pk": disputed_case.pk})
    link = reverse("disputes:detail", kwargs={"disagreement_pk": disagreement.pk})
    sw_page = client(dispute_viewers, "sw").get(case_url).content.decode()
    assert link in sw_page and reverse("disputes:raise", kwargs={"pk": disputed_case.pk}) in sw_page
    # The school is invited to the case, not party to the disagreement: it sees neither it nor its clock.
    school_page = client(dispute_viewers, "school_dsl").get(case_url).content.decode()
    assert link not in school_page and "Disagreement, stage 1" not in school_page
    assert "Raise a disagreement" in school_page
    history = client(dispute_viewers, "school_dsl").get(reverse("strategy:history", kwargs={"pk": disputed_case.pk}))
    assert history.status_code == 200 and "Disagreement" not in history.content.decode()
    meeting = client(dispute_viewers, "police").get(
        reverse("strategy:meeting", kwargs={"discussion_pk": disputed_case.discussions.get().pk})
    )
    assert reverse("disputes:raise", kwargs={"pk": disputed_case.pk}) in meeting.content.decode()


def test_an_alert_about_a_stage_leads_to_the_disagreement(dispute_viewers, disputed_case):
    disagreement = raise_(dispute_viewers, disputed_case, now=disputed_case.received_at)
    act = reverse("work:act", kwargs={"deadline_pk": disagreement.deadline_id})
    response = client(dispute_viewers, "tm").get(act)
    assert response.status_code == 302
    assert response.url == reverse("disputes:detail", kwargs={"disagreement_pk": disagreement.pk})
    assert client(dispute_viewers, "school_dsl").get(act).status_code == 404  # sees the case, not the disagreement


def test_the_person_a_disagreement_is_raised_with_finds_it_on_their_home_page(dispute_viewers, disputed_case):
    """From the moment it is raised, not only once its clock is due soon (a walk of `make run`: the person disagreed
    with was told nothing). The row leads to the disagreement; nobody else has it in their queue."""
    disagreement = raise_(dispute_viewers, disputed_case, now=disputed_case.received_at)  # with the social worker
    home = client(dispute_viewers, "sw").get("/").content.decode()
    queue = home[home.index("Disagreements waiting on you") :]
    assert "Respond to a professional disagreement (stage 1)" in queue and disputed_case.reference in queue
    act = reverse("work:act", kwargs={"deadline_pk": disagreement.deadline_id})
    assert f'href="{act}"' in queue
    opened = client(dispute_viewers, "sw").get(act)
    assert opened.status_code == 302
    assert opened["Location"] == reverse("disputes:detail", kwargs={"disagreement_pk": disagreement.pk})
    police_home = client(dispute_viewers, "police").get("/").content.decode()
    assert "No professional disagreement is waiting on you." in police_home
