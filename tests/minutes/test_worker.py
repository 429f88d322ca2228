"""The PDFs of an approved version are rendered by a real Celery worker on Redis, and the minutes page's queries do
not grow with its rows."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.celery import app as celery_app
from core import queue
from minutes import services
from minutes.models import DraftDocument, Kind, MinutesDocument, Sends
from referrals.models import CaseView
from tests.actions.test_sweep_reliability import _broker
from tests.minutes.conftest import AFTER, add_later_information, minutes_checker, pdf_pages, share_with_family
from tests.services import RedisServer


@pytest.mark.django_db(transaction=True)
def test_approving_queues_the_pdfs_and_a_real_worker_renders_them_once(world, held):
    share_with_family(world, held)
    with start_worker(celery_app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
        version = services.minutes_approve(
            acting_user=world["tm"], checker=minutes_checker(world["tm"], held), now=AFTER
        )
        until = time.monotonic() + 60
        while MinutesDocument.objects.filter(version=version).count() < 2 and time.monotonic() < until:
            time.sleep(0.3)
    documents = {d.kind: d for d in MinutesDocument.objects.filter(version=version)}
    assert set(documents) == {Kind.FULL, Kind.SUMMARY}
    before = {kind: d.sha256 for kind, d in documents.items()}
    assert {k: d.sha256 for k, d in services.documents_ensure(version).items()} == before  # never rendered twice


@pytest.mark.django_db(transaction=True)
def test_a_draft_pdf_is_prepared_by_a_real_worker_then_downloaded(world, held, tm_client, tmp_path):
    url = reverse("minutes:draft_pdf", args=[held.pk, Kind.FULL])
    first = tm_client.get(url)  # no worker yet: the request only queues it
    assert first.status_code == 200 and first["Content-Type"].startswith("text/html")
    assert "Preparing the draft PDF" in first.content.decode()
    assert not DraftDocument.objects.exists()
    with start_worker(celery_app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
        until = time.monotonic() + 60
        while not DraftDocument.objects.filter(discussion=held).exists() and time.monotonic() < until:
            time.sleep(0.2)
    response = tm_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{held.referral.reference}-minutes-draft-full.pdf"'
    text = " ".join(pdf_pages(response.content, tmp_path))
    assert "DRAFT" in text and held.referral.reference in text
    assert CaseView.objects.filter(user=world["tm"], page="minutes draft (full) PDF").count() == 1
    add_later_information(world, held, now=AFTER)
    assert "Preparing the draft PDF" in tm_client.get(url).content.decode()


@pytest.mark.django_db
def test_with_the_broker_down_the_draft_is_rendered_in_the_request_as_before(held, tm_client, tmp_path):
    redis = RedisServer(tmp_path).start()
    with _broker(redis):
        redis.stop()
        response = tm_client.get(reverse("minutes:draft_pdf", args=[held.pk, Kind.FULL]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "DRAFT" in " ".join(pdf_pages(response.content, tmp_path))
    assert not DraftDocument.objects.exists()  # only the worker stores drafts


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_approving_answers_at_once_and_leaves_the_pdfs_to_the_catch_up(world, held, tmp_path):
    """One attempt to reach the broker, of at most BROKER_WAIT_SECONDS (core.queue): kombu alone would retry the
    connection for ever and the team manager's approval would hang."""
    redis = RedisServer(tmp_path).start()
    with _broker(redis):
        redis.stop()
        started = time.monotonic()
        version = services.minutes_approve(
            acting_user=world["tm"], checker=minutes_checker(world["tm"], held), now=AFTER
        )
        waited = time.monotonic() - started
    assert waited < queue.BROKER_WAIT_SECONDS + 2, waited
    assert version.approved_at == AFTER and not MinutesDocument.objects.filter(version=version).exists()


@pytest.mark.django_db
def test_the_minutes_page_makes_the_same_queries_whatever_the_number_of_recipients(world, held, tm_client):
    built = services.recipients(held)
    checker = minutes_checker(world["tm"], held)
    services.distribution_save(
        acting_user=world["tm"], checker=checker, emails={}, choices={r.pk: Sends.NONE for r in built}
    )
    url = f"/discussions/{held.pk}/minutes/"

    def add(count: int) -> None:
        for n in range(count):
            services.recipient_add(
                acting_user=world["tm"],
                checker=checker,
                data=services.RecipientInput(
                    name=f"Invented Recipient {n}",
                    role="",
                    organisation="",
                    email=f"r{n}@example.org",
                    family=False,
                    sends=Sends.FULL,
                ),
            )

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert tm_client.get(url).status_code == 200
        return len(context.captured_queries)

    add(2)
    services.minutes_approve(acting_user=world["tm"], checker=checker, now=AFTER)
    services.minutes_circulate(acting_user=world["tm"], checker=minutes_checker(world["tm"], held), now=AFTER)
    few = queries()
    add(10)
    services.minutes_approve(acting_user=world["tm"], checker=checker, now=AFTER)
    services.minutes_circulate(acting_user=world["tm"], checker=minutes_checker(world["tm"], held), now=AFTER)
    assert queries() == few
