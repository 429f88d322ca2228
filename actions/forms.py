"""Forms for working an action. They parse input; the services check the rules and write."""

from typing import Any

from django import forms

from actions.models import ActionStatus
from agencies.forms import NamedPersonForm
from agencies.models import Agency
from core.forms import GovDateField, GovFormMixin, GovTextarea, GovTimeField, local_moment, offer


class StatusForm(GovFormMixin, forms.Form):
    status = forms.ChoiceField(
        label="Status",
        choices=ActionStatus.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the status", "invalid_choice": "Select the status from the list"},
    )
    note = GovTextarea(
        label="Completion note, or the reason it is cancelled",
        rows=3,
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


class ReassignForm(NamedPersonForm):
    field_order = ["lead_agency"]
    lead_agency = forms.ModelChoiceField(
        label="Lead agency",
        queryset=Agency.objects.none(),
        empty_label=None,
        help_text="Only the chair moves an action to another agency",
        error_messages={"required": "Select the lead agency", "invalid_choice": "Select the lead agency from the list"},
    )

    def __init__(self, *args: Any, agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer(self.fields["lead_agency"], agencies)


class AgreedForm(GovFormMixin, forms.Form):
    """The chair's correction of what was agreed at the meeting: the record the minutes show."""

    what = GovTextarea(label="What was agreed", rows=3, message="Enter what was agreed")
    measure = GovTextarea(label="How we will know it is done", message="Enter how we will know it is done")
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
