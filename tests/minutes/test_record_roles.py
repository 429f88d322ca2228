"""How the minutes name each attendee's role."""

import pytest

from minutes.record import _role
from strategy.models import Invitation


@pytest.mark.parametrize(
    ("typed", "chair", "shown"),
    [
        ("Chair", True, "Chair"),
        (" chair ", True, "Chair"),
        ("Team manager", True, "Chair. Team manager"),
        ("", True, "Chair"),
        ("Detective Constable, CAIT", False, "Detective Constable, CAIT"),
    ],
)
def test_the_chair_is_named_chair_once(typed, chair, shown):
    """A walk: a chair whose role was typed "Chair" read "Chair. Chair" in the minutes."""

    assert _role(Invitation(role=typed), chair=chair) == shown
