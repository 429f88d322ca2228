"""Issue 25, item 7: screens that agree with themselves. One status per thing, controls only when usable,
nothing pre-ticked on a person's behalf, and an htmx save redraws every section it changed."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from tests.builders import (
    ENDED,
    attend,
    case,
    children_of,
    convene,
    health_agency,
    hold,
    start,
)

pytestmark = pytest.mark.django_db


def _meeting(client, discussion) -> str:
    response = client.get(reverse("strategy:meeting", kwargs={"discussion_pk": discussion.pk}))
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str, section: str) -> str:
    return page.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]


def _cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r'govuk-table__cell">(.*?)</td>', html, re.S)]


def test_a_case_still_awaiting_a_discussion_is_listed_by_its_clock_not_as_held(world, police_client, time_machine):
    referral = case(world)
    first = convene(world, referral)
    second = convene(world, referral, children=children_of(referral)[:1], trigger="new_information")
    time_machine.move_to(ENDED + dt.timedelta(hours=1), tick=False)
    hold(world, first)
    referral.refresh_from_db()
    assert referral.get_status_display() == "Awaiting strategy discussion"
    assert referral.sd_deadline_id == second.deadline_id  # listed by the clock still running
    row = next(
        r for r in police_client.get(reverse("referrals:list")).content.decode().split("<tr") if referral.reference in r
    )
    assert "Awaiting strategy discussion" in row
    assert "Held" not in row


def test_an_invitation_shows_its_attendance_once_recorded_not_invited(world, tm_client):
    discussion = convene(world, case(world))
    start(world, discussion)
    attend(world, discussion)
    cells = _cells(_section(_meeting(tm_client, discussion), "invite"))
    assert "Attended" in cells
    assert "Invited" not in cells


def test_end_the_meeting_is_offered_only_once_it_has_started(world, tm_client):
    discussion = convene(world, case(world))
    assert "End the meeting" not in _meeting(tm_client, discussion)
    start(world, discussion)
    assert "End the meeting" in _meeting(tm_client, discussion)


def test_proceeding_without_an_agency_is_never_pre_ticked_and_offered_only_in_the_meeting(world, tm_client):
    discussion = convene(world, case(world))
    before = _section(_meeting(tm_client, discussion), "proceed")
    assert 'name="proceed-agencies"' not in before
    assert "decided in the meeting, once it has started" in before
    start(world, discussion)
    during = _section(_meeting(tm_client, discussion), "proceed")
    boxes = re.findall(r'<input[^>]*name="proceed-agencies"[^>]*>', during)
    assert boxes and not any("checked" in box for box in boxes)


def test_an_htmx_save_redraws_the_sections_it_changed(world, tm_client):
    discussion = convene(world, case(world))
    start(world, discussion)
    attend(world, discussion, absent=(health_agency(world),))
    discussion.refresh_from_db()
    response = tm_client.post(
        reverse("strategy:proceed", kwargs={"discussion_pk": discussion.pk}),
        {
            "proceed-version": discussion.section_version("proceed"),
            "proceed-agencies": [health_agency(world).pk],
            "proceed-reason": "Invented: waiting would put the child at risk",
            "proceed-urgency": "Invented: today",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    action = html.split('id="action"', 1)[1].split("</section>", 1)[0]
    assert 'hx-swap-oob="true"' in action
    assert "Obtain information from Invented Health" in action
    assert "No actions agreed yet" not in html
