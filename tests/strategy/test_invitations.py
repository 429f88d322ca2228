"""Issue 25: convening with real-length school names, the right school proposed (or none), errors on their fields."""

import datetime as dt

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse

from agencies.models import AgencyType
from core.forms import GovFormMixin, add_service_errors
from core.templatetags.govuk import error_summary
from strategy import rules
from strategy.models import Discussion, Invitation
from tests.builders import child, make_referral
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db

LONG_SCHOOL = "Invented Saint Bartholomew's Church of England Voluntary Aided Primary School and Nursery"


def _convene_data(referral, world) -> dict:
    received = referral.received_at.astimezone(dt.UTC)
    return {
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
        "children": [p.pk for p in referral.people.filter(kind="child")],
        "reason": "Invented reason",
    }


def _rows(client, referral) -> dict:
    form = client.get(reverse("strategy:convene", kwargs={"pk": referral.pk})).context["form"]
    return {row["proposal"].key: row for row in form.proposal_rows}


def _long_school_case(world):
    school = AgencyFactory(partnership=world["partnership"], name=LONG_SCHOOL, agency_type=AgencyType.EDUCATION)
    referral = make_referral(
        acting_user=world["sw"],
        children=[
            child("Robin", education_status="on_roll", education_setting=LONG_SCHOOL),
            child("Sky", education_status="on_roll", education_setting=LONG_SCHOOL.upper()),
        ],
    )
    return school, referral


def test_a_long_school_name_convenes_with_both_childrens_reasons_on_one_row(tm_client, world):
    school, referral = _long_school_case(world)
    rows = _rows(tm_client, referral)
    key = f"school-agency-{school.pk}"
    assert [k for k in rows if k.startswith("school")] == [key]  # both children: one row, keyed by the agency's id
    assert rows[key]["agency"].initial == school.pk and rows[key]["invite"].initial is True
    data = {**_convene_data(referral, world), f"invite_{key}": "on", f"agency_{key}": school.pk}
    for other, row in rows.items():
        if other != key and not row.get("missing"):
            data[f"agency_{other}"] = row["agency"].initial
            data[f"invite_{other}"] = "on"
    response = tm_client.post(reverse("strategy:convene", kwargs={"pk": referral.pk}), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    invitation = Discussion.objects.get(referral=referral).invitations.get(proposal=key)
    assert invitation.agency == school
    assert invitation.reason == f"Robin Testchild attends {LONG_SCHOOL}; Sky Testchild attends {LONG_SCHOOL.upper()}"


def test_declining_a_long_school_name_records_the_reason_and_no_500(tm_client, world):
    school, referral = _long_school_case(world)
    rows = _rows(tm_client, referral)
    key = f"school-agency-{school.pk}"
    data = {**_convene_data(referral, world), f"agency_{key}": school.pk, f"decline_{key}": "Half term"}
    for other, row in rows.items():
        if other != key and not row.get("missing"):
            data[f"agency_{other}"] = row["agency"].initial
            data[f"invite_{other}"] = "on"
    response = tm_client.post(reverse("strategy:convene", kwargs={"pk": referral.pk}), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    declined = Invitation.objects.get(discussion__referral=referral, proposal=key)
    assert (declined.status, declined.decline_reason, declined.agency) == ("declined", "Half term", school)


def test_a_school_no_agency_matches_proposes_none_says_so_and_is_not_ticked(tm_client, world):
    AgencyFactory(partnership=world["partnership"], name="Invented Academy", agency_type=AgencyType.EDUCATION)
    referral = make_referral(
        acting_user=world["sw"],
        children=[child("Jayden", education_status="on_roll", education_setting="Invented Primary School")],
    )
    response = tm_client.get(reverse("strategy:convene", kwargs={"pk": referral.pk}))
    rows = {row["proposal"].key: row for row in response.context["form"].proposal_rows}
    (key,) = [k for k in rows if k.startswith("school")]
    row = rows[key]
    assert row["agency"].initial is None and not row["invite"].initial
    assert row["agency"].field.choices[0][0] == ""  # "Choose the agency for the designated safeguarding lead"
    page = response.content.decode()
    assert (
        "No agency of this partnership matches Invented Primary School: choose its agency, "
        "or invite them as an external contact later"
    ) in page
    assert "checked" not in page.split(f'name="invite_{key}"')[1].split(">")[0]
    # Left as it is, nothing is invited and nothing declined (nothing was proposed); ticked, an agency is needed.
    data = _convene_data(referral, world)
    for other, other_row in rows.items():
        if other != key and not other_row.get("missing"):
            data[f"agency_{other}"] = other_row["agency"].initial
            data[f"invite_{other}"] = "on"
    refused = tm_client.post(reverse("strategy:convene", kwargs={"pk": referral.pk}), {**data, f"invite_{key}": "on"})
    assert refused.status_code == 400
    assert f'href="#id_agency_{key}"' in refused.content.decode()
    assert "Select the agency for the designated safeguarding lead" in refused.content.decode()
    response = tm_client.post(reverse("strategy:convene", kwargs={"pk": referral.pk}), data)
    assert response.status_code == 302
    discussion = Discussion.objects.get(referral=referral)
    assert not discussion.invitations.filter(agency__agency_type=AgencyType.EDUCATION).exists()


def test_the_referring_agency_is_proposed_as_itself_in_the_row_of_its_kind(world):
    other_police = AgencyFactory(partnership=world["partnership"], name="Aaa Police", agency_type=AgencyType.POLICE)
    found = rules.proposals(
        children=[],
        others=[],
        concerns=["neglect"],
        referrer_agency_type=AgencyType.POLICE,
        referrer_agency_id=world["police_agency"].pk,
        agencies=[other_police, world["police_agency"]],
        today=dt.date(2026, 11, 23),
    )
    police = [p for p in found if p.agency_type == AgencyType.POLICE]
    assert len(police) == 1  # one row for one agency, not "Police officer" and "Referrer"
    assert police[0].agency_id == world["police_agency"].pk
    assert police[0].reason == "Core agency: always expected; they made the referral"


class _RoleForm(GovFormMixin, forms.Form):
    role = forms.CharField(label="Role", required=False)


def test_a_models_length_error_from_a_service_is_on_its_field_in_gov_uk_words():
    form = _RoleForm(data={})
    form.is_valid()
    with pytest.raises(ValidationError) as refused:
        Invitation(role="x" * 201, contact_name="y" * 201).clean_fields(
            exclude=["discussion", "agency", "created_by", "person"]
        )
    add_service_errors(form, refused.value)
    assert form.errors["role"] == ["Role must be 200 characters or fewer"]
    # A key that is no field of the form: said naming it, on the form, and the summary links to its first field.
    assert form.non_field_errors() == ["Contact name must be 200 characters or fewer"]
    summary = error_summary(form)["errors"]
    assert {"message": "Contact name must be 200 characters or fewer", "anchor": "id_role"} in summary
    assert "Ensure this value" not in str(summary)
