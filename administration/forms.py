"""Filters of the audit pages."""

from typing import Any

from django import forms

from agencies.models import Agency
from core.forms import GovDateField, GovFormMixin, offer


class LookFilter(GovFormMixin, forms.Form):
    since = GovDateField(label="From", required=False)
    until = GovDateField(label="To", required=False)
    agency = forms.ModelChoiceField(
        label="Agency",
        queryset=Agency.objects.none(),
        required=False,
        empty_label="Every agency",
        error_messages={"invalid_choice": "Select an agency from the list"},
    )

    def __init__(self, *args: Any, agencies: list[Agency] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if agencies is None:
            del self.fields["agency"]
        else:
            offer(self.fields["agency"], agencies)

    def clean(self) -> dict:
        super().clean()
        since, until = self.cleaned_data.get("since"), self.cleaned_data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date must be the same as or after the start date")
        return self.cleaned_data
