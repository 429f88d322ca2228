"""The pure checks the strategy services call (check_convene, check_decision, check_standing) and each invitee rule
of `proposals`, one behaviour per test, on plain objects and unsaved people: no database, no clock.
"""

import datetime as dt
from types import SimpleNamespace

import pytest

from agencies.models import AgencyType
from referrals.models import EducationStatus, Person, PersonKind
from strategy import rules

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
HOUR = dt.timedelta(hours=1)
PARTNERSHIP, OTHER_PARTNERSHIP, REFERRAL = 1, 2, 10


def _child(pk: int = 7, **fields) -> Person:
    return Person(pk=pk, kind=PersonKind.CHILD, first_name="Invented", last_name=f"Child{pk}", **fields)


def _other(kind: str, **fields) -> Person:
    return Person(kind=kind, first_name="Invented", last_name="Adult", under_18=False, **fields)


# --- check_convene -----------------------------------------------------------------------------------------------


def _convene_data(**changes):
    return {
        "trigger": "new_referral",
        "concern_identified_at": NOW - 2 * HOUR,
        "scheduled_at": NOW + 2 * HOUR,
        "urgency": "standard",
        "urgency_reason": "",
        "reconvened_from": None,
        "reconvene_rationale": "",
        **changes,
    }


def _check_convene(data=None, **changes):
    arguments = {
        "data": data or _convene_data(),
        "children": [_child(7)],
        "case_child_ids": {7, 8},
        "referral_id": REFERRAL,
        "partnership_id": PARTNERSHIP,
        "concerns": ["neglect"],
        "non_mobile_injury": False,
        "chair_allowed": True,
        "now": NOW,
        **changes,
    }
    return rules.check_convene(**arguments)


def _agency(partnership_id: int = PARTNERSHIP):
    return SimpleNamespace(partnership_id=partnership_id, name="Invented Police")


def test_convene_as_asked_with_everything_right_has_no_problem():
    assert _check_convene() == {}


def test_convene_refuses_a_chair_who_may_not_chair():
    assert set(_check_convene(chair_allowed=False)) == {"chair"}


def test_convene_needs_at_least_one_child():
    assert _check_convene(children=[]) == {"children": "Select the children the discussion is about"}


def test_convene_refuses_a_child_not_of_this_case():
    assert _check_convene(children=[_child(99)]) == {"children": "Select only children of this case"}


def test_convene_needs_when_the_concern_was_identified():
    errors = _check_convene(_convene_data(concern_identified_at=None))
    assert errors == {"concern_identified": "Enter the date and time the concern was identified"}


def test_convene_refuses_a_concern_identified_in_the_future():
    errors = _check_convene(_convene_data(concern_identified_at=NOW + HOUR, scheduled_at=NOW + 3 * HOUR))
    assert set(errors) == {"concern_identified"}


def test_convene_refuses_a_discussion_scheduled_before_the_concern_was_identified():
    errors = _check_convene(_convene_data(scheduled_at=NOW - 3 * HOUR))
    assert set(errors) == {"scheduled"}


def test_convene_compares_moments_across_time_zones():
    # 11:30 in UTC+2 is 09:30 UTC: after an identification at 08:00 UTC, whatever the offsets say.
    later_elsewhere = (NOW - 30 * dt.timedelta(minutes=1)).astimezone(dt.timezone(dt.timedelta(hours=2)))
    assert _check_convene(_convene_data(scheduled_at=later_elsewhere)) == {}


def test_convene_a_same_day_concern_on_a_longer_timescale_needs_the_reason():
    errors = _check_convene(concerns=["sexual"])
    assert set(errors) == {"urgency_reason"}
    assert _check_convene(_convene_data(urgency_reason="Invented reason"), concerns=["sexual"]) == {}


def test_convene_a_child_found_missing_is_not_asked_the_urgency_reason():
    assert _check_convene(_convene_data(trigger="missing"), concerns=["sexual"]) == {}


def test_convene_reconvening_follows_a_discussion_of_this_case_with_the_rationale():
    elsewhere = SimpleNamespace(referral_id=REFERRAL + 1)
    errors = _check_convene(_convene_data(reconvened_from=elsewhere))
    assert set(errors) == {"reconvened_from", "reconvene_rationale"}
    same_case = SimpleNamespace(referral_id=REFERRAL)
    assert _check_convene(_convene_data(reconvened_from=same_case, reconvene_rationale="Invented rationale")) == {}


def test_convene_invites_only_agencies_of_the_partnership():
    errors = _check_convene(invitations=[{"agency": _agency(OTHER_PARTNERSHIP)}])
    assert errors == {"invitations": "Invite only agencies of this partnership"}


