"""A case with a discussion in progress and an action led by police, agreed at a fixed moment (tests.builders)."""

import datetime as dt

import pytest

from tests import builders
from tests.builders import AGREED


@pytest.fixture
def discussion(world):
    """Convened and started on Monday 23 November 2026 at 11:00, police and health invited, nobody named."""
    referral = builders.make_referral(
        acting_user=world["sw"],
        children=[builders.child("Robin", "Testchild")],
        received_at=AGREED - dt.timedelta(hours=2),
        now=AGREED - dt.timedelta(hours=1),
    )
    convened = builders.convene(
        world,
        referral,
        now=AGREED,
        scheduled_at=AGREED,
        format="virtual",
        reason="Invented reason",
        invitations=[
            {"agency": world["police_agency"], "role": "Police officer"},
            {"agency": world["health"].agency, "role": "Health practitioner"},
        ],
    )
    builders.start(world, convened, now=AGREED)
    return convened


@pytest.fixture
def police_action(world, discussion):
    return builders.add_action(world, discussion, lead=world["police_agency"], person=world["police"])
