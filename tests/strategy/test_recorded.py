"""What every discussion records whatever the outcome, and the rest issue 24 asks to be recorded (DOMAIN 1.3, 4).

Through the services and through the meeting page: the police decision, the LADO, legal advice and
protection, safe discharge, child in need support after no further action; a reason per agency
proceeded without; urgency against the concern; who is proposed; attendees' seniority; consent.
"""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from agencies.models import MEETING_HARMS_DEFAULT, AgencyType, Partnership
from minutes import record
from referrals.models import Concern, ConcernCategory, Person, Urgency
from referrals.rules import check_urgency_against_concern, proposed_urgency
from strategy import rules, services
from strategy.models import ChildRecord, Consent, Discussion, Invitation, InvitationStatus, ProceedWithout
from tests.builders import (
    ENDED,
    MEETING,
    assess,
    attend,
    case,
    checker,
    child,
    children_of,
    convene,
    decide,
    end,
    health_agency,
    start,
)
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db

POLICE = {"police_decision": "investigate", "police_decision_maker": "DS Invented"}
LEGAL = {"legal_advice_sought": False, "protection": "none"}


def _started(world, referral=None, **convene_data):
    """Started, everyone attends, and a risk analysis for each child: what is left to end it is this file's."""
    discussion = convene(world, referral or case(world), **convene_data)
    start(world, discussion)
    attend(world, discussion)
    assess(world, discussion)
    return discussion


def _save(world, discussion, data=None, children=None, *, now=MEETING) -> Discussion:
    return services.standing_save(
        acting_user=world["tm"],
        checker=checker(world["tm"], discussion),
        data=data or {},
        children=children or {},
        version=None,
        now=now,
    )