def test_convene_refuses_a_named_person_who_may_not_take_part_for_the_agency():
    row = {"agency": _agency(), "person": "Invented Person"}
    errors = _check_convene(invitations=[row], may_take_part=lambda person, agency: False)
    assert errors == {"invitations": "Invented Person is not a practitioner of " + str(row["agency"])}
    assert _check_convene(invitations=[row], may_take_part=lambda person, agency: True) == {}


def test_convene_a_declined_proposal_gives_its_reason_on_its_own_row():
    declined = [{"proposal": "housing", "role": "Housing officer", "decline_reason": " "}]
    errors = _check_convene(declined=declined)
    assert errors == {"decline_housing": "Give the reason for not inviting the housing officer"}


def test_convene_gathers_every_problem_at_once():
    errors = _check_convene(_convene_data(concern_identified_at=None), chair_allowed=False, children=[])
    assert set(errors) == {"chair", "children", "concern_identified"}


# --- check_decision ----------------------------------------------------------------------------------------------


def _check_decision(under_way=False, held_on=None, **data):
    data = {"reasoning": "Invented reasoning", **data}
    return rules.check_decision(
        data=data, child_name="Invented Child", enquiry_under_way=under_way, held_on=held_on, now=NOW
    )


def test_decision_with_its_reasoning_has_no_problem():
    assert _check_decision(s17=True) == {}


def test_decision_needs_at_least_one_decision():
    assert _check_decision() == {"decisions": "Select at least one decision for Invented Child"}


def test_decision_no_further_action_stands_alone():
    assert _check_decision(nfa=True, s17=True) == {
        "decisions": "No further action cannot be combined with another decision"
    }


def test_decision_a_conference_needs_a_section_47_enquiry():
    assert set(_check_decision(icpc=True)) == {"decisions"}
    assert _check_decision(icpc=True, s47=True, investigation_type="single") == {}


def test_decision_a_new_enquiry_and_the_one_under_way_continuing_are_not_both_chosen():
    errors = _check_decision(s47=True, s47_continued=True, investigation_type="single")
    assert errors == {"decisions": "Select a new section 47 enquiry or the one under way continuing, not both"}


def test_decision_a_new_enquiry_is_refused_while_one_is_under_way():
    errors = _check_decision(under_way=True, s47=True, investigation_type="single")
    assert errors["decisions"].startswith("A section 47 enquiry is already under way for Invented Child")


def test_decision_an_enquiry_continues_only_when_one_is_under_way():
    errors = _check_decision(s47_continued=True, investigation_type="single")
    assert errors["decisions"].startswith("No section 47 enquiry is under way for Invented Child")
    assert _check_decision(under_way=True, s47_continued=True, investigation_type="single") == {}


def test_decision_needs_its_reasoning():
    errors = rules.check_decision(
        data={"s17": True, "reasoning": "  "},
        child_name="Invented Child",
        enquiry_under_way=False,
        held_on=None,
        now=NOW,
    )
    assert errors == {"reasoning": "Give the reasoning for the decision about Invented Child"}


@pytest.mark.parametrize("decision", ["s47", "police_investigation"])
def test_decision_an_enquiry_or_investigation_says_its_type(decision):
    errors = _check_decision(**{decision: True, "police_decision_maker": "Invented Officer"})
    assert errors == {"investigation_type": "Select the type of investigation"}


def test_decision_a_police_investigation_names_its_decision_maker():
    errors = _check_decision(police_investigation=True, investigation_type="joint")
    assert errors == {"police_decision_maker": "Name the police decision maker"}


def test_decision_reconvening_needs_a_date_and_the_rationale():
    errors = _check_decision(reconvene=True)
    assert set(errors) == {"reconvene_on", "reconvene_rationale"}


def test_decision_reconvening_is_dated_after_the_discussion():
    errors = _check_decision(held_on=TODAY, reconvene=True, reconvene_on=TODAY, reconvene_rationale="Invented")
    assert errors == {"reconvene_on": "The date to reconvene must be after this discussion"}
    later = TODAY + dt.timedelta(days=1)
    assert _check_decision(held_on=TODAY, reconvene=True, reconvene_on=later, reconvene_rationale="Invented") == {}


def test_decision_a_medical_is_recorded_once_done_not_ahead():
    assert _check_decision(s17=True, medical_done_at=NOW + HOUR) == {
        "medical_done": "The date of the medical must be today or in the past"
    }
    assert _check_decision(s17=True, medical_done_at=NOW - HOUR) == {}


# --- check_standing ----------------------------------------------------------------------------------------------


def _check_standing(children=None, about=None, **data):
    child = _child(7)
    return rules.check_standing(
        data=data, children=children or {}, about=about if about is not None else {7: child}, today=TODAY
    )


def test_standing_left_blank_has_no_problem():
    assert _check_standing() == {}


