"""Forms for working an action. They parse input; the services check the rules and write."""

from typing import Any

from django import forms

from actions.models import ActionStatus
from agencies.models import Agency, User
from core.forms import GovDateField, GovFormMixin, GovTimeField, local_moment


class StatusForm(GovFormMixin, forms.Form):
    status = forms.ChoiceField(
        label="Status",
        choices=ActionStatus.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the status", "invalid_choice": "Select the status from the list"},
    )
    note = forms.CharField(
        label="Completion note, or the reason it is cancelled",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
        help_text="Needed when the action is done or cancelled",
    )


class DueForm(GovFormMixin, forms.Form):
    due_date = GovDateField(label="New due date")
    due_time = GovTimeField(label="New due time", what="the action is due", initial="17:00")
    reason = forms.CharField(
        label="Why the due date changes",
        max_length=500,
        error_messages={"required": "Give the reason the due date changes"},
    )

    def clean(self) -> dict:
        super().clean()
        self.cleaned_data["due_at"] = local_moment(self, "due_date", "due_time")
        return self.cleaned_data


class ReassignForm(GovFormMixin, forms.Form):
    lead_agency = forms.ModelChoiceField(
        label="Lead agency",
        queryset=Agency.objects.none(),
        empty_label=None,
        help_text="Only the chair moves an action to another agency",
        error_messages={"required": "Select the lead agency", "invalid_choice": "Select the lead agency from the list"},
    )
    person = forms.ModelChoiceField(
        label="Named person",
        queryset=User.objects.none(),
        required=False,
        empty_label="Someone not listed here",
        error_messages={"invalid_choice": "Select the named person from the list"},
    )
    contact_name = forms.CharField(label="Or their name, if not listed", max_length=200, required=False)

    def __init__(self, *args: Any, agencies: list[Agency], people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_agency"].queryset = Agency.objects.filter(pk__in=[a.pk for a in agencies])  # type: ignore[attr-defined]
        self.fields["lead_agency"].choices = [(a.pk, a.name) for a in agencies]  # type: ignore[attr-defined]
        self.fields["person"].queryset = User.objects.filter(pk__in=[p.pk for p in people])  # type: ignore[attr-defined]
        self.fields["person"].choices = [  # type: ignore[attr-defined]
            ("", "Someone not listed here"),
            *((p.pk, f"{p} ({p.agency})") for p in people),
        ]


class AgreedForm(GovFormMixin, forms.Form):
    """The chair's correction of what was agreed at the meeting: the record the minutes show."""

    what = forms.CharField(
        label="What was agreed",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Enter what was agreed"},
    )
    measure = forms.CharField(
        label="How we will know it is done",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
        error_messages={"required": "Enter how we will know it is done"},
    )
    due_date = GovDateField(label="Date agreed")
    due_time = GovTimeField(label="Time agreed", what="the action was agreed to be due", initial="17:00")
    reason = forms.CharField(
        label="Why the record is corrected",
        max_length=500,
        help_text="For example, the date was recorded wrongly at the meeting",
        error_messages={"required": "Give the reason for the correction"},
    )

    def clean(self) -> dict:
        super().clean()
        self.cleaned_data["due_at"] = local_moment(self, "due_date", "due_time")
        return self.cleaned_data
