"""The case history says who circulated the minutes and to how many people, in words (issue 25 item 9)."""

import pytest
from django.urls import reverse

from minutes.models import Source
from tests.minutes.conftest import held  # noqa: F401 (a fixture)
from tests.minutes.test_required_recipients import approve, circulate, listed, remove  # noqa: F401
from tests.paging import walk

pytestmark = pytest.mark.django_db


def test_the_history_says_the_minutes_were_circulated_by_whom_to_how_many(world, listed, tm_client):  # noqa: F811
    for recipient in listed.recipients.exclude(source=Source.INVITEE):
        remove(world, listed, recipient, reason="Invented: no address known")
    approve(world, listed)
    circulate(world, listed)
    url = reverse("strategy:history", kwargs={"pk": listed.referral_id})
    said = [line for page in walk(tm_client, url, r'<h2 class="govuk-heading-s[^>]*>([^<]*)</h2>') for line in page]
    assert f"Minutes circulated by {world['admin']} to 4 people: deadline to circulate the minutes met" in said
    assert not [line for line in said if "MINUTES_CIRCULATED" in line or " due 20" in line]


def test_the_words_name_who_circulated_whatever_order_the_clocks_records_come_in(world, listed):  # noqa: F811
    """A walk of `make run` read "circulated by" the chair, who had set the clock, above a line saying the business
    support officer met it: the name came from whichever of the clock's records on the page was read last."""
    from referrals.models import Deadline
    from strategy import history

    for recipient in listed.recipients.exclude(source=Source.INVITEE):
        remove(world, listed, recipient, reason="Invented: no address known")
    approve(world, listed)
    circulate(world, listed)
    clock = Deadline.objects.get(pk=listed.minutes_deadline_id)
    records = list(clock.history.order_by("history_date"))
    assert [r.history_user for r in records] == [world["tm"], world["admin"]]  # set by the chair, met by admin
    for ordered in (records, records[::-1]):
        entries = [(history.Entry(r.history_date, "", "changed", str(r.history_user), ""), r) for r in ordered]
        history._deadline_words(entries)
        met = next(entry for entry, record in entries if record.state == "met")
        assert met.summary.startswith(f"Minutes circulated by {world['admin']} to 4 people"), met.summary
