"""Form building blocks shared by every app: GOV.UK date input and error wording.

Error messages follow the GOV.UK style ("Enter the date the referral was
received", not "This field is required").
"""

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.forms.formsets import TOTAL_FORM_COUNT
from django.forms.renderers import DjangoTemplates
from django.utils import timezone
from django.utils.html import conditional_escape

from core.timescales import LONDON


class GovDateWidget(forms.MultiWidget):
    """Day, month and year as three text inputs (the GOV.UK date input pattern)."""

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__([forms.TextInput(), forms.TextInput(), forms.TextInput()], attrs)

    def decompress(self, value: dt.date | None) -> list:
        if value:
            return [value.day, value.month, value.year]
        return [None, None, None]


# Every date typed is bounded before it reaches a service or the timescale engine (issue 26: 31/12/9999 gave a
# 500): nothing before EARLIEST_YEAR, nothing more than `years_ahead` years after today (5 by default: a due,
# review or reconvene date is weeks or months ahead). Whether a date must be in the past is the service's rule.
EARLIEST_YEAR = 1900
# GOV.UK's message for an email address that is not one (the design system's email pattern), said everywhere alike.
EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"
YEARS_AHEAD = 5


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class GovDateField(forms.MultiValueField):
    """A date typed as day, month and year, with the GOV.UK error messages for each way it can be wrong."""

    widget = GovDateWidget

    def __init__(
        self,
        *,
        label: str,
        required: bool = True,
        years_ahead: int = YEARS_AHEAD,
        not_future: str | None = None,
        **kwargs,
    ) -> None:
        """`not_future`: for a date a rule wants today or in the past, that rule's own message, said too for a date
        past the bound (a year of 9999 reads as the next year does, not as "no more than 5 years from today")."""
        fields = (forms.CharField(), forms.CharField(), forms.CharField())
        super().__init__(fields, label=label, required=required, require_all_fields=False, **kwargs)
        self.years_ahead = years_ahead
        self.not_future = not_future
        self.error_messages["required"] = f"Enter the {label.lower()}"
        self.error_messages["incomplete"] = f"Enter the {label.lower()}"

    def compress(self, data_list: list) -> dt.date | None:
        if not data_list or not any(part for part in data_list):
            return None
        day, month, year = (str(part or "").strip() for part in data_list)
        missing = [name for name, part in (("day", day), ("month", month), ("year", year)) if not part]
        if missing:
            raise ValidationError(f"{self.label} must include a {' and a '.join(missing)}", code="incomplete_parts")
        if not (day.isdigit() and month.isdigit() and year.isdigit()) or len(day) > 2 or len(month) > 2:
            raise ValidationError(f"{self.label} must be a real date", code="invalid")
        if len(year) != 4:
            raise ValidationError(f"Year must include 4 numbers, for example {dt.date.today().year}", code="invalid")  # noqa: DTZ011
        try:
            return dt.date(int(year), int(month), int(day))
        except (ValueError, OverflowError):
            raise ValidationError(f"{self.label} must be a real date", code="invalid") from None

    def clean(self, value: list) -> dt.date | None:
        # MultiValueField raises its own "incomplete" per sub-field; we want one message for the date.
        if not value or not any(str(v or "").strip() for v in value):
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return None
        result = self.compress(value)
        if result is not None:
            self._check_bounds(result)
        self.validate(result)
        self.run_validators(result)
        return result

    def _check_bounds(self, day: dt.date) -> None:
        if day.year < EARLIEST_YEAR:
            raise ValidationError(
                f"{self.label} must be after 1 January {EARLIEST_YEAR}: check the year", code="too_early"
            )
        latest = _years_after(timezone.localdate(), self.years_ahead)
        if day > latest and self.not_future:
            raise ValidationError(self.not_future, code="too_late")
        if day > latest:
            years = "1 year" if self.years_ahead == 1 else f"{self.years_ahead} years"
            raise ValidationError(
                f"{self.label} must be no more than {years} from today (on or before {latest:%-d %B %Y})",
                code="too_late",
            )


class GovTimeField(forms.TimeField):
    """A time of day typed as 14:30 (also 14.30, 2:30pm, 2pm)."""

    input_formats = ["%H:%M", "%H.%M", "%I:%M%p", "%I.%M%p", "%I%p", "%H%M"]

    def __init__(self, *, label: str, what: str, **kwargs) -> None:
        super().__init__(label=label, **kwargs)
        self.error_messages["required"] = f"Enter the time {what}, for example 14:30"
        self.error_messages["invalid"] = f"{label} must be a real time, for example 09:15 or 14:30"
        self.widget.attrs.update({"autocomplete": "off", "spellcheck": "false", "class": "govuk-input--width-5"})

    def to_python(self, value: str | dt.time | None) -> dt.time | None:
        if isinstance(value, str):
            value = value.strip().lower().replace(" ", "")
        return super().to_python(value)