def test_standing_refuses_an_unknown_police_decision():
    assert set(_check_standing(police_decision="perhaps", police_decision_maker="Invented")) == {"police_decision"}


def test_standing_no_criminal_investigation_gives_the_reason_and_its_maker():
    assert set(_check_standing(police_decision="no_investigation")) == {
        "police_decision_reason",
        "police_decision_maker",
    }


def test_standing_a_police_only_discussion_held_first_says_when_and_why():
    assert set(_check_standing(police_only_first=True)) == {"police_only_note"}


def test_standing_the_lado_informed_says_by_whom_and_when():
    assert set(_check_standing(lado_informed=True)) == {"lado_informed_who", "lado_informed_on"}


def test_standing_the_lado_was_not_informed_in_the_future():
    errors = _check_standing(lado_informed=True, lado_informed_who="Invented", lado_informed_on=TODAY + dt.timedelta(1))
    assert errors == {"lado_informed_on": "The date the LADO was informed must be today or in the past"}


def test_standing_the_lado_not_informed_gives_the_reason():
    assert set(_check_standing(lado_informed=False)) == {"lado_not_informed_reason"}


def test_standing_legal_advice_sought_gives_its_outcome():
    assert set(_check_standing(legal_advice_sought=True)) == {"legal_advice_outcome"}


def test_standing_protection_in_place_is_a_known_kind_with_its_details():
    assert set(_check_standing(protection="curfew")) == {"protection", "protection_details"}
    assert set(_check_standing(protection="epo")) == {"protection_details"}
    assert _check_standing(protection="none") == {}


def test_standing_a_safe_discharge_only_for_a_child_in_hospital():
    errors = _check_standing(children={7: {"safe_discharge": "Invented plan"}})
    assert errors == {"child_7_safe_discharge": "Invented Child7 is not recorded as in hospital"}
    in_hospital = _child(7, in_hospital=True)
    assert _check_standing(children={7: {"safe_discharge": "Invented plan"}}, about={7: in_hospital}) == {}


def test_standing_child_in_need_support_is_a_known_answer_with_its_reason():
    assert set(_check_standing(children={7: {"cin_support": "maybe"}})) == {
        "child_7_cin_support",
        "child_7_cin_support_reason",
    }


def test_standing_refuses_a_child_the_discussion_is_not_about():
    assert _check_standing(children={99: {}}) == {"children": "This discussion is not about that child"}


# --- Each invitee rule -------------------------------------------------------------------------------------------


def _case(children=(), others=(), concerns=(), agencies=(), referrer_type=None, referrer_id=None) -> rules.Case:
    settings, setting_of = rules._settings(list(children), list(agencies), TODAY)
    return rules.Case(
        children=list(children),
        others=list(others),
        concerns=frozenset(concerns),
        today=TODAY,
        settings=settings,
        setting_of=setting_of,
        referrer_agency_type=referrer_type,
        referrer_agency_id=referrer_id,
    )


def _keys(found) -> list[str]:
    return [p.key for p in found]


SCHOOL_AGE = dt.date(2017, 3, 1)


def test_rule_core_agencies_proposes_police_and_health_always():
    assert _keys(rules.core_agencies(_case())) == ["police", "health"]


def test_rule_paediatrician_only_where_a_medical_may_be_needed():
    assert rules.paediatrician(_case([_child(date_of_birth=SCHOOL_AGE)], concerns={"neglect"})) == []
    found = rules.paediatrician(_case([_child(date_of_birth=SCHOOL_AGE)], concerns={"physical"}))
    assert _keys(found) == ["paediatrician"]


def test_rule_paediatrician_names_a_child_in_hospital_once_not_also_as_an_infant():
    baby = _child(date_of_birth=TODAY - dt.timedelta(days=60), in_hospital=True)
    (found,) = rules.paediatrician(_case([baby]))
    assert "Invented Child7 is in hospital" in found.reason
    assert "is an infant" not in found.reason


def test_rule_hospital_consultants_one_per_child_in_hospital_with_the_ward():
    found = rules.hospital_consultants(_case([_child(7, in_hospital=True, hospital="Invented Ward"), _child(8)]))
    assert [(p.key, p.reason) for p in found] == [("consultant-7", "Invented Child7 is in hospital (Invented Ward)")]


def test_rule_midwife_for_an_unborn_child_only():
    case = _case([_child(7, unborn=True), _child(8, date_of_birth=SCHOOL_AGE)])
    assert _keys(rules.midwife(case, 0, case.children[0])) == ["midwife-7"]
    assert rules.midwife(case, 1, case.children[1]) == []


