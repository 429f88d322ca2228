"""A discussion convened on Monday 23 November 2026 at 12:00 for Tuesday 24 at 10:00, police and health invited, and
a GP invited from outside the partnership; helpers to ask for information and read the link and code emailed."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.test import Client

from contributions import services
from contributions.models import ExternalInvitee, InformationRequest
from core.timescales import LONDON
from tests import builders

ASKED = dt.datetime(2026, 11, 23, 14, 0, tzinfo=LONDON)  # Monday, before the meeting (Tuesday 10:00)
GP_EMAIL = "gp.invented@example.org"
QUESTION = "Invented: when did the practice last see the children, and was anything of concern noted?"
LINK = re.compile(r"https?://\S+/contribute/([\w-]+)/")
CODE = re.compile(r"Your code is (\d{6})")


@pytest.fixture(autouse=True)
def _fresh_limits():
    """The rate limits count in the cache, which outlives a test in this process: each test starts afresh."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def asked_discussion(world):
    referral = builders.case(world, children=[builders.child("Robin", "Testchild"), builders.child("Sky", "Testchild")])
    return builders.convene(world, referral, scheduled_at=builders.MEETING)


@pytest.fixture
def gp(world, asked_discussion) -> ExternalInvitee:
    return services.external_invitee_add(
        acting_user=world["tm"],
        checker=builders.checker(world["tm"], asked_discussion),
        data={
            "name": "Dr Invented Practitioner",
            "organisation": "Invented Surgery",
            "role": "GP",
            "email": GP_EMAIL,
            "kind": "gp",
        },
        now=ASKED - dt.timedelta(minutes=30),
    )


def ask(
    world, asked_discussion, recipient: str, capture, *, now: dt.datetime = ASKED, children=None, email: str = ""
) -> InformationRequest:
    """The chair asks `recipient` ("external-<pk>" or "invitation-<pk>"); the email goes on commit."""
    with capture(execute=True):
        return services.information_request_create(
            acting_user=world["tm"],
            checker=builders.checker(world["tm"], asked_discussion),
            recipient=recipient,
            question=QUESTION,
            children=list(asked_discussion.children.all()) if children is None else children,
            email=email,
            now=now,
        )


def token_in(text: str) -> str:
    found = LINK.search(text)
    assert found, text
    return found.group(1)


def code_in(text: str) -> str:
    found = CODE.search(text)
    assert found, text
    return found.group(1)


def verify(client: Client, token: str, mailoutbox, capture) -> None:
    """Send a code and enter it: this client's session may now answer the request."""
    with capture(execute=True):
        assert client.post(f"/contribute/{token}/send-code/").status_code == 302
    response = client.post(f"/contribute/{token}/code/", {"code": code_in(mailoutbox[-1].body)})
    assert response.status_code == 302 and response["Location"] == f"/contribute/{token}/"


FILLED = {"concerns": "Invented: missed appointments since September.", "shareable_with_family": "no"}
