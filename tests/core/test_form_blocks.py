"""Issue 27, one home per form idiom: `offer`, `GovTextarea`, `NamedPersonForm` and the `{% fields %}` tag."""

import pytest
from django import forms
from django.template import Context, Template

from agencies.forms import NamedPersonForm
from agencies.models import Agency
from core.forms import GovFormMixin, GovTextarea, offer
from tests.factories import AgencyFactory, PartnershipFactory, UserFactory


class _Pick(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), required=False, empty_label="Every agency")
    required_agency = forms.ModelChoiceField(queryset=Agency.objects.none(), empty_label=None)


@pytest.mark.django_db
def test_offer_limits_a_choice_to_the_objects_given_and_labels_them_after_the_empty_label():
    partnership = PartnershipFactory()
    police, health, other = (AgencyFactory(partnership=partnership, name=n) for n in ("Police", "Health", "Other"))
    form = _Pick({"agency": str(other.pk), "required_agency": str(police.pk)})
    offer(form.fields["agency"], [police, health], label=lambda agency: agency.name.upper())
    offer(form.fields["required_agency"], [police])

    assert list(form.fields["agency"].choices) == [("", "Every agency"), (police.pk, "POLICE"), (health.pk, "HEALTH")]
    assert list(form.fields["required_agency"].choices) == [(police.pk, "Police")]
    assert not form.is_valid()
    assert list(form.errors) == ["agency"]  # an agency not offered is refused, whatever the page showed


def test_offer_refuses_a_field_that_is_not_a_model_choice():
    with pytest.raises(TypeError):
        offer(forms.CharField(), [])


def test_a_gov_textarea_has_its_rows_its_limit_and_its_gov_uk_message_for_a_missing_answer():
    class _Reason(GovFormMixin, forms.Form):
        reason = GovTextarea(
            label="Reason for closing the case", rows=5, message="Enter the reason for closing the case"
        )
        note = GovTextarea(label="Note", max_length=20, required=False)

    form = _Reason({"reason": "", "note": "x" * 21})

    assert not form.is_valid()
    assert form.errors["reason"] == ["Enter the reason for closing the case"]
    assert form.errors["note"] == ["Note must be 20 characters or fewer"]
    assert (form.fields["reason"].widget.attrs["rows"], form.fields["reason"].widget.attrs["maxlength"]) == (5, "5000")
    assert form.fields["note"].widget.attrs["rows"] == 2


@pytest.mark.django_db
def test_a_named_person_is_one_of_the_people_offered_with_their_agency_or_a_name_typed():
    agency = AgencyFactory(name="Demo Police")
    officer = UserFactory(agency=agency, first_name="Alex", last_name="Example")
    outsider = UserFactory(agency=agency)

    form = NamedPersonForm({"person": str(outsider.pk)}, people=[officer])

    assert list(form.fields["person"].choices) == [
        ("", "Someone not listed here"),
        (officer.pk, "Alex Example (Demo Police)"),
    ]
    assert not form.is_valid()
    assert form.errors["person"] == ["Select the named person from the list"]
    assert NamedPersonForm({"contact_name": "Sam Sample"}, people=[officer]).is_valid()


def test_the_fields_tag_renders_the_named_fields_in_that_order_as_the_field_include_does():
    class _Two(forms.Form):
        first = forms.CharField(label="First")
        second = forms.CharField(label="Second", help_text="A hint")
        third = forms.CharField(label="Third")

    form = _Two()
    tag = Template('{% load govuk %}{% fields form "second" "first" %}').render(Context({"form": form}))
    includes = Template(
        '{% include "includes/field.html" with field=form.second %}'
        '{% include "includes/field.html" with field=form.first %}'
    ).render(Context({"form": form}))
    every = Template("{% load govuk %}{% fields form %}").render(Context({"form": form}))

    assert tag.split() == includes.split()
    assert tag.index('for="id_second"') < tag.index('for="id_first"')
    assert 'for="id_third"' not in tag
    assert all(f'for="id_{name}"' in every for name in ("first", "second", "third"))
