"""One deadline tag for every page: a case's clocks and the lists of work read a state the same way."""

import datetime as dt
import re

import pytest
from django.template.loader import render_to_string

from core.presenters import present_deadline

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)  # a Monday


def tag(rag: bool = False, **kwargs) -> str:
    deadline = present_deadline(now=NOW, standard_days=3, **kwargs)
    html = render_to_string("includes/deadline_tag.html", {"deadline": deadline, "rag": rag})
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.mark.parametrize("rag", [False, True])
def test_met_overdue_and_stopped_read_the_same_everywhere(rag):
    due = NOW - dt.timedelta(days=1)
    assert tag(rag, rule="SD_STANDARD", due_at=due, state="met", met_at=NOW) == "Held late"
    assert tag(rag, rule="ACTION", due_at=due, state="met", met_at=due) == "Done"
    assert tag(rag, rule="ICPC", due_at=due, state="met", met_at=NOW) == "Met late"
    assert tag(rag, rule="ACTION", due_at=due, state="stopped", stopped_at=NOW) == "Stopped"
    assert tag(rag, rule="ACTION", due_at=due, state="open").startswith("Overdue ")


def test_a_list_of_work_marks_what_is_on_track_and_due_soon():
    due = NOW + dt.timedelta(days=3)
    assert tag(False, rule="ACTION", due_at=due, state="open").endswith(" left")
    assert tag(True, rule="ACTION", due_at=due, state="open").startswith("On track ")
    soon = tag(True, rule="ACTION", due_at=due, state="open", due_soon_at=NOW - dt.timedelta(hours=1))
    assert soon.startswith("Due soon ") and soon.endswith(" left")
