""" "With whom" on the raise form offers a bounded list, never every practitioner of the partnership: the people named
on the case (only to who sees the case), and up to 20 found by name at the agency chosen, after "Find"."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from agencies.models import RoleCode
from disputes.models import Disagreement, Subject
from disputes.selectors import PEOPLE_FOUND_MAX
from strategy import services as strategy_services
from tests import builders
from tests.conftest import _client_for
from tests.disputes.builders import managed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def whom_people(world):
    return managed(world)


@pytest.fixture
def whom_case(whom_people):
    """A case with police's officer invited by name, and health with nobody named (the school never)."""
    whom_case = builders.make_referral(acting_user=whom_people["sw"])
    builders.convene(
        whom_people,
        whom_case,
        now=whom_case.received_at,
        invitations=[
            {"agency": whom_people["police_agency"], "person": whom_people["police"], "role": "Police officer"},
            {"agency": whom_people["health"].agency, "role": "Health practitioner"},
        ],
    )
    return whom_case


def _offered(body: str) -> set[int]:
    select = re.search(r'<select[^>]*name="with_person".*?</select>', body, re.S)
    assert select, "no with_person list"
    return {int(pk) for pk in re.findall(r'<option value="(\d+)"', select.group(0))}


def test_the_list_starts_with_the_people_named_on_the_case(whom_people, whom_case):
    body = _client_for(whom_people["police"]).get(reverse("disputes:raise", kwargs={"pk": whom_case.pk})).content
    offered = _offered(body.decode())
    # Who logged it, the chair and police's named officer; not health's practitioner or the neighbour's officer.
    assert {whom_people["sw"].pk, whom_people["tm"].pk, whom_people["police"].pk} <= offered
    assert whom_people["health"].pk not in offered and whom_people["outsider"].pk not in offered


def test_find_offers_people_of_the_chosen_agency_by_name_keeping_what_was_typed(whom_people, whom_case):
    url = reverse("disputes:raise", kwargs={"pk": whom_case.pk})
    health = whom_people["health"]
    typed = {
        "subject": Subject.THRESHOLD,
        "with_agency": health.agency_id,
        "find": health.last_name[:3].lower(),
        "outcome_sought": "Invented outcome typed before finding",
        "find_person": "1",
    }
    response = _client_for(whom_people["police"]).post(url, typed)
    body = response.content.decode()
    assert response.status_code == 200
    assert health.pk in _offered(body)
    assert "Invented outcome typed before finding" in body
    assert "There is a problem" not in body  # nothing checked yet
    assert not Disagreement.objects.exists()
    # Then chosen and raised.
    raised = {**typed, "with_person": health.pk}
    del raised["find_person"]
    response = _client_for(whom_people["police"]).post(url, raised)
    assert response.status_code == 302
    assert Disagreement.objects.get().with_person == health


def test_find_needs_the_agency_and_a_name(whom_people, whom_case):
    url = reverse("disputes:raise", kwargs={"pk": whom_case.pk})
    police = _client_for(whom_people["police"])
    body = police.post(url, {"find": "Inv", "find_person": "1"}).content.decode()
    assert "Select the agency, then find the person" in body
    body = police.post(url, {"with_agency": whom_people["csc"].pk, "find_person": "1"}).content.decode()
    assert "Enter the start of the person&#x27;s name to find them" in body


def test_find_is_bounded_and_says_when_more_match(whom_people, whom_case):
    agency = whom_people["health"].agency
    many = [
        UserFactory(
            username=f"whom{n}",
            first_name="Invented",
            last_name=f"Zedmore{n:02}",
            agency=agency,
            roles=[RoleCode.HEALTH_PRACTITIONER],
        )
        for n in range(PEOPLE_FOUND_MAX + 3)
    ]
    url = reverse("disputes:raise", kwargs={"pk": whom_case.pk})
    data = {"with_agency": agency.pk, "find": "zedm", "find_person": "1"}
    body = _client_for(whom_people["police"]).post(url, data).content.decode()
    found = _offered(body) & {u.pk for u in many}
    assert found == {u.pk for u in many[:PEOPLE_FOUND_MAX]}  # the first 20 by surname
    assert "More people match than are listed" in body


