"""Render every form field one way, in GOV.UK Frontend markup, with an error summary that links to it."""

import functools

from django import forms, template
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html, format_html_join
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
        if not isinstance(item, forms.BaseForm | forms.BaseFormSet):
            continue  # none, or a page without a form (a missing variable is "" in a template)
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


NOTHING = format_html("{}", "")  # an empty, safe string


def _errors(field: forms.BoundField) -> SafeString:
    """includes/field_errors.html: the field's errors, each after a hidden "Error:"."""
    if not field.errors:
        return NOTHING
    first, *more = field.errors
    said = format_html('<span class="govuk-visually-hidden">Error:</span> {}', first) + format_html_join(
        "", '<br><span class="govuk-visually-hidden">Error:</span> {}', ((error,) for error in more)
    )
    return format_html('<p id="{}-error" class="govuk-error-message">{}</p>', field.auto_id, said)


def _hint(field: forms.BoundField, extra: str = "") -> SafeString:
    if not field.help_text:
        return NOTHING
    return format_html('<div id="{}-hint" class="govuk-hint{}">{}</div>', field.auto_id, extra, field.help_text)


def _date_inputs(field: forms.BoundField) -> SafeString:
    error = " govuk-input--error" if field.errors else ""
    items = format_html_join(
        "",
        '<div class="govuk-date-input__item"><div class="govuk-form-group">'
        '<label class="govuk-label govuk-date-input__label" for="{0}">{1}</label>'
        '<input class="govuk-input govuk-date-input__input govuk-input--width-{2}{3}" '
        'id="{0}" name="{4}" type="text" inputmode="numeric" value="{5}">'
        "</div></div>",
        ((p["id"], p["label"], p["width"], error, p["name"], p["value"]) for p in date_parts(field)),
    )
    return format_html('<div class="govuk-date-input" id="{}">{}</div>', field.auto_id, items)


def _choices(field: forms.BoundField, kind: str, small: bool) -> SafeString:
    kind_type = "radio" if kind == "radios" else "checkbox"
    items = format_html_join(
        "",
        '<div class="govuk-{0}__item">'
        '<input class="govuk-{0}__input" id="{1}" name="{2}" type="{3}" value="{4}"{5}>'
        '<label class="govuk-label govuk-{0}__label" for="{1}">{6}</label>'
        "</div>",
        (
            (
                kind,
                choice.id_for_label,
                field.html_name,
                kind_type,
                choice.data["value"],
                " checked" if choice.data["selected"] else "",
                choice.choice_label,
            )
            for choice in field
        ),
    )
    size = f" govuk-{kind}--small" if small else ""
    return format_html('<div class="govuk-{0}{1}" data-module="govuk-{0}">{2}</div>', kind, size, items)


def _fieldset(field: forms.BoundField, kind: str, context: template.Context) -> SafeString:
    described = " ".join(
        [f"{field.auto_id}-hint"] * bool(field.help_text) + [f"{field.auto_id}-error"] * bool(field.errors)
    )
    described_attr = format_html(' aria-describedby="{}"', described) if described else ""
    inputs = _date_inputs(field) if kind == "date" else _choices(field, kind, bool(context.get("small")))
    role = ' role="group"' if kind == "date" else ""  # in the format string: a constant, not a value
    return format_html(
        '<fieldset class="govuk-fieldset"' + role + "{}>"
        '<legend class="govuk-fieldset__legend govuk-fieldset__legend--{}">{}</legend>{}{}{}</fieldset>',
        described_attr,
        context.get("legend_size") or "s",
        field.label,
        _hint(field),
        _errors(field),
        inputs,
    )


