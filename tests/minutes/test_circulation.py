"""Circulation: a link to each recipient (never the PDF), recorded against the 48-hour clock; the emailed link for a
recipient who is not a user works once, for that version only, until it expires."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.exceptions import ValidationError

from minutes import services
from minutes.models import Circulation, ExternalDownload, Kind, Sends, Source
from referrals.models import DeadlineState
from tests.minutes.conftest import AFTER, SECRET, minutes_checker, share_with_family

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://testserver(/minutes/link/[^/\s]+/)")


@pytest.fixture
def approved(world, held, settings):
    settings.SITE_URL = "http://testserver"
    recipients = services.recipients(held)
    for recipient in recipients:
        if recipient.user_id:
            recipient.user.email = f"{recipient.user.username}@example.org"
            recipient.user.save()
    services.distribution_save(
        acting_user=world["admin"],
        checker=minutes_checker(world["admin"], held),
        emails={r.pk: f"recipient{r.pk}@example.org" for r in recipients if not r.user_id},
    )
    parent = services.recipient_add(
        acting_user=world["tm"],
        checker=minutes_checker(world["tm"], held),
        data=services.RecipientInput(
            name="Invented Parent",
            role="Mother",
            organisation="",
            email="mum@example.org",
            family=True,
            sends=Sends.SUMMARY,
        ),
    )
    share_with_family(world, held)
    version = services.minutes_approve(acting_user=world["tm"], checker=minutes_checker(world["tm"], held), now=AFTER)
    return {"discussion": held, "version": version, "parent": parent}


def circulate(world, discussion, *, now=AFTER, user="admin"):
    return services.minutes_circulate(
        acting_user=world[user], checker=minutes_checker(world[user], discussion), now=now
    )


def test_the_minutes_cannot_be_circulated_before_the_chair_approves_them(world, held):
    with pytest.raises(ValidationError, match="must approve the minutes before"):
        circulate(world, held)


def test_a_recipient_without_an_email_address_stops_the_whole_circulation(world, held, admin_client):
    services.minutes_approve(acting_user=world["tm"], checker=minutes_checker(world["tm"], held), now=AFTER)
    response = admin_client.post(f"/discussions/{held.pk}/minutes/circulate/")
    assert response.status_code == 400
    page = response.content.decode()
    gp = held.recipients.get(source=Source.GP)
    assert f'<a href="#id_email-{gp.pk}">Enter an email address for GP (Invented Surgery)' in page
    assert not Circulation.objects.exists()
    held.minutes_deadline.refresh_from_db()
    assert held.minutes_deadline.state == DeadlineState.OPEN


def test_circulating_sends_each_recipient_a_link_only_and_meets_the_clock(
    world, approved, mailoutbox, django_capture_on_commit_callbacks
):
    discussion = approved["discussion"]
    with django_capture_on_commit_callbacks(execute=True):
        sent = circulate(world, discussion)
    recipients = {r.pk: r for r in discussion.recipients.filter(removed_at=None)}
    assert {c.recipient_id for c in sent} == {pk for pk, r in recipients.items() if r.sends != Sends.NONE}
    assert {c.kind for c in sent if c.recipient_id == approved["parent"].pk} == {Kind.SUMMARY}
    assert all(c.version == approved["version"] and c.sent_by == world["admin"] for c in sent)
    assert len(mailoutbox) == len(sent)
    child = discussion.children.get()
    for message in mailoutbox:
        body = message.subject + message.body
        assert "http://testserver/" in body
        for detail in (child.first_name, child.last_name, discussion.referral.reference, SECRET, "Invented Surgery"):
            assert detail not in body
        assert not message.attachments
    users = {c.recipient.user.email for c in sent if c.recipient.user_id}
    for message in mailoutbox:
        if message.to[0] in users:
            assert f"/discussions/{discussion.pk}/minutes/" in message.body and "Sign in" in message.body
        else:
            assert LINK.search(message.body)
    deadline = discussion.minutes_deadline
    deadline.refresh_from_db()
    assert deadline.state == DeadlineState.MET and deadline.met_at == AFTER and not deadline.met_late
    assert Circulation.objects.filter(emailed_at=None).count() == 0


def test_circulating_again_sends_only_who_has_not_had_that_version_as_chosen(
    world, approved, mailoutbox, django_capture_on_commit_callbacks
):
    """A walk: circulating after adding a recipient sent everyone a second copy."""
    discussion = approved["discussion"]
    with django_capture_on_commit_callbacks(execute=True):
        first = circulate(world, discussion)
    aunt = services.recipient_add(
        acting_user=world["tm"],
        checker=minutes_checker(world["tm"], discussion),
        data=services.RecipientInput(
            name="Invented Aunt",
            role="Aunt",
            organisation="",
            email="aunt@example.org",
            family=True,
            sends=Sends.SUMMARY,
        ),
    )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        second = circulate(world, discussion)
    assert [c.recipient for c in second] == [aunt]
    assert [m.to for m in mailoutbox] == [["aunt@example.org"]]
    assert Circulation.objects.count() == len(first) + 1
    with pytest.raises(ValidationError) as nothing:
        circulate(world, discussion)
    assert nothing.value.messages == [
        f"Everyone on the distribution list has been sent version {approved['version'].number} already: nothing to send"
    ]


def test_circulating_again_sends_again_what_was_never_emailed(
    world, approved, mailoutbox, django_capture_on_commit_callbacks
):
    """A review: with "sent already" counting a circulation whose email never went, there was no way to send it."""
    discussion = approved["discussion"]
    first = circulate(world, discussion)  # its emails would go when the transaction commits: here, they never do
    assert not mailoutbox and Circulation.objects.filter(emailed_at=None).count() == len(first)
    with django_capture_on_commit_callbacks(execute=True):
        again = circulate(world, discussion)
    assert {c.recipient_id for c in again} == {c.recipient_id for c in first}
    assert len(mailoutbox) == len(again)


def test_circulating_after_48_hours_records_the_minutes_as_late(world, approved):
    discussion = approved["discussion"]
    late = discussion.minutes_deadline.due_at + dt.timedelta(hours=1)
    with time_machine.travel(late, tick=False):
        circulate(world, discussion, now=late)
    discussion.minutes_deadline.refresh_from_db()
    assert discussion.minutes_deadline.met_late


def _links(mailoutbox) -> dict[str, str]:
    return {m.to[0]: LINK.search(m.body).group(1) for m in mailoutbox if LINK.search(m.body)}


def test_the_emailed_link_gives_that_version_once_to_someone_signed_out(
    links_sent_before_codes, world, approved, client, mailoutbox, django_capture_on_commit_callbacks
):
    """A link sent before issue 31 (single-use; since then a code opens it: tests/minutes/test_code_link.py)."""
    discussion, version = approved["discussion"], approved["version"]
    with django_capture_on_commit_callbacks(execute=True):
        circulate(world, discussion)
    links = _links(mailoutbox)
    family_link, gp_link = (
        links["mum@example.org"],
        links[f"recipient{discussion.recipients.get(source=Source.GP).pk}@example.org"],
    )
    page = client.get(family_link)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Download the family summary (PDF)" in text and "version 1 of the family summary" in text
    child = discussion.children.get()
    assert child.last_name not in text and discussion.referral.reference not in text
    download = client.post(family_link)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download.content == bytes(version.documents.get(kind=Kind.SUMMARY).pdf)
    assert SECRET.encode() not in download.content
    assert client.post(family_link).status_code == 404  # once only
    assert client.get(family_link).status_code == 404
    assert ExternalDownload.objects.filter(circulation__recipient=approved["parent"]).count() == 1
    client.force_login(world["tm"])
    looks = client.get(f"/referrals/{discussion.referral.pk}/looks/").content.decode()
    assert "Minutes downloaded through an emailed link" in looks and "Invented Parent" in looks
    client.logout()
    gp = client.post(gp_link)
    assert gp.content == bytes(version.documents.get(kind=Kind.FULL).pdf)
    assert client.get(f"/discussions/{discussion.pk}/minutes/").status_code == 302  # nothing else of the case


def test_the_emailed_link_expires(world, approved, client, mailoutbox, django_capture_on_commit_callbacks, settings):
    discussion = approved["discussion"]
    with django_capture_on_commit_callbacks(execute=True):
        circulate(world, discussion)
    link = _links(mailoutbox)["mum@example.org"]
    with time_machine.travel(AFTER + dt.timedelta(days=settings.MINUTES_LINK_DAYS, minutes=1), tick=False):
        assert client.get(link).status_code == 404
        assert client.post(link).status_code == 404
    assert client.get("/minutes/link/not-a-real-token/").status_code == 404
    assert client.post("/minutes/link/" + "x" * 150 + "/").status_code == 404
    assert not ExternalDownload.objects.exists()


def test_a_later_version_leaves_an_earlier_link_on_its_own_version(
    links_sent_before_codes, world, approved, client, mailoutbox, django_capture_on_commit_callbacks
):
    """Downloaded without a code: a link sent before issue 31 (the code-protected one: test_code_link.py)."""
    discussion, v1 = approved["discussion"], approved["version"]
    with django_capture_on_commit_callbacks(execute=True):
        circulate(world, discussion)
    link = _links(mailoutbox)["mum@example.org"]
    services.distribution_save(
        acting_user=world["tm"],
        checker=minutes_checker(world["tm"], discussion),
        emails={},
        choices={approved["parent"].pk: Sends.NONE},
    )
    v2 = services.minutes_approve(acting_user=world["tm"], checker=minutes_checker(world["tm"], discussion), now=AFTER)
    assert v2.number == 2
    download = client.post(link)
    assert download.content == bytes(v1.documents.get(kind=Kind.SUMMARY).pdf)
    assert 'filename="' + f"{discussion.referral.reference}-family-summary-v1.pdf" + '"' == download[
        "Content-Disposition"
    ].removeprefix("attachment; ")


def test_circulation_is_shown_on_the_minutes_page(world, approved, admin_client, django_capture_on_commit_callbacks):
    discussion = approved["discussion"]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/discussions/{discussion.pk}/minutes/circulate/")
    assert response.status_code == 302
    page = admin_client.get(f"/discussions/{discussion.pk}/minutes/").content.decode()
    assert "Not yet used (until" in page and "1, family summary" in page and "To their account" in page
    assert "circulated 24 November 2026, 13:00" in page and "in time" in page


def test_the_link_pages_keep_the_token_on_this_site_and_let_the_button_post_back(
    links_sent_before_codes, world, approved, mailoutbox, django_capture_on_commit_callbacks
):
    """`same-origin`, never `no-referrer`: with no-referrer a browser posts `Origin: null` and CSRF refuses it
    (tests/e2e/test_minutes_link.py opens the link in Chromium)."""
    from django.test import Client

    with django_capture_on_commit_callbacks(execute=True):
        circulate(world, approved["discussion"])
    link = _links(mailoutbox)["mum@example.org"]
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(link)
    assert page["Referrer-Policy"] == "same-origin" and page["Cache-Control"] == "no-store"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    download = browser.post(link, {"csrfmiddlewaretoken": token}, headers={"Origin": "http://testserver"})
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Referrer-Policy"] == "same-origin"
    used = browser.get(link)
    assert used.status_code == 404 and used["Referrer-Policy"] == "same-origin"


def test_the_circulation_message_names_who_is_waiting_for_the_chair_to_choose_what_they_are_sent(
    world, approved, admin_client
):
    """Business support adds a recipient; only the chair chooses what they are sent, so circulating leaves them out.
    A walk of `make run` found them left out in silence ("sent to 8 recipients")."""
    discussion = approved["discussion"]
    services.recipient_add(
        acting_user=world["admin"],
        checker=minutes_checker(world["admin"], discussion),
        data=services.RecipientInput(
            name="Kim Invented",
            role="Housing officer",
            organisation="Invented Housing",
            email="kim@example.org",
            family=False,
            sends=Sends.FULL,
        ),
    )
    response = admin_client.post(f"/discussions/{discussion.pk}/minutes/circulate/", follow=True)
    page = response.content.decode()
    assert "Not sent, until the chair chooses what they are sent: Kim Invented" in page
    assert not Circulation.objects.filter(recipient__name="Kim Invented").exists()