def test_who_does_not_see_the_case_is_offered_nobody_from_it(whom_people, whom_case):
    strategy_services.case_close(
        acting_user=whom_people["tm"],
        referral=whom_case,
        outcome="threshold_not_met",
        reason="Invented",
        now=whom_case.received_at,
    )
    body = _client_for(whom_people["police"]).get(reverse("disputes:raise", kwargs={"pk": whom_case.pk}))
    assert body.status_code == 200
    assert _offered(body.content.decode()) == set()


def test_odd_digits_in_the_posted_ids_are_an_error_not_a_crash(whom_people, whom_case):
    url = reverse("disputes:raise", kwargs={"pk": whom_case.pk})
    for odd in ("\u00b2", "\u0663", "1e3", "-1"):  # superscript two, Arabic-Indic three: str.isdigit says yes
        for data in ({"with_agency": odd, "find": "a", "find_person": "1"}, {"with_person": odd, "with_agency": odd}):
            response = _client_for(whom_people["police"]).post(url, data)
            assert response.status_code in (200, 400), (odd, data)
    assert not Disagreement.objects.exists()


def test_only_an_agency_involved_in_the_case_is_offered_and_accepted(whom_people, whom_case):
    """A walk: a disagreement raised with an agency never invited to the case went nowhere (nobody there could open
    it). Offered and accepted: CSC, the referrer and the agencies ever invited; refused: any other, by the service."""
    from agencies.models import Agency, AgencyType

    school = Agency.objects.create(
        name="Invented Primary School", agency_type=AgencyType.EDUCATION, partnership=whom_case.partnership
    )
    url = reverse("disputes:raise", kwargs={"pk": whom_case.pk})
    police = _client_for(whom_people["police"])
    body = police.get(url).content.decode()
    select = re.search(r'<select[^>]*name="with_agency".*?</select>', body, re.S)
    assert select is not None
    offered = {int(pk) for pk in re.findall(r'<option value="(\d+)"', select.group(0))}
    assert {whom_people["csc"].pk, whom_people["police_agency"].pk, whom_people["health"].agency_id} <= offered
    assert school.pk not in offered

    from disputes import services

    with pytest.raises(ValidationError) as refused:
        services.disagreement_raise(
            acting_user=whom_people["police"],
            referral=whom_case,
            data={"subject": Subject.THRESHOLD, "with_agency": school, "with_name": "Ms Head", "outcome_sought": "X"},
            now=whom_case.received_at,
        )
    assert refused.value.message_dict["with_agency"] == [
        "Select an agency involved in this case: Invented Primary School has not been invited to any of its discussions"
    ]


def test_who_does_not_see_the_case_is_not_told_which_agencies_were_invited(whom_people, whom_case):
    """A review: the referrer (who may raise one, but does not see the case) was offered every agency invited to it,
    which tells them who is involved. They are offered children's social care, and the referrer (their own)."""
    from agencies.models import Agency, AgencyType

    school = Agency.objects.create(
        name="Invented Primary School", agency_type=AgencyType.EDUCATION, partnership=whom_case.partnership
    )
    type(whom_case).objects.filter(pk=whom_case.pk).update(referrer_agency=school)
    teacher = UserFactory(username="invented.dsl", agency=school, roles=[RoleCode.EDUCATION_DSL])
    body = _client_for(teacher).get(reverse("disputes:raise", kwargs={"pk": whom_case.pk})).content.decode()
    select = re.search(r'<select[^>]*name="with_agency".*?</select>', body, re.S)
    assert select is not None
    offered = {int(pk) for pk in re.findall(r'<option value="(\d+)"', select.group(0))}
    assert offered == {whom_people["csc"].pk, school.pk}
