"""The minutes link for a recipient without an account asks for a one-time code (issue 31): sent to that same
address (a real SMTP server here), then the addressee downloads their version as often as they like until the link
expires, each download logged; a forwarded link without the code gives only the code page; links sent before still
work once; the code pages are rate-limited and answer one page for unknown and expired links."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.test import Client

from contributions import limits
from minutes import services
from minutes.models import Circulation, ExternalDownload, Kind, Sends
from tests.minutes.conftest import AFTER, SECRET, minutes_checker, share_with_family

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://testserver(/minutes/link/[^/\s]+/)")
CODE = re.compile(r"Your code is (\d{6})")
PARENT = "mum@example.org"
DOES_NOT_WORK = "This link does not work"


@pytest.fixture(autouse=True)
def _fresh_minutes_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sent(world, held, settings, smtp_server, time_machine, django_capture_on_commit_callbacks):
    """Version 1 approved and circulated on Tuesday at 13:00: the parent (no account) sent the family summary.
    Returns the parent's circulation, the link's path and the SMTP server."""
    time_machine.move_to(AFTER, tick=False)
    settings.SITE_URL = "http://testserver"
    services.distribution_save(  # only the parent is sent anything
        acting_user=world["tm"],
        checker=minutes_checker(world["tm"], held),
        emails={},
        choices={recipient.pk: Sends.NONE for recipient in services.recipients(held)},
    )
    parent = services.recipient_add(
        acting_user=world["tm"],
        checker=minutes_checker(world["tm"], held),
        data=services.RecipientInput(
            name="Invented Parent", role="Mother", organisation="", email=PARENT, family=True, sends=Sends.SUMMARY
        ),
    )
    share_with_family(world, held)
    services.minutes_approve(acting_user=world["tm"], checker=minutes_checker(world["tm"], held), now=AFTER)
    with django_capture_on_commit_callbacks(execute=True):
        services.minutes_circulate(acting_user=world["admin"], checker=minutes_checker(world["admin"], held), now=AFTER)
    (message,) = smtp_server.messages
    assert message["To"] == PARENT
    circulation = Circulation.objects.get(recipient=parent)
    return circulation, LINK.search(smtp_server.text(message)).group(1), smtp_server


def code_for(client: Client, link: str, smtp_server, capture) -> str:
    """Ask for a code on the link's page; the code as emailed (to the parent's address only)."""
    before = len(smtp_server.messages)
    with capture(execute=True):
        response = client.post(f"{link}send-code/")
    assert response.status_code == 302 and response["Location"] == f"{link}code/"
    (message,) = smtp_server.messages[before:]
    assert message["To"] == PARENT
    return CODE.search(smtp_server.text(message)).group(1)


def test_the_addressee_opens_the_link_with_a_code_and_downloads_several_times_each_logged(
    sent, world, held, django_capture_on_commit_callbacks
):
    circulation, link, smtp_server = sent
    text = " ".join(smtp_server.text(smtp_server.messages[0]).split())
    assert "send a code to this email address" in text and "works once" not in text
    assert "Robin" not in text and held.referral.reference not in text
    assert circulation.code_link and circulation.token_hash
    client = Client()
    start = client.get(link)
    page = start.content.decode()
    assert start.status_code == 200 and "m***@example.org" in page and PARENT not in page and "Send me a code" in page
    assert "Download the family summary" not in page
    assert start["Cache-Control"] == "no-store" and start["Referrer-Policy"] == "same-origin"
    refused = client.post(link)  # no code yet: the page that sends one, never the PDF
    assert refused["Content-Type"].startswith("text/html") and not ExternalDownload.objects.exists()
    code = code_for(client, link, smtp_server, django_capture_on_commit_callbacks)
    circulation.refresh_from_db()
    assert circulation.code_hash and code not in circulation.code_hash  # kept hashed
    entered = client.post(f"{link}code/", {"code": code})
    assert entered.status_code == 302 and entered["Location"] == link
    opened = client.get(link).content.decode()
    assert "Download the family summary (PDF)" in opened and "You can download it in this browser until" in opened
    child = held.children.get()
    assert child.last_name not in opened and held.referral.reference not in opened
    document = circulation.version.documents.get(kind=Kind.SUMMARY)
    for _ in range(3):
        download = client.post(link)
        assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
        assert download["Content-Disposition"].startswith("attachment;")
        assert download.content == bytes(document.pdf) and SECRET.encode() not in download.content
    assert ExternalDownload.objects.filter(circulation=circulation).count() == 3
    circulation.refresh_from_db()
    assert circulation.used_at == AFTER  # the first download
    assert client.get(f"{link}code/").status_code == 302  # verified already: back to the link


def test_a_forwarded_link_without_the_code_gets_only_the_code_page(sent, django_capture_on_commit_callbacks):
    circulation, link, smtp_server = sent
    addressee = Client()
    code = code_for(addressee, link, smtp_server, django_capture_on_commit_callbacks)
    forwarded = Client()
    page = forwarded.get(link).content.decode()
    assert "Send me a code" in page and "Download the family summary" not in page
    assert forwarded.post(link)["Content-Type"].startswith("text/html")
    wrong = forwarded.post(f"{link}code/", {"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 400 and "The code is not right" in wrong.content.decode()
    # Asking for a code from the forwarded browser sends it to the addressee, never to whoever holds the link.
    code_for(forwarded, link, smtp_server, django_capture_on_commit_callbacks)
    assert not ExternalDownload.objects.exists()


def test_a_code_works_once_and_for_15_minutes(sent, time_machine, django_capture_on_commit_callbacks):
    _circulation, link, smtp_server = sent
    first = Client()
    code = code_for(first, link, smtp_server, django_capture_on_commit_callbacks)
    assert first.post(f"{link}code/", {"code": code}).status_code == 302
    reused = Client().post(f"{link}code/", {"code": code})
    assert reused.status_code == 400 and "each code works once" in reused.content.decode()
    late = Client()
    code = code_for(late, link, smtp_server, django_capture_on_commit_callbacks)
    time_machine.move_to(AFTER + dt.timedelta(minutes=16), tick=False)
    expired = late.post(f"{link}code/", {"code": code})
    assert expired.status_code == 400 and "This code has expired" in expired.content.decode()


def test_a_link_sent_before_the_codes_still_works_once(links_sent_before_codes, sent):
    circulation, link, smtp_server = sent
    assert not circulation.code_link and "works once" in " ".join(smtp_server.text(smtp_server.messages[0]).split())
    client = Client()
    page = client.get(link).content.decode()
    assert "This link works once" in page and "Send me a code" not in page
    download = client.post(link)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert client.post(link).status_code == 404 and DOES_NOT_WORK in client.get(link).content.decode()
    assert ExternalDownload.objects.filter(circulation=circulation).count() == 1
    # Its token opens none of the code pages.
    for path in (f"{link}code/", f"{link}send-code/"):
        assert client.post(path).status_code == 404


def test_after_the_window_the_link_and_its_code_pages_answer_one_page(
    sent, settings, time_machine, django_capture_on_commit_callbacks
):
    _circulation, link, smtp_server = sent
    client = Client()
    code = code_for(client, link, smtp_server, django_capture_on_commit_callbacks)
    assert client.post(f"{link}code/", {"code": code}).status_code == 302
    assert client.post(link)["Content-Type"] == "application/pdf"
    time_machine.move_to(AFTER + dt.timedelta(days=settings.MINUTES_LINK_DAYS, minutes=1), tick=False)
    pages = set()
    for method, path in (("get", link), ("post", link), ("get", f"{link}code/"), ("post", f"{link}send-code/")):
        response = getattr(client, method)(path)
        assert response.status_code == 404, (method, path)
        pages.add(response.content.decode().split("<main", 1)[1])
    assert len(pages) == 1 and DOES_NOT_WORK in pages.pop()
    unknown = Client().get("/minutes/link/not-a-real-token/code/")
    assert unknown.status_code == 404 and DOES_NOT_WORK in unknown.content.decode()
    assert ExternalDownload.objects.count() == 1


def test_the_code_pages_are_rate_limited_per_link_and_per_address(
    sent, monkeypatch, django_capture_on_commit_callbacks
):
    _circulation, link, smtp_server = sent
    client = Client()
    for _ in range(limits.LIMITS["send-link"]):
        code_for(client, link, smtp_server, django_capture_on_commit_callbacks)
    before = len(smtp_server.messages)
    with django_capture_on_commit_callbacks(execute=True):
        limited = client.post(f"{link}send-code/")
    assert limited.status_code == 429 and "You have asked for too many codes" in limited.content.decode()
    assert len(smtp_server.messages) == before  # no code sent
    for _ in range(limits.LIMITS["check-link"]):
        assert client.post(f"{link}code/", {"code": "123456"}).status_code == 400
    checked = client.post(f"{link}code/", {"code": "123456"})
    assert checked.status_code == 429 and limits.MESSAGE in checked.content.decode()
    monkeypatch.setitem(limits.LIMITS, "check-link", 1000)
    monkeypatch.setitem(limits.LIMITS, "check-address", 2)
    cache.clear()
    for _ in range(2):
        assert Client(REMOTE_ADDR="192.0.2.7").post(f"{link}code/", {"code": "1"}).status_code == 400
    assert Client(REMOTE_ADDR="192.0.2.7").post(f"{link}code/", {"code": "1"}).status_code == 429
    assert Client(REMOTE_ADDR="192.0.2.8").post(f"{link}code/", {"code": "1"}).status_code == 400
