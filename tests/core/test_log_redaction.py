"""Link tokens never reach a log (issue 26, finding 5): the redaction itself, every URL with a token, gunicorn's
access log, the handlers the settings configure, and an email backend that is never the console in production.

The requests themselves (valid, used, unknown links) are in tests/minutes/test_tokens_never_logged.py.
"""

import datetime as dt
import io
import logging
import logging.config
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from gunicorn.config import Config

from core.gunicorn_logging import RedactingLogger
from core.logredact import RedactTokens, redact

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "Sample0Token_value-0123456789abcdefABCDEF"


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def test_every_url_with_a_token_is_redacted():
    """A new URL carrying a token fails here until core/logredact.py knows it."""
    with_tokens = [route for route in _routes(get_resolver().url_patterns) if "token" in route]
    assert len(with_tokens) >= 3  # the minutes link, choosing a password, confirming an email address
    for route in with_tokens:
        path = "/" + re.sub(
            r"<(?:(\w+):)?(\w+)>",
            lambda m: {"int": "7"}.get(m.group(1) or "", TOKEN if m.group(2) == "token" else "MQ"),
            route,
        )
        for text in (f"Not Found: {path}", f'"GET {path}?x=1 HTTP/1.1" 404 12', f"https://sd.example.org{path}"):
            assert TOKEN not in redact(text), route
            assert "[redacted]" in redact(text)
        encoded = path.replace("/", "%2F")
        assert TOKEN not in redact(f"GET /sign-in/?next={encoded}&x=1 HTTP/1.1"), route


@pytest.mark.parametrize(
    "text",
    [
        "/password/MQ/set-password/",
        "/password/done/",
        "/account/password/",
        "/admin/agencies/user/5/password/",
        "/discussions/4/minutes/v2-full.pdf",
        "GET /referrals/12/ HTTP/1.1",
    ],
)
def test_paths_without_a_token_are_left_as_they_are(text):
    assert redact(text) == text


def test_a_record_is_redacted_in_its_arguments_traceback_and_stack():
    try:
        raise ValueError(f"while serving /minutes/link/{TOKEN}/")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "Not Found: %s", (f"/minutes/link/{TOKEN}/",), None)
        record.exc_info = sys.exc_info()
    record.stack_info = f"File x, in link\n  /account/email/{TOKEN}/"
    RedactTokens().filter(record)
    formatted = logging.Formatter().format(record)
    assert TOKEN not in formatted
    assert "Not Found: /minutes/link/[redacted]/" in formatted and "ValueError" in formatted


def test_a_record_whose_arguments_do_not_fit_is_passed_on_untouched():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s %s", ("one",), None)
    assert RedactTokens().filter(record) is True
    assert record.args == ("one",)


def test_every_handler_the_settings_configure_redacts():
    assert settings.LOGGING["handlers"]
    for name, handler in settings.LOGGING["handlers"].items():
        assert "redact_tokens" in handler.get("filters", []), name
    # Configured afresh from the settings: another test of the run (a Celery worker started in-process) may have
    # added a handler of its own to the root logger, which is not the settings' configuration.
    logging.config.dictConfig(settings.LOGGING)
    for logger in (logging.getLogger(), logging.getLogger("django.server")):
        assert logger.handlers
        for handler in logger.handlers:
            if type(handler).__module__.startswith("_pytest"):
                continue  # pytest's capture, added by the test run
            assert any(isinstance(f, RedactTokens) for f in handler.filters), (logger.name, handler)


def test_any_record_made_in_the_process_is_redacted_before_a_handler_sees_it(caplog):
    """The record factory (core.apps): a handler without the filter, here pytest's own, gets it redacted."""
    caplog.set_level(logging.INFO, logger="some.library")
    logging.getLogger("some.library").info("fetched %s", f"https://sd.example.org/minutes/link/{TOKEN}/")
    assert TOKEN not in caplog.text
    assert "fetched https://sd.example.org/minutes/link/[redacted]/" in caplog.text


def _gunicorn(access_log_format: str) -> tuple[RedactingLogger, io.StringIO, io.StringIO]:
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", access_log_format)
    logger = RedactingLogger(cfg)
    access, errors = io.StringIO(), io.StringIO()
    for handler in logger.access_log.handlers:
        handler.setStream(access)  # type: ignore[attr-defined]
    for handler in logger.error_log.handlers:
        handler.setStream(errors)  # type: ignore[attr-defined]
    return logger, access, errors


