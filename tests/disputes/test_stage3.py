"""Stage 3 of a professional disagreement (issue 30 part 2): a strategy discussion held to resolve it, on its clock,
convened from the disagreement and linked both ways, shown on its meeting page and in its minutes; then stage 4, the
partnership."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from pypdf import PdfReader

from actions.alerts import sweep
from actions.models import AlertStage, Notification
from agencies.models import RoleCode
from agencies.selectors import partnership_calendar
from core.timescales import Rule, due_at, to_local
from disputes import services
from disputes.access import get_disagreement_for_user
from disputes.models import DisagreementStatus, Stage, StageResult, Subject
from minutes import pdf
from minutes.models import Kind
from minutes.record import REGISTERED_PARTS, changed_sections, registered_parts, snapshot
from referrals.models import DeadlineState
from strategy import services as strategy_services
from strategy.models import Trigger
from tests import builders
from tests.conftest import _client_for
from tests.disputes.builders import RAISED, managed, raise_, record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ESCALATED_TO_3 = RAISED + dt.timedelta(hours=2)  # Monday 23 November 2026, 15:00
CONVENED = ESCALATED_TO_3 + dt.timedelta(hours=1)
MEETING = dt.datetime(2026, 11, 25, 10, 0, tzinfo=RAISED.tzinfo)  # Wednesday
ENDED = MEETING + dt.timedelta(hours=1)


@pytest.fixture
def stage3_people(world):
    return managed(world)


@pytest.fixture
def case3(stage3_people):
    """A case of two children with a discussion to which police and the school are invited (health never is)."""
    referral = builders.case(stage3_people, children=[builders.child("Robin"), builders.child("Sky")])
    builders.convene(
        stage3_people,
        referral,
        invitations=[
            {"agency": stage3_people["police_agency"], "person": stage3_people["police"], "role": "Police officer"},
            {
                "agency": stage3_people["school"],
                "person": stage3_people["school_dsl"],
                "role": "Designated safeguarding lead",
            },
        ],
    )
    return referral


def at_stage_3(stage3_people, referral, **data):
    """Police disagree with the social worker; not resolved by them (stage 1) nor by the line managers (stage 2)."""
    disagreement = raise_(stage3_people, referral, **data)
    disagreement = record(
        stage3_people, disagreement, by="sw", result=StageResult.ESCALATED, now=RAISED + dt.timedelta(hours=1)
    )
    return record(stage3_people, disagreement, by="tm", result=StageResult.ESCALATED, now=ESCALATED_TO_3)


def convene(stage3_people, disagreement, *, by="sw", now=CONVENED, children=None):
    checker = get_disagreement_for_user(stage3_people[by], disagreement.pk)
    referral = disagreement.referral
    return services.stage_discussion_convene(
        acting_user=stage3_people[by],
        checker=checker,
        data={
            "concern_identified_at": ESCALATED_TO_3,
            "urgency": "standard",
            "scheduled_at": MEETING,
            "format": "virtual",
            "chair": stage3_people["tm"],
            "reason": "Invented: resolve the disagreement about the threshold.",
        },
        children=children if children is not None else builders.children_of(referral),
        invitations=builders.core_invitations(stage3_people),
        now=now,
    )


def test_stage_2_escalated_opens_stage_3_held_by_the_csc_lead_on_its_clock(stage3_people, case3):
    disagreement = at_stage_3(stage3_people, case3)
    stage = disagreement.stages.get(number=3)
    # CSC's strategy discussion lead (its head of service) holds it; the line managers of stage 2 take part.
    assert stage.holder == stage3_people["hos"]
    assert set(stage.participants.all()) == {stage3_people["tm"], stage3_people["police_manager"]}
    clock = disagreement.deadline
    assert clock == stage.deadline and clock.rule == Rule.DISAGREEMENT_STAGE_3
    assert clock.due_at == due_at(Rule.DISAGREEMENT_STAGE_3, ESCALATED_TO_3, partnership_calendar(case3.partnership))
    # 5 working days (the guidance gives none: the default setting): Monday -> Monday 30 November, 17:00.
    assert clock.due_at == dt.datetime(2026, 11, 30, 17, 0, tzinfo=RAISED.tzinfo)
    assert (clock.responsible, clock.agency, clock.state) == (
        stage3_people["hos"],
        stage3_people["csc"],
        DeadlineState.OPEN,
    )


def test_the_stage_3_clock_is_a_partnership_setting(stage3_people, case3):
    case3.partnership.disagreement_stage_3_days = 2
    case3.partnership.save()
    case3.refresh_from_db()
    disagreement = at_stage_3(stage3_people, case3)
    assert to_local(disagreement.deadline.due_at).date() == dt.date(2026, 11, 25)


def test_an_overdue_stage_3_is_chased_to_the_holders_line_manager(stage3_people, case3):
    lead_manager = UserFactory(username="csc_director", agency=stage3_people["csc"], roles=[RoleCode.HEAD_OF_SERVICE])
    stage3_people["hos"].line_manager = lead_manager
    stage3_people["hos"].save()
    clock = at_stage_3(stage3_people, case3).deadline
    sweep(now=clock.due_at + dt.timedelta(minutes=1))
    overdue = Notification.objects.filter(alert__deadline=clock, alert__stage=AlertStage.OVERDUE)
    assert set(overdue.values_list("user__username", flat=True)) == {"hos", "csc_director"}


def test_convened_from_the_disagreement_with_its_trigger_and_linked_both_ways(stage3_people, case3):
    child = builders.children_of(case3)[1]
    disagreement = at_stage_3(stage3_people, case3, subject=Subject.CHILD_DECISION, child=child)
    discussion = convene(stage3_people, disagreement, children=[child])

    assert discussion.trigger == Trigger.PROFESSIONAL_DISAGREEMENT
    stage = Stage.objects.get(disagreement=disagreement, number=3)
    assert stage.discussion == discussion
    assert stage.history.first().history_change_reason == "Strategy discussion convened to resolve the disagreement"
    # The clock of stage 3 runs on until its result is recorded.
    assert stage.deadline.state == DeadlineState.OPEN
    # Twice is refused: one discussion per stage 3.
    with pytest.raises(ValidationError) as raised:
        convene(stage3_people, disagreement)
    assert "already been convened" in str(raised.value)
    assert case3.discussions.filter(trigger=Trigger.PROFESSIONAL_DISAGREEMENT).count() == 1


def test_only_csc_practitioners_on_an_open_case_convene_it(stage3_people, case3):
    disagreement = at_stage_3(stage3_people, case3)
    for name in ("police", "police_manager"):  # they see it, they may not convene a discussion
        with pytest.raises(PermissionDenied):
            convene(stage3_people, disagreement, by=name)
    assert get_disagreement_for_user(stage3_people["tm"], disagreement.pk).convene_state() == "yes"
    strategy_services.case_close(
        acting_user=stage3_people["tm"],
        referral=case3,
        outcome="threshold_not_met",
        reason="Invented",
        now=ESCALATED_TO_3,
    )
    # Closed: the team manager reopens it first (the page says so); nobody convenes on a closed case.
    assert get_disagreement_for_user(stage3_people["tm"], disagreement.pk).convene_state() == "closed"
    with pytest.raises(PermissionDenied):
        convene(stage3_people, disagreement, by="tm")


def test_a_cancelled_stage_3_discussion_lets_another_be_convened(stage3_people, case3):
    disagreement = at_stage_3(stage3_people, case3)
    first = convene(stage3_people, disagreement)
    # Called off: the case closed before it was held (its clock stopped), then reopened.
    strategy_services.case_close(
        acting_user=stage3_people["tm"], referral=case3, outcome="threshold_not_met", reason="Invented", now=CONVENED
    )
    strategy_services.case_reopen(
        acting_user=stage3_people["tm"], referral=case3, reason="Invented: the disagreement", now=CONVENED
    )
    second = convene(stage3_people, disagreement, now=CONVENED + dt.timedelta(minutes=5))
    assert second != first
    assert Stage.objects.get(disagreement=disagreement, number=3).discussion == second


def test_the_result_is_recorded_only_once_the_discussion_has_been_held(stage3_people, case3):
    disagreement = at_stage_3(stage3_people, case3)
    with pytest.raises(ValidationError) as raised:
        record(stage3_people, disagreement, by="hos", result=StageResult.RESOLVED, now=CONVENED)
    assert "No strategy discussion has been convened" in raised.value.message_dict["result"][0]
    discussion = convene(stage3_people, disagreement)
    with pytest.raises(ValidationError) as raised:
        record(stage3_people, disagreement, by="hos", result=StageResult.RESOLVED, now=CONVENED)
    assert raised.value.message_dict == {
        "result": ["The strategy discussion has not been held yet: record the result once its meeting has ended"]
    }
    builders.hold(stage3_people, discussion, started=MEETING, ended=ENDED)
    # The chair of the stage-3 discussion may record it too; the police officer who raised it only withdraw it.
    assert get_disagreement_for_user(stage3_people["tm"], disagreement.pk).results_allowed() == [
        StageResult.RESOLVED,
        StageResult.ESCALATED,
    ]
    assert get_disagreement_for_user(stage3_people["police"], disagreement.pk).results_allowed() == [
        StageResult.WITHDRAWN
    ]
    clock = disagreement.deadline
    disagreement = record(stage3_people, disagreement, by="tm", result=StageResult.RESOLVED, now=ENDED)
    clock.refresh_from_db()
    assert (clock.state, clock.met_at) == (DeadlineState.MET, ENDED)
    assert (disagreement.status, disagreement.deadline) == (DisagreementStatus.RESOLVED, None)


def test_escalated_at_stage_3_opens_stage_4_the_partnership_resolved_only_by_its_holder(stage3_people, case3):
    disagreement = at_stage_3(stage3_people, case3)
    builders.hold(stage3_people, convene(stage3_people, disagreement), started=MEETING, ended=ENDED)
    disagreement = record(stage3_people, disagreement, by="hos", result=StageResult.ESCALATED, now=ENDED)
    stage = disagreement.stages.get(number=4)
    assert (disagreement.stage, stage.holder, stage.deadline, disagreement.deadline) == (
        4,
        stage3_people["hos"],
        None,
        None,
    )
    assert get_disagreement_for_user(stage3_people["hos"], disagreement.pk).results_allowed() == [StageResult.RESOLVED]
    with pytest.raises(ValidationError):
        record(stage3_people, disagreement, by="hos", result=StageResult.ESCALATED, now=ENDED)
    disagreement = record(stage3_people, disagreement, by="hos", result=StageResult.RESOLVED, now=ENDED)
    assert disagreement.status == DisagreementStatus.RESOLVED
    assert disagreement.stages.get(number=4).result == StageResult.RESOLVED


def test_the_disagreements_page_offers_to_convene_then_links_the_discussion(stage3_people, case3):
    disagreement = at_stage_3(stage3_people, case3)
    page = reverse("disputes:detail", kwargs={"disagreement_pk": disagreement.pk})
    convene_url = reverse("disputes:convene", kwargs={"disagreement_pk": disagreement.pk})
    with time_machine.travel(CONVENED, tick=False):
        assert convene_url in _client_for(stage3_people["sw"]).get(page).content.decode()
        assert convene_url not in _client_for(stage3_people["police"]).get(page).content.decode()
        # Police see the disagreement and may not convene: its page reads as not found to an agency outside CSC
        # (issue 26), a post is refused; health, not party to it, gets 404 either way.
        assert _client_for(stage3_people["police"]).get(convene_url).status_code == 404
        assert _client_for(stage3_people["police"]).post(convene_url).status_code == 403
        assert _client_for(stage3_people["health"]).post(convene_url).status_code == 404
        response = _client_for(stage3_people["sw"]).get(convene_url)
    assert response.status_code == 200
    form = response.context["form"]
    # The trigger is fixed, and the ordinary form never offers it.
    assert [value for value, _label in form.fields["trigger"].choices] == [Trigger.PROFESSIONAL_DISAGREEMENT]
    assert form.initial["trigger"] == Trigger.PROFESSIONAL_DISAGREEMENT
    discussion = convene(stage3_people, disagreement)
    with time_machine.travel(CONVENED, tick=False):
        ordinary = _client_for(stage3_people["sw"]).get(reverse("strategy:convene", kwargs={"pk": case3.pk}))
        assert Trigger.PROFESSIONAL_DISAGREEMENT not in [
            v for v, _l in ordinary.context["form"].fields["trigger"].choices
        ]
        # Convened: the page links the discussion, and a second attempt goes to it.
        meeting = reverse("strategy:meeting", kwargs={"discussion_pk": discussion.pk})
        assert meeting in _client_for(stage3_people["sw"]).get(page).content.decode()
        again = _client_for(stage3_people["sw"]).get(convene_url)
    assert (again.status_code, again["Location"]) == (302, meeting)


def test_the_convene_form_proposes_both_parties_and_chooses_the_child_named(stage3_people, case3):
    child = builders.children_of(case3)[1]
    disagreement = at_stage_3(
        stage3_people, case3, by="school_dsl", with_person="sw", subject=Subject.CHILD_DECISION, child=child
    )
    with time_machine.travel(CONVENED, tick=False):
        form = _client_for(stage3_people["sw"]).get(reverse("disputes:convene", args=[disagreement.pk])).context["form"]
    assert form.initial["children"] == [child.pk]
    # The concern was identified when stage 3 began (the line managers could not resolve it).
    assert (form.initial["identified_date"], form.initial["identified_time"]) == (dt.date(2026, 11, 23), "15:00")
    proposed = {row["proposal"].agency_id for row in form.proposal_rows if not row.get("missing")}
    assert stage3_people["school"].pk in proposed  # the party that raised it (CSC, the other party, is always there)


def test_convening_through_the_page_links_the_discussion(stage3_people, case3):
    disagreement = at_stage_3(stage3_people, case3)
    url = reverse("disputes:convene", kwargs={"disagreement_pk": disagreement.pk})
    client = _client_for(stage3_people["sw"])
    with time_machine.travel(CONVENED, tick=False):
        form = client.get(url).context["form"]
        data = {
            "submission_key": str(form.initial["submission_key"]),
            "trigger": Trigger.PROFESSIONAL_DISAGREEMENT,
            "identified_date_0": "23",
            "identified_date_1": "11",
            "identified_date_2": "2026",
            "identified_time": "15:00",
            "urgency": "standard",
            "scheduled_date_0": "25",
            "scheduled_date_1": "11",
            "scheduled_date_2": "2026",
            "scheduled_time": "10:00",
            "format": "virtual",
            "chair": stage3_people["tm"].pk,
            "children": [c.pk for c in builders.children_of(case3)],
            "reason": "Invented reason",
        }
        for row in form.proposal_rows:
            if row.get("missing"):
                continue
            key = row["proposal"].key
            if form.fields[f"invite_{key}"].initial:
                data[f"invite_{key}"] = "on"
                data[f"agency_{key}"] = form.fields[f"agency_{key}"].initial
            elif f"decline_{key}" in form.fields:
                data[f"decline_{key}"] = "Invented: not needed."
        response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    stage = Stage.objects.get(disagreement=disagreement, number=3)
    assert stage.discussion.trigger == Trigger.PROFESSIONAL_DISAGREEMENT
    assert response["Location"] == reverse("strategy:meeting", kwargs={"discussion_pk": stage.discussion.pk})
    assert stage.discussion.invitations.filter(
        agency=stage3_people["police_agency"]
    ).exists()  # the party that raised it


def test_the_meeting_page_shows_the_disagreement_to_whoever_sees_the_meeting(stage3_people, case3):
    disagreement = at_stage_3(stage3_people, case3)
    discussion = convene(stage3_people, disagreement)  # police and health invited
    url = reverse("strategy:meeting", kwargs={"discussion_pk": discussion.pk})
    link = reverse("disputes:detail", kwargs={"disagreement_pk": disagreement.pk})
    with time_machine.travel(CONVENED, tick=False):
        health = _client_for(stage3_people["health"]).get(url).content.decode()  # invited, not party to it
        police = _client_for(stage3_people["police"]).get(url).content.decode()  # raised it
    for page in (health, police):
        assert "Convened to resolve a professional disagreement" in page
        assert "Invented: hold a strategy discussion." in page  # the outcome sought
        assert "1. Practitioner to practitioner" in page and "Escalated to the next stage on" in page
    assert link in police and link not in health


def test_another_discussion_shows_open_disagreements_only_to_who_sees_them(stage3_people, case3):
    disagreement = raise_(
        stage3_people, case3
    )  # police with sw; the school is invited to the case's discussion, not party
    discussion = case3.discussions.get()
    url = reverse("strategy:meeting", kwargs={"discussion_pk": discussion.pk})
    link = reverse("disputes:detail", kwargs={"disagreement_pk": disagreement.pk})
    with time_machine.travel(CONVENED, tick=False):
        for name in ("sw", "police", "hos"):
            page = _client_for(stage3_people[name]).get(url).content.decode()
            assert "Open professional disagreements on this case" in page and link in page, name
        school = _client_for(stage3_people["school_dsl"]).get(url)
    assert school.status_code == 200
    page = school.content.decode()
    assert link not in page and "professional disagreement" not in page.lower().replace("raise a disagreement", "")


def _minutes_text(discussion, *, now) -> tuple[dict, str]:
    data = snapshot(discussion, now=now)
    rendered = pdf.render(data, kind=Kind.FULL, printed="draft")
    return data, "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(rendered.pdf)).pages)


def test_the_minutes_of_a_stage_3_discussion_include_the_disagreement_and_its_result(stage3_people, case3):
    disagreement = at_stage_3(stage3_people, case3)
    discussion = builders.hold(stage3_people, convene(stage3_people, disagreement), started=MEETING, ended=ENDED)
    before = snapshot(discussion, now=ENDED)
    assert before["sections"]["disagreement"]["result"] == "Not yet recorded"
    record(
        stage3_people,
        disagreement,
        by="hos",
        result=StageResult.RESOLVED,
        said="Invented: agreed to convene.",
        now=ENDED,
    )
    after, text = _minutes_text(discussion, now=ENDED)  # one PDF, read back
    assert "Professional disagreement" in text and "The threshold for a strategy discussion" in text
    assert "Invented: hold a strategy discussion." in text  # the outcome sought
    # Who raised it with whom: name, role and agency, as the minutes name attendees; each stage's result.
    police, sw = stage3_people["police"], stage3_people["sw"]
    flat = " ".join(text.split())
    assert f"{police}, Police officer, {police.agency}" in flat and f"{sw}, Social worker, {sw.agency}" in flat
    assert "2. Line managers" in flat and "Escalated to the next stage on" in flat
    assert "Invented: agreed to convene." in text  # the stage-3 result
    assert after["sections"]["disagreement"]["result"].startswith("Resolved on")
    # Recorded after a version was approved: the next version shows it (the reason for the discussion changed).
    assert changed_sections(before, after) == ["Reason for the discussion"]


def test_no_other_discussions_minutes_mention_a_disagreement(stage3_people, case3):
    discussion = case3.discussions.get()  # the case's own discussion, not convened for it
    convene(stage3_people, at_stage_3(stage3_people, case3))
    data, text = _minutes_text(discussion, now=ENDED)
    assert "disagreement" not in data["sections"]
    assert "disagreement" not in text.lower()


def test_the_minutes_parts_registered_are_exactly_those_listed():
    assert registered_parts() == REGISTERED_PARTS


def test_the_page_says_why_the_result_waits_and_that_a_closed_case_is_reopened_first(stage3_people, case3):
    disagreement = at_stage_3(stage3_people, case3)
    page = reverse("disputes:detail", kwargs={"disagreement_pk": disagreement.pk})
    with time_machine.travel(CONVENED, tick=False):
        response = _client_for(stage3_people["hos"]).post(
            reverse("disputes:stage", kwargs={"disagreement_pk": disagreement.pk}),
            {"said": "Invented: nothing yet.", "result": StageResult.RESOLVED},
        )
    assert response.status_code == 400
    assert "No strategy discussion has been convened for this stage yet" in response.content.decode()
    assert Stage.objects.get(disagreement=disagreement, number=3).result == ""
    strategy_services.case_close(
        acting_user=stage3_people["tm"], referral=case3, outcome="threshold_not_met", reason="Invented", now=CONVENED
    )
    with time_machine.travel(CONVENED, tick=False):
        shown = _client_for(stage3_people["tm"]).get(page).content.decode()
    assert "The case is closed: a team manager reopens it" in shown
    assert reverse("strategy:reopen_case", kwargs={"pk": case3.pk}) in shown
    assert reverse("disputes:convene", kwargs={"disagreement_pk": disagreement.pk}) not in shown


def test_a_bad_convene_form_says_what_is_wrong_keeps_what_was_typed_and_saves_nothing(stage3_people, case3):
    disagreement = at_stage_3(stage3_people, case3)
    url = reverse("disputes:convene", kwargs={"disagreement_pk": disagreement.pk})
    with time_machine.travel(CONVENED, tick=False):
        response = _client_for(stage3_people["sw"]).post(url, {"reason": "Invented: typed before the mistake."})
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page and "Invented: typed before the mistake." in page
    assert Stage.objects.get(disagreement=disagreement, number=3).discussion is None
    assert not case3.discussions.filter(trigger=Trigger.PROFESSIONAL_DISAGREEMENT).exists()


def test_a_partys_agency_is_proposed_once_folded_into_its_core_row_or_on_a_row_of_its_own(stage3_people):
    from strategy import rules

    found = rules.proposals(children=[], others=[], concerns=[], referrer_agency_type=None, today=MEETING.date())
    police, school = stage3_people["police_agency"], stage3_people["school"]
    proposed = rules.with_agencies(found, [police, school, stage3_people["csc"]], role="Party", reason="Party to it")
    police_rows = [p for p in proposed if p.agency_type == police.agency_type]
    assert len(police_rows) == 1 and police_rows[0].agency_id == police.pk
    assert police_rows[0].reason.endswith("; party to it")
    own = [p for p in proposed if p.agency_id == school.pk]
    assert [(p.key, p.role, p.reason) for p in own] == [(f"party_{school.pk}", "Party", "Party to it")]
    assert len(proposed) == len(found) + 1  # CSC is always there (the chair and the social worker)
