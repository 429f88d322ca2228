"""Django's error email to ADMINS never carries a single-use link token (issue 26, finding 5): the report's subject
and its body, built from the request (path, URL, Referer, query string), are redacted like every log line."""

import logging

import pytest
from django.test import RequestFactory

from core.adminmail import RedactingAdminEmailHandler

TOKEN = "Sample0Token_value-0123456789abcdefABCDEF"
PATHS = [f"/minutes/link/{TOKEN}/", f"/password/MQ/{TOKEN}/", f"/account/email/{TOKEN}/"]


def _uncaught_error(path: str) -> None:
    """What Django's request handler logs for a 500 on `path`: the error, with the request, to django.request."""
    request = RequestFactory().get(
        path, {"next": path}, HTTP_REFERER=f"https://sd.example.invalid{path}", REMOTE_ADDR="192.0.2.1"
    )
    try:
        raise RuntimeError("An invented failure")
    except RuntimeError:
        logging.getLogger("django.request").error(
            "Internal Server Error: %s", request.path, exc_info=True, extra={"status_code": 500, "request": request}
        )


@pytest.mark.parametrize("path", PATHS)
def test_the_error_email_to_admins_has_the_token_redacted_from_subject_and_body(settings, mailoutbox, path):
    settings.DEBUG = False
    settings.ADMINS = [("", "ops@example.invalid")]
    _uncaught_error(path)
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["ops@example.invalid"]
    assert "Internal Server Error" in email.subject and "[redacted]" in email.subject
    assert "RuntimeError" in email.body and "[redacted]" in email.body  # the report is still useful
    assert TOKEN not in email.subject and TOKEN not in email.body
    assert not email.alternatives  # no HTML report: its frames' variables could hold a bare token


def test_the_settings_route_djangos_errors_to_the_redacting_handler_only():
    handlers = logging.getLogger("django").handlers
    assert [type(handler) for handler in handlers] == [RedactingAdminEmailHandler]
    assert not logging.getLogger("django.request").handlers  # they reach it (and the redacting console) upward


def test_with_debug_on_no_error_email_is_sent(settings, mailoutbox):
    settings.DEBUG = True
    settings.ADMINS = [("", "ops@example.invalid")]
    _uncaught_error(PATHS[0])
    assert mailoutbox == []
