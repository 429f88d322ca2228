"""A discussion held earlier (or later) than planned is shown at when it was held, once it has been: the case page,
the meeting page, the minutes page and the chair's queue all said the planned time, in the future (a walk)."""

import datetime as dt

import pytest

from tests import builders
from tests.builders import CONVENED

pytestmark = pytest.mark.django_db


def test_a_discussion_held_a_day_early_is_shown_when_it_was_held(world, tm_client):
    planned = CONVENED + dt.timedelta(days=1, hours=3)
    discussion = builders.convene(world, scheduled_at=planned)
    started = CONVENED + dt.timedelta(hours=2)
    builders.hold(world, discussion, started=started, ended=started + dt.timedelta(minutes=40))
    assert discussion.when == started and str(discussion).endswith(f"{started:%-d %B %Y, %H:%M}")

    case = tm_client.get(f"/referrals/{discussion.referral_id}/").content.decode()
    assert f"{started:%A %-d %B %Y, %H:%M}: held" in case
    assert f"{planned:%A %-d %B %Y}" not in case
    meeting = tm_client.get(f"/discussions/{discussion.pk}/").content.decode()
    assert f"Planned for {planned:%A %-d %B %Y, %H:%M}" in meeting
    minutes = tm_client.get(f"/discussions/{discussion.pk}/minutes/").content.decode()
    assert f"Back to the discussion of {started:%-d %B %Y}" in minutes