class GovRadios(forms.ChoiceField):
    """One answer from a short list, as GOV.UK radios, with one message in GOV.UK style for a missing or an unknown
    answer ("Select the urgency")."""

    def __init__(self, *, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.RadioSelect)
        kwargs["error_messages"] = {"required": message, "invalid_choice": message, **kwargs.get("error_messages", {})}
        super().__init__(**kwargs)


class GovTextarea(forms.CharField):
    """Free text over a few lines, as a GOV.UK textarea, with one message in GOV.UK style for a missing answer
    ("Enter the reason for closing the case") where it is required."""

    def __init__(self, *, rows: int = 2, max_length: int = 5000, message: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": rows}))
        if message is not None:
            kwargs["error_messages"] = {"required": message, **kwargs.get("error_messages", {})}
        super().__init__(max_length=max_length, **kwargs)


class BoundedFormSet(forms.BaseFormSet):
    """A formset that refuses a post claiming more forms than `absolute_max` before building any form.

    Django caps the count at `absolute_max` but still builds that many forms and renders them (issue 26: 10,000
    claimed cost 580 ms and a 285 KB page). Here the claim alone is the error: no form is built, the management
    form's count is the only thing read, and the formset carries its "too many" message as a non-form error.
    """

    @functools.cached_property
    def claims_too_many(self) -> bool:
        if not self.is_bound:
            return False
        form = self.management_form
        form.is_valid()  # the count is read even when another of its fields is missing, as Django's own count is
        return (form.cleaned_data.get(TOTAL_FORM_COUNT) or 0) > self.absolute_max

    def total_form_count(self) -> int:
        return 0 if self.claims_too_many else super().total_form_count()

    def initial_form_count(self) -> int:
        return 0 if self.claims_too_many else super().initial_form_count()

    def full_clean(self) -> None:
        if not self.claims_too_many:
            super().full_clean()
            return
        self._errors: list = []
        message = self.error_messages["too_many_forms"] % {"num": self.absolute_max}  # type: ignore[attr-defined]
        self._non_form_errors = self.error_class(
            [ValidationError(message, code="too_many_forms")],
            error_class="nonform",
            renderer=self.renderer,  # type: ignore[attr-defined]
        )


def quiet(form: forms.BaseForm | forms.BaseFormSet) -> None:
    """Show a bound form again without validating it (after "Add another", not "Save")."""
    if isinstance(form, forms.BaseFormSet):
        form._errors = []  # type: ignore[attr-defined]
        form._non_form_errors = form.error_class()  # type: ignore[attr-defined]
        for sub in form.forms:
            quiet(sub)
        return
    form._errors = forms.utils.ErrorDict()  # type: ignore[attr-defined]
    form.cleaned_data = {}


class GovFormMixin:
    """GOV.UK wording for Django's built-in length and character errors, named after each field's label."""

    fields: dict[str, forms.Field]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            label = str(field.label or "This field")
            if isinstance(field, forms.CharField) and field.max_length:
                field.error_messages["max_length"] = f"{label} must be {field.max_length:,} characters or fewer"
            for validator in field.validators:
                if isinstance(validator, ProhibitNullCharactersValidator):
                    validator.message = f"{label} contains a character that cannot be saved: remove it"


def offer(field: forms.Field, objects: Sequence[models.Model], label: Callable[[Any], str] = str) -> None:
    """Limit a model choice field to objects the view has already loaded: the queryset a post is checked against, and
    the choices shown (labelled without another query), after the field's empty label where it has one."""
    if not isinstance(field, forms.ModelChoiceField) or field.queryset is None:
        raise TypeError(f"{field!r} is not a model choice field with a queryset")
    field.queryset = field.queryset.model._default_manager.filter(pk__in=[obj.pk for obj in objects])
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    field.choices = [*empty, *((obj.pk, label(obj)) for obj in objects)]


def local_moment(form: forms.Form, date_field: str, time_field: str) -> dt.datetime | None:
    """The London moment typed as a date and a time, or None; a time the clocks skipped is an error on the time."""
    day, time = form.cleaned_data.get(date_field), form.cleaned_data.get(time_field)
    if not (day and time):
        return None
    moment = dt.datetime.combine(day, time, tzinfo=LONDON)
    if moment.astimezone(dt.UTC).astimezone(LONDON).time() != time:
        form.add_error(
            time_field, "That time did not happen on that date because the clocks went forward: check the time"
        )
        return None
    return moment


# Django's own messages for a model field's checks, said in GOV.UK words naming the field instead
# ("Ensure this value has at most 40 characters (it has 42)" names nothing and links nowhere).
_WORDED = {
    "max_length": "{label} must be {limit_value:,} characters or fewer",
    "min_length": "{label} must be {limit_value:,} characters or more",
    "max_value": "{label} must be {limit_value} or less",
    "min_value": "{label} must be {limit_value} or more",
    "blank": "Enter {lower}",
    "null": "Enter {lower}",
    "invalid_choice": "Select {lower} from the list",
    "null_characters_not_allowed": "{label} contains a character that cannot be saved: remove it",
}
# A message of our own given with one of those codes is kept as it is: only Django's wording is replaced (its
# limit checks always give the limit; its other messages are its fields' defaults).
_LIMITS = {"max_length", "min_length", "max_value", "min_value"}
_DJANGO_DEFAULTS = {
    str(message) for message in (*models.Field.default_error_messages.values(), ProhibitNullCharactersValidator.message)
}


def worded(error: ValidationError, label: str) -> str:
    """One message of a refused save, in GOV.UK words naming the field when it is one of Django's own."""
    template = _WORDED.get(error.code or "")
    params = error.params or {}
    django_own = "limit_value" in params if error.code in _LIMITS else str(error.message) in _DJANGO_DEFAULTS
    if template is None or not django_own:
        return " ".join(error.messages)
    label = label.strip() or "This field"
    try:
        return template.format(label=label[0].upper() + label[1:], lower=label[0].lower() + label[1:], **params)
    except (KeyError, ValueError):
        return " ".join(error.messages)


def field_label(key: str) -> str:
    """A label for a service's key that is no field of the form ("contact_name" -> "Contact name")."""
    words = key.rsplit(".", 1)[-1].replace("_", " ").strip()
    return words.capitalize() if words and words != "__all__" else ""


def add_service_errors(
    form: forms.BaseForm,
    exc: ValidationError,
    rename: dict[str, str | None] | None = None,
    *,
    only_new: bool = False,
) -> None:
    """The one mapper from a service's ValidationError to a form's errors: each key on its field (renamed where the
    service's key is not a field name), anything else on the form as a whole, so the error summary lists it (linked
    to the form's first field). A model's own message ("Ensure this value has at most ...") is worded to name its
    field. `only_new`: the rules' problems shown with the form's own errors, where they say something new (a field
    with an error of its own says what is wrong with it already)."""
    rename = rename or {}
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for key, errors in exc.error_dict.items():
        target = rename.get(key, key)
        on_field = target is not None and target in form.fields
        label = str(form.fields[target].label or "") if on_field else field_label(key)  # type: ignore[index]
        field = target if on_field else None
        messages = [worded(error, label or "This field") for error in errors]
        if only_new:
            if field in form.errors:
                continue
            known = {str(m) for m in form.non_field_errors()}
            messages = [m for m in messages if m not in known]
        for message in messages:
            form.add_error(field, message)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: ` name="value"` for each attribute, the name alone for True, none for False."""
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{conditional_escape(widget["value"])}"'
    kind, name = conditional_escape(widget["type"]), conditional_escape(widget["name"])
    return f'<input type="{kind}" name="{name}"{value}{_attrs(widget["attrs"])}>'


def _textarea(widget: dict) -> str:
    value = conditional_escape(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _option(option: dict) -> str:
    """django/forms/widgets/select_option.html, with the newline that ends the file (select.html includes it)."""
    value, label = conditional_escape(option["value"]), conditional_escape(option["label"])
    return f'<option value="{value}"{_attrs(option["attrs"])}>{label}</option>\n'


class Renderer(DjangoTemplates):
    """Django's form renderer with its input, textarea, select and option templates written out in Python, to the
    same markup byte for byte (tests/core/test_request_cost.py compares them): a meeting page draws some 150 fields,
    and rendering their widgets through the template engine took a quarter of the page's time. Every other
    template (MultiWidget, error lists, Django's own form layouts) is rendered by the engine as before."""

    def render(self, template_name: str, context: dict, request: Any = None) -> str:
        widget = context.get("widget")
        if isinstance(widget, dict):
            if template_name in _INPUTS:
                return _input(widget)
            if template_name == "django/forms/widgets/textarea.html":
                return _textarea(widget)
            if template_name == "django/forms/widgets/select.html" and all(
                option["template_name"] == _OPTION for _, options, _ in widget["optgroups"] for option in options
            ):
                return self._select(widget)
        return super().render(template_name, context, request)

    @staticmethod
    def _select(widget: dict) -> str:
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _ in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            parts.extend(f"\n  {_option(option)}" for option in options)
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return "".join(parts)


_OPTION = "django/forms/widgets/select_option.html"
_INPUTS = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "checkbox",
        "time",
        "date",
        "search",
        "tel",
    )
)