def _refused(world, discussion, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        _save(world, discussion, **kwargs)
    return exc.value.message_dict


def _end_problems(discussion) -> list[str]:
    discussion.refresh_from_db()
    return services.end_problems(discussion)


# --- The police decision, legal advice and protection: every discussion -------------------------------------


def test_every_discussion_needs_the_police_decision_legal_advice_and_protection_before_it_ends(world):
    discussion = _started(world)
    for subject in children_of(discussion.referral):
        decide(world, discussion, subject, s17=True)
    problems = _end_problems(discussion)
    assert "Record the police decision on a criminal investigation, and the police decision maker" in problems
    assert "Record whether legal advice was sought, and any police protection or emergency protection order" in problems
    with pytest.raises(ValidationError):
        end(world, discussion, standing=False)
    _save(world, discussion, {**POLICE, **LEGAL})
    assert _end_problems(discussion) == []
    ended = end(world, discussion, standing=False)
    assert ended.ended and ended.police_decision == "investigate" and ended.police_decision_maker == "DS Invented"


def test_no_criminal_investigation_needs_the_reason_and_every_police_decision_its_decision_maker(world):
    discussion = _started(world)
    errors = _refused(world, discussion, data={"police_decision": "no_investigation"})
    assert errors["police_decision_reason"] == ["Give the reason there is no criminal investigation"]
    assert errors["police_decision_maker"] == ["Name the police decision maker"]
    discussion.refresh_from_db()
    assert discussion.police_decision == ""  # nothing half-saved
    saved = _save(
        world,
        discussion,
        {
            "police_decision": "no_investigation",
            "police_decision_reason": "No offence",
            "police_decision_maker": "DI X",
        },
    )
    assert (saved.police_decision, saved.police_decision_reason) == ("no_investigation", "No offence")


def test_legal_advice_sought_needs_its_outcome_and_protection_in_place_its_details(world):
    discussion = _started(world)
    errors = _refused(world, discussion, data={"legal_advice_sought": True, "protection": "epo"})
    assert errors["legal_advice_outcome"] == ["Give the outcome of the legal advice, or say it is awaited"]
    assert errors["protection_details"] == ["Give the details of the protection in place: when, and by whom"]
    saved = _save(
        world,
        discussion,
        {
            "legal_advice_sought": True,
            "legal_advice_outcome": "Awaited",
            "protection": "epo",
            "protection_details": "X",
        },
    )
    assert (saved.legal_advice_sought, saved.protection, saved.protection_details) == (True, "epo", "X")


def test_the_decisions_of_the_discussion_need_the_meeting_started_and_csc(world):
    discussion = convene(world, case(world))
    with pytest.raises(ValidationError):
        _save(world, discussion, POLICE)
    start(world, discussion)
    with pytest.raises(PermissionDenied):
        services.standing_save(
            acting_user=world["police"],
            checker=checker(world["police"], discussion),
            data=POLICE,
            children={},
            version=None,
            now=MEETING,
        )


def test_a_police_only_discussion_first_is_recorded_with_when_and_why(world):
    discussion = _started(world)
    errors = _refused(world, discussion, data={"police_only_first": True})
    assert "police_only_note" in errors
    saved = _save(world, discussion, {"police_only_first": True, "police_only_note": "Held at 09:00 (invented)"})
    assert saved.police_only_first and saved.police_only_note == "Held at 09:00 (invented)"


# --- The LADO -----------------------------------------------------------------------------------------------


def _lado_case(world):
    return case(
        world,
        others=[
            {"kind": "alleged_abuser", "first_name": "Invented", "last_name": "Coach", "works_with_children": True}
        ],
    )


def test_the_lado_is_asked_about_only_when_an_alleged_abuser_works_with_children(world):
    plain = _started(world)
    for subject in children_of(plain.referral):
        decide(world, plain, subject, s17=True)
    _save(world, plain, {**POLICE, **LEGAL})
    assert _end_problems(plain) == []

    discussion = _started(world, _lado_case(world))
    for subject in children_of(discussion.referral):
        decide(world, discussion, subject, s17=True)
    _save(world, discussion, {**POLICE, **LEGAL})
    assert _end_problems(discussion) == [
        "Record whether the LADO has been informed (Invented Coach works with children), or why not"
    ]


def test_the_lado_informed_needs_who_and_a_date_not_in_the_future_and_not_informed_the_reason(world):
    discussion = _started(world, _lado_case(world))
    errors = _refused(world, discussion, data={"lado_informed": True})
    assert errors["lado_informed_who"] == ["Say who informed the LADO"]
    assert errors["lado_informed_on"] == ["Enter the date the LADO was informed"]
    tomorrow = (MEETING + dt.timedelta(days=1)).date()
    errors = _refused(
        world, discussion, data={"lado_informed": True, "lado_informed_who": "X", "lado_informed_on": tomorrow}
    )
    assert errors["lado_informed_on"] == ["The date the LADO was informed must be today or in the past"]
    errors = _refused(world, discussion, data={"lado_informed": False})
    assert errors["lado_not_informed_reason"] == ["Give the reason the LADO has not been informed"]
    saved = _save(
        world, discussion, {"lado_informed": True, "lado_informed_who": "The chair", "lado_informed_on": MEETING.date()}
    )
    assert (saved.lado_informed, saved.lado_informed_who, saved.lado_informed_on) == (True, "The chair", MEETING.date())


def test_the_lado_is_proposed_as_an_invitee_and_found_among_the_agencies_by_name(world, tm_client):
    referral = _lado_case(world)
    lado = AgencyFactory(
        partnership=world["partnership"], name="Invented LADO service", agency_type=AgencyType.CHILDRENS_SOCIAL_CARE
    )
    page = tm_client.get(reverse("strategy:convene", kwargs={"pk": referral.pk}))
    form = page.context["form"]
    row = next(r for r in form.proposal_rows if r["proposal"].key == "lado")
    assert row["proposal"].reason == "Invented Coach works with children"
    assert row["agency"].initial == lado.pk
    assert "Designated officer (LADO)" in page.content.decode()


def test_without_a_lado_agency_the_convene_page_says_how_the_lado_is_found(world, tm_client):
    page = tm_client.get(reverse("strategy:convene", kwargs={"pk": _lado_case(world).pk})).content.decode()
    assert "No agency's name in this partnership contains lado or designated officer" in page


# --- Per child: safe discharge, child in need support after no further action ---------------------------------


def test_a_child_in_hospital_needs_a_safe_discharge_plan_and_a_child_at_home_cannot_have_one(world):
    referral = case(world, children=[child("Robin", in_hospital=True, hospital="Ward 3"), child("Sky")])
    discussion = _started(world, referral)
    robin, sky = children_of(referral)
    for subject in (robin, sky):
        decide(world, discussion, subject, s17=True)
    _save(world, discussion, {**POLICE, **LEGAL})
    assert _end_problems(discussion) == ["Record the safe discharge from hospital of Robin Testchild"]
    errors = _refused(world, discussion, children={sky.pk: {"safe_discharge": "Home"}})
    assert errors[f"child_{sky.pk}_safe_discharge"] == ["Sky Testchild is not recorded as in hospital"]
    _save(world, discussion, {**POLICE, **LEGAL}, {robin.pk: {"safe_discharge": "To the mother, once seen"}})
    assert ChildRecord.objects.get(discussion=discussion, child=robin).safe_discharge == "To the mother, once seen"
    assert _end_problems(discussion) == []


def test_child_in_need_support_is_considered_for_each_child_with_no_further_action(world):
    referral = case(world, children=[child("Robin"), child("Sky")])
    discussion = _started(world, referral)
    robin, sky = children_of(referral)
    decide(world, discussion, robin, nfa=True)
    decide(world, discussion, sky, s17=True)
    _save(world, discussion, {**POLICE, **LEGAL})
    assert _end_problems(discussion) == ["Record whether child in need support was considered for Robin Testchild"]
    errors = _refused(world, discussion, children={robin.pk: {"cin_support": "offered"}})
    assert f"child_{robin.pk}_cin_support_reason" in errors
    _save(
        world,
        discussion,
        {**POLICE, **LEGAL},  # the section is saved whole, as its form sends it
        {robin.pk: {"cin_support": "offered", "cin_support_reason": "Family support"}},
    )
    assert _end_problems(discussion) == []


def test_the_nature_of_the_abuse_and_identity_needs_are_kept_per_child_with_history(world):
    discussion = _started(world)
    robin = children_of(discussion.referral)[0]
    _save(world, discussion, children={robin.pk: {"abuse_nature": "Physical", "interpreter": True}})
    _save(world, discussion, children={robin.pk: {"abuse_nature": "Physical and emotional", "intermediary": True}})
    row = ChildRecord.objects.get(discussion=discussion, child=robin)
    assert (row.abuse_nature, row.interpreter, row.intermediary) == ("Physical and emotional", False, True)
    assert [h.abuse_nature for h in row.history.order_by("history_date")] == ["Physical", "Physical and emotional"]
    assert row.history.first().history_user == world["tm"]


# --- Proceeding without an agency: a reason per agency ---------------------------------------------------------


def test_each_agency_proceeded_without_keeps_its_own_reason_and_the_minutes_list_everyone_left_out(world):
    school = AgencyFactory(partnership=world["partnership"], name="Invented School", agency_type=AgencyType.EDUCATION)
    referral = case(world)
    discussion = convene(
        world,
        referral,
        now=MEETING - dt.timedelta(hours=3),
        scheduled_at=MEETING,
        format="virtual",
        reason="Invented",
        invitations=[{"agency": world["police_agency"], "role": "Police officer"}],
        declined=[
            {
                "agency": school,
                "role": "Designated safeguarding lead",
                "proposal": "school-x",
                "reason": "Attends",
                "decline_reason": "Half term: nobody there",
            }
        ],
    )
    start(world, discussion)
    health = health_agency(world)

    def proceed(agencies, reason, urgency, at):
        services.proceed_save(
            acting_user=world["tm"],
            checker=checker(world["tm"], discussion),
            agencies=agencies,
            reason=reason,
            urgency=urgency,
            now=at,
            version=None,
        )

    proceed([health], "Health cannot join today", "Child seen today", MEETING)
    proceed([world["police_agency"]], "Police on a call-out", "Within the hour", MEETING + dt.timedelta(minutes=5))
    rows = {r.agency: r for r in ProceedWithout.objects.filter(discussion=discussion)}
    assert (rows[health].reason, rows[health].urgency) == ("Health cannot join today", "Child seen today")
    assert rows[world["police_agency"]].reason == "Police on a call-out"
    assert rows[health].recorded_by == world["tm"]
    proceed([health], "Health's nurse is off sick", "Child seen today", MEETING + dt.timedelta(minutes=9))
    rows[health].refresh_from_db()
    assert [h.reason for h in rows[health].history.order_by("history_date")] == [
        "Health cannot join today",
        "Health's nurse is off sick",
    ]
    left_out = record.snapshot(discussion, now=ENDED)["sections"]["quoracy"]["left_out"]
    assert [(row["who"], row["how"], row["reason"]) for row in left_out] == [
        ("Designated safeguarding lead (Invented School)", "Proposed, not invited", "Half term: nobody there"),
        ("Invented Health", "Proceeded without", "Health's nurse is off sick"),
        ("Invented Police", "Proceeded without", "Police on a call-out"),
    ]


def test_a_change_to_what_every_discussion_records_marks_the_decisions_section_changed(world):
    discussion = _started(world)
    before = record.snapshot(discussion, now=ENDED)
    discussion = _save(world, discussion, POLICE)
    assert record.changed_sections(before, record.snapshot(discussion, now=ENDED)) == ["Decisions for each child"]


# --- Urgency against the concern -------------------------------------------------------------------------------


def test_sexual_abuse_or_an_injured_infant_proposes_same_day_and_a_longer_timescale_needs_the_reason():
    assert proposed_urgency(["sexual", "emotional"]) == Urgency.FORENSIC
    assert proposed_urgency(["non_mobile_injury"]) == Urgency.SERIOUS_RISK
    assert proposed_urgency(["physical"], non_mobile_injury=True) == Urgency.SERIOUS_RISK
    assert proposed_urgency(["neglect"]) is None
    assert check_urgency_against_concern(Urgency.STANDARD, "", ["sexual"])
    assert check_urgency_against_concern(Urgency.STANDARD, "Disclosure was of abuse a year ago", ["sexual"]) == {}
    assert check_urgency_against_concern(Urgency.FORENSIC, "", ["sexual"]) == {}
    assert check_urgency_against_concern(Urgency.STANDARD, "", ["neglect"]) == {}


def test_a_referral_about_sexual_abuse_logged_with_a_longer_timescale_keeps_the_reason(world):
    with pytest.raises(ValidationError) as exc:
        case(world, concerns=["sexual"], urgency=Urgency.STANDARD)
    assert "urgency_reason" in exc.value.message_dict
    referral = case(
        world, concerns=["sexual"], urgency=Urgency.STANDARD, urgency_reason="Historic: the abuse was a year ago"
    )
    assert referral.urgency_reason == "Historic: the abuse was a year ago"
    same_day = case(world, concerns=["sexual"], urgency=Urgency.FORENSIC, urgency_reason="Ignored")
    assert same_day.urgency_reason == ""


def test_convening_on_a_sexual_abuse_case_proposes_same_day_and_asks_the_reason_for_longer(world, tm_client):
    referral = case(world, concerns=["sexual"], urgency=Urgency.STANDARD, urgency_reason="Historic abuse")
    page = tm_client.get(reverse("strategy:convene", kwargs={"pk": referral.pk}))
    assert page.context["form"]["urgency"].initial == Urgency.FORENSIC
    assert "a same-day discussion is proposed" in page.content.decode()
    with pytest.raises(ValidationError) as exc:
        convene(world, referral, urgency=Urgency.STANDARD)
    assert "urgency_reason" in exc.value.message_dict
    discussion = convene(world, referral, urgency=Urgency.STANDARD, urgency_reason="Historic: a year ago")
    assert discussion.urgency_reason == "Historic: a year ago"
    meeting = tm_client.get(reverse("strategy:meeting", kwargs={"discussion_pk": discussion.pk}))
    assert "Longer than same day because: Historic: a year ago" in meeting.content.decode()


def test_the_new_concern_categories_exist_and_the_meeting_harms_default_lists_them(world):
    assert {"child_on_child", "extra_familial", "unborn"} <= set(Concern.objects.values_list("code", flat=True))
    assert ConcernCategory.UNBORN.label == "Pre-birth concerns (an unborn child)"
    assert {"child_on_child", "extra_familial", "unborn"} <= set(MEETING_HARMS_DEFAULT.split(","))
    assert {"child_on_child", "extra_familial", "unborn"} <= set(Partnership(name="New").meeting_harm_codes())


# --- Who is proposed; attendees' role and seniority; the paediatrician ------------------------------------------


def _person(kind, **extra) -> Person:
    return Person(kind=kind, first_name="Invented", last_name="Adult", **extra)


def test_housing_adult_services_a_specialist_and_the_lado_are_proposed_when_the_case_calls_for_them():
    found = {
        p.key: p
        for p in rules.proposals(
            children=[],
            others=[
                _person("household", disability=True),
                _person("alleged_abuser", works_with_children=True),
            ],
            concerns=["neglect", "child_on_child"],
            referrer_agency_type=None,
            today=MEETING.date(),
        )
    }
    assert found["housing"].reason == "Neglect: housing may know the home's conditions"
    assert found["adult-services"].reason == "Invented Adult has care or support needs"
    assert found["specialist"].reason == "Specialist knowledge of child-on-child abuse"
    assert found["lado"].reason == "Invented Adult works with children"
    quiet = {
        p.key
        for p in rules.proposals(
            children=[], others=[], concerns=["emotional"], referrer_agency_type=None, today=MEETING.date()
        )
    }
    assert quiet.isdisjoint({"housing", "adult-services", "specialist", "lado"})


def test_where_a_medical_is_needed_another_health_attendee_does_not_stand_in_for_the_paediatrician(world):
    health = Invitation(proposal="health", role="Health practitioner", attendance="attended")
    paediatrician = Invitation(proposal="paediatrician", role="Paediatrician", attendance="attended")
    assert rules.paediatrician_missing([health], medical_needed=True)
    assert not rules.paediatrician_missing([health, paediatrician], medical_needed=True)
    assert not rules.paediatrician_missing([health], medical_needed=False)


def test_the_meeting_page_warns_when_the_proposed_paediatrician_has_not_attended(world, tm_client):
    referral = case(world, concerns=["physical"])
    discussion = convene(
        world,
        referral,
        invitations=[
            {"agency": world["police_agency"], "person": world["police"], "role": "Police officer"},
            {"agency": health_agency(world), "person": world["health"], "role": "Health practitioner"},
            {"agency": health_agency(world), "role": "Paediatrician", "proposal": "paediatrician"},
        ],
    )
    start(world, discussion)
    paediatrician = discussion.invitations.get(proposal="paediatrician")
    rows = {
        i.pk: ("apologies" if i.pk == paediatrician.pk else "attended", False)
        for i in discussion.invitations.filter(status=InvitationStatus.INVITED)
    }
    services.attendance_save(acting_user=world["tm"], checker=checker(world["tm"], discussion), rows=rows, version=None)
    page = tm_client.get(reverse("strategy:meeting", kwargs={"discussion_pk": discussion.pk})).content.decode()
    assert "A paediatrician is expected" in page


def test_each_attendee_role_and_whether_they_can_decide_is_recorded_on_the_attendance_section(world, police_client):
    discussion = _started(world)
    discussion.refresh_from_db()
    police = discussion.invitations.get(agency=world["police_agency"])
    url = reverse("strategy:attendance", kwargs={"discussion_pk": discussion.pk})
    response = police_client.post(
        url,
        {
            "attendance-version": discussion.section_version("attendance"),
            f"attendance-attendance_{police.pk}": "attended",
            f"attendance-role_{police.pk}": "Detective constable",
            f"attendance-decide_{police.pk}": "no",
        },
    )
    assert response.status_code == 302
    police.refresh_from_db()
    assert (police.role, police.can_decide) == ("Detective constable", False)
    snapshot = record.snapshot(Discussion.objects.get(pk=discussion.pk), now=ENDED)
    row = next(r for r in snapshot["sections"]["attendance"] if r["agency"] == "Invented Police")
    assert (row["role"], row["can_decide"]) == ("Detective constable", "No")


def test_checks_without_consent_need_the_managers_reason(world):
    discussion = _started(world)
    data = {"information": "Invented", "checks_done": "PNC", "consent": Consent.NOT_SOUGHT, "not_for_family": False}
    with pytest.raises(ValidationError) as exc:
        services.information_add(
            acting_user=world["tm"],
            checker=checker(world["tm"], discussion),
            agency=world["police_agency"],
            data=data,
            now=MEETING,
        )
    assert exc.value.message_dict["consent_manager_reason"] == [
        "Give the manager's reason for going ahead without consent"
    ]
    entry = services.information_add(
        acting_user=world["tm"],
        checker=checker(world["tm"], discussion),
        agency=world["police_agency"],
        data={**data, "consent_manager_reason": "Consent could alert the alleged abuser"},
        now=MEETING,
    )
    assert entry.consent_manager_reason == "Consent could alert the alleged abuser"
    info = record.snapshot(discussion, now=ENDED)["sections"]["information"][0]
    assert info["manager_reason"] == "Consent could alert the alleged abuser"


# --- The page: its own section, without JavaScript and with htmx; the minutes ------------------------------------


def _standing_post(discussion, **fields):
    return {
        "standing-version": discussion.section_version("standing"),
        **{f"standing-{k}": v for k, v in fields.items()},
    }


def test_the_section_saves_without_javascript_and_the_minutes_show_it(world, tm_client):
    discussion = _started(world)
    url = reverse("strategy:standing", kwargs={"discussion_pk": discussion.pk})
    response = tm_client.post(
        url,
        _standing_post(
            discussion,
            police_decision="no_investigation",
            police_decision_reason="No offence disclosed (invented)",
            police_decision_maker="DI Invented",
            legal_advice_sought="no",
            protection="none",
        ),
    )
    assert response.status_code == 302 and response["Location"].endswith("#standing")
    page = tm_client.get(response["Location"]).content.decode()
    assert "Decisions of the discussion saved at" in page
    assert "No criminal investigation: No offence disclosed (invented)" in page
    for subject in children_of(discussion.referral):
        decide(world, discussion, subject, s17=True)
    ended = end(world, discussion, standing=False, now=ENDED)
    rows = dict(map(tuple, record.snapshot(ended, now=ENDED)["sections"]["standing"]["rows"]))
    assert (
        rows["Police decision on a criminal investigation"]
        == "No criminal investigation: No offence disclosed (invented)"
    )
    assert rows["Police decision maker"] == "DI Invented"
    assert rows["Legal advice"] == "Not sought"


def test_the_section_with_htmx_redraws_itself_and_errors_keep_what_was_typed_and_save_nothing(world, tm_client):
    discussion = _started(world)
    url = reverse("strategy:standing", kwargs={"discussion_pk": discussion.pk})
    response = tm_client.post(
        url,
        _standing_post(discussion, police_decision="no_investigation", police_decision_maker="DI Typed"),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give the reason there is no criminal investigation" in html and "govuk-error-summary" in html
    assert 'value="DI Typed"' in html and html.lstrip().startswith("<section")
    discussion.refresh_from_db()
    assert discussion.police_decision == ""
    response = tm_client.post(
        url,
        _standing_post(discussion, police_decision="investigate", police_decision_maker="DI Typed"),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "Decisions of the discussion saved at" in response.content.decode()


def test_two_people_saving_the_section_from_the_same_version_the_second_is_refused(world, tm_client):
    discussion = _started(world)
    url = reverse("strategy:standing", kwargs={"discussion_pk": discussion.pk})
    first = _standing_post(discussion, police_decision="investigate", police_decision_maker="DI One")
    second = _standing_post(discussion, police_decision="investigate", police_decision_maker="DI Two")
    assert tm_client.post(url, first).status_code == 302
    response = tm_client.post(url, second)
    assert response.status_code == 409
    discussion.refresh_from_db()
    assert discussion.police_decision_maker == "DI One"


def test_the_end_page_lists_what_is_missing_and_a_police_officer_cannot_record_it(world, tm_client, police_client):
    discussion = _started(world)
    for subject in children_of(discussion.referral):
        decide(world, discussion, subject, s17=True)
    response = tm_client.post(reverse("strategy:end", kwargs={"discussion_pk": discussion.pk}))
    assert response.status_code == 400
    assert "Record the police decision on a criminal investigation" in response.content.decode()
    url = reverse("strategy:standing", kwargs={"discussion_pk": discussion.pk})
    assert police_client.post(url, _standing_post(discussion, police_decision="investigate")).status_code == 403
