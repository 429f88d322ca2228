"""Render every form field one way, in GOV.UK Frontend markup, with an error summary that links to it."""

from django import forms, template
from django.utils.html import conditional_escape as e
from django.utils.safestring import SafeString, mark_safe

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


def _errors(field: forms.BoundField) -> str:
    """includes/field_errors.html: the field's errors, each after a hidden "Error:"."""
    if not field.errors:
        return ""
    said = "<br>".join(f'<span class="govuk-visually-hidden">Error:</span> {e(error)}' for error in field.errors)
    return f'<p id="{e(field.auto_id)}-error" class="govuk-error-message">{said}</p>'


def _hint(field: forms.BoundField, extra: str = "") -> str:
    return (
        f'<div id="{e(field.auto_id)}-hint" class="govuk-hint{extra}">{e(field.help_text)}</div>'
        if field.help_text
        else ""
    )


def _date_inputs(field: forms.BoundField) -> str:
    error = " govuk-input--error" if field.errors else ""
    items = "".join(
        f'<div class="govuk-date-input__item"><div class="govuk-form-group">'
        f'<label class="govuk-label govuk-date-input__label" for="{e(part["id"])}">{part["label"]}</label>'
        f'<input class="govuk-input govuk-date-input__input govuk-input--width-{part["width"]}{error}" '
        f'id="{e(part["id"])}" name="{e(part["name"])}" type="text" inputmode="numeric" value="{e(part["value"])}">'
        "</div></div>"
        for part in date_parts(field)
    )
    return f'<div class="govuk-date-input" id="{e(field.auto_id)}">{items}</div>'


def _choices(field: forms.BoundField, kind: str, small: bool) -> str:
    kind_type = "radio" if kind == "radios" else "checkbox"
    items = "".join(
        f'<div class="govuk-{kind}__item">'
        f'<input class="govuk-{kind}__input" id="{e(choice.id_for_label)}" name="{e(field.html_name)}" '
        f'type="{kind_type}" value="{e(choice.data["value"])}"{" checked" if choice.data["selected"] else ""}>'
        f'<label class="govuk-label govuk-{kind}__label" for="{e(choice.id_for_label)}">{e(choice.choice_label)}</label>'
        "</div>"
        for choice in field
    )
    size = f" govuk-{kind}--small" if small else ""
    return f'<div class="govuk-{kind}{size}" data-module="govuk-{kind}">{items}</div>'


def _fieldset(field: forms.BoundField, kind: str, context: template.Context) -> str:
    described = " ".join(
        [f"{e(field.auto_id)}-hint"] * bool(field.help_text) + [f"{e(field.auto_id)}-error"] * bool(field.errors)
    )
    role = ' role="group"' if kind == "date" else ""
    inputs = _date_inputs(field) if kind == "date" else _choices(field, kind, bool(context.get("small")))
    return (
        f'<fieldset class="govuk-fieldset"{role}{f" aria-describedby={chr(34)}{described}{chr(34)}" if described else ""}>'
        f'<legend class="govuk-fieldset__legend govuk-fieldset__legend--{e(context.get("legend_size") or "s")}">'
        f"{e(field.label)}</legend>{_hint(field)}{_errors(field)}{inputs}</fieldset>"
    )


def _checkbox(field: forms.BoundField, context: template.Context) -> str:
    reveal = context.get("reveal")
    revealed = ""
    if reveal:
        hidden = "" if field.value() else " govuk-checkboxes__conditional--hidden"
        inner = context.template.engine.get_template(reveal).render(context)
        revealed = (
            f'<div class="govuk-checkboxes__conditional{hidden}" id="{e(context.get("reveal_id", ""))}">{inner}</div>'
        )
    return (
        f"{_errors(field)}"
        f'<div class="govuk-checkboxes{"" if reveal else " govuk-checkboxes--small"}" data-module="govuk-checkboxes">'
        f'<div class="govuk-checkboxes__item">{govuk_widget(field)}'
        f'<label class="govuk-label govuk-checkboxes__label" for="{e(field.id_for_label)}">{e(field.label)}</label>'
        f"{_hint(field, ' govuk-checkboxes__hint')}</div>{revealed}</div>"
    )


@register.simple_tag(takes_context=True)
def govuk_field(context: template.Context) -> SafeString:
    """includes/field.html: the context's `field` as a GOV.UK form group (label or legend, hint, errors, input),
    drawn in Python: a meeting page has some 150 fields and the template engine spent a third of the page's time
    on them (issue 28). What the template reads from its context it reads here too: `conditional` (a class of
    the group), `legend_size`, `small`, `label_size`, and a checkbox's `reveal` template and `reveal_id`."""
    field = context["field"]
    kind = field_kind(field)
    if kind == "hidden":
        return SafeString(str(field))
    classes = "govuk-form-group" + (" govuk-form-group--error" if field.errors else "")
    if context.get("conditional"):
        classes += f" {e(context['conditional'])}"
    if kind in ("radios", "checkboxes", "date"):
        inner = _fieldset(field, kind, context)
    elif kind == "checkbox":
        inner = _checkbox(field, context)
    else:
        size = f" govuk-label--{e(context['label_size'])}" if context.get("label_size") else ""
        inner = (
            f'<label class="govuk-label{size}" for="{e(field.id_for_label)}">{e(field.label)}</label>'
            f"{_hint(field)}{_errors(field)}{govuk_widget(field)}"
        )
    return mark_safe(f'<div class="{classes}">{inner}</div>')  # noqa: S308  # nosec B308 B703 (every value escaped)
