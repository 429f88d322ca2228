"""Each user's home page: their work queues, each row saying what is to be done, for which case, and linking to
the place to act on it; every queue paged, and the page's query count flat however many rows lie behind it."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from minutes import services as minutes_services
from strategy.models import Discussion
from tests import builders
from tests.builders import make_referral
from tests.minutes.conftest import (
    AFTER,
    held,  # noqa: F401 (a fixture)
    minutes_checker,
)
from tests.paging import listed, walk
from work import selectors

pytestmark = pytest.mark.django_db


def _convene(world, n: int, *, now: dt.datetime = builders.CONVENED) -> list[Discussion]:
    """`n` cases, each with a discussion the team manager chairs and the police officer is invited to by name."""
    made = []
    for _ in range(n):
        referral = make_referral(acting_user=world["sw"], received_at=builders.MONDAY_10AM, now=builders.MONDAY_10AM)
        made.append(builders.convene(world, referral, now=now))
    return made


def _home(client) -> str:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_home_page_lists_the_meetings_i_chair_or_am_invited_to(world, tm_client, police_client, persona_client):
    with time_machine.travel(builders.CONVENED, tick=False):
        (discussion,) = _convene(world, 1)
        meeting = reverse("strategy:meeting", kwargs={"discussion_pk": discussion.pk})
        chair = _home(tm_client)
        assert "Chair the strategy discussion" in chair and meeting in chair
        assert f"Case {discussion.referral.reference}" in chair
        invited = _home(police_client)
        assert "Attend the strategy discussion" in invited and meeting in invited
        # The head of service sees the case but neither chairs nor is invited: not their meeting to attend.
        assert meeting not in _home(persona_client("hos"))
        # An agency invited with nobody named yet: its practitioners see the meeting, to say who attends.
        police = discussion.invitations.get(person=world["police"])
        police.person = None
        police.save()
        assert "Attend the strategy discussion" in _home(police_client) and meeting in _home(police_client)


def test_a_meeting_of_yesterday_is_not_today_or_upcoming(world, tm_client):
    with time_machine.travel(builders.CONVENED, tick=False):
        (discussion,) = _convene(world, 1)
    with time_machine.travel(builders.CONVENED + dt.timedelta(days=2), tick=False):
        assert reverse("strategy:meeting", kwargs={"discussion_pk": discussion.pk}) not in _home(tm_client)


def test_the_chair_is_asked_to_approve_and_business_support_to_circulate(world, held, tm_client, admin_client_bs):  # noqa: F811
    minutes = reverse("minutes:minutes", kwargs={"discussion_pk": held.pk})
    chair = _home(tm_client)
    assert "Approve the minutes of the strategy discussion of 24 November 2026" in chair and minutes in chair
    support_page = _home(admin_client_bs)
    assert "Minutes to circulate" in support_page and minutes not in support_page  # nothing approved yet
    minutes_services.minutes_approve(acting_user=world["tm"], checker=minutes_checker(world["tm"], held), now=AFTER)
    assert minutes not in _home(tm_client)
    support_page = _home(admin_client_bs)
    assert "Circulate the minutes of the strategy discussion of 24 November 2026" in support_page
    assert minutes in support_page and f"Case {held.referral.reference}" in support_page


def test_my_actions_and_my_overdue_clocks_say_what_is_due_and_where(world, held, police_client):  # noqa: F811
    action = held.agreed_actions.get()
    page = _home(police_client)
    assert "Invented: share police records with the social worker" in page
    assert reverse("actions:detail", kwargs={"action_pk": action.pk}) in page
    with time_machine.travel(action.due_at + dt.timedelta(hours=2), tick=False):
        page = _home(police_client)
        overdue = page[page.index("My overdue deadlines") :]
        assert "Complete the action: Invented: share police records" in overdue
        assert f"Case {held.referral.reference}" in overdue and "Overdue" in overdue
        act = reverse("work:act", kwargs={"deadline_pk": action.deadline_id})
        assert act in overdue
        assert police_client.get(act)["Location"] == reverse("actions:detail", kwargs={"action_pk": action.pk})


def test_a_clock_leads_to_the_place_to_act_on_it(world, held, tm_client, outsider_client):  # noqa: F811
    act = reverse("work:act", kwargs={"deadline_pk": held.minutes_deadline_id})
    assert tm_client.get(act)["Location"] == reverse("minutes:minutes", kwargs={"discussion_pk": held.pk})
    assert outsider_client.get(act).status_code == 404


def test_a_section_47_enquiry_waits_for_the_chairs_authorisation(world, tm_client):
    with time_machine.travel(builders.MEETING, tick=False):
        (discussion,) = _convene(world, 1)
        child = discussion.children.first()
        builders.decide(world, discussion, child, s47=True)
        page = _home(tm_client)
        assert f"Authorise the section 47 enquiry for {child.full_name}" in page


def test_a_queue_is_paged_and_the_home_page_shows_its_first_rows(world, tm_client):
    with time_machine.travel(builders.CONVENED, tick=False):
        made = _convene(world, selectors.PAGE_SIZE + 3)
        home = _home(tm_client)
        assert home.count("Chair the strategy discussion") == selectors.HOME_SIZE
        assert reverse("work:meetings") in home
        pattern = r'href="/discussions/(\d+)/">Chair the strategy discussion'
        pages = walk(tm_client, reverse("work:meetings"), pattern)
        assert len(pages) == 2 and len(pages[0]) == selectors.PAGE_SIZE
        assert sorted(int(pk) for pk in listed(pages)) == sorted(d.pk for d in made)


def test_the_home_page_costs_the_same_however_many_rows_wait(world, tm_client, police_client, admin_client_bs):
    def count(client) -> int:
        with CaptureQueriesContext(connection) as queries:
            _home(client)
        return len(queries)

    with time_machine.travel(builders.CONVENED, tick=False):
        _convene(world, 2)
        few = {name: count(client) for name, client in (("tm", tm_client), ("police", police_client))}
        bs = count(admin_client_bs)
        _convene(world, 3 * selectors.HOME_SIZE)
        # Session, user, roles, header counts; then per queue its capped count and its page (joins included).
        assert {name: count(client) for name, client in (("tm", tm_client), ("police", police_client))} == few
        assert count(admin_client_bs) == bs


def test_alert_rows_and_queue_rows_name_the_case_not_only_the_time(world, held, tm_client):  # noqa: F811
    page = _home(tm_client)
    assert re.search(r"Case [A-Z]+-\d{4}-\d{5}\. Due \w{3} \d+ \w{3} \d{4} \d\d:\d\d", page)


def test_a_count_is_followed_by_its_comma_with_no_space_before_it():
    """A walk: "6 items , soonest first" (the count's template ended in a newline)."""
    from types import SimpleNamespace

    from django.template import Context, Template

    line = Template('{% include "includes/list_count.html" with noun="item" plural="items" %}, soonest first')
    page = SimpleNamespace(count=6, count_capped=False)
    assert line.render(Context({"page": page})) == "6 items, soonest first"


def test_an_overdue_minutes_clock_whose_minutes_are_approved_asks_to_circulate_them(world, persona_client):
    """A walk: the chair's overdue item read "Approve and circulate the minutes" of minutes approved weeks before."""
    discussion = builders.convene(world)
    builders.hold(world, discussion)
    discussion.refresh_from_db()
    clock = discussion.minutes_deadline
    late = clock.due_at + dt.timedelta(hours=1)
    with time_machine.travel(late, tick=False):
        before = persona_client("tm").get("/work/overdue/").content.decode()
        assert "Approve and circulate the minutes" in before
        minutes_services.minutes_approve(
            acting_user=world["tm"],
            checker=minutes_checker(world["tm"], discussion),
            now=late,
        )
        after = persona_client("tm").get("/work/overdue/").content.decode()
    assert "Circulate the approved minutes" in after and "Approve and circulate the minutes" not in after