def test_gunicorns_access_log_redacts_the_request_line_path_query_and_referer():
    fmt = '%(h)s "%(r)s" %(U)s %(q)s %(s)s "%(f)s" "%({referer}i)s" %({raw_uri}e)s'
    logger, access, _ = _gunicorn(fmt)
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": f"/minutes/link/{TOKEN}/?from=email",
        "PATH_INFO": f"/minutes/link/{TOKEN}/",
        "QUERY_STRING": f"next=%2Faccount%2Femail%2F{TOKEN}%2F",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.1",
        "HTTP_REFERER": f"https://sd.example.org/password/MQ/{TOKEN}/",
    }
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    response = SimpleNamespace(status="404 Not Found", sent=10, headers=[("Location", f"/minutes/link/{TOKEN}/")])
    logger.access(response, request, environ, dt.timedelta(microseconds=1500))
    line = access.getvalue()
    assert TOKEN not in line
    assert '"POST /minutes/link/[redacted]/?from=email HTTP/1.1" /minutes/link/[redacted]/' in line
    assert "next=%2Faccount%2Femail%2F[redacted]%2F 404" in line
    assert '"https://sd.example.org/password/MQ/[redacted]/"' in line


def test_gunicorns_default_access_log_format_and_error_log_redact():
    logger, access, errors = _gunicorn(Config().access_log_format)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/account/email/{TOKEN}/",
        "PATH_INFO": f"/account/email/{TOKEN}/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    logger.access(
        SimpleNamespace(status="200 OK", sent=5, headers=[]), SimpleNamespace(headers=[]), environ, dt.timedelta()
    )
    logger.error("Error handling request %s", f"/minutes/link/{TOKEN}/")
    assert TOKEN not in access.getvalue() and '"GET /account/email/[redacted]/ HTTP/1.1" 200' in access.getvalue()
    assert TOKEN not in errors.getvalue() and "Error handling request /minutes/link/[redacted]/" in errors.getvalue()


def test_production_runs_gunicorn_with_the_redacting_logger():
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["logger_class"] == "core.gunicorn_logging.RedactingLogger" and conf["accesslog"] == "-"
    compose, dockerfile = (ROOT / "docker-compose.yml").read_text(), (ROOT / "Dockerfile").read_text()
    assert "command: gunicorn config.wsgi -c gunicorn.conf.py" in compose
    assert 'CMD ["gunicorn", "config.wsgi", "-c", "gunicorn.conf.py"]' in dockerfile


def _email_backend(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "EMAIL_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", "from django.conf import settings; print(settings.EMAIL_BACKEND)"],
        cwd=ROOT,
        env={**clean, "SECRET_KEY": "a-production-like-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_production_never_defaults_to_the_console_email_backend():
    assert _email_backend(DEBUG="false") == "django.core.mail.backends.smtp.EmailBackend"
    assert _email_backend(DEBUG="true") == "django.core.mail.backends.console.EmailBackend"  # `make run`'s terminal


def test_docker_compose_has_no_email_default_the_operator_must_set_it():
    compose = (ROOT / "docker-compose.yml").read_text()
    (line,) = [line for line in compose.splitlines() if line.strip().startswith("EMAIL_URL:")]
    assert "${EMAIL_URL:?" in line and "consolemail" not in compose


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        (
            '"GET /referrals/?q=Jacob+Wren&status=open HTTP/1.1" 200',
            '"GET /referrals/?q=[redacted]&status=open HTTP/1.1" 200',
        ),
        ("GET /referrals/?status=open&q=Wren%20Jacob HTTP/1.1", "GET /referrals/?status=open&q=[redacted] HTTP/1.1"),
        ("q=Jacob+Wren&sort=name", "q=[redacted]&sort=name"),  # gunicorn's %(q)s: the query string alone
        (
            "/sign-in/?next=%2Freferrals%2F%3Fq%3DJacob%2BWren%26status%3D",
            "/sign-in/?next=%2Freferrals%2F%3Fq%3D[redacted]%26status%3D",
        ),
        ("GET /referrals/?q= HTTP/1.1", "GET /referrals/?q= HTTP/1.1"),  # nothing searched, nothing to hide
        ("GET /help/?faq=1&seq=2 HTTP/1.1", "GET /help/?faq=1&seq=2 HTTP/1.1"),  # another parameter ending in q
    ],
)
def test_a_search_by_name_never_reaches_a_log(text, clean):
    """The case list's search names a child ("Name or reference"): a walk of `make run` found one in the log."""
    assert redact(text) == clean


def test_gunicorns_access_log_redacts_a_search_in_the_request_line_query_and_referer():
    logger, access, _ = _gunicorn('"%(r)s" %(q)s "%(f)s"')
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/referrals/?q=Invented+Childname&status=",
        "PATH_INFO": "/referrals/",
        "QUERY_STRING": "q=Invented+Childname&status=",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.1",
        "HTTP_REFERER": "https://sd.example.org/referrals/?q=Invented+Childname",
    }
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    logger.access(response, request, environ, dt.timedelta(microseconds=1500))
    line = access.getvalue()
    assert "Childname" not in line
    assert (
        '"GET /referrals/?q=[redacted]&status= HTTP/1.1" q=[redacted]&status= "https://sd.example.org/referrals/?q=[redacted]"'
        in line
    )
