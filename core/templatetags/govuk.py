"""Render every form field one way, in GOV.UK Frontend markup, with an error summary that links to it."""

from django import forms, template
from django.utils.safestring import SafeString

register = template.Library()

MULTI_INPUT_WIDGETS = (forms.RadioSelect, forms.CheckboxSelectMultiple, forms.MultiWidget)


def anchor_id(field: forms.BoundField) -> str:
    """The id the error summary links to: the first input of a group, or the field itself."""
    if isinstance(field.field.widget, MULTI_INPUT_WIDGETS):
        return f"{field.auto_id}_0"
    return field.auto_id


@register.filter
def field_kind(field: forms.BoundField) -> str:
    widget = field.field.widget
    if isinstance(widget, forms.MultiWidget):
        return "date"
    if isinstance(widget, forms.CheckboxSelectMultiple):  # a subclass of RadioSelect, so asked first
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.HiddenInput):
        return "hidden"
    return "input"


@register.filter
def govuk_widget(field: forms.BoundField) -> SafeString:
    """The field's input with GOV.UK classes, its error state and aria-describedby wired in."""
    kind = field_kind(field)
    classes = {
        "input": "govuk-input",
        "textarea": "govuk-textarea",
        "select": "govuk-select",
        "checkbox": "govuk-checkboxes__input",
    }.get(kind, "")
    if field.errors and kind in ("input", "textarea", "select"):
        classes += f" {classes}--error"
    extra = field.field.widget.attrs.get("class")
    if extra:
        classes = f"{classes} {extra}"
    attrs: dict[str, str | bool] = {"class": classes.strip()}
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}-hint")
    if field.errors:
        described.append(f"{field.auto_id}-error")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.filter
def date_parts(field: forms.BoundField) -> list[dict]:
    """Day, month and year inputs of a GOV.UK date input, with what the user typed."""
    value = field.value()
    if not isinstance(value, list | tuple):
        value = field.field.widget.decompress(value)
    parts = []
    for index, (label, width) in enumerate((("Day", 2), ("Month", 2), ("Year", 4))):
        raw = value[index] if index < len(value) else ""
        parts.append(
            {
                "label": label,
                "name": f"{field.html_name}_{index}",
                "id": f"{field.auto_id}_{index}",
                "value": "" if raw is None else raw,
                "width": width,
            }
        )
    return parts


@register.inclusion_tag("includes/fields.html")
def fields(form: forms.BaseForm, *names: str) -> dict:
    """The fields named, in that order, or every field of the form: each rendered by includes/field.html with its
    defaults (a field that needs a parameter of that template is included on its own)."""
    return {"fields": [form[name] for name in names] if names else list(form)}


@register.inclusion_tag("includes/error_summary.html")
def error_summary(*forms_and_formsets: forms.BaseForm | forms.BaseFormSet | list | None) -> dict:
    """One GOV.UK error summary for a page's forms and formsets (or lists of them), in page order."""
    errors: list[dict] = []
    flat: list[forms.BaseForm | forms.BaseFormSet | None] = []
    for given in forms_and_formsets:
        flat.extend(given if isinstance(given, list | tuple) else [given])

    def add_form(form: forms.BaseForm, fallback_anchor: str | None) -> None:
        for message in form.non_field_errors():
            errors.append({"message": message, "anchor": fallback_anchor})
        for bound in form:
            for message in bound.errors:
                errors.append({"message": message, "anchor": anchor_id(bound)})

    for item in flat:
        if item is None:
            continue
        if isinstance(item, forms.BaseFormSet):
            first_anchor = item.prefix  # no form to point at (none yet, or a claim of too many): the list itself
            if item.forms:
                first_field = next((f for f in item.forms[0] if not f.is_hidden), None)
                first_anchor = anchor_id(first_field) if first_field else None
            for message in item.non_form_errors():
                errors.append({"message": message, "anchor": first_anchor})
            for form in item.forms:
                add_form(form, first_anchor)
        else:
            # A problem with the form as a whole links to its first field, so every listed error goes somewhere.
            first_field = next((f for f in item if not f.is_hidden), None)
            add_form(item, anchor_id(first_field) if first_field else item.prefix)
    return {"errors": errors}


@register.filter
def rule_task(rule: str) -> str:
    """What a clock asks someone to do ("Approve and circulate the minutes"), from its rule."""
    from core.presenters import rule_task as task

    return task(rule)
