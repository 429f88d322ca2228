"""The PDFs of an approved version are rendered by a real Celery worker on Redis, and the minutes page's queries do
not grow with its rows."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.celery import app as celery_app
from minutes import services
from minutes.models import Kind, MinutesDocument, Sends
from tests.minutes.conftest import AFTER, minutes_checker, share_with_family


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
