"""Forms for logging and editing a referral. They parse and check input; services write."""

import datetime as dt
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from agencies.forms import GovDateField, GovFormMixin, GovTimeField
from agencies.models import Agency, Partnership
from agencies.timescales import LONDON, to_local
from referrals.models import ConcernCategory, PersonKind, Urgency, years_of_age

SAME_DAY_URGENCIES = (Urgency.SERIOUS_RISK, Urgency.FORENSIC)


class ReferralForm(GovFormMixin, forms.Form):
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    received_date = GovDateField(label="Date received", help_text="For example, 23 11 2026")
    received_time = GovTimeField(
        label="Time received", what="the referral was received", help_text="Use the 24-hour clock, for example 14:30"
    )
    referrer_name = forms.CharField(
        label="Referrer's name",
        max_length=200,
        error_messages={"required": "Enter the name of the person who made the referral"},
    )
    referrer_agency = forms.CharField(
        label="Referrer's agency or organisation",
        max_length=200,
        required=False,
        help_text="Leave blank if the referrer is a member of the public",
    )
    referrer_contact = forms.CharField(
        label="Referrer's contact details",
        max_length=200,
        required=False,
        help_text="Telephone number or work email address",
    )
    concerns = forms.MultipleChoiceField(
        label="Concern categories",
        choices=ConcernCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply",
        error_messages={
            "required": "Select at least one concern category",
            "invalid_choice": "Select concern categories from the list",
        },
    )
    urgency = forms.ChoiceField(
        label="Urgency",
        choices=Urgency.choices,
        widget=forms.RadioSelect,
        help_text="This sets the deadline for the strategy discussion",
        error_messages={
            "required": "Select the urgency",
            "invalid_choice": "Select the urgency from the list",
        },
    )
    immediate_action_taken = forms.BooleanField(
        label="An agency has already taken immediate protective action",
        required=False,
        widget=forms.CheckboxInput(attrs={"data-aria-controls": "immediate-action-details"}),
    )
    immediate_action_agency = forms.ModelChoiceField(
        label="Which agency took the action",
        queryset=Agency.objects.none(),
        required=False,
        empty_label="Select an agency",
        error_messages={"invalid_choice": "Select the agency from the list"},
    )
    immediate_action_details = forms.CharField(
        label="What the agency did", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    concern_summary = forms.CharField(
        label="The concern",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What was reported, by whom, and what is known so far",
        error_messages={"required": "Describe the concern"},
    )

    def __init__(
        self,
        *args,
        partnership: Partnership,
        now: dt.datetime | None = None,
        received_at: dt.datetime | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()
        self.original_received_at = received_at  # when editing: what is stored now
        agency_field = cast(forms.ModelChoiceField, self.fields["immediate_action_agency"])
        agency_field.queryset = Agency.objects.filter(partnership=partnership)

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        day, time = data.get("received_date"), data.get("received_time")
        original = self.original_received_at and to_local(self.original_received_at)
        if (
            day
            and time
            and original
            and (day, time) == (original.date(), original.time().replace(second=0, microsecond=0))
        ):
            # Unchanged on an edit: keep the stored moment (seconds included) and do not re-check its age.
            data["received_at"] = self.original_received_at
        elif day and time:
            received_at = dt.datetime.combine(day, time, tzinfo=LONDON)
            if received_at.astimezone(dt.UTC).astimezone(LONDON).time() != time:
                self.add_error(
                    "received_time",
                    "That time did not happen on that date because the clocks went forward: check the time",
                )
            elif received_at > self.now:
                self.add_error("received_date", "The date and time received must be in the past")
            elif received_at < self.now - dt.timedelta(days=366):
                self.add_error("received_date", "The date received must be within the last 12 months: check the year")
            data["received_at"] = received_at
        urgency = data.get("urgency")
        if data.get("immediate_action_taken"):
            if not data.get("immediate_action_agency") and "immediate_action_agency" not in self.errors:
                self.add_error("immediate_action_agency", "Select the agency that took immediate protective action")
            if not data.get("immediate_action_details", "").strip():
                self.add_error("immediate_action_details", "Describe the immediate protective action taken")
            if urgency in (Urgency.STANDARD, Urgency.COMPLEX):
                self.add_error(
                    "urgency",
                    "An agency has taken immediate protective action, so the strategy discussion is due within "
                    "1 working day: select that urgency, or a same-day one",
                )
        elif urgency == Urgency.IMMEDIATE_ACTION:
            self.add_error(
                "immediate_action_taken",
                "Tick that an agency has taken immediate protective action, and say which agency and what it did",
            )
        else:
            data["immediate_action_agency"] = None
            data["immediate_action_details"] = ""
        return data


class PersonForm(GovFormMixin, forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    first_name = forms.CharField(label="First name", max_length=100, required=False)
    last_name = forms.CharField(label="Last name", max_length=100)
    aliases = forms.CharField(label="Other names or aliases", max_length=200, required=False)
    date_of_birth = GovDateField(label="Date of birth", required=False, help_text="Leave blank if not known")
    unborn = forms.BooleanField(label="Unborn child", required=False)
    expected_date = GovDateField(
        label="Expected date of birth", required=False, help_text="For an unborn child, for example 3 4 2027"
    )
    relationship = forms.CharField(label="Relationship", max_length=100, required=False)
    address = forms.CharField(label="Address", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=500)
    looked_after = forms.BooleanField(label="Looked-after child", required=False)
    disability = forms.BooleanField(label="Has a disability", required=False)
    first_language = forms.CharField(label="First language", max_length=100, required=False)
    interpreter_needed = forms.BooleanField(label="Needs an interpreter", required=False)

    def __init__(self, *args, kind: str, today: dt.date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.today = today
        who = "child" if kind == PersonKind.CHILD else "household member"
        self.fields["first_name"].error_messages["required"] = f"Enter the {who}'s first name"
        self.fields["last_name"].error_messages["required"] = f"Enter the {who}'s last name"
        if kind == PersonKind.CHILD:
            self.fields["first_name"].help_text = "Leave blank for an unborn child who has no name yet"
            self.fields["relationship"].help_text = "For example, subject child, sibling"
        else:
            self.fields["relationship"].help_text = "Relationship to the children, for example mother, mother's partner"
            for name in ("unborn", "expected_date", "looked_after"):
                del self.fields[name]

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        born, unborn, expected = data.get("date_of_birth"), data.get("unborn"), data.get("expected_date")
        if not data.get("first_name") and "first_name" not in self.errors and not unborn:
            self.add_error("first_name", self.fields["first_name"].error_messages["required"])
        if unborn:
            if born:
                self.add_error("date_of_birth", "An unborn child has no date of birth: clear it, or untick unborn")
            if not expected and "expected_date" not in self.errors:
                self.add_error("expected_date", "Enter the expected date of birth of the unborn child")
            elif expected and not (
                self.today - dt.timedelta(days=31) <= expected <= self.today + dt.timedelta(days=300)
            ):
                self.add_error(
                    "expected_date",
                    "Expected date of birth must be within the next 10 months; if the baby has been born, "
                    "untick unborn and give the date of birth",
                )
        else:
            if born and born > self.today:
                self.add_error(
                    "date_of_birth", "Date of birth must be today or in the past; for an unborn child tick unborn"
                )
            elif born and self.kind == PersonKind.CHILD and years_of_age(born, self.today) >= 18:
                self.add_error(
                    "date_of_birth",
                    "A child must be under 18: check the year, or add this person as a household member",
                )
            elif born and born.year < 1900:
                self.add_error("date_of_birth", "Date of birth must be after 1 January 1900: check the year")
            if expected:
                self.add_error("expected_date", "Give an expected date of birth only for an unborn child")
        return data


class BasePersonFormSet(forms.BaseFormSet):
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_many_forms": "A referral can have at most %(num)d children and %(num)d other household members",
    }

    def __init__(self, *args, kind: str, today: dt.date, **kwargs) -> None:
        self.kind = kind
        self.today = today
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict:
        return {"kind": self.kind, "today": self.today}

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this person from the referral"

    def filled_forms(self) -> list[PersonForm]:
        """People to keep: everyone already on the referral (changed or not) and every new slot filled in."""
        return [
            form
            for form in self.forms
            if (form.has_changed() or (form.initial or {}).get("id"))
            and not (self.can_delete and form.cleaned_data.get("DELETE"))
        ]

    def clean(self) -> None:
        if any(self.errors):
            return
        if self.kind == PersonKind.CHILD and not self.filled_forms():
            raise ValidationError("Add at least one child", code="no_child")


PersonFormSet = cast(
    type[BasePersonFormSet],
    forms.formset_factory(
        PersonForm, formset=BasePersonFormSet, extra=0, can_delete=True, max_num=20, validate_max=True
    ),
)
