"""A case with a convened strategy discussion: police and health invited, chaired by the team manager."""

import datetime as dt

import pytest
from django.utils import timezone

from agencies.models import AgencyType
from strategy import services
from tests.factories import AgencyFactory, child, make_referral


@pytest.fixture
def health_agency(world):
    return world["health"].agency


@pytest.fixture
def school_agency(world):
    return AgencyFactory(partnership=world["partnership"], name="Invented School", agency_type=AgencyType.EDUCATION)


@pytest.fixture
def convene(world, health_agency):
    """Convene a discussion on a case through the service; police and health invited unless told otherwise."""

    def make(referral=None, *, invite=None, now=None, **data):
        now = now or timezone.now()
        referral = referral or make_referral(
            acting_user=world["sw"],
            children=[child("Robin", "Testchild"), child("Sky", "Testchild")],
            received_at=now - dt.timedelta(hours=2),
            now=now - dt.timedelta(hours=1),
        )
        agencies = invite if invite is not None else [world["police_agency"], health_agency]
        fields = {
            "trigger": "new_referral",
            "concern_identified_at": referral.received_at,
            "urgency": referral.urgency,
            "scheduled_at": now + dt.timedelta(hours=3),
            "format": "virtual",
            "chair": world["tm"],
            "reason": "An invented reason.",
            "purpose": "",
            "reconvened_from": None,
            "reconvene_rationale": "",
            **data,
        }
        return services.discussion_convene(
            acting_user=world["sw"],
            referral=referral,
            data=fields,
            children=list(referral.people.filter(kind="child")),
            invitations=[{"agency": a, "role": a.get_agency_type_display(), "reason": "Core agency"} for a in agencies],
            now=now,
        )

    return make
