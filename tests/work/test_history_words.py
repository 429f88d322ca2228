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
