"""Single-use link tokens never reach a log (issue 26, finding 5); nor does a search for a child by name.

A token in a URL path is the key it opens: the minutes link for a recipient who is not a user
(`/minutes/link/<token>/`), the link asking someone without an account for information (`/contribute/<token>/`),
choosing a password (`/password/<uidb64>/<token>/`) and confirming a new email address (`/account/email/<token>/`).
Whoever reads a log line holding one could use it. Each is replaced by `[redacted]` wherever it appears in a log
record: the message and its arguments ("Not Found: /minutes/link/...", runserver's and gunicorn's request lines, a
`next=` query string after a sign-in redirect, where the slashes are `%2F`), a traceback and a stack.

The case list's search (`?q=`, "Name or reference": a child's or household member's name) is a GET, so its words
would be in every request line and referer (a walk of `make run` found a child's name in runserver's log): its
value is replaced by `[redacted]` too, in a query string as it is and encoded inside another (`next=...%3Fq%3D...`).

Three places apply it (settings.LOGGING, core.apps, gunicorn.conf.py):
* `RedactTokens`, a logging filter on every handler the settings configure (runserver's request log too);
* `install()`, a log record factory, so that records made in this process are redacted before any handler,
  including those the settings do not configure (Celery's, a test's capture);
* `core.gunicorn_logging.RedactingLogger`, gunicorn's logger class: the access log and gunicorn's error log.

Pure Python (no Django): gunicorn's master imports it before the app is loaded.
"""

import logging
import re
from typing import Any

REDACTED = "[redacted]"
# A path separator as it appears in a path, or encoded in a query string (`?next=%2Faccount%2Femail%2F...`).
_SEP = r"(?:/|%2[fF])"
# One path segment: up to the next separator, space, quote, query or fragment.
_SEGMENT = r"(?:(?!%2[fF])[^/\s?#&\"'<>])+"
# Every URL pattern with a token (tests/core/test_log_redaction.py walks the URL patterns to keep this complete).
TOKEN_IN_PATH = re.compile(
    rf"(?:^|(?<=[^\w.-])|(?<=%2[fF]))(?P<prefix>(?:minutes{_SEP}link|contribute|account{_SEP}email|password{_SEP}{_SEGMENT}){_SEP})"
    rf"(?!set-password(?:{_SEP}|$))(?P<token>{_SEGMENT})"
)


# Query parameters whose value is free text that may name a child (referrals.selectors.ReferralFilter.q): after a
# `?` or `&`, as they are or encoded (`%3F`, `%26`), or first in a bare query string (gunicorn's %(q)s).
SEARCH_IN_QUERY = re.compile(
    r"(?P<prefix>(?:^|(?<=[?&\s])|(?<=%3[fF])|(?<=%26))q(?:=|%3[dD]))(?P<words>(?:(?!%26)[^&\s\"'#<>])+)"
)


def redact(text: str) -> str:
    """The text with every token of a single-use link's path, and every search's words, replaced by [redacted]."""
    return SEARCH_IN_QUERY.sub(rf"\g<prefix>{REDACTED}", TOKEN_IN_PATH.sub(rf"\g<prefix>{REDACTED}", text))


def redact_record(record: logging.LogRecord) -> None:
    """Redact a log record in place: its message (with its arguments merged in when a token was there), its
    traceback and its stack. A record whose arguments do not fit its message is left for the handler to report."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 (a badly formed record: logging reports it when it is emitted)
        message = None
    if message is not None:
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


class RedactTokens(logging.Filter):
    """A logging filter that redacts single-use link tokens from each record it passes (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install() -> None:
    """Make every log record of this process redacted as it is made (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts_tokens", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redact_record(record)
        return record

    factory.redacts_tokens = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
