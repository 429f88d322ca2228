"""A discussion convened now, for the page tests (the pages read the clock): police and health invited."""

import datetime as dt

import pytest
from django.utils import timezone

from tests import builders


@pytest.fixture
def new_discussion(world):
    """Convene a discussion through the service at the clock's now, on a new case of two children unless given one;
    police and health invited (nobody named yet) unless `invite` lists the agencies."""

    def make(referral=None, *, invite=None, now=None, **data):
        now = now or timezone.now()
        agencies = invite if invite is not None else [world["police_agency"], builders.health_agency(world)]
        data = {"format": "virtual", "reason": "An invented reason.", **data}
        data.setdefault("scheduled_at", now + dt.timedelta(hours=3))
        return builders.convene(world, referral, now=now, invitations=builders.agencies_invited(agencies), **data)

    return make