def test_rule_child_setting_proposes_a_shared_school_once_for_the_first_child():
    school = SimpleNamespace(pk=40, name="Invented Primary", agency_type=AgencyType.EDUCATION)
    on_roll = {"education_status": EducationStatus.ON_ROLL, "education_setting": "Invented Primary"}
    case = _case([_child(7, **on_roll), _child(8, **on_roll)], agencies=[school])
    first, second = (rules.child_setting(case, i, c) for i, c in enumerate(case.children))
    assert [(p.key, p.agency_id) for p in first] == [("school-agency-40", 40)]
    assert second == []


def test_rule_education_officer_for_a_child_off_roll_or_educated_at_home():
    for status in (EducationStatus.NOT_ON_ROLL, EducationStatus.HOME_EDUCATED):
        child = _child(education_status=status)
        assert _keys(rules.education_officer(_case([child]), 0, child)) == ["education-officer"]
    on_roll = _child(education_status=EducationStatus.ON_ROLL)
    assert rules.education_officer(_case([on_roll]), 0, on_roll) == []


def test_rule_carer_for_a_looked_after_child_with_the_placement():
    child = _child(looked_after=True, placement="Invented Foster Home")
    (found,) = rules.carer(_case([child]), 0, child)
    assert (found.key, found.reason) == ("carer-7", "Invented Child7 is looked after (Invented Foster Home)")
    assert rules.carer(_case([_child()]), 0, _child()) == []


def test_rule_referrer_is_proposed_unless_it_is_childrens_social_care():
    assert _keys(rules.referrer(_case(referrer_type=AgencyType.HOUSING, referrer_id=5))) == ["referrer"]
    assert rules.referrer(_case(referrer_type=AgencyType.CHILDRENS_SOCIAL_CARE, referrer_id=5)) == []
    assert rules.referrer(_case()) == []


def test_rule_probation_for_an_adult_alleged_abuser_only():
    assert _keys(rules.probation(_case(others=[_other(PersonKind.ALLEGED_ABUSER)]))) == ["probation"]
    young = Person(kind=PersonKind.ALLEGED_ABUSER, first_name="Invented", under_18=True)
    assert rules.probation(_case(others=[young])) == []


def test_rule_lado_for_an_alleged_abuser_working_with_children_or_a_position_of_trust():
    worker = _other(PersonKind.ALLEGED_ABUSER, works_with_children=True)
    (found,) = rules.lado(_case(others=[worker]))
    assert found.reason == "Invented Adult works with children"
    assert _keys(rules.lado(_case(concerns={"position_of_trust"}))) == ["lado"]
    assert rules.lado(_case(others=[_other(PersonKind.ALLEGED_ABUSER)])) == []


def test_rule_housing_where_the_concern_is_neglect():
    assert _keys(rules.housing(_case(concerns={"neglect"}))) == ["housing"]
    assert rules.housing(_case(concerns={"physical"})) == []


def test_rule_adult_services_for_an_adult_of_the_household_with_care_needs():
    assert _keys(rules.adult_services(_case(others=[_other(PersonKind.HOUSEHOLD, disability=True)]))) == [
        "adult-services"
    ]
    assert rules.adult_services(_case(others=[_other(PersonKind.HOUSEHOLD)])) == []


def test_rule_specialist_for_fgm_exploitation_and_the_like():
    (found,) = rules.specialist(_case(concerns={"fgm"}))
    assert found.key == "specialist"
    assert rules.specialist(_case(concerns={"neglect"})) == []


def test_invitee_rules_propose_core_agencies_first_and_each_childs_invitees_together():
    children = [_child(7, looked_after=True, education_status=EducationStatus.NOT_ON_ROLL), _child(8, unborn=True)]
    found = rules.proposals(children=children, others=[], concerns=["neglect"], referrer_agency_type=None, today=TODAY)
    assert _keys(found) == ["police", "health", "education-officer", "carer-7", "midwife-8", "housing"]


def test_a_police_referrer_is_folded_into_the_core_police_row_as_itself():
    found = rules.proposals(
        children=[_child(date_of_birth=SCHOOL_AGE)],
        others=[],
        concerns=["neglect"],
        referrer_agency_type=AgencyType.POLICE,
        referrer_agency_id=5,
        today=TODAY,
    )
    police = next(p for p in found if p.key == "police")
    assert (police.agency_id, police.reason) == (5, "Core agency: always expected; they made the referral")
    assert "referrer" not in _keys(found)


def test_a_referrer_no_row_proposes_keeps_a_row_of_its_own_after_the_childrens_invitees():
    found = rules.proposals(
        children=[_child(looked_after=True)],
        others=[_other(PersonKind.ALLEGED_ABUSER)],
        concerns=["neglect"],
        referrer_agency_type=AgencyType.HOUSING,
        referrer_agency_id=6,
        today=TODAY,
    )
    assert _keys(found)[-4:] == ["carer-7", "referrer", "probation", "housing"]
