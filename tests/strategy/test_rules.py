"""The pure rules of the strategy discussion record, on plain tuples and unsaved people (DOMAIN section 4)."""

import datetime as dt

import pytest

from agencies.models import AgencyType
from referrals.models import Person, PersonKind
from strategy.rules import proposals, quoracy

CSC, POLICE, HEALTH, SCHOOL = 1, 2, 3, 4

CHAIR = (CSC, AgencyType.CHILDRENS_SOCIAL_CARE, "Invented CSC", True, True)
SOCIAL_WORKER = (CSC, AgencyType.CHILDRENS_SOCIAL_CARE, "Invented CSC", False, True)
POLICE_ATTENDED = (POLICE, AgencyType.POLICE, "Invented Police", False, True)
HEALTH_ATTENDED = (HEALTH, AgencyType.HEALTH, "Invented Health", False, True)


def absent(row: tuple) -> tuple:
    return (*row[:4], False)


def test_quorate_when_the_chair_a_csc_social_worker_police_and_health_attended():
    result = quoracy(attendance=[CHAIR, SOCIAL_WORKER, POLICE_ATTENDED, HEALTH_ATTENDED])
    assert result.quorate
    assert (result.missing, result.missing_agency_ids) == ([], [])


def test_not_quorate_without_police_and_health_and_the_absent_school_is_listed_too():
    school = (SCHOOL, AgencyType.EDUCATION, "Invented School", False, False)
    result = quoracy(attendance=[CHAIR, SOCIAL_WORKER, absent(POLICE_ATTENDED), absent(HEALTH_ATTENDED), school])
    assert not result.quorate
    assert result.missing == ["police", "health", "Invented School"]
    assert result.missing_agency_ids == [POLICE, HEALTH, SCHOOL]


def test_not_quorate_when_health_was_never_invited():
    result = quoracy(attendance=[CHAIR, SOCIAL_WORKER, POLICE_ATTENDED])
    assert not result.quorate
    assert (result.missing, result.missing_agency_ids) == (["health"], [])


def test_an_absent_school_is_a_warning_but_the_discussion_is_quorate():
    school = (SCHOOL, AgencyType.EDUCATION, "Invented School", False, False)
    result = quoracy(attendance=[CHAIR, SOCIAL_WORKER, POLICE_ATTENDED, HEALTH_ATTENDED, school])
    assert result.quorate
    assert (result.missing, result.missing_agency_ids) == (["Invented School"], [SCHOOL])


@pytest.mark.parametrize(
    ("rows", "missing"),
    [
        ([absent(CHAIR), SOCIAL_WORKER, POLICE_ATTENDED, HEALTH_ATTENDED], "the chair (children's social care)"),
        ([CHAIR, POLICE_ATTENDED, HEALTH_ATTENDED], "a social worker (children's social care)"),
    ],
    ids=["chair-absent", "no-social-worker"],
)
def test_not_quorate_without_the_chair_or_a_csc_social_worker(rows, missing):
    result = quoracy(attendance=rows)
    assert not result.quorate
    assert result.missing == [missing]


def test_an_attending_police_officer_does_not_fill_the_csc_social_workers_place():
    result = quoracy(attendance=[CHAIR, POLICE_ATTENDED, HEALTH_ATTENDED])
    assert result.missing == ["a social worker (children's social care)"]


# --- Proposals ---------------------------------------------------------------------------------------------------

TODAY = dt.date(2026, 11, 23)


def _child(**fields) -> Person:
    return Person(kind=PersonKind.CHILD, first_name="Invented", last_name="Testchild", **fields)


def _proposal_keys(children, concerns=("neglect",), others=()):
    return {
        p.key: p
        for p in proposals(children=children, others=others, concerns=concerns, referrer_agency_type=None, today=TODAY)
    }


def test_police_and_health_are_always_proposed_as_core_agencies():
    found = _proposal_keys([_child(date_of_birth=dt.date(2018, 5, 1))])
    assert found["police"].core and found["health"].core


def test_a_paediatrician_is_proposed_for_a_physical_harm_concern():
    found = _proposal_keys([_child(date_of_birth=dt.date(2018, 5, 1))], concerns=("physical",))
    assert "paediatrician" in found
    assert found["paediatrician"].reason.startswith("Medical implications: physical abuse")


def test_a_paediatrician_is_proposed_for_an_infant_whatever_the_concern():
    infant = _child(date_of_birth=dt.date(2026, 9, 1))  # under a year old, mobility not recorded
    found = _proposal_keys([infant], concerns=("neglect",))
    assert "paediatrician" in found
    assert "Invented Testchild is an infant" in found["paediatrician"].reason