def _checkbox(field: forms.BoundField, context: template.Context) -> SafeString:
    reveal = context.get("reveal")
    revealed = NOTHING
    if reveal and context.template is not None:  # inside a template's render, as a tag always is
        revealed = format_html(
            '<div class="govuk-checkboxes__conditional{}" id="{}">{}</div>',
            "" if field.value() else " govuk-checkboxes__conditional--hidden",
            context.get("reveal_id", ""),
            context.template.engine.get_template(reveal).render(context),
        )
    return format_html(
        '{}<div class="govuk-checkboxes{}" data-module="govuk-checkboxes"><div class="govuk-checkboxes__item">{}'
        '<label class="govuk-label govuk-checkboxes__label" for="{}">{}</label>{}</div>{}</div>',
        _errors(field),
        "" if reveal else " govuk-checkboxes--small",
        govuk_widget(field),
        field.id_for_label,
        field.label,
        _hint(field, " govuk-checkboxes__hint"),
        revealed,
    )


@register.simple_tag(takes_context=True)
def govuk_field(context: template.Context) -> SafeString:
    """includes/field.html: the context's `field` as a GOV.UK form group (label or legend, hint, errors, input),
    drawn in Python with format_html (every value escaped): a meeting page has some 150 fields and the template
    engine spent a third of the page's time on them (issue 28). What the template read from its context this
    reads too: `conditional` (a class of the group), `legend_size`, `small`, `label_size`, and a checkbox's
    `reveal` template and `reveal_id`."""
    field = context["field"]
    kind = field_kind(field)
    if kind == "hidden":
        return format_html("{}", field)
    if kind in ("radios", "checkboxes", "date"):
        inner = _fieldset(field, kind, context)
    elif kind == "checkbox":
        inner = _checkbox(field, context)
    else:
        inner = format_html(
            '<label class="govuk-label{}" for="{}">{}</label>{}{}{}',
            f" govuk-label--{context['label_size']}" if context.get("label_size") else "",
            field.id_for_label,
            field.label,
            _hint(field),
            _errors(field),
            govuk_widget(field),
        )
    return format_html(
        '<div class="govuk-form-group{}{}">{}</div>',
        " govuk-form-group--error" if field.errors else "",
        f" {context['conditional']}" if context.get("conditional") else "",
        inner,
    )


@register.simple_tag(takes_context=True)
def deadline_tag(context: template.Context) -> SafeString:
    """includes/deadline_tag.html: the context's `deadline` (a core.presenters.DeadlineView) as its one tag, its
    state in colour and words (DOMAIN section 5: red overdue, amber due soon); with `rag`, on track in green.
    Drawn in Python: a list page draws one a row (issue 28)."""
    deadline = context.get("deadline")
    if deadline is None:  # as the template drew it: no state, no time left
        return _on_track(context, "")
    if deadline.met:
        colour = "yellow" if deadline.met_late else "green"
        return format_html('<strong class="govuk-tag govuk-tag--{}">{}</strong>', colour, deadline.status_words)
    if deadline.stopped:
        return format_html('<strong class="govuk-tag govuk-tag--grey">{}</strong>', "Stopped")
    if deadline.overdue:
        return format_html(
            '<strong class="govuk-tag govuk-tag--red">Overdue</strong> <span class="app-overdue">{}</span>',
            deadline.overdue_by,
        )
    if deadline.rag == "amber":
        return format_html(
            '<strong class="govuk-tag govuk-tag--orange">{}</strong> <span class="app-time-left">{}</span>',
            deadline.status_words,
            deadline.text,
        )
    return _on_track(context, deadline.text)


def _on_track(context: template.Context, text: str) -> SafeString:
    """Time left; in a list of work (`rag`) marked on track, in green."""
    return format_html(
        '{}<span class="app-time-left">{}</span>',
        format_html('<strong class="govuk-tag govuk-tag--green">{}</strong> ', "On track")
        if context.get("rag")
        else "",
        text,
    )


@functools.lru_cache(maxsize=32)
def _pk_route(name: str, prefix: str) -> tuple[str, str]:
    """A route that takes one whole number as the text before and after it (for `prefix`, the script prefix)."""
    marker = 987654321
    before, _, after = reverse(name, args=[marker]).partition(str(marker))
    return before, after


@register.filter
def case_url(pk: int) -> str:
    """`{% url 'referrals:detail' pk %}` for a list's rows, without resolving the route again for each row (a list
    page resolved it some 25 times, a tenth of its template time)."""
    before, after = _pk_route("referrals:detail", get_script_prefix())
    return f"{before}{int(pk)}{after}"
