"""Issue 26, "bad input, every time": the 500 page without a database or session, and CSP reports from anyone."""

import json
import logging

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection
from django.test import Client, RequestFactory
from django.urls import reverse

from core import views
from core.middleware import CSP_REPORTS_PER_WINDOW
from tests.builders import make_referral


def _database_down(execute, sql, params, many, context):
    raise OperationalError("terminating connection due to administrator command")


class _BrokenSession(dict):
    """A session whose store is unreachable: any read fails, as a database-backed session does mid-restart."""

    def __getattr__(self, name):
        raise OperationalError("the session store is down")

    def __getitem__(self, key):
        raise OperationalError("the session store is down")

    get = __getitem__


@pytest.mark.django_db
def test_the_500_page_renders_with_no_database_and_no_session():
    request = RequestFactory().get("/referrals/")
    request.session = _BrokenSession()
    request.csp_nonce = "invented-nonce"

    class _User:
        def __getattr__(self, name):
            raise OperationalError("the user needs the session")

    request.user = _User()
    with connection.execute_wrapper(_database_down):
        response = views.server_error(request)
    assert response.status_code == 500
    page = response.content.decode()
    assert "Sorry, there is a problem with the service" in page
    assert 'class="govuk-template"' in page and 'nonce="invented-nonce"' in page


@pytest.mark.django_db
def test_a_database_failure_mid_request_gives_the_services_own_500_page(world, sw_client):
    referral = make_referral(acting_user=world["sw"])
    sw_client.raise_request_exception = False
    # The database goes away after the request started: the session, the user and the page all fail to load.
    with connection.execute_wrapper(_database_down):
        response = sw_client.get(reverse("referrals:detail", kwargs={"pk": referral.pk}))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Sorry, there is a problem with the service" in page, page[:300]
    assert "no-store" in response["Cache-Control"]


def test_csp_reports_are_limited_per_address(caplog):
    cache.clear()
    client = Client(REMOTE_ADDR="192.0.2.10")
    report = json.dumps({"csp-report": {"violated-directive": "img-src", "blocked-uri": "https://x.invalid/"}})
    with caplog.at_level(logging.WARNING, logger="csp"):
        answers = [
            client.post("/csp-report/", report, content_type="application/csp-report").status_code
            for _ in range(CSP_REPORTS_PER_WINDOW + 20)
        ]
    assert answers[:CSP_REPORTS_PER_WINDOW] == [204] * CSP_REPORTS_PER_WINDOW
    assert set(answers[CSP_REPORTS_PER_WINDOW:]) == {429}
    assert len([r for r in caplog.records if r.name == "csp"]) == CSP_REPORTS_PER_WINDOW
    # Another address is counted on its own.
    other = Client(REMOTE_ADDR="192.0.2.11")
    assert other.post("/csp-report/", report, content_type="application/csp-report").status_code == 204


def test_a_csp_report_cannot_forge_a_log_line(caplog):
    cache.clear()
    forged = "inline\n2026-12-06 INFO agencies signed in user=admin.demo\r\x1b[2J"
    report = {
        "csp-report": {"violated-directive": "script-src\nFAKE", "blocked-uri": forged, "document-uri": "x" * 5000}
    }
    with caplog.at_level(logging.WARNING, logger="csp"):
        response = Client().post("/csp-report/", json.dumps(report), content_type="application/csp-report")
    assert response.status_code == 204
    (record,) = [r for r in caplog.records if r.name == "csp"]
    line = record.getMessage()
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert "\\n2026-12-06 INFO agencies signed in" in line  # still readable, as an escape inside the quoted field
    assert record.csp_directive == '"script-src\\nFAKE"'
    assert len(record.csp_page) <= 202  # capped (and quoted)
    assert len(line) < 700
