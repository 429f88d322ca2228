"""From two walks of `make run`: a discussion held earlier than planned is shown at when it was held (the case page,
the meeting page, the minutes page and the chair's queue said the planned time, in the future); the action form
offers only agencies that can see the case."""

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


def test_the_action_form_offers_only_agencies_that_can_see_the_case(world, tm_client):
    """A walk: "Add an action" offered a school never invited, then refused it ("Invite ... first")."""
    import re

    from agencies.models import Agency, AgencyType

    school = Agency.objects.create(
        name="Invented Academy", agency_type=AgencyType.EDUCATION, partnership=world["partnership"]
    )
    discussion = builders.convene(world, invitations=[{"agency": world["police_agency"], "role": "Police officer"}])
    page = tm_client.get(f"/discussions/{discussion.pk}/").content.decode()
    select = re.search(r'<select[^>]*name="action-lead_agency".*?</select>', page, re.S)
    assert select is not None
    offered = {int(pk) for pk in re.findall(r'<option value="(\d+)"', select.group(0))}
    assert world["police_agency"].pk in offered and world["csc"].pk in offered
    assert school.pk not in offered


@pytest.mark.parametrize(
    ("ended", "words"), [(False, "Not attending yet: Invented School."), (True, "Did not attend: Invented School.")]
)
def test_the_attendance_warning_speaks_of_an_ended_meeting_in_the_past(ended, words):
    """A walk: after the meeting ended the section still said "Not attending yet"."""
    from types import SimpleNamespace

    from django.template.loader import render_to_string

    discussion = SimpleNamespace(ended=ended, pk=1)
    page = render_to_string(
        "strategy/sections/attendance.html",
        {"discussion": discussion, "quoracy": {"quorate": True, "missing": ["Invented School"]}, "proceeds": True},
    )
    assert words in page
