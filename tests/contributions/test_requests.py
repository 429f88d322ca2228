"""Asking for information (issue 31): the request's clock before and after the meeting, the automatic action it
meets after a meeting that proceeded without the agency (no second clock), the email, and the chair's page."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actions.models import ActionStatus
from contributions import services
from contributions.models import InformationRequest
from core.timescales import LONDON, Rule
from referrals.models import Deadline
from strategy import services as strategy_services
from tests import builders
from tests.contributions.conftest import ASKED, GP_EMAIL, QUESTION, ask, token_in

pytestmark = pytest.mark.django_db

AFTER = builders.ENDED + dt.timedelta(hours=2)  # Tuesday 24 November 2026, 13:00


def _hold_without_health(world, asked_discussion):
    """The meeting starts, health sends apologies, it proceeds without health (the automatic action), and ends."""
    builders.start(world, asked_discussion)
    health = builders.health_agency(world)
    builders.attend(world, asked_discussion, absent=(health,))
    strategy_services.proceed_save(
        acting_user=world["tm"],
        checker=builders.checker(world["tm"], asked_discussion),
        agencies=[health],
        reason="Invented: waiting would put the children at risk",
        urgency="Invented: the children are seen today",
        now=builders.MEETING,
        version=None,
    )
    for child in asked_discussion.children.all():
        builders.decide(world, asked_discussion, child)
    builders.end(world, asked_discussion)
    asked_discussion.refresh_from_db()
    return asked_discussion.invitations.get(agency=health)


def test_asked_before_the_meeting_the_request_is_due_when_the_meeting_is_and_its_link_works_5_working_days_more(
    world, asked_discussion, gp, django_capture_on_commit_callbacks
):
    request = ask(world, asked_discussion, f"external-{gp.pk}", django_capture_on_commit_callbacks)
    clock = request.deadline
    assert (clock.rule, clock.state, clock.starts_at) == (Rule.INFORMATION_REQUEST, "open", ASKED)
    assert clock.due_at == builders.MEETING  # Tuesday 10:00: before the meeting
    assert request.link_ends_at == dt.datetime(2026, 12, 1, 17, 0, tzinfo=LONDON)  # 5 working days after
    assert (request.recipient_name, request.recipient_organisation, request.email) == (
        "Dr Invented Practitioner",
        "Invented Surgery",
        GP_EMAIL,
    )
    assert request.question == QUESTION and request.asked_by == world["tm"] and request.action is None
    assert {h.history_change_reason for h in request.history.all()} == {"Information requested"}


def test_asked_after_the_meeting_ended_the_request_is_due_at_the_end_of_the_next_working_day(
    world, asked_discussion, gp, django_capture_on_commit_callbacks
):
    builders.hold(world, asked_discussion)
    asked_discussion.refresh_from_db()
    request = ask(world, asked_discussion, f"external-{gp.pk}", django_capture_on_commit_callbacks, now=AFTER)
    assert request.deadline.rule == Rule.INFORMATION_REQUEST
    assert request.deadline.due_at == dt.datetime(2026, 11, 25, 17, 0, tzinfo=LONDON)  # Wednesday


def test_after_a_meeting_without_health_the_request_to_health_meets_the_automatic_action_with_no_second_clock(
    world, asked_discussion, django_capture_on_commit_callbacks
):
    invitation = _hold_without_health(world, asked_discussion)
    action = asked_discussion.agreed_actions.get(automatic=True)
    clocks = Deadline.objects.count()
    request = ask(
        world,
        asked_discussion,
        f"invitation-{invitation.pk}",
        django_capture_on_commit_callbacks,
        now=AFTER,
        email="health.duty@example.org",  # nobody of health named with an account: the address is typed
    )
    assert request.action == action and request.deadline == action.deadline
    assert Deadline.objects.count() == clocks
    assert not Deadline.objects.filter(rule=Rule.INFORMATION_REQUEST).exists()
    assert request.email == "health.duty@example.org" and request.recipient_organisation == "Invented Health"
    assert action.status == ActionStatus.OPEN


def test_an_agency_that_attended_cannot_be_asked_and_nothing_asked_of_nobody_is_saved(world, asked_discussion, gp):
    builders.start(world, asked_discussion)
    builders.attend(world, asked_discussion)
    police = asked_discussion.invitations.get(agency=world["police_agency"])
    other = builders.convene(world, builders.case(world))
    with pytest.raises(ValidationError) as refused:
        services.information_request_create(
            acting_user=world["tm"],
            checker=builders.checker(world["tm"], asked_discussion),
            recipient=f"invitation-{police.pk}",
            question=" ",
            children=list(other.children.all()),
            now=ASKED,
        )
    assert refused.value.message_dict == {
        "recipient": ["Select who you are asking for information"],
        "question": ["Enter what you are asking for"],
        "children": ["Select children this discussion is about"],
    }
    assert not InformationRequest.objects.exists()


def test_the_email_through_a_real_smtp_server_is_a_link_only_with_no_child_no_reference_no_organisation(
    world, asked_discussion, gp, smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://sd.example.invalid/"
    request = ask(world, asked_discussion, f"external-{gp.pk}", django_capture_on_commit_callbacks)
    assert [m["To"] for m in smtp_server.messages] == [GP_EMAIL]
    text = smtp_server.text(smtp_server.messages[0])
    assert (
        "You have been asked for information for a strategy discussion. Open: https://sd.example.invalid/contribute/"
        in text
    )
    token = token_in(text)
    assert request.token_hash != token and len(token) >= 40  # stored hashed, never as sent
    referral = asked_discussion.referral
    for detail in ("Robin", "Sky", "Testchild", referral.reference, "Invented CSC", "Invented Partnership", QUESTION):
        assert detail not in text


def test_the_chair_asks_through_the_page_and_sees_the_request_with_its_clock_on_the_discussions_requests_page(
    world, asked_discussion, gp, tm_client, persona_client, mailoutbox, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(ASKED, tick=False)
    robin = asked_discussion.children.get(first_name="Robin")
    with django_capture_on_commit_callbacks(execute=True):
        response = tm_client.post(
            f"/discussions/{asked_discussion.pk}/requests/ask/",
            {"recipient": f"external-{gp.pk}", "question": QUESTION, "children": [robin.pk]},
        )
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [[GP_EMAIL]]
    request = InformationRequest.objects.get()
    assert list(request.children.all()) == [robin]
    page = tm_client.get(f"/discussions/{asked_discussion.pk}/requests/").content.decode()
    assert "Dr Invented Practitioner" in page and "Shared: Robin, 5 to 10" in page
    assert "24 November 2026, 10:00" in page and "20 hours left" in page
    assert persona_client("police").get(f"/discussions/{asked_discussion.pk}/requests/").status_code == 200  # invited
    for outside in ("outsider", "analyst", "other_sw"):
        assert persona_client(outside).get(f"/discussions/{asked_discussion.pk}/requests/").status_code == 404


def test_an_empty_request_form_comes_back_with_its_errors_in_the_summary(asked_discussion, gp, tm_client):
    page = tm_client.post(f"/discussions/{asked_discussion.pk}/requests/ask/", {})
    assert page.status_code == 400
    text = page.content.decode()
    assert 'class="govuk-error-summary"' in text
    assert "Select who you are asking for information" in text and "Enter what you are asking for" in text
    assert not InformationRequest.objects.exists()


def test_with_nobody_to_ask_the_page_says_whom_a_request_goes_to_and_offers_no_form(world, tm_client):
    """Every invited agency attended and nobody from outside is invited (a walk of `make run` found the form
    offered with nothing to choose, and "invite an agency" while police and health were invited)."""
    discussion = builders.hold(world, builders.convene(world))
    page = tm_client.get(f"/discussions/{discussion.pk}/requests/ask/").content.decode()
    assert "There is nobody to ask yet." in page and "an agency that attended gives its information" in page
    assert "Send the request" not in page
    assert f'href="/discussions/{discussion.pk}/external-invitees/add/"' in page
    # Sent from a page opened before the last agency attended: the page as it is now, no error on a missing choice.
    stale = tm_client.post(f"/discussions/{discussion.pk}/requests/ask/", {"recipient": "invitation-1"})
    assert stale.status_code == 409 and "There is nobody to ask yet." in stale.content.decode()
    assert "govuk-error-summary" not in stale.content.decode() and not InformationRequest.objects.exists()


def test_the_requests_clock_leads_from_the_work_queue_to_the_discussions_requests(
    world, asked_discussion, gp, tm_client, django_capture_on_commit_callbacks
):
    request = ask(world, asked_discussion, f"external-{gp.pk}", django_capture_on_commit_callbacks)
    response = tm_client.get(f"/deadlines/{request.deadline.pk}/act/")
    assert response.status_code == 302 and response["Location"] == f"/discussions/{asked_discussion.pk}/requests/"


def test_the_requests_page_reads_the_same_number_of_queries_however_many_requests(
    world, asked_discussion, gp, tm_client, django_capture_on_commit_callbacks
):
    ask(world, asked_discussion, f"external-{gp.pk}", django_capture_on_commit_callbacks)
    url = f"/discussions/{asked_discussion.pk}/requests/"
    tm_client.get(url)  # the session and the look are warm
    with CaptureQueriesContext(connection) as one:
        assert tm_client.get(url).status_code == 200
    ask(world, asked_discussion, f"external-{gp.pk}", django_capture_on_commit_callbacks)
    ask(world, asked_discussion, f"external-{gp.pk}", django_capture_on_commit_callbacks, children=[])
    with CaptureQueriesContext(connection) as three:
        assert tm_client.get(url).status_code == 200
    assert len(three.captured_queries) == len(one.captured_queries)


def test_the_automatic_action_links_to_asking_in_writing_and_then_to_the_request(
    world, asked_discussion, django_capture_on_commit_callbacks, tm_client, persona_client
):
    invitation = _hold_without_health(world, asked_discussion)
    action = asked_discussion.agreed_actions.get(automatic=True)
    url = f"/actions/{action.pk}/"
    page = tm_client.get(url).content.decode()
    assert "Information in writing" in page
    assert f'href="/discussions/{asked_discussion.pk}/requests/ask/"' in page  # the chair may ask
    health = persona_client("health").get(url).content.decode()  # health leads the action; it may not ask itself
    assert "Nobody has asked them for their information in writing yet." in health and "/requests/ask/" not in health
    ask(
        world,
        asked_discussion,
        f"invitation-{invitation.pk}",
        django_capture_on_commit_callbacks,
        now=AFTER,
        email="health.duty@example.org",
    )
    page = tm_client.get(url).content.decode()
    assert "Asked of" in page and "Invented Health" in page and "Not yet received" in page
    assert f'href="/discussions/{asked_discussion.pk}/requests/"' in page
    # Any other action's page draws nothing of it.
    other = builders.add_action(world, asked_discussion, lead=world["police_agency"])
    assert "Information in writing" not in tm_client.get(f"/actions/{other.pk}/").content.decode()
