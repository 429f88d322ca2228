"""A case with a held-in-progress discussion and an action led by police, agreed at a fixed moment."""

import datetime as dt

import pytest

from core.timescales import LONDON
from strategy import services as strategy_services
from strategy.access import get_discussion_for_user
from tests.factories import child, make_referral

AGREED = dt.datetime(2026, 11, 23, 11, 0, tzinfo=LONDON)  # Monday
DUE = dt.datetime(2026, 11, 25, 17, 0, tzinfo=LONDON)  # Wednesday


@pytest.fixture
def discussion(world):
    referral = make_referral(
        acting_user=world["sw"],
        children=[child("Robin", "Testchild")],
        received_at=AGREED - dt.timedelta(hours=2),
        now=AGREED - dt.timedelta(hours=1),
    )
    convened = strategy_services.discussion_convene(
        acting_user=world["sw"],
        referral=referral,
        data={
            "trigger": "new_referral",
            "concern_identified_at": referral.received_at,
            "urgency": referral.urgency,
            "scheduled_at": AGREED,
            "format": "virtual",
            "chair": world["tm"],
            "reason": "Invented reason",
        },
        children=list(referral.people.all()),
        invitations=[
            {"agency": world["police_agency"], "role": "Police officer"},
            {"agency": world["health"].agency, "role": "Health practitioner"},
        ],
        now=AGREED,
    )
    strategy_services.discussion_start(
        acting_user=world["tm"], checker=get_discussion_for_user(world["tm"], convened.pk)[1], now=AGREED
    )
    return convened


@pytest.fixture
def police_action(world, discussion):
    return add_action(world, discussion, lead=world["police_agency"], person=world["police"])


def add_action(world, discussion, *, lead, person=None, due=DUE, what="Invented: check police records"):
    return strategy_services.discussion_action_add(
        acting_user=world["tm"],
        checker=get_discussion_for_user(world["tm"], discussion.pk)[1],
        data={
            "what": what,
            "measure": "Invented: records shared with the chair",
            "lead_agency": lead,
            "person": person,
            "contact_name": "" if person else "Invented Contact",
            "due_at": due,
        },
        now=AGREED,
    )
