"""The emailed link (issue 31): a one-time code to the address asked, the contribution sent once, the clock met or
the automatic action completed, one page for unknown, expired and used links, and the rate limits."""

import datetime as dt

import pytest
from django.test import Client

from actions.models import ActionStatus
from contributions.models import Contribution, InformationRequest
from contributions.services import CODE_MINUTES
from referrals.models import DeadlineState
from tests.contributions.conftest import ASKED, FILLED, GP_EMAIL, ask, code_in, token_in, verify
from tests.contributions.test_requests import AFTER, _hold_without_health

pytestmark = pytest.mark.django_db

NOT_VALID = "This link has expired or is not valid"


@pytest.fixture
def asked(world, asked_discussion, gp, mailoutbox, time_machine, django_capture_on_commit_callbacks):
    """The GP asked on Monday at 14:00; the clock stands there. Returns the request and its link's token."""
    time_machine.move_to(ASKED, tick=False)
    request = ask(world, asked_discussion, f"external-{gp.pk}", django_capture_on_commit_callbacks)
    return request, token_in(mailoutbox[-1].body)


def test_the_link_asks_for_a_code_sent_only_to_the_address_asked_and_the_right_code_opens_the_form(
    asked, client, smtp_server, django_capture_on_commit_callbacks
):
    request, token = asked
    start = client.get(f"/contribute/{token}/")
    assert start.status_code == 200
    page = start.content.decode()
    assert "g***@example.org" in page and GP_EMAIL not in page and "Send me a code" in page
    assert start["Cache-Control"] == "no-store" and start["Referrer-Policy"] == "same-origin"
    for hidden in ("Robin", "Invented: when did the practice"):
        assert hidden not in page  # nothing of the request before the code
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"/contribute/{token}/send-code/")
    assert sent.status_code == 302 and sent["Location"] == f"/contribute/{token}/code/"
    assert [m["To"] for m in smtp_server.messages] == [GP_EMAIL]
    mail = smtp_server.text(smtp_server.messages[0])
    code = code_in(mail)
    assert "Robin" not in mail and request.discussion.referral.reference not in mail
    request.refresh_from_db()
    assert request.code_hash and code not in request.code_hash  # kept hashed
    opened = client.post(f"/contribute/{token}/code/", {"code": code})
    assert opened.status_code == 302
    form = client.get(f"/contribute/{token}/").content.decode()
    assert "Invented: when did the practice last see the children" in form
    assert "Robin, 5 to 10" in form and "Sky, 5 to 10" in form
    assert "Testchild" not in form and request.discussion.referral.reference not in form


def test_the_send_a_code_address_opened_as_a_page_says_so_and_keeps_the_links_headers(asked, client):
    """It only takes the button's POST: opened as a page (a kept link), a 405 page, never cached, whose links send
    no token-bearing Referer to another site, and which asks nothing of the request."""
    _request, token = asked
    response = client.get(f"/contribute/{token}/send-code/")
    page = response.content.decode()
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert "This address saves a form" in page and "Robin" not in page
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "same-origin"


def test_a_forwarded_link_opened_in_another_session_without_the_code_gets_only_the_send_a_code_page(
    asked, client, mailoutbox, django_capture_on_commit_callbacks
):
    _request, token = asked
    verify(client, token, mailoutbox, django_capture_on_commit_callbacks)  # the GP's own browser
    forwarded = Client()
    page = forwarded.get(f"/contribute/{token}/")
    assert page.status_code == 200 and "Send me a code" in page.content.decode()
    assert "Invented: when did the practice" not in page.content.decode()
    assert forwarded.post(f"/contribute/{token}/", FILLED).status_code == 200  # the code page again, nothing sent
    assert not Contribution.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        forwarded.post(f"/contribute/{token}/send-code/")
    assert mailoutbox[-1].to == [GP_EMAIL]  # the code goes to the address asked, never to whoever forwarded it


