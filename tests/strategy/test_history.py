"""The case history page: every change, field by field, who and when, newest first, for whoever sees the case."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from referrals.models import CaseView, Person, Referral
from strategy import history
from strategy.models import Discussion, Invitation
from tests.db_roles import as_owner
from tests.paging import link, listed, walk

pytestmark = pytest.mark.django_db


def test_history_shows_field_changes_with_who_newest_first(new_discussion, tm_client, world):
    discussion = new_discussion()
    subject = discussion.children.first()
    tm_client.post(
        reverse("strategy:risk", kwargs={"discussion_pk": discussion.pk}),
        {"child": subject.pk, f"risk-{subject.pk}-version": "0", f"risk-{subject.pk}-worry": "Invented worry"},
    )
    url = reverse("strategy:history", kwargs={"pk": discussion.referral.pk})
    page = tm_client.get(url).content.decode()
    assert page.index("Risk analysis recorded") < page.index("Strategy discussion convened")
    assert "What harm are we most worried about" in page and "Invented worry" in page
    assert str(world["tm"]) in page
    assert CaseView.objects.filter(user=world["tm"], page="history").exists()


def test_history_is_for_those_who_see_the_case(new_discussion, persona_client, world):
    discussion = new_discussion(invite=[world["police_agency"]])
    url = reverse("strategy:history", kwargs={"pk": discussion.referral.pk})
    assert persona_client("police").get(url).status_code == 200
    for persona in ("health", "outsider", "analyst", "other_sw"):
        assert persona_client(persona).get(url).status_code == 404, persona


def _worries(tm_client, discussion, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        tm_client.post(
            reverse("strategy:risk", kwargs={"discussion_pk": discussion.pk}),
            {"risk-version": str(n), "risk-risk_review": f"Worry {n}"},
        )


def test_history_pages_follow_the_last_change_shown(new_discussion, tm_client, world):
    discussion = new_discussion()
    _worries(tm_client, discussion, history.PAGE_SIZE + 5)
    url = reverse("strategy:history", kwargs={"pk": discussion.referral.pk})
    # The value after each change (the last cell of its row): each worry once, newest first, across the pages.
    shown = walk(tm_client, url, r'<td class="govuk-table__cell">(Worry \d+)</td></tr>')
    assert len(shown) >= 2 and len(shown[0]) == history.PAGE_SIZE
    assert listed(shown) == [f"Worry {n}" for n in reversed(range(history.PAGE_SIZE + 5))]
    first = tm_client.get(url).content.decode()
    assert re.search(r"newest first: \d+ changes\s* in all", first)


@pytest.mark.django_db(transaction=True)  # the history is moved as the owner: the app's role may not rewrite it
def test_history_merges_its_tables_in_one_order_across_every_page_break(new_discussion, tm_client, world):
    """Pages of 3 walk the same changes in the same order as one page of all, ties of moment included."""
    discussion = new_discussion()
    _worries(tm_client, discussion, 4)
    referral = discussion.referral
    tie = discussion.created_at.replace(microsecond=0) - dt.timedelta(minutes=5)
    for model, where in (
        (Referral.history.model, {"id": referral.pk}),
        (Person.history.model, {"referral_id": referral.pk}),
        (Discussion.history.model, {"referral_id": referral.pk}),
        (Invitation.history.model, {"discussion_id": discussion.pk}),
    ):
        with as_owner():
            model.objects.filter(**where).filter(history_type="+").update(history_date=tie)
    everything = history.case_history(referral, params=QueryDict(), size=1000)
    assert not everything.has_next and len(everything) > 12
    assert sum(entry.when == tie for entry in everything) > 3  # a tie across tables spans a page break

    def seen(page):
        return [(entry.when, entry.what, entry.kind, [(c.field, c.new) for c in entry.changes]) for entry in page]

    pages, page = [], history.case_history(referral, params=QueryDict(), size=3)
    while True:
        pages.append(page)
        if not page.has_next:
            break
        page = history.case_history(referral, params=QueryDict(page.next_query), size=3)
    assert [row for page in pages for row in seen(page)] == seen(everything)
    for earlier, later in zip(pages, pages[1:], strict=False):  # previous goes back to the page before
        assert seen(history.case_history(referral, params=QueryDict(later.previous_query), size=3)) == seen(earlier)


def test_a_stale_or_forged_history_cursor_starts_from_the_newest(new_discussion, tm_client):
    discussion = new_discussion()
    _worries(tm_client, discussion, 2)
    url = reverse("strategy:history", kwargs={"pk": discussion.referral.pk})
    for params in ({"after": "x"}, {"before": "WyJ4Il0"}, {"page": "2"}, {"after": "WzEsMiwzXQ"}):
        response = tm_client.get(url, params)
        assert response.status_code == 200 and "Worry 1" in response.content.decode(), params


def test_the_history_count_stops_at_the_cap(new_discussion, tm_client, monkeypatch):
    discussion = new_discussion()
    _worries(tm_client, discussion, 2)
    monkeypatch.setattr(history.case_history, "__kwdefaults__", {**history.case_history.__kwdefaults__, "cap": 3})
    page = tm_client.get(reverse("strategy:history", kwargs={"pk": discussion.referral.pk})).content.decode()
    assert "More than 3 changes" in page


def test_a_history_page_costs_the_same_however_long_the_history(new_discussion, tm_client):
    discussion = new_discussion()
    url = reverse("strategy:history", kwargs={"pk": discussion.referral.pk})

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert tm_client.get(url).status_code == 200
        return len(queries)

    _worries(tm_client, discussion, history.PAGE_SIZE + 2)
    few = count()
    _worries(tm_client, discussion, 3 * history.PAGE_SIZE, start=history.PAGE_SIZE + 2)
    # Session, the user (with agency and roles), the case and its access check, the case view it records; the
    # discussions of the case; every history table's capped count (one query); per history table one page of rows
    # with the related objects they show; each change's previous version (one page).
    assert count() == few


def test_the_history_names_each_clock_in_words_with_what_it_first_was(world, tm_client):
    """Issue 25 item 9: no internal codes ("SD_STANDARD due ... (open)"); a moved clock keeps its first due moment."""
    import time_machine

    from referrals.deadlines import deadline_move_later
    from tests import builders

    with time_machine.travel(builders.CONVENED, tick=True):  # each change at its own moment, as in life
        referral = builders.case(world)
        discussion = builders.convene(world, referral)
        clock = discussion.deadline
        deadline_move_later(
            acting_user=world["tm"],
            deadline=clock,
            due=clock.due_at + dt.timedelta(days=1),
            reason="Invented: the police officer is in court",
            now=builders.CONVENED,
        )
    builders.hold(world, discussion)
    page = tm_client.get(reverse("strategy:history", kwargs={"pk": referral.pk})).content.decode()
    url = reverse("strategy:history", kwargs={"pk": referral.pk})
    page += tm_client.get(url + link(page, "next")).content.decode()  # and the page of older changes
    assert not re.search(r"\b(SD_[A-Z_]+|MINUTES_CIRCULATED|MEETING_NOT_ENDED|ACTION)\b", page)
    assert "Strategy discussion deadline set: due Thu 26 Nov 2026 17:00" in page
    assert (
        "Strategy discussion deadline moved later from Thu 26 Nov 2026 17:00 to Fri 27 Nov 2026 17:00"
        " (first due Thu 26 Nov 2026 17:00). Moved later by a team manager: Invented: the police officer is in court"
    ) in page
    assert (
        "Strategy discussion deadline moved later by a team manager, to Fri 27 Nov 2026 17:00"
        " (first due Thu 26 Nov 2026 17:00): Invented: the police officer is in court"
    ) in page
    assert "Strategy discussion deadline met (Strategy discussion held) (first due Thu 26 Nov 2026 17:00)" in page
    assert "Deadline to circulate the minutes set: due Thu 26 Nov 2026 11:00" in page
