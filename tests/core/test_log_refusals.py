"""A refused click is logged as one line, not a traceback (a walk of `make run`: each refused edit printed a stack);
any other exception, and a refusal logged outside Django's request log, keep their traceback."""

import io
import logging
import sys

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core.logquiet import RefusalWithoutTraceback
from tests.builders import convene


@pytest.fixture
def console():
    """What the settings' console handler writes (the one `make run` and production print), read back."""
    handler = next(
        h for h in logging.getLogger().handlers if any(isinstance(f, RefusalWithoutTraceback) for f in h.filters)
    )
    written = io.StringIO()
    stream = handler.setStream(written)
    yield written
    handler.setStream(stream)


@pytest.mark.django_db
def test_a_refused_edit_writes_its_one_line_to_the_console_and_no_traceback(world, police_client, console):
    referral = convene(world).referral  # police are invited: they read the case, and editing it is refused
    response = police_client.post(reverse("referrals:edit", kwargs={"pk": referral.pk}), {})
    assert response.status_code in (403, 404)
    written = console.getvalue()
    assert f"/referrals/{referral.pk}/edit/" in written
    assert "Traceback" not in written and "PermissionDenied" not in written


def _record(error: Exception, name: str = "django.request") -> logging.LogRecord:
    try:
        raise error
    except Exception:
        exc_info = sys.exc_info()
    return logging.LogRecord(
        name, logging.WARNING, __file__, 1, "Forbidden (Permission denied): %s", ("/referrals/1/edit/",), exc_info
    )


def test_a_refusal_logged_elsewhere_and_any_other_exception_keep_their_traceback():
    for record in (_record(PermissionDenied("in a task"), name="celery.app.trace"), _record(ValueError("invented"))):
        assert RefusalWithoutTraceback().filter(record) is True
        assert "Traceback" in logging.Formatter().format(record)