def test_a_wrong_code_is_refused_and_counted_and_after_5_wrong_tries_even_the_right_code_needs_a_new_one(
    asked, client, mailoutbox, django_capture_on_commit_callbacks
):
    request, token = asked
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/contribute/{token}/send-code/")
    code = code_in(mailoutbox[-1].body)
    wrong = "000000" if code != "000000" else "111111"
    first = client.post(f"/contribute/{token}/code/", {"code": wrong})
    assert first.status_code == 400 and "The code is not right: check the email and try again" in first.content.decode()
    for _ in range(4):
        last = client.post(f"/contribute/{token}/code/", {"code": wrong})
    assert "too many wrong codes have been entered: send a new code" in last.content.decode()
    request.refresh_from_db()
    assert request.code_wrong_tries == 5
    refused = client.post(f"/contribute/{token}/code/", {"code": code})
    assert refused.status_code == 400 and "Too many wrong codes" in refused.content.decode()
    assert "Send me a code" in client.get(f"/contribute/{token}/").content.decode()
    verify(client, token, mailoutbox, django_capture_on_commit_callbacks)  # a new code works


def test_a_code_works_once_and_for_15_minutes(
    asked, client, mailoutbox, time_machine, django_capture_on_commit_callbacks
):
    _request, token = asked
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/contribute/{token}/send-code/")
    code = code_in(mailoutbox[-1].body)
    assert client.post(f"/contribute/{token}/code/", {"code": code}).status_code == 302
    again = Client().post(f"/contribute/{token}/code/", {"code": code})  # the same code, used already
    assert again.status_code == 400 and "each code works once" in again.content.decode()
    late = Client()
    with django_capture_on_commit_callbacks(execute=True):
        late.post(f"/contribute/{token}/send-code/")
    time_machine.move_to(ASKED + dt.timedelta(minutes=CODE_MINUTES, seconds=1), tick=False)
    expired = late.post(f"/contribute/{token}/code/", {"code": code_in(mailoutbox[-1].body)})
    assert expired.status_code == 400 and "This code has expired" in expired.content.decode()


def test_the_contribution_is_sent_once_meets_the_clock_and_the_link_then_thanks_only_that_browser(
    asked, client, mailoutbox, django_capture_on_commit_callbacks
):
    request, token = asked
    verify(client, token, mailoutbox, django_capture_on_commit_callbacks)
    sent = client.post(f"/contribute/{token}/", FILLED)
    assert sent.status_code == 302
    contribution = Contribution.objects.get()
    assert contribution.concerns == FILLED["concerns"] and contribution.shareable_with_family is False
    assert (contribution.author_name, contribution.author_organisation) == (
        "Dr Invented Practitioner",
        "Invented Surgery",
    )
    assert contribution.submitted_at == ASKED
    history = contribution.history.get()
    assert history.history_user is None
    assert (
        history.history_change_reason == "Sent through the secure link by Dr Invented Practitioner (Invented Surgery)"
    )
    request.refresh_from_db()
    assert request.submitted_at == ASKED
    assert (request.deadline.state, request.deadline.met_at) == (DeadlineState.MET, ASKED)
    assert request.deadline.met_by == "Information received"
    thanks = client.get(f"/contribute/{token}/")
    assert thanks.status_code == 200 and "Thank you: your information has been sent" in thanks.content.decode()
    again = client.post(f"/contribute/{token}/", {**FILLED, "concerns": "Invented second go"})
    assert again.status_code == 200 and "Thank you" in again.content.decode()  # nothing more taken
    assert Contribution.objects.get().concerns == FILLED["concerns"]
    other = Client().get(f"/contribute/{token}/")
    assert other.status_code == 404 and NOT_VALID in other.content.decode()


def test_the_contribution_to_health_after_the_meeting_completes_the_automatic_action(
    world, asked_discussion, client, mailoutbox, time_machine, django_capture_on_commit_callbacks
):
    invitation = _hold_without_health(world, asked_discussion)
    time_machine.move_to(AFTER, tick=False)
    request = ask(
        world,
        asked_discussion,
        f"invitation-{invitation.pk}",
        django_capture_on_commit_callbacks,
        now=AFTER,
        email="health.duty@example.org",
    )
    token = token_in(mailoutbox[-1].body)
    verify(client, token, mailoutbox, django_capture_on_commit_callbacks)
    assert client.post(f"/contribute/{token}/", FILLED).status_code == 302
    action = request.action
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE
    assert action.completion_note == (f"Sent through the secure link by {request.recipient_name} (Invented Health)")
    assert action.deadline.state == DeadlineState.MET and action.deadline.met_at == AFTER
    assert action.history.first().history_user == world["tm"]  # recorded as done on receipt for who asked


