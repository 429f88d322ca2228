"""The pages people work from: an action, my actions, my agency's actions, the deadlines dashboard."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.models import Action, Alert, Notification
from actions.selectors import ACTION_KEYS
from core import pages
from core.timescales import LONDON
from referrals.models import Deadline
from tests.builders import AGREED, DUE, add_action, make_referral
from tests.paging import listed, walk

pytestmark = pytest.mark.django_db

THURSDAY = dt.datetime(2026, 11, 26, 10, 0, tzinfo=LONDON)  # the Wednesday 17:00 police action is overdue


@pytest.fixture
def thursday():
    with time_machine.travel(THURSDAY, tick=False):
        yield THURSDAY


def test_another_agency_posting_to_a_police_action_is_refused_and_nothing_changes(police_action, persona_client):
    url = reverse("actions:status", kwargs={"action_pk": police_action.pk})
    # Health is invited to the case (it sees the action, 403); the neighbouring police are not (404).
    for persona, expected in (("health", 403), ("outsider", 404), ("hos", 403), ("admin", 403)):
        response = persona_client(persona).post(url, {"status-status": "done", "status-note": "Invented"})
        assert response.status_code == expected, persona
    police_action.refresh_from_db()
    assert police_action.status == "open"


def test_an_action_status_address_opened_as_a_page_links_to_the_action(police_action, police_client):
    """The status form's address only saves it: opened as a page (a kept link, a sign-in's `next`), a 405 page
    with the way on to the action (tests/strategy/test_saved_form_address.py has the meeting's)."""
    response = police_client.get(reverse("actions:status", kwargs={"action_pk": police_action.pk}))
    assert response.status_code == 405 and "POST" in response["Allow"]
    detail = reverse("actions:detail", kwargs={"action_pk": police_action.pk})
    assert f'href="{detail}">Go to the action</a>' in response.content.decode()


def test_an_overdue_action_offers_its_lead_agency_no_due_date_form_but_says_who_decides(
    police_action, police_client, tm_client, thursday
):
    """A walk of `make run`: police were offered the form on an overdue action and refused (403) when they used it.
    The chair (or the case's social worker) still has it."""
    url = reverse("actions:detail", kwargs={"action_pk": police_action.pk})
    police = police_client.get(url).content.decode()
    assert f'action="{reverse("actions:due", kwargs={"action_pk": police_action.pk})}"' not in police
    assert "This action is overdue: moving its date would hide that it was missed" in police
    chair = tm_client.get(url).content.decode()
    assert f'action="{reverse("actions:due", kwargs={"action_pk": police_action.pk})}"' in chair


def test_police_complete_their_action_with_a_note(police_action, police_client, thursday):
    url = reverse("actions:status", kwargs={"action_pk": police_action.pk})
    refused = police_client.post(url, {"status-status": "done", "status-note": ""})
    assert refused.status_code == 400
    assert "Say what was done: a completion note is needed" in refused.content.decode()
    done = police_client.post(url, {"status-status": "done", "status-note": "Invented: checked"}, follow=True)
    assert "Action marked done" in done.content.decode()
    deadline = Deadline.objects.get(pk=police_action.deadline_id)
    assert (deadline.state, deadline.met_at) == ("met", THURSDAY)


def test_a_due_date_change_on_the_page_moves_the_deadline_and_keeps_the_reason(police_action, police_client):
    url = reverse("actions:due", kwargs={"action_pk": police_action.pk})
    with time_machine.travel(dt.datetime(2026, 11, 24, 15, 0, tzinfo=LONDON), tick=False):  # before it is due
        response = police_client.post(
            url,
            {
                "due-due_date_0": "30",
                "due-due_date_1": "11",
                "due-due_date_2": "2026",
                "due-due_time": "12:00",
                "due-reason": "Invented: waiting for a records check",
            },
        )
    assert response.status_code == 302
    assert Deadline.objects.get(pk=police_action.deadline_id).due_at == dt.datetime(2026, 11, 30, 12, 0, tzinfo=LONDON)
    page = police_client.get(reverse("actions:detail", kwargs={"action_pk": police_action.pk})).content.decode()
    assert "Due date changed: Invented: waiting for a records check" in page


def test_my_agencys_actions_lists_overdue_first_and_filters(world, discussion, police_client, thursday):
    later = add_action(
        world, discussion, lead=world["police_agency"], due=THURSDAY + dt.timedelta(days=3), what="Later one"
    )
    overdue = add_action(world, discussion, lead=world["police_agency"], due=DUE, what="Overdue one")
    add_action(world, discussion, lead=world["health"].agency, person=world["health"], what="Health one")
    page = police_client.get(reverse("actions:agency")).content.decode()
    assert page.index("Overdue one") < page.index("Later one")
    assert "Health one" not in page
    filtered = police_client.get(reverse("actions:agency"), {"due": "overdue"}).content.decode()
    assert "Overdue one" in filtered and "Later one" not in filtered
    by_case = police_client.get(reverse("actions:agency"), {"reference": "DSC-2099-00001"}).content.decode()
    assert "No actions match." in by_case
    assert overdue.pk and later.pk


def test_my_actions_are_those_i_am_named_for(world, police_action, discussion, police_client):
    add_action(world, discussion, lead=world["police_agency"], what="Someone else's")
    page = police_client.get(reverse("actions:mine")).content.decode()
    assert police_action.what in page and "Someone else&#x27;s" not in page


def test_action_lists_cost_the_same_for_more_rows(world, discussion, police_client):
    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert police_client.get(url).status_code == 200
        return len(queries)

    add_action(world, discussion, lead=world["police_agency"], person=world["police"])
    few = {name: count(reverse(name)) for name in ("actions:mine", "actions:agency", "actions:dashboard")}
    for n in range(8):
        add_action(world, discussion, lead=world["police_agency"], person=world["police"], what=f"Invented {n}")
    many = {name: count(reverse(name)) for name in ("actions:mine", "actions:agency", "actions:dashboard")}
    # Each: session, user, roles, agency, partnership (header), overdue count (header), the access checks,
    # the page's capped count and its rows with their case, child, lead, person and deadline joined, the list log.
    assert few == many
    for n in range(30):  # more than a page: the next page's address costs nothing more
        add_action(world, discussion, lead=world["police_agency"], person=world["police"], what=f"More {n}")
    assert {name: count(reverse(name)) for name in ("actions:mine", "actions:agency", "actions:dashboard")} == few


# --- Pages by keyset (core.pages) -----------------------------------------------------------------------------

ACTION_WHAT = r">(Invented \d+)</a>"


@pytest.fixture
def many_actions(world, discussion):
    """36 police actions, several due at the same moment (the id breaks the tie); 6 of them finished."""
    made = [
        add_action(
            world,
            discussion,
            lead=world["police_agency"],
            person=world["police"],
            due=DUE + dt.timedelta(hours=12 * (n % 6)),
            what=f"Invented {n:02d}",
        )
        for n in range(36)
    ]
    for action in made[::6]:
        Action.objects.filter(pk=action.pk).update(status="done", finished=True)
    return made


@pytest.mark.parametrize("name", ["actions:mine", "actions:agency"])
def test_action_lists_page_through_every_row_once_unfinished_first(many_actions, police_client, name):
    expected = list(
        Action.objects.filter(person=many_actions[0].person)
        .order_by("finished", "due_at", "id")
        .values_list("what", flat=True)
    )
    shown = walk(police_client, reverse(name), ACTION_WHAT)
    assert [len(page) for page in shown] == [25, 11]
    assert listed(shown) == expected  # every action once, none twice, in order across the page break
    assert all(what in {a.what for a in many_actions[::6]} for what in listed(shown)[-6:])  # finished last


@pytest.mark.parametrize("name", ["actions:mine", "actions:agency"])
def test_action_filters_apply_on_every_page(many_actions, police_client, name):
    open_ones = list(
        Action.objects.filter(status="open").order_by("finished", "due_at", "id").values_list("what", flat=True)
    )
    shown = walk(police_client, reverse(name), ACTION_WHAT, {"status": "open"})
    assert [len(page) for page in shown] == [25, 5] and listed(shown) == open_ones
    done = police_client.get(reverse(name), {"status": "done"}).content.decode()
    assert sorted(re.findall(ACTION_WHAT, done)) == sorted(a.what for a in many_actions[::6])
    with time_machine.travel(THURSDAY, tick=False):
        overdue = police_client.get(reverse(name), {"due": "overdue"}).content.decode()
    assert set(re.findall(ACTION_WHAT, overdue)) == set(
        Action.objects.filter(finished=False, due_at__lt=THURSDAY).values_list("what", flat=True)
    )


def test_the_dashboard_pages_through_every_open_deadline_once_soonest_first(many_actions, police_client):
    expected = list(
        Deadline.objects.filter(state="open", responsible=many_actions[0].person)
        .order_by("due_at", "id")
        .values_list("action__what", flat=True)
    )
    shown = walk(police_client, reverse("actions:dashboard"), r": (Invented \d+)</a>", {"tab": "mine"})
    assert [len(page) for page in shown] == [25, 11] and listed(shown) == expected


def test_the_team_and_agency_tabs_page_through_every_open_deadline_once(world, persona_client):
    world["sw"].line_manager = world["tm"]
    world["sw"].save()
    for _ in range(26):
        make_referral(acting_user=world["sw"])
    reference = r">([A-Z]+-\d{4}-\d{5})</a>"
    for persona, tab, deadlines in (
        ("tm", "team", Deadline.objects.filter(responsible__line_manager=world["tm"])),
        ("hos", "agency", Deadline.objects.filter(agency=world["hos"].agency)),
    ):
        expected = list(deadlines.filter(state="open").order_by("due_at", "id").values_list("referral__reference"))
        shown = walk(persona_client(persona), reverse("actions:dashboard"), reference, {"tab": tab})
        assert len(shown) >= 2 and listed(shown) == [ref for (ref,) in expected], tab


def test_small_pages_walk_both_ways_through_the_finished_run_as_one_index_range(many_actions):
    """Cursors inside the finished run too (`finished` is the leading key); the range is written `>=` without the
    cursor's own row, which PostgreSQL estimates from the column's statistics (core.pages._beyond)."""
    actions = Action.objects.filter(person=many_actions[0].person)
    expected = list(actions.order_by("finished", "due_at", "id").values_list("pk", flat=True))
    forward, page = [], pages.keyset_page(actions, keys=ACTION_KEYS, params=QueryDict(), size=4)
    while True:
        forward.append([a.pk for a in page])
        if not page.has_next:
            break
        with CaptureQueriesContext(connection) as queries:
            page = pages.keyset_page(actions, keys=ACTION_KEYS, params=QueryDict(page.next_query), size=4)
        assert ") >= (" in queries[-1]["sql"] and "NOT (" in queries[-1]["sql"]
    assert [pk for rows in forward for pk in rows] == expected
    backward = []
    while page.has_previous:
        page = pages.keyset_page(actions, keys=ACTION_KEYS, params=QueryDict(page.previous_query), size=4)
        backward.insert(0, [a.pk for a in page])
    assert backward == forward[:-1]


def test_a_bad_or_stale_page_address_lists_from_the_start(police_action, police_client):
    for url, params in (
        (reverse("actions:mine"), {}),
        (reverse("actions:agency"), {}),
        (reverse("actions:dashboard"), {"tab": "mine"}),
    ):
        for bad in ({"page": "999"}, {"after": "x"}, {"before": "%%%"}, {"after": "WzEsMl0"}, {"after": "WyJ4Il0"}):
            response = police_client.get(url, {**params, **bad})
            assert response.status_code == 200 and police_action.what in response.content.decode(), (url, bad)


def test_the_counts_say_more_than_a_page(many_actions, police_client, monkeypatch):
    """No count query (issue 28): a first page with a next one says "More than" the page."""
    monkeypatch.setattr(pages.keyset_page, "__kwdefaults__", {**pages.keyset_page.__kwdefaults__, "size": 3})
    assert "More than 3 actions" in police_client.get(reverse("actions:mine")).content.decode()
    assert "More than 3 actions" in police_client.get(reverse("actions:agency")).content.decode()
    assert "More than 3 open deadlines" in police_client.get(reverse("actions:dashboard")).content.decode()


@pytest.fixture
def many_alerts(world, police_action):
    """27 alerts for the police officer, raised a minute apart."""
    raised = AGREED + dt.timedelta(days=2)
    for n in range(27):
        alert = Alert.objects.create(
            deadline=police_action.deadline,
            stage=2,
            due_at=DUE + dt.timedelta(minutes=n),
            raised_at=raised + dt.timedelta(minutes=n),
        )
        Notification.objects.create(alert=alert, user=world["police"])
    return Notification.objects.filter(user=world["police"])


def test_the_alerts_page_through_every_alert_once_newest_first(many_alerts, police_client, monkeypatch):
    raised = r"the alert raised ([^<]+)</span>"
    shown = walk(police_client, reverse("actions:notifications"), raised)
    expected = [f"{n.alert.raised_at.astimezone(LONDON):%-d %b %Y %H:%M}" for n in many_alerts.order_by("-id")]
    assert [len(page) for page in shown] == [25, 2] and listed(shown) == expected
    for bad in ({"after": "x"}, {"before": "WyJ4Il0"}, {"page": "9"}):
        assert police_client.get(reverse("actions:notifications"), bad).status_code == 200
    first = police_client.get(reverse("actions:notifications")).content.decode()
    assert re.search(r"More than 25 alerts\s*, newest first", first)
    monkeypatch.setattr(pages.keyset_page, "__kwdefaults__", {**pages.keyset_page.__kwdefaults__, "size": 3})
    assert "More than 3 alerts" in police_client.get(reverse("actions:notifications")).content.decode()


def test_the_alerts_page_costs_the_same_for_more_rows(world, police_action, police_client):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert police_client.get(reverse("actions:notifications")).status_code == 200
        return len(queries)

    alert = Alert.objects.create(deadline=police_action.deadline, stage=1, due_at=DUE, raised_at=AGREED)
    Notification.objects.create(alert=alert, user=world["police"])
    few = count()
    for n in range(30):
        alert = Alert.objects.create(
            deadline=police_action.deadline, stage=2, due_at=DUE + dt.timedelta(minutes=n), raised_at=AGREED
        )
        Notification.objects.create(alert=alert, user=world["police"])
    # Session, user, roles, agency, partnership, header counts; the page's capped count; its rows with their
    # alert, deadline, case and child joined; which of those cases the user may still see.
    assert count() == few


def _tab(client, tab: str):
    return client.get(reverse("actions:dashboard"), {"tab": tab})


def test_the_dashboard_tabs_show_exactly_what_each_persona_may_see(world, discussion, police_action, persona_client):
    health_action = add_action(
        world, discussion, lead=world["health"].agency, person=world["health"], what="Health one"
    )
    sd = discussion.deadline  # the case's strategy discussion clock, the social worker's (paused: meeting under way)
    assessment_owner = world["sw"]
    open_sd = Deadline.objects.filter(referral=discussion.referral, state="open", responsible=assessment_owner)
    mine = {
        "sw": _tab(persona_client("sw"), "mine"),
        "tm": _tab(persona_client("tm"), "mine"),
        "police": _tab(persona_client("police"), "mine"),
        "health": _tab(persona_client("health"), "mine"),
        "outsider": _tab(persona_client("outsider"), "mine"),
    }
    assert all(response.status_code == 200 for response in mine.values())
    assert police_action.what in mine["police"].content.decode()
    assert re.search(r"\b1 open deadline\s*<", mine["police"].content.decode())
    assert health_action.what not in mine["police"].content.decode()
    assert health_action.what in mine["health"].content.decode()
    assert re.search(r"\b1 open deadline\s*<", mine["health"].content.decode())
    assert "No open deadlines here." in mine["outsider"].content.decode()
    # The team tab: team managers only; it lists their social workers' deadlines.
    assert _tab(persona_client("sw"), "team").status_code == 404
    assert _tab(persona_client("police"), "team").status_code == 404
    world["sw"].line_manager = world["tm"]
    world["sw"].save()
    team = _tab(persona_client("tm"), "team").content.decode()
    for deadline in open_sd:
        assert deadline.referral.reference in team
    # The agency tab: heads of service only; CSC's open deadlines, not police's.
    assert _tab(persona_client("tm"), "agency").status_code == 404
    agency = _tab(persona_client("hos"), "agency").content.decode()
    assert police_action.what not in agency
    # Started is not held (DOMAIN section 1): the clock stays open, unwatched while the meeting is in progress.
    assert (Deadline.objects.get(pk=sd.pk).state, Deadline.objects.get(pk=sd.pk).paused) == ("open", True)


def test_the_header_shows_the_users_overdue_count(police_action, police_client, thursday):
    page = police_client.get(reverse("actions:mine")).content.decode()
    assert "1 overdue" in page
    Action.objects.filter(pk=police_action.pk)  # still open


def test_the_header_shows_no_count_when_nothing_is_overdue(police_action, police_client):
    with time_machine.travel(AGREED + dt.timedelta(hours=1), tick=False):
        page = police_client.get(reverse("actions:mine")).content.decode()
    assert "overdue</strong>" not in page


def test_the_team_tab_merges_each_members_first_page_in_due_order(world, persona_client):
    """Two reports with interleaved and tied due moments: the tab reads a page from each and merges them, and
    walking it shows every open deadline once, soonest first, ties by id, in both directions."""
    from agencies.models import RoleCode
    from tests.factories import UserFactory

    second = UserFactory(username="sw2", agency=world["csc"], roles=[RoleCode.SOCIAL_WORKER], line_manager=world["tm"])
    world["sw"].line_manager = world["tm"]
    world["sw"].save()
    start = timezone.now() - dt.timedelta(days=2)
    for i in range(30):
        worker = world["sw"] if i % 3 else second
        make_referral(acting_user=worker, received_at=start + dt.timedelta(hours=i // 2))
    team = Deadline.objects.filter(responsible__line_manager=world["tm"], state="open")
    assert team.filter(responsible=second).count() >= 10 and team.filter(responsible=world["sw"]).count() >= 20
    expected = [ref for (ref,) in team.order_by("due_at", "id").values_list("referral__reference")]
    shown = walk(persona_client("tm"), reverse("actions:dashboard"), r">([A-Z]+-\d{4}-\d{5})</a>", {"tab": "team"})
    assert [len(page) for page in shown] == [25, len(expected) - 25] and listed(shown) == expected


def test_the_chair_is_offered_only_agencies_that_can_see_the_case_to_lead_the_action(police_action, tm_client, world):
    """A walk of `make run`: an agency never invited (and its people) were offered, and then refused."""
    from tests.factories import AgencyFactory, UserFactory

    school = AgencyFactory(partnership=world["partnership"], name="Invented Uninvited School", agency_type="education")
    UserFactory(username="uninvited_teacher", agency=school, first_name="Uninvited", last_name="Teacher")
    page = tm_client.get(reverse("actions:detail", kwargs={"action_pk": police_action.pk})).content.decode()
    offered = page[page.index('action="' + reverse("actions:reassign", kwargs={"action_pk": police_action.pk})) :]
    assert world["police_agency"].name in offered and "Invented CSC" in offered
    assert "Invented Uninvited School" not in offered and "Uninvited Teacher" not in offered


def test_the_reassign_form_of_an_action_with_a_listed_person_offers_no_typed_name(police_action, police_client):
    """A review: an action holding a listed person and a stale typed name showed both, and every reassign was then
    refused as "not both" until the user cleared a box they never filled."""
    Action.objects.filter(pk=police_action.pk).update(contact_name="An old typed name")
    page = police_client.get(reverse("actions:detail", kwargs={"action_pk": police_action.pk})).content.decode()
    field = re.search(r'<input[^>]*name="reassign-contact_name"[^>]*>', page)
    assert field is not None and "An old typed name" not in field.group(0)
