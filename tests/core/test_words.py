"""Words of a label: mid-sentence (lowercased only when it is a plain label, never a role typed with capitals of its
own), and shortened at a word with a mark."""

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


@pytest.mark.parametrize(
    ("words", "shown"),
    [
        ("Check who lives at the address", "Check who lives at the address"),
        (
            "Police to check who lives at and visits the address, and report back to the social worker today",
            "Police to check who lives at and visits the address, and report back to the…",
        ),
        ("x" * 90, "x" * 79 + "…"),
    ],
)
def test_shortened_at_a_word_with_a_mark(words, shown):
    from core.presenters import shortened

    assert shortened(words) == shown
    assert len(shortened(words)) <= 80
