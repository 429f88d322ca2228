"""An ended discussion from before the list was built at the meeting's end gets its list from the command, once."""

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_command_builds_a_missing_list_once_and_leaves_a_built_one(world, held):
    built = sorted(held.recipients.values_list("source_key", flat=True))
    held.recipients.all().delete()  # as a discussion ended before issue 27, whose minutes nobody opened
    out = io.StringIO()
    call_command("distribution_build_missing", stdout=out)
    assert "Distribution lists built: 1" in out.getvalue()
    assert sorted(held.recipients.values_list("source_key", flat=True)) == built
    assert {r.added_by for r in held.recipients.all()} == {held.chair}
    call_command("distribution_build_missing", stdout=out)
    assert "Distribution lists built: 0" in out.getvalue()
