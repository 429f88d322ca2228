"""Issue 28, Python per request: what every page does, done with less work and the same result.

- `core.forms.Renderer` draws inputs, textareas and selects in Python, to the markup Django's own widget templates
  give, byte for byte.
- `agencies.backends.UserBackend` reads the signed-in user with agency, partnership and roles in one query.
- `{% govuk_field %}` draws a form field as includes/field.html did, in Python.
- `{% deadline_tag %}` draws includes/deadline_tag.html's tag, in Python.
- `core.pages.counts_capped` counts the header's two lists in one query, as count_capped would each.
"""

import datetime as dt
import re
from pathlib import Path

import pytest
from django import forms
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user
from django.db import connection
from django.forms.renderers import DjangoTemplates
from django.template import Context, Engine
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from agencies.models import User
from core.forms import GovDateField, Renderer
from core.pages import count_capped, counts_capped
from core.presenters import present_deadline
from tests.factories import UserFactory


class _EveryWidget(forms.Form):
    name = forms.CharField(max_length=30, help_text="Say <who>")
    age = forms.IntegerField(min_value=0)
    email = forms.EmailField(required=False)
    key = forms.CharField(widget=forms.HiddenInput)
    agreed = forms.BooleanField(required=False)
    when = forms.TimeField(widget=forms.TimeInput(attrs={"class": "govuk-input"}))
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(choices=[("", "Choose"), ("a", "A & B"), ("<c>", "C")])
    grouped = forms.ChoiceField(choices=[("", "None"), ("Agencies", [("1", "Police"), ("2", "Health's team")])])
    many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y")], required=False)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {
            "name": 'Ann "Nan" <b>',
            "age": "0",
            "key": "k&1",
            "agreed": "on",
            "when": "09:30",
            "notes": "a\n<b>c</b>",
            "kind": "<c>",
            "grouped": "2",
            "many": ["x", "y"],
        },
    ],
    ids=["unbound", "bound with markup typed in"],
)
def test_the_renderer_draws_every_widget_as_djangos_templates_do(data):
    form = _EveryWidget(data)
    for field in form:
        attrs = {"class": "govuk-input", "aria-describedby": "x-hint", "disabled": True, "readonly": False}
        expected = field.field.widget.render(
            field.html_name, field.value(), {"id": field.auto_id, **attrs}, DjangoTemplates()
        )
        drawn = field.field.widget.render(field.html_name, field.value(), {"id": field.auto_id, **attrs}, Renderer())
        assert drawn == expected, field.name


def test_the_renderer_leaves_other_templates_to_the_engine():
    widget = forms.SplitDateTimeWidget()
    assert widget.render("at", None, {"id": "id_at"}, Renderer()) == widget.render(
        "at", None, {"id": "id_at"}, DjangoTemplates()
    )


@pytest.mark.django_db
def test_the_signed_in_user_is_read_with_agency_partnership_and_roles_in_one_query(world):
    user = world["sw"]
    request = RequestFactory().get("/")
    request.session = {
        SESSION_KEY: str(user.pk),
        BACKEND_SESSION_KEY: "agencies.backends.UserBackend",
        HASH_SESSION_KEY: user.get_session_auth_hash(),
    }
    with CaptureQueriesContext(connection) as queries:
        loaded = get_user(request)
        found = (loaded.agency.name, loaded.agency.partnership.name, loaded.role_codes())
    assert len(queries) == 1
    assert loaded.pk == user.pk
    assert found == (
        user.agency.name,
        user.agency.partnership.name,
        frozenset(user.roles.values_list("code", flat=True)),
    )
    assert found[2]  # a social worker has a role: the annotation is not merely empty


@pytest.mark.django_db
def test_an_inactive_user_is_not_signed_in(world):
    user = world["sw"]
    user.is_active = False
    user.save()
    from agencies.backends import UserBackend

    assert UserBackend().get_user(user.pk) is None


