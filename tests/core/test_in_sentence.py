"""A label mid-sentence: lowercased only when it is a plain label, never a role typed with capitals of its own."""

import pytest

from core.presenters import in_sentence
from strategy.models import Invitation


@pytest.mark.parametrize(
    ("words", "said"),
    [
        ("Police officer", "police officer"),
        ("Health practitioner", "health practitioner"),
        ("DC Child Protection", "DC Child Protection"),
        ("Detective Constable, CAIT", "Detective Constable, CAIT"),
        ("GP", "GP"),
        ("", ""),
    ],
)
def test_in_sentence(words, said):
    assert in_sentence(words) == said


def test_an_attendance_line_keeps_a_role_typed_with_capitals():
    """A walk: "Pat Oduya, dc child protection (Demo Police)"."""
    from agencies.models import Agency

    line = Invitation(contact_name="Pat Oduya", role="DC Child Protection", agency=Agency(name="Invented Police"))
    assert line.label == "Pat Oduya, DC Child Protection (Invented Police)"
