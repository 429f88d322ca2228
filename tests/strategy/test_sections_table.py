"""The meeting page's table of sections: each entry is the whole of a section (its address, its template, who may
post it), so adding a section is one entry. What each section does when posted is asserted in test_views and the
every-URL walk; this asserts the table itself."""

from django.template.loader import get_template
from django.urls import reverse

from strategy import views


def test_every_section_of_the_table_has_its_own_address():
    for name in views.SECTIONS:
        assert reverse(f"strategy:{name}", kwargs={"discussion_pk": 1}) == f"/discussions/1/{name}/"


def test_every_section_of_the_table_and_each_it_changes_is_a_section_template():
    for part in views.SECTIONS.values():
        for template in (part.template, *part.changes):
            assert get_template(f"strategy/sections/{template}.html")


def test_only_attendance_and_information_are_recorded_by_an_invited_agency_for_itself():
    assert {name for name, part in views.SECTIONS.items() if part.own_agency} == {"attendance", "information"}


def test_only_what_the_family_is_told_is_the_chairs_alone():
    assert {name for name, part in views.SECTIONS.items() if part.chair_only} == {"family"}
