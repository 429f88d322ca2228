"""The referral form as a task list with a saved draft (issue 25, item 6): started with when the referral was
received and its urgency, saved task by task, returned to, seen by who started it and the team managers only,
and submitted with every problem shown at once."""

import datetime as dt
import html as htmllib
import re

import pytest
from django.urls import reverse
from simple_history.utils import get_history_model_for_model

from agencies.models import RoleCode, User
from core.timescales import LONDON
from referrals.models import Deadline, DeadlineState, Referral, ReferralStatus, Urgency
from referrals.selectors import drafts_for
from tests.conftest import _client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RECEIVED = dt.datetime(2026, 11, 23, 9, 45, tzinfo=LONDON)  # a Monday
# DOMAIN section 3: standard urgency, 3 working days from Monday 09:45 -> Thursday 17:00.
DUE = dt.datetime(2026, 11, 26, 17, 0, tzinfo=LONDON)


def start(client, **overrides) -> Referral:
    data = {
        "start": "1",
        "received_date_0": str(RECEIVED.day),
        "received_date_1": str(RECEIVED.month),
        "received_date_2": str(RECEIVED.year),
        "received_time": RECEIVED.strftime("%H:%M"),
        "urgency": Urgency.STANDARD,
        **overrides,
    }
    response = client.post(reverse("referrals:create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    draft = Referral.objects.latest("pk")
    assert response["Location"] == reverse("referrals:draft", kwargs={"pk": draft.pk})
    return draft


def task_url(draft: Referral, task: str) -> str:
    return reverse("referrals:draft_task", kwargs={"pk": draft.pk, "task": task})


def save(client, draft: Referral, task: str, data: dict):
    draft.refresh_from_db()
    return client.post(task_url(draft, task), {"save": "1", "version": str(draft.version), **data})


DETAILS = {
    "received_date_0": str(RECEIVED.day),
    "received_date_1": str(RECEIVED.month),
    "received_date_2": str(RECEIVED.year),
    "received_time": "09:45",
    "referrer_name": "Invented Teacher",
    "referrer_organisation": "Invented Primary School",
}
CONCERN = {"concerns": ["neglect"], "concern_summary": "Invented: the children are left alone overnight."}
URGENCY = {"urgency": Urgency.STANDARD}
LONG_SCHOOL = "St Bartholomew's Church of England Voluntary Aided Primary School"


def children(*rows: dict) -> dict:
    data = {"children-TOTAL_FORMS": str(len(rows)), "children-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        data.update({f"children-{index}-{name}": value for name, value in row.items()})
    return data


CHILD = {
    "first_name": "Ellis",
    "last_name": "Quarrington",
    "date_of_birth_0": "14",
    "date_of_birth_1": "6",
    "date_of_birth_2": "2016",
    "education_status": "on_roll",
    "education_setting": LONG_SCHOOL,
}


def summary_links(response) -> list[tuple[str, str]]:
    html = response.content.decode()
    block = re.search(r'govuk-error-summary__list">(.*?)</ul>', html, re.S)
    assert block, "no error summary"
    return [
        (htmllib.unescape(h), htmllib.unescape(t)) for h, t in re.findall(r'<a href="([^"]+)">([^<]+)</a>', block[1])
    ]


def test_a_draft_is_saved_task_by_task_and_returned_to(sw_client, world, at_noon_on_24_november):
    draft = start(sw_client)
    assert draft.status == ReferralStatus.DRAFT and draft.reference.startswith(world["partnership"].reference_prefix)

    page = sw_client.get(reverse("referrals:draft", kwargs={"pk": draft.pk})).content.decode()
    assert page.count("Not yet started") == 6
    assert save(sw_client, draft, "details", DETAILS).status_code == 302
    assert save(sw_client, draft, "children", children(CHILD)).status_code == 302

    # Another day, the same person comes back from their list of drafts: what they typed is there.
    at_noon_on_24_november.move_to(dt.datetime(2026, 11, 25, 9, 0, tzinfo=LONDON), tick=False)
    listed = sw_client.get(reverse("referrals:list")).content.decode()
    assert "Your draft referrals" in listed and f"Draft {draft.reference}: Ellis Quarrington" in listed
    tasks = sw_client.get(reverse("referrals:draft", kwargs={"pk": draft.pk})).content.decode()
    assert tasks.count("Completed") == 2 and tasks.count("Not yet started") == 4
    details = sw_client.get(task_url(draft, "details")).content.decode()
    assert 'value="Invented Teacher"' in details and "govuk-error-summary" not in details
    child_page = sw_client.get(task_url(draft, "children")).content.decode()
    assert 'value="Ellis"' in child_page and htmllib.escape(LONG_SCHOOL) in child_page

    # Every save is in history, with the task it saved.
    reasons = list(draft.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons == [
        "Draft referral started",
        "Draft saved: when it was received and who referred",
        "Draft saved: children",
    ]
    people = get_history_model_for_model(type(draft.people.get()))
    assert people.objects.filter(referral_id=draft.pk, history_change_reason="Draft saved: children").count() == 1


def test_the_clock_runs_from_when_it_was_received_while_a_draft(sw_client, tm_client, world, at_noon_on_24_november):
    draft = start(sw_client)
    deadline = Deadline.objects.get(referral=draft)
    assert deadline.state == DeadlineState.OPEN and deadline.starts_at == RECEIVED and deadline.due_at == DUE
    assert deadline.responsible == world["sw"]
    draft.refresh_from_db()
    assert draft.sd_deadline == deadline and draft.sd_due_at == DUE

    # Still a draft after its deadline: overdue, on its page and in the team manager's list of drafts.
    at_noon_on_24_november.move_to(dt.datetime(2026, 11, 27, 9, 0, tzinfo=LONDON), tick=False)
    page = sw_client.get(reverse("referrals:draft", kwargs={"pk": draft.pk})).content.decode()
    assert "Thursday 26 November 2026, 17:00" in page and "Overdue" in page
    listed = tm_client.get(reverse("referrals:list"), {"status": "draft"}).content.decode()
    assert draft.reference in listed and "Thu 26 Nov 2026 17:00" in listed and "Overdue" in listed

    # A tighter urgency brings the clock forward (same day); nothing typed in a draft moves it later.
    assert save(sw_client, draft, "urgency", {"urgency": Urgency.SERIOUS_RISK}).status_code == 302
    deadline.refresh_from_db()
    assert deadline.due_at == dt.datetime(2026, 11, 23, 23, 59, 59, tzinfo=LONDON)
    assert save(sw_client, draft, "urgency", {"urgency": Urgency.STANDARD}).status_code == 302
    deadline.refresh_from_db()
    assert deadline.due_at == dt.datetime(2026, 11, 23, 23, 59, 59, tzinfo=LONDON)


def test_the_team_manager_sees_every_draft_with_its_clock(sw_client, tm_client, world, at_noon_on_24_november):
    draft = start(sw_client)
    save(sw_client, draft, "children", children(CHILD))

    home = tm_client.get(reverse("referrals:list")).content.decode()
    assert "Draft referrals in the partnership" in home
    assert (
        f"Draft {draft.reference}: Ellis Quarrington" in home
        and "Strategy discussion due Thu 26 Nov 2026 17:00" in home
    )
    assert "2 days 5 hours left" in home
    assert tm_client.get(reverse("referrals:draft", kwargs={"pk": draft.pk})).status_code == 200
    assert tm_client.get(reverse("referrals:detail", kwargs={"pk": draft.pk}))["Location"] == reverse(
        "referrals:draft", kwargs={"pk": draft.pk}
    )
    assert [d.pk for d in drafts_for(world["tm"])] == [draft.pk]
    assert [d.pk for d in drafts_for(world["sw"])] == [draft.pk]
    # The default list is of cases: a draft is listed when drafts are asked for.
    assert f">{draft.reference}</a>" not in home
    assert f">{draft.reference}</a>" in tm_client.get(reverse("referrals:list"), {"status": "draft"}).content.decode()


@pytest.mark.parametrize("persona", ["other_sw_same_team", "hos", "admin", "police", "outsider", "other_sw"])
def test_nobody_else_sees_a_draft(sw_client, world, at_noon_on_24_november, persona):
    draft = start(sw_client)
    if persona == "other_sw_same_team":
        user = UserFactory(username="sw2", agency=world["csc"], roles=[RoleCode.SOCIAL_WORKER])
    else:
        user = world[persona]
    client = _client_for(user)
    for url in (
        reverse("referrals:draft", kwargs={"pk": draft.pk}),
        task_url(draft, "details"),
        reverse("referrals:detail", kwargs={"pk": draft.pk}),
        reverse("referrals:edit", kwargs={"pk": draft.pk}),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"version": "1", "save": "1"}).status_code == 404, url
    listed = client.get(reverse("referrals:list"), {"status": "draft"}).content.decode()
    assert draft.reference not in listed
    assert list(drafts_for(user)) == []
    draft.refresh_from_db()
    assert draft.status == ReferralStatus.DRAFT and draft.version == 1


def test_submitting_shows_every_problem_at_once_with_its_task(sw_client, world, at_noon_on_24_november):
    draft = start(sw_client)
    # A child typed in part: no last name, an NHS number that is not one.
    save(sw_client, draft, "children", children({"first_name": "Ellis", "nhs_number": "123 456 7890"}))
    draft.refresh_from_db()
    response = sw_client.post(reverse("referrals:draft", kwargs={"pk": draft.pk}), {"version": str(draft.version)})

    assert response.status_code == 400
    links = summary_links(response)
    messages = [text for _, text in links]
    assert messages == [
        "When it was received and who referred: Enter the name of the person who made the referral",
        "The concern: Select at least one concern category",
        "The concern: Describe the concern",
        "Children: Child 1: Enter the child's last name",
        "Children: Child 1: Enter a valid NHS number: 10 digits, for example 999 000 0018",
    ]
    hrefs = {text: href for href, text in links}
    assert hrefs["Children: Child 1: Enter the child's last name"] == (
        task_url(draft, "children") + "?check=1#id_children-0-last_name"
    )
    assert hrefs["The concern: Select at least one concern category"] == (
        task_url(draft, "concern") + "?check=1#id_concerns_0"
    )
    assert "There is a problem</strong>" in response.content.decode()  # on the tasks named
    draft.refresh_from_db()
    assert draft.status == ReferralStatus.DRAFT

    # The link opens the task with its problems on their fields.
    page = sw_client.get(task_url(draft, "children") + "?check=1").content.decode()
    assert 'id="id_children-0-last_name-error"' in page or "Enter the child&#x27;s last name" in page
    assert "govuk-error-summary" in page


def test_submitting_a_complete_draft_logs_the_referral_on_its_first_clock(sw_client, world, at_noon_on_24_november):
    draft = start(sw_client)
    deadline = Deadline.objects.get(referral=draft)
    for task, data in (("details", DETAILS), ("concern", CONCERN), ("urgency", URGENCY), ("children", children(CHILD))):
        assert save(sw_client, draft, task, data).status_code == 302, task
    draft.refresh_from_db()
    response = sw_client.post(reverse("referrals:draft", kwargs={"pk": draft.pk}), {"version": str(draft.version)})

    assert response["Location"] == reverse("referrals:detail", kwargs={"pk": draft.pk})
    draft.refresh_from_db()
    assert draft.status == ReferralStatus.AWAITING_DISCUSSION and draft.submitted_at is not None
    assert list(draft.deadlines.all()) == [deadline] and draft.sd_due_at == DUE
    assert draft.history.first().history_change_reason == "Referral logged (draft submitted)"
    # Now a case: the rest of the team sees it.
    hos = _client_for(world["hos"])
    assert hos.get(reverse("referrals:detail", kwargs={"pk": draft.pk})).status_code == 200
    # A stale submit (the same version again) changes nothing.
    again = sw_client.post(reverse("referrals:draft", kwargs={"pk": draft.pk}), {"version": "1"})
    assert again.status_code == 404


def test_a_draft_needs_when_it_was_received_and_its_urgency_to_start(sw_client, world, at_noon_on_24_november):
    response = sw_client.post(reverse("referrals:create"), {"start": "1"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter the date received" in html and "Select the urgency" in html
    assert not Referral.objects.exists()


def test_the_task_pages_post_to_their_own_address(sw_client, world, at_noon_on_24_november):
    html = sw_client.get(reverse("referrals:create")).content.decode()
    assert '<form method="post" action="/referrals/new/" novalidate>' in html
    draft = start(sw_client)
    page = sw_client.get(task_url(draft, "children")).content.decode()
    assert f'action="{task_url(draft, "children")}"' in page and 'formaction="#children-2"' in page


def test_drafts_for_is_bounded_and_costs_two_queries(
    sw_client, world, at_noon_on_24_november, django_assert_num_queries
):
    for _ in range(3):
        draft = start(sw_client)
        save(sw_client, draft, "children", children(CHILD))
    tm = User.objects.select_related("agency").get(pk=world["tm"].pk)
    tm.has_role(RoleCode.TEAM_MANAGER)  # the user's agency and roles, read once per request by the policy
    with django_assert_num_queries(2):  # the drafts with their deadline, partnership and starter; their children
        rows = list(drafts_for(tm, limit=2))
    assert len(rows) == 2 and all(r.sd_state == "open" and r.children for r in rows)
    assert [r.sd_due_at for r in rows] == sorted(r.sd_due_at for r in rows)