@pytest.mark.django_db
def test_counts_capped_counts_each_list_in_one_query_as_count_capped_does():
    first = UserFactory()
    for _ in range(3):
        UserFactory(agency=first.agency)
    lists = [User.objects.filter(agency=first.agency), User.objects.none(), User.objects.filter(pk=first.pk)]
    with CaptureQueriesContext(connection) as queries:
        counted = counts_capped(lists, 3)
    assert len(queries) == 1
    assert counted == [count_capped(queryset, 3) for queryset in lists] == [(3, True), (0, False), (1, False)]


class _EveryKind(forms.Form):
    name = forms.CharField(help_text="As on the referral", max_length=10)
    notes = forms.CharField(widget=forms.Textarea, required=False)
    agency = forms.ChoiceField(choices=[("", "Choose"), ("1", "Police & co")])
    urgency = forms.ChoiceField(
        widget=forms.RadioSelect, choices=[("a", "Same day"), ("b", "<Later>")], help_text="Pick"
    )
    agencies = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, choices=[("x", "X"), ("y", "Y")])
    born = GovDateField(label="Date of birth")
    unborn = forms.BooleanField(required=False, help_text="Expected")
    key = forms.CharField(widget=forms.HiddenInput, required=False)


FIELD_TEMPLATE = (Path(__file__).parent / "field_template.html").read_text()


@pytest.mark.parametrize(
    "data",
    [
        None,
        {
            "name": "far too long a name",
            "urgency": "zz",
            "born_0": "31",
            "born_1": "2",
            "born_2": "2020",
            "unborn": "on",
        },
        {"name": "Ann", "agency": "1", "urgency": "b", "agencies": ["x", "y"], "notes": "<b>x</b>", "key": "1"},
    ],
    ids=["unbound", "with errors", "valid"],
)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"small": True, "legend_size": "m", "label_size": "l", "conditional": "app-x"},
        {"reveal": "reveal.html", "reveal_id": "r"},
    ],
    ids=["plain", "sized", "revealing"],
)
def test_the_field_tag_draws_what_the_field_template_drew(data, options):
    """includes/field.html was a template (kept in tests/core/field_template.html); govuk_field draws the same
    markup, but for whitespace between tags (and a group's aria-describedby without a hint, which the template
    began with a space)."""
    engine = Engine(
        libraries={"govuk": "core.templatetags.govuk"},
        loaders=[
            (
                "django.template.loaders.locmem.Loader",
                {
                    "includes/field_errors.html": (
                        Path(__file__).parents[2] / "templates/includes/field_errors.html"
                    ).read_text(),
                    "reveal.html": "<p>Revealed {{ field.label }}</p>",
                },
            )
        ],
    )
    form = _EveryKind(data)
    if data:
        form.is_valid()
    for field in form:
        context = {"field": field, **options}
        expected = engine.from_string(FIELD_TEMPLATE).render(Context(context))
        drawn = engine.from_string("{% load govuk %}{% govuk_field %}").render(Context(context))
        assert _tags(drawn) == _tags(expected), field.name


def _tags(html: str) -> str:
    return re.sub(r"\s*(<|>)\s*", r"\1", re.sub(r"\s+", " ", html)).strip()


DEADLINE_TAG_TEMPLATE = (Path(__file__).parent / "deadline_tag_template.html").read_text()
TAG_NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)  # a Monday


@pytest.mark.parametrize("rag", [False, True])
@pytest.mark.parametrize(
    "state",
    [
        {"rule": "SD_STANDARD", "due_at": TAG_NOW - dt.timedelta(days=1), "state": "met", "met_at": TAG_NOW},
        {"rule": "ACTION", "due_at": TAG_NOW, "state": "met", "met_at": TAG_NOW - dt.timedelta(hours=1)},
        {"rule": "ACTION", "due_at": TAG_NOW, "state": "stopped", "stopped_at": TAG_NOW},
        {"rule": "ACTION", "due_at": TAG_NOW - dt.timedelta(days=2), "state": "open"},
        {"rule": "ACTION", "due_at": TAG_NOW + dt.timedelta(hours=3), "state": "open"},
        {"rule": "ICPC", "due_at": TAG_NOW + dt.timedelta(days=20), "state": "open"},
        None,
    ],
    ids=["met late", "done", "stopped", "overdue", "due today", "on track", "no deadline"],
)
def test_the_deadline_tag_draws_what_its_template_drew(state, rag):
    deadline = present_deadline(now=TAG_NOW, standard_days=3, **state) if state else None
    context = {"deadline": deadline, "rag": rag}
    expected = Engine().from_string(DEADLINE_TAG_TEMPLATE).render(Context(context))
    drawn = Engine(libraries={"govuk": "core.templatetags.govuk"}).from_string("{% load govuk %}{% deadline_tag %}")
    assert drawn.render(Context(context)) == expected.removesuffix("\n")  # the file ended with a newline


