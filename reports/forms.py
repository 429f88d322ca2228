"""The report's filters: a range of months, an agency and an urgency (issue 29)."""

import datetime as dt
from typing import Any, cast

from django import forms

from agencies.models import Agency
from core.forms import GovFormMixin, offer
from core.timescales import month_of, months_after
from referrals.models import Urgency
from reports.selectors import Filters, default_range

MONTHS_OFFERED = 36  # the months a range may start and end in, this one included


def _month_choices(now: dt.datetime) -> list[tuple[str, str]]:
    this = month_of(now)
    months = [months_after(this, -n) for n in range(MONTHS_OFFERED)]
    return [(f"{m:%Y-%m}", f"{m:%B %Y}") for m in months]


class ReportFilter(GovFormMixin, forms.Form):
    first = forms.ChoiceField(
        label="From",
        error_messages={"required": "Select the first month", "invalid_choice": "Select a month from the list"},
    )
    last = forms.ChoiceField(
        label="To",
        error_messages={"required": "Select the last month", "invalid_choice": "Select a month from the list"},
    )
    agency = forms.ModelChoiceField(
        label="Agency",
        queryset=Agency.objects.none(),
        required=False,
        empty_label="Every agency",
        help_text="Narrows the referrals an agency made, its attendance and the actions it leads.",
        error_messages={"invalid_choice": "Select an agency from the list"},
    )
    urgency = forms.ChoiceField(
        label="Urgency",
        required=False,
        choices=[("", "Every urgency"), *Urgency.choices],
        error_messages={"invalid_choice": "Select an urgency from the list"},
    )

    def __init__(self, *args: Any, agencies: list[Agency], now: dt.datetime, **kwargs: Any) -> None:
        first, last = default_range(now)
        kwargs.setdefault("initial", {"first": f"{first:%Y-%m}", "last": f"{last:%Y-%m}"})
        super().__init__(*args, **kwargs)
        months = _month_choices(now)
        for name in ("first", "last"):
            cast(forms.ChoiceField, self.fields[name]).choices = months
        offer(self.fields["agency"], agencies)

    def clean(self) -> dict:
        super().clean()
        first, last = self.cleaned_data.get("first"), self.cleaned_data.get("last")
        if first and last and first > last:
            self.add_error("last", "The last month must be the same as or after the first month")
        return self.cleaned_data

    def filters(self) -> Filters:
        data = self.cleaned_data

        def month(value: str) -> dt.date:
            return dt.date.fromisoformat(f"{value}-01")

        return Filters(month(data["first"]), month(data["last"]), data.get("agency"), data.get("urgency") or "")