def test_a_contribution_needs_one_part_at_least_and_each_part_has_a_limit(
    asked, client, mailoutbox, django_capture_on_commit_callbacks
):
    _request, token = asked
    verify(client, token, mailoutbox, django_capture_on_commit_callbacks)
    empty = client.post(f"/contribute/{token}/", {})
    text = empty.content.decode()
    assert empty.status_code == 400 and 'class="govuk-error-summary"' in text
    assert "Write at least one part of your contribution" in text
    assert "Select yes if what you have written may be shared with the family" in text
    long = client.post(f"/contribute/{token}/", {**FILLED, "risks": "x" * 5001})
    assert long.status_code == 400
    assert "Risks you know of must be 5,000 characters or fewer" in long.content.decode()
    assert not Contribution.objects.exists()


def test_unknown_expired_and_used_links_answer_one_page_with_one_status(
    asked, client, mailoutbox, time_machine, django_capture_on_commit_callbacks
):
    request, token = asked
    unknown = Client().get("/contribute/not-a-token/")
    verify(client, token, mailoutbox, django_capture_on_commit_callbacks)
    client.post(f"/contribute/{token}/", FILLED)
    used = Client().get(f"/contribute/{token}/")
    InformationRequest.objects.filter(pk=request.pk).update(submitted_at=None)  # as if never sent: the window decides
    time_machine.move_to(request.link_ends_at, tick=False)
    expired = Client().get(f"/contribute/{token}/")
    expired_post = Client().post(f"/contribute/{token}/send-code/")
    pages = {r.status_code for r in (unknown, used, expired, expired_post)}
    assert pages == {404}
    bodies = {r.content.decode().split("<main", 1)[1] for r in (unknown, used, expired, expired_post)}
    assert len(bodies) == 1 and NOT_VALID in bodies.pop()


def test_codes_are_rate_limited_per_link_with_a_clear_message(
    asked, client, mailoutbox, django_capture_on_commit_callbacks
):
    _request, token = asked
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            assert client.post(f"/contribute/{token}/send-code/").status_code == 302
        limited = client.post(f"/contribute/{token}/send-code/")
    assert limited.status_code == 429
    assert "You have asked for too many codes. Wait an hour, then try again" in limited.content.decode()
    assert len(mailoutbox) == 1 + 5  # the request, and five codes: no sixth


def test_code_checks_are_rate_limited_per_link_and_per_client_address(asked, client, monkeypatch):
    _request, token = asked
    from contributions import limits

    for _ in range(limits.LIMITS["check-link"]):
        assert client.post(f"/contribute/{token}/code/", {"code": "123456"}).status_code == 400
    limited = client.post(f"/contribute/{token}/code/", {"code": "123456"})
    assert limited.status_code == 429
    assert "You have tried too many times. Wait an hour, then try again" in limited.content.decode()
    monkeypatch.setitem(limits.LIMITS, "check-link", 1000)
    monkeypatch.setitem(limits.LIMITS, "check-address", 3)
    for _ in range(3):
        assert Client(REMOTE_ADDR="192.0.2.7").post(f"/contribute/{token}/code/", {"code": "1"}).status_code == 400
    assert Client(REMOTE_ADDR="192.0.2.7").post(f"/contribute/{token}/code/", {"code": "1"}).status_code == 429
    assert Client(REMOTE_ADDR="192.0.2.8").post(f"/contribute/{token}/code/", {"code": "1"}).status_code == 400


def test_behind_the_proxy_each_client_is_counted_by_its_own_address_not_the_proxys(asked, settings, monkeypatch):
    """One person asking again and again uses up their own count, not every recipient's: the address is the one the
    trusted proxy saw (X-Forwarded-For), never the proxy's."""
    _request, token = asked
    from contributions import limits

    settings.PROXY_COUNT = 1
    monkeypatch.setitem(limits.LIMITS, "check-link", 1000)
    monkeypatch.setitem(limits.LIMITS, "check-address", 3)

    def through_proxy(client_address: str) -> int:
        proxied = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=client_address)
        return proxied.post(f"/contribute/{token}/code/", {"code": "1"}).status_code

    assert [through_proxy("198.51.100.1") for _ in range(4)] == [400, 400, 400, 429]
    assert through_proxy("198.51.100.2") == 400  # another client behind the same proxy is not blocked


def test_the_proof_of_the_code_lasts_as_long_as_an_idle_session_not_the_cookies_days(
    asked, client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    _request, token = asked
    verify(client, token, mailoutbox, django_capture_on_commit_callbacks)
    assert client.session.get_expiry_age() == settings.SESSION_IDLE_MINUTES * 60