TEMPLATE_DIRS = [Path(__file__).parents[2] / "templates", *Path(__file__).parents[2].glob("*/templates")]
FORMATS_IN_TEMPLATES = sorted(
    {
        found
        for folder in TEMPLATE_DIRS
        for page in folder.rglob("*.html")
        for found in re.findall(r"\|date:[\"']([^\"']*)[\"']", page.read_text())
    }
)


def test_every_date_format_in_the_templates_is_compared():
    assert "D j M Y H:i" in FORMATS_IN_TEMPLATES and "l j F Y, H:i" in FORMATS_IN_TEMPLATES


@pytest.mark.parametrize(
    "format_string", [*FORMATS_IN_TEMPLATES, "d/m/Y", "n", "r", "SHORT_DATE_FORMAT", "jS \\o\\f F"]
)
def test_the_date_filter_writes_what_djangos_does(format_string, settings):
    from django.template.defaultfilters import date as django_date
    from django.utils import timezone

    from core.templatetags.moments import date

    assert settings.TIME_ZONE == "Europe/London" and settings.LANGUAGE_CODE == "en-gb"
    moments = [
        dt.datetime(2026, 12, 7, 9, 5, 3, tzinfo=dt.UTC),  # winter: London is UTC
        dt.datetime(2036, 6, 30, 23, 30, tzinfo=dt.UTC),  # summer: past midnight in London
        dt.datetime(2028, 2, 29, 0, 0, tzinfo=dt.UTC),  # a leap day
        dt.datetime(2026, 3, 29, 0, 59, 59, tzinfo=dt.UTC),  # the clocks go forward at 01:00 UTC
        dt.datetime(2026, 9, 1, 12, 0),  # noqa: DTZ001 (a naive moment, as Django formats it too)
    ]
    for moment in moments:
        local = timezone.localtime(moment) if timezone.is_aware(moment) else moment  # as the engine passes it
        assert date(local, format_string) == django_date(local, format_string), (format_string, moment)
    for day in (dt.date(2026, 1, 1), dt.date(2027, 9, 30)):
        try:
            expected = django_date(day, format_string)
        except TypeError:  # a time format on a date: Django's own refusal, from both
            with pytest.raises(TypeError):
                date(day, format_string)
            continue
        assert date(day, format_string) == expected, (format_string, day)
    assert date(None, format_string) == date("", format_string) == ""


def test_the_date_filter_is_the_one_templates_use():
    rendered = (
        Engine.get_default()
        .from_string('{{ when|date:"D j M Y H:i" }}')
        .render(Context({"when": dt.datetime(2036, 6, 30, 23, 30, tzinfo=dt.UTC)}))
    )
    assert rendered == "Tue 1 Jul 2036 00:30"
    from django.template import engines

    assert engines["django"].engine.template_builtins[-1].filters["date"].__module__ == "core.templatetags.moments"


@pytest.mark.parametrize("script_prefix", ["/", "/safeguarding/"])
def test_case_url_is_the_case_pages_address(script_prefix):
    from django.urls import reverse, set_script_prefix

    from core.templatetags.govuk import case_url

    set_script_prefix(script_prefix)
    try:
        assert case_url(7) == reverse("referrals:detail", args=[7]) == f"{script_prefix}referrals/7/"
        assert case_url("1234567") == reverse("referrals:detail", args=[1234567])
    finally:
        set_script_prefix("/")
