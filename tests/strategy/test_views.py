"""The strategy discussion pages through the real middleware: who reaches them, each section saving alone."""

import datetime as dt

import pytest
from django.db import connection
from django.http import HttpRequest
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from referrals.models import Deadline
from strategy.models import ChildRisk, Discussion, InformationEntry
from tests.builders import child, make_referral
from tests.strategy.test_invitations import _convene_data

pytestmark = pytest.mark.django_db


def meeting_url(discussion: Discussion) -> str:
    return reverse("strategy:meeting", kwargs={"discussion_pk": discussion.pk})


def section_url(discussion: Discussion, section: str) -> str:
    return reverse(f"strategy:{section}", kwargs={"discussion_pk": discussion.pk})


def test_convene_page_proposes_invitees_with_their_reasons(tm_client, world):
    referral = make_referral(
        acting_user=world["sw"],
        children=[child(in_hospital=True, hospital="Invented General, ward 3")],
        referrer_agency=world["police_agency"],
        referrer_organisation="",
        concerns=["physical"],
    )
    response = tm_client.get(reverse("strategy:convene", kwargs={"pk": referral.pk}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Core agency: always expected" in page
    assert "Paediatrician" in page and "Medical implications: physical abuse" in page
    assert "Consultant and senior ward nurse" in page and "Invented General, ward 3" in page
    assert "Core agency: always expected; they made the referral" in page  # the referring police: one row


def test_convening_in_the_browser_creates_the_discussion_and_invites(tm_client, world):
    referral = make_referral(acting_user=world["sw"])
    url = reverse("strategy:convene", kwargs={"pk": referral.pk})
    form = tm_client.get(url).context["form"]
    received = referral.received_at.astimezone(dt.UTC)
    data = {
        "trigger": "new_referral",
        "identified_date_0": received.day,
        "identified_date_1": received.month,
        "identified_date_2": received.year,
        "identified_time": "00:00",
        "urgency": "standard",
        "scheduled_date_0": received.day,
        "scheduled_date_1": received.month,
        "scheduled_date_2": received.year,
        "scheduled_time": "15:00",
        "format": "virtual",
        "chair": world["tm"].pk,
        "children": [p.pk for p in referral.people.all()],
        "reason": "Invented reason",
    }
    for row in form.proposal_rows:
        key = row["proposal"].key
        if key == "police":
            data[f"invite_{key}"] = "on"
            data[f"agency_{key}"] = world["police_agency"].pk
        elif not row.get("missing"):
            data[f"agency_{key}"] = row["agency"].value()
            data[f"decline_{key}"] = "Not needed for an invented test"
    response = tm_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    discussion = Discussion.objects.get(referral=referral)
    agencies = set(discussion.invitations.filter(status="invited").values_list("agency__name", flat=True))
    assert agencies == {"Invented CSC", "Invented Police"}
    declined = discussion.invitations.get(proposal="health")
    assert declined.status == "declined" and declined.decline_reason == "Not needed for an invented test"


def test_a_bad_date_and_a_proposal_left_out_without_its_reason_are_both_said_in_one_round(tm_client, world):
    """A walk of `make run` saw the reasons for leaving proposals out asked only once the date was put right."""
    referral = make_referral(acting_user=world["sw"])
    url = reverse("strategy:convene", kwargs={"pk": referral.pk})
    form = tm_client.get(url).context["form"]
    data = {**_convene_data(referral, world), "identified_date_0": "31", "identified_date_1": "2"}  # 31 February
    for row in form.proposal_rows:
        if not row.get("missing"):
            data[f"agency_{row['proposal'].key}"] = row["agency"].value()  # nothing ticked, no reason given
    response = tm_client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 400
    summary = page.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    assert "Date the concern was identified must be a real date" in summary
    declinable = [row for row in form.proposal_rows if not row.get("missing") and "decline" in row]
    assert len(declinable) >= 2 and "Give the reason for not inviting the police" in summary
    assert summary.count("Give the reason for not inviting") == len(declinable)  # each unticked proposal, once
    assert not Discussion.objects.filter(referral=referral).exists()


def test_a_chair_who_is_not_a_team_manager_is_refused_on_the_page(tm_client, world):
    referral = make_referral(acting_user=world["sw"])
    url = reverse("strategy:convene", kwargs={"pk": referral.pk})
    response = tm_client.post(url, {"chair": world["sw"].pk})
    assert response.status_code == 400
    assert "Select the chair from the list" in response.content.decode()
    assert not Discussion.objects.filter(referral=referral).exists()


def test_invited_police_reach_the_meeting_and_uninvited_agencies_get_404(
    new_discussion, police_client, outsider_client, world
):
    discussion = new_discussion(invite=[world["police_agency"]])
    assert police_client.get(meeting_url(discussion)).status_code == 200
    assert outsider_client.get(meeting_url(discussion)).status_code == 404
    health_client = _client(world["health"])
    assert health_client.get(meeting_url(discussion)).status_code == 404
    assert health_client.get(reverse("referrals:detail", kwargs={"pk": discussion.referral.pk})).status_code == 404


def _client(user):
    from django.test import Client

    from tests.factories import TEST_PASSWORD

    client = Client()
    assert client.login(request=HttpRequest(), username=user.username, password=TEST_PASSWORD)
    return client


def _risk_post(discussion, *, version: int = 0, **answers: str) -> dict:
    """The risk analysis form of the discussion's first child (Robin), as the meeting page posts it."""
    subject = discussion.children.order_by("position", "pk").first()
    return {
        "child": subject.pk,
        f"risk-{subject.pk}-version": str(version),
        **{f"risk-{subject.pk}-{key}": value for key, value in answers.items()},
    }


def test_police_list_shows_exactly_the_cases_police_are_invited_to(new_discussion, police_client, world):
    invited = new_discussion(invite=[world["police_agency"]])
    not_invited = new_discussion(invite=[])
    page = police_client.get(reverse("referrals:list")).content.decode()
    assert invited.referral.reference in page
    assert not_invited.referral.reference not in page


def test_each_section_saves_on_its_own_while_another_is_invalid(new_discussion, tm_client, world):
    discussion = new_discussion()
    # An invalid information entry (no text) is refused...
    bad = tm_client.post(section_url(discussion, "information"), {"information-agency": world["police_agency"].pk})
    assert bad.status_code == 400
    assert "Enter the information shared" in bad.content.decode()
    assert not InformationEntry.objects.exists()
    # ...and the risk analysis, a different section, still saves.
    good = tm_client.post(section_url(discussion, "risk"), _risk_post(discussion, worry="Invented worry"))
    assert good.status_code == 302
    assert ChildRisk.objects.get(discussion=discussion).worry == "Invented worry"


def test_with_htmx_a_section_is_drawn_again_with_saved_at(new_discussion, tm_client):
    discussion = new_discussion()
    response = tm_client.post(
        section_url(discussion, "risk"), _risk_post(discussion, worry="Invented worry"), headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section class="app-section')
    assert "Risk analysis for Robin Testchild saved at" in page


def test_the_second_of_two_saves_from_the_same_version_is_refused_with_both_versions(
    new_discussion, tm_client, sw_client
):
    discussion = new_discussion()
    first = sw_client.post(section_url(discussion, "risk"), _risk_post(discussion, worry="First worry"))
    assert first.status_code == 302
    second = tm_client.post(section_url(discussion, "risk"), _risk_post(discussion, worry="Second worry"))
    page = second.content.decode()
    assert second.status_code == 409
    assert "Someone else saved this section" in page
    assert "First worry" in page and "Second worry" in page  # theirs shown, yours kept in the form
    assert ChildRisk.objects.get(discussion=discussion).worry == "First worry"


def test_police_mark_their_own_attendance_but_not_health(new_discussion, police_client, world):
    discussion = new_discussion()
    police = discussion.invitations.get(agency=world["police_agency"])
    health = discussion.invitations.get(agency=world["health"].agency)
    ok = police_client.post(
        section_url(discussion, "attendance"),
        {
            "attendance-version": "0",
            f"attendance-attendance_{police.pk}": "attended",
            f"attendance-person_{police.pk}": world["police"].pk,  # who attended: a line attended names someone
        },
    )
    assert ok.status_code == 302
    police.refresh_from_db()
    assert (police.attendance, police.person) == ("attended", world["police"])
    # The health line is not on the police officer's form: posting it changes nothing.
    police_client.post(
        section_url(discussion, "attendance"),
        {"attendance-version": "1", f"attendance-attendance_{health.pk}": "apologies"},
    )
    health.refresh_from_db()
    assert health.attendance == "invited"


def test_police_may_not_post_the_risk_analysis_or_authorise(new_discussion, police_client):
    discussion = new_discussion()
    assert police_client.post(section_url(discussion, "risk"), {"risk-version": "0"}).status_code == 403
    assert police_client.post(section_url(discussion, "risk"), _risk_post(discussion, level="low")).status_code == 403
    assert not ChildRisk.objects.exists()
    assert police_client.post(section_url(discussion, "authorise"), {"decision": "1"}).status_code in (403, 404)


def test_the_case_page_and_meeting_page_cost_the_same_for_more_people_and_entries(new_discussion, tm_client, world):
    small = new_discussion()
    large_referral = make_referral(
        acting_user=world["sw"],
        children=[child(f"Child{n}", "Testchild") for n in range(6)],
    )
    large = new_discussion(large_referral)
    for discussion in (small, large):
        tm_client.post(section_url(discussion, "start"))
        for n in range(3 if discussion is small else 9):
            tm_client.post(
                section_url(discussion, "information"),
                {
                    "information-agency": world["police_agency"].pk,
                    "information-information": f"Invented entry {n}",
                    "information-consent": "not_applicable",
                },
            )
        for person in discussion.children.all():
            tm_client.post(
                section_url(discussion, "decision"),
                {
                    "child": person.pk,
                    f"decision-{person.pk}-child": person.pk,
                    f"decision-{person.pk}-version": "0",
                    f"decision-{person.pk}-decisions": "s17",
                    f"decision-{person.pk}-reasoning": "Invented reasoning",
                },
            )
    counts = {}
    for name, discussion in (("small", small), ("large", large)):
        for page, url in (
            ("meeting", meeting_url(discussion)),
            ("case", reverse("referrals:detail", kwargs={"pk": discussion.referral.pk})),
        ):
            with CaptureQueriesContext(connection) as queries:
                assert tm_client.get(url).status_code == 200
            counts[(name, page)] = len(queries)
    assert counts[("small", "meeting")] == counts[("large", "meeting")]
    assert counts[("small", "case")] == counts[("large", "case")]
    assert Deadline.objects.filter(rule="ASSESSMENT", referral=large.referral).count() == 6


def test_a_telephone_discussion_about_a_harm_needing_a_meeting_shows_a_warning(new_discussion, world, tm_client):
    referral = make_referral(acting_user=world["sw"], concerns=["organised"])
    by_phone = new_discussion(referral, format="telephone")
    page = tm_client.get(meeting_url(by_phone)).content.decode()
    assert "This discussion is by telephone, but it is about organised or complex abuse" in page
    in_person = new_discussion(make_referral(acting_user=world["sw"], concerns=["organised"]), format="face_to_face")
    assert "This discussion is by telephone" not in tm_client.get(meeting_url(in_person)).content.decode()


def test_an_alleged_abuser_who_is_a_child_prompts_a_discussion_of_their_own(world, tm_client):
    referral = make_referral(
        acting_user=world["sw"],
        others=[{"kind": "alleged_abuser", "first_name": "Jo", "last_name": "Inventedteen", "under_18": True}],
    )
    page = tm_client.get(reverse("strategy:convene", kwargs={"pk": referral.pk})).content.decode()
    assert "Jo Inventedteen is also a child: they need a strategy discussion of their own" in page


def test_ending_the_meeting_too_soon_lists_what_is_missing_and_ends_nothing(new_discussion, tm_client):
    discussion = new_discussion()
    response = tm_client.post(section_url(discussion, "end"))
    page = response.content.decode()
    assert response.status_code == 400
    assert "The meeting cannot end yet" in page
    assert "Start the meeting first" in page
    assert "Record the attendance of the chair (children&#x27;s social care)" in page
    assert "Record why the discussion proceeds without police, health, or record their attendance" in page
    assert "Record the decision for Robin Testchild" in page
    discussion.refresh_from_db()
    assert discussion.status == "convened" and discussion.minutes_deadline is None


def test_only_a_team_manager_authorises_s47_through_the_page(new_discussion, sw_client, tm_client, world):
    discussion = new_discussion()
    robin = discussion.children.get(first_name="Robin")
    tm_client.post(section_url(discussion, "start"))
    tm_client.post(
        section_url(discussion, "decision"),
        {
            "child": robin.pk,
            f"decision-{robin.pk}-child": robin.pk,
            f"decision-{robin.pk}-version": "0",
            f"decision-{robin.pk}-decisions": "s47",
            f"decision-{robin.pk}-investigation_type": "joint",
            f"decision-{robin.pk}-reasoning": "Invented reasoning",
        },
    )
    decision = discussion.decisions.get(child=robin)
    assert sw_client.post(section_url(discussion, "authorise"), {"decision": decision.pk}).status_code == 403
    decision.refresh_from_db()
    assert decision.s47_authorised_by is None
    assert tm_client.post(section_url(discussion, "authorise"), {"decision": decision.pk}).status_code == 302
    decision.refresh_from_db()
    assert decision.s47_authorised_by == world["tm"]
    assert Deadline.objects.filter(referral=discussion.referral, rule="ICPC", child=robin, state="open").exists()


def test_closing_an_injured_infants_case_without_a_discussion_is_refused_on_the_page(world, sw_client, tm_client):
    referral = make_referral(
        acting_user=world["sw"], concerns=["non_mobile_injury", "physical"], non_mobile_infant_injury=True
    )
    url = reverse("strategy:close_case", kwargs={"pk": referral.pk})
    data = {"outcome": "threshold_not_met", "reason": "Invented reason"}
    assert sw_client.post(url, data).status_code == 403  # a team manager's act
    response = tm_client.post(url, data)
    assert response.status_code == 400
    assert "cannot be closed without a strategy discussion" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status != "closed"


def test_the_police_referral_list_costs_the_same_for_one_invited_case_or_five(new_discussion, police_client, world):
    counts = []
    for total in (1, 5):
        while len(counts) < 2 and _invited_cases(world) < total:
            new_discussion(invite=[world["police_agency"]])
        with CaptureQueriesContext(connection) as queries:
            response = police_client.get(reverse("referrals:list"))
        assert response.status_code == 200
        counts.append(len(queries))
    # session, user, roles, agency of the user; the page of referrals (access filter through the guardian
    # grant table) with its count; the children prefetched; the partnership of the rows.
    assert counts[0] == counts[1]


def _invited_cases(world) -> int:
    from referrals.access import referrals_visible_to

    return referrals_visible_to(world["police"]).count()


def test_the_same_information_sent_twice_adds_one_entry(new_discussion, police_client, world):
    discussion = new_discussion()
    data = {
        "information-submission_key": "4d1c5a7e-1d3b-4f51-9d4c-2b0c6f1e9a10",
        "information-agency": world["police_agency"].pk,
        "information-information": "Invented entry",
        "information-consent": "not_sought",
        "information-consent_manager_reason": "Invented: the team manager agreed checks without consent.",
    }
    assert police_client.post(section_url(discussion, "information"), data).status_code == 302
    assert police_client.post(section_url(discussion, "information"), data).status_code == 302
    assert InformationEntry.objects.filter(discussion=discussion).count() == 1


def test_saved_without_javascript_says_so_in_the_section_not_a_banner(new_discussion, tm_client):
    discussion = new_discussion()
    response = tm_client.post(section_url(discussion, "risk"), _risk_post(discussion, worry="Invented"), follow=True)
    page = response.content.decode()
    subject = discussion.children.order_by("position", "pk").first()
    assert response.redirect_chain[-1][0].endswith(f"#risk-{subject.pk}")
    risk = page[page.index(f'id="risk-{subject.pk}"') :]
    assert "Risk analysis for Robin Testchild saved at" in risk[: risk.index("</section>")]
    assert "govuk-notification-banner" not in page


def test_withdrawing_an_invitation_needs_a_reason(new_discussion, tm_client, world):
    discussion = new_discussion()
    police = discussion.invitations.get(agency=world["police_agency"])
    tm_client.post(section_url(discussion, "withdraw"), {"invitation": police.pk, "reason": ""})
    police.refresh_from_db()
    assert police.status == "invited"
    tm_client.post(section_url(discussion, "withdraw"), {"invitation": police.pk, "reason": "Invented: wrong force"})
    police.refresh_from_db()
    assert (police.status, police.withdraw_reason) == ("withdrawn", "Invented: wrong force")


def test_an_analyst_cannot_be_named_as_an_invitee(new_discussion, tm_client, world):
    discussion = new_discussion()
    response = tm_client.post(
        section_url(discussion, "invite"), {"invite-agency": world["csc"].pk, "invite-person": world["analyst"].pk}
    )
    assert response.status_code == 400
    assert not discussion.invitations.filter(person=world["analyst"]).exists()


def test_police_asking_for_a_csc_section_are_refused_before_any_validation(new_discussion, police_client):
    discussion = new_discussion()
    response = police_client.post(section_url(discussion, "decision"), {"child": "1"})
    assert response.status_code == 403
