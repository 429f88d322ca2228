"""A refused click is logged as one line, not a traceback (a walk of `make run`: each refused edit printed a stack);
any other exception keeps its traceback."""

import logging
import sys

from django.conf import settings
from django.core.exceptions import PermissionDenied

from core.logquiet import RefusalWithoutTraceback


def _record(error: Exception) -> logging.LogRecord:
    try:
        raise error
    except Exception:
        exc_info = sys.exc_info()
    return logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Forbidden (Permission denied): %s",
        ("/referrals/1/edit/",),
        exc_info,
    )


def test_a_refusal_keeps_its_line_and_loses_its_traceback():
    record = _record(PermissionDenied("You can read this referral but not change it"))
    assert RefusalWithoutTraceback().filter(record) is True
    assert record.exc_info is None
    assert logging.Formatter().format(record) == "Forbidden (Permission denied): /referrals/1/edit/"


def test_any_other_exception_keeps_its_traceback():
    record = _record(ValueError("an invented fault"))
    assert RefusalWithoutTraceback().filter(record) is True
    assert "Traceback" in logging.Formatter().format(record) and "an invented fault" in logging.Formatter().format(
        record
    )


def test_the_console_handler_has_the_filter():
    assert "refusal_without_traceback" in settings.LOGGING["handlers"]["console"]["filters"]
