"""The demo's contributions (issue 31): an out-of-area placing authority invited to the Ashdown discussion, its
contribution received before the meeting and on the meeting page; Jacob Wren's GP asked before the meeting, never
answered, the request overdue; the emails the seeding sent name no child."""

import datetime as dt

import pytest
from django.core import mail
from django.test import Client

from agencies.models import User
from contributions.models import ExternalKind, InformationRequest
from core.timescales import LONDON
from referrals.models import DeadlineState, Person
from strategy.models import Trigger

pytestmark = pytest.mark.django_db

MOMENT = dt.datetime(2026, 12, 2, 10, 30, tzinfo=LONDON)  # the disagreements' moment: one seeding for both


@pytest.fixture
def seeded_requests(demo_at) -> dict[str, InformationRequest]:
    demo_at(MOMENT)
    return {
        r.discussion.referral.people.filter(kind="child").first().last_name: r for r in InformationRequest.objects.all()
    }


def test_the_out_of_area_placing_authority_sent_its_contribution_before_the_meeting(seeded_requests):
    request = seeded_requests["Ashdown"]
    invitee = request.external_invitee
    assert invitee.kind == ExternalKind.PLACING_AUTHORITY and invitee.organisation.startswith("Demo Farshire")
    theo = Person.objects.get(first_name="Theo", last_name="Okonjo")
    assert theo.looked_after and theo.responsible_authority == "Demo Farshire County Council"
    assert list(request.children.all()) == [theo]
    contribution = request.contribution
    assert request.asked_at < contribution.submitted_at < min(MOMENT, request.discussion.scheduled_at)
    assert request.deadline.state == DeadlineState.MET
    client = Client()
    client.force_login(User.objects.get(username="tm.demo"))
    text = client.get(f"/discussions/{request.discussion.pk}/").content.decode()
    assert f"{contribution.author_name}, {contribution.author_organisation}" in text.replace("&#x27;", "'")
    assert "information sent in advance of the meeting" in text


def test_the_gp_request_is_outstanding_and_overdue_since_the_meeting_was_held(seeded_requests):
    request = seeded_requests["Wren"]
    discussion = request.discussion
    assert discussion.trigger != Trigger.PROFESSIONAL_DISAGREEMENT and discussion.ended
    assert request.external_invitee.kind == ExternalKind.GP and request.submitted_at is None
    assert request.asked_at < discussion.scheduled_at
    assert request.deadline.state == DeadlineState.OPEN and request.deadline.due_at == discussion.scheduled_at < MOMENT
    assert request.link_ends_at > request.deadline.due_at
    assert set(seeded_requests) == {"Ashdown", "Wren"}


def test_the_requests_emailed_name_no_child_and_no_reference(seeded_requests):
    sent = [m for m in mail.outbox if m.to[0] in {r.email for r in seeded_requests.values()}]
    assert len(sent) == 2
    children = Person.objects.filter(kind="child").values_list("first_name", "last_name")
    words = {w for pair in children for w in pair if w} | {
        r.discussion.referral.reference for r in seeded_requests.values()
    }
    for message in sent:
        assert not any(w in message.subject or w in message.body for w in words), message.body
