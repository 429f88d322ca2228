"""Link tokens never reach a log (issue 26, finding 5): every single-use link hit, valid, used and unknown.

Each request goes through the test client (Django's own logging: "Not Found: /minutes/link/<token>/" and the
like) and is then logged as runserver logs its request line (django.core.servers.basehttp's own code, with the
path and the status the app answered). The logs are read three ways: pytest's caplog, the handlers the settings
configure (their streams swapped for the test), and a plain handler without our filter (the record factory alone).
Here (with the minutes fixtures) because the minutes link needs a real circulation.
"""

import io
import logging
import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.servers.basehttp import WSGIRequestHandler
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from agencies.resets import EMAIL_SALT
from core.logredact import RedactTokens
from minutes import services
from minutes.models import Source
from tests.minutes.conftest import AFTER, minutes_checker

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/minutes/link/(\S+)/")


class Logs:
    def __init__(self, caplog) -> None:
        self.caplog = caplog
        self.configured = [
            h
            for name in ("", "django.server")
            for h in logging.getLogger(name).handlers
            if any(isinstance(f, RedactTokens) for f in h.filters)
        ]
        self.configured_stream, self.plain_stream = io.StringIO(), io.StringIO()
        self.plain = logging.StreamHandler(self.plain_stream)
        self.plain.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def __enter__(self) -> "Logs":
        self.caplog.set_level(logging.DEBUG)
        self.previous = [h.setStream(self.configured_stream) for h in self.configured]
        for name in ("", "django.server"):
            logging.getLogger(name).addHandler(self.plain)
        logging.getLogger("django.server").addHandler(self.caplog.handler)  # it does not propagate to the root
        return self

    def __exit__(self, *exc) -> None:
        for handler, stream in zip(self.configured, self.previous, strict=True):
            handler.setStream(stream)
        for name in ("", "django.server"):
            logging.getLogger(name).removeHandler(self.plain)
        logging.getLogger("django.server").removeHandler(self.caplog.handler)

    def text(self) -> str:
        records = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.stack_info or ''}" for r in self.caplog.records)
        return "\n".join((self.caplog.text, records, self.configured_stream.getvalue(), self.plain_stream.getvalue()))


def hit(client: Client, method: str, path: str, data: dict | None = None, *, follow: bool = False):
    """A request, then runserver's request line for it, as `make run` would log it."""
    response = getattr(client, method.lower())(path, data or {})
    server = WSGIRequestHandler.__new__(WSGIRequestHandler)  # only its logging: no socket
    server.request = None
    server.log_message('"%s" %s %s', f"{method} {path} HTTP/1.1", str(response.status_code), "0")
    if follow and response.status_code == 302:
        return hit(client, "GET", response["Location"])
    return response


@pytest.fixture
def minutes_token(links_sent_before_codes, world, held, mailoutbox, django_capture_on_commit_callbacks, settings):
    """A single-use link to the minutes for the GP (not a user), as emailed before issue 31."""
    settings.SITE_URL = "http://testserver"
    for name in ("sw", "tm", "police", "health", "admin"):
        world[name].email = f"{name}@example.org"
        world[name].save()
    recipients = services.recipients(held)
    services.distribution_save(
        acting_user=world["admin"],
        checker=minutes_checker(world["admin"], held),
        emails={r.pk: f"{r.source}@example.org" for r in recipients if not r.user_id},
    )
    services.minutes_approve(acting_user=world["tm"], checker=minutes_checker(world["tm"], held), now=AFTER)
    with django_capture_on_commit_callbacks(execute=True):
        services.minutes_circulate(acting_user=world["admin"], checker=minutes_checker(world["admin"], held), now=AFTER)
    gp = held.recipients.get(source=Source.GP)
    (mail,) = [m for m in mailoutbox if m.to == [gp.email]]
    return LINK.search(mail.body).group(1)


def test_a_minutes_link_token_never_reaches_a_log(caplog, client, minutes_token):
    unknown = "Unknown0Token_that-was-never-issued-0123456789abcdef"
    with Logs(caplog) as logs:
        assert hit(client, "GET", f"/minutes/link/{minutes_token}/").status_code == 200  # valid
        assert hit(client, "POST", f"/minutes/link/{minutes_token}/").status_code == 200  # the download: used
        assert hit(client, "GET", f"/minutes/link/{minutes_token}/").status_code == 404  # used
        assert hit(client, "POST", f"/minutes/link/{minutes_token}/").status_code == 404  # used
        assert hit(client, "GET", f"/minutes/link/{unknown}/").status_code == 404  # unknown
        assert hit(client, "HEAD", f"/minutes/link/{unknown}/?from=email").status_code == 404
    text = logs.text()
    assert minutes_token not in text and unknown not in text
    # The lines are there, with the token's place shown: what is logged is still useful.
    assert "Not Found: /minutes/link/[redacted]/" in logs.configured_stream.getvalue()
    assert '"GET /minutes/link/[redacted]/ HTTP/1.1" 200' in logs.configured_stream.getvalue()
    assert '"POST /minutes/link/[redacted]/ HTTP/1.1" 404' in logs.plain_stream.getvalue()
    assert "Not Found: /minutes/link/[redacted]/" in caplog.text


def test_a_password_link_token_never_reaches_a_log(caplog, world, client):
    user = world["police"]
    uid, token = urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)
    unknown = "cz0000-0123456789abcdef0123456789abcdef"
    with Logs(caplog) as logs:
        hit(client, "GET", f"/password/{uid}/{token}/", follow=True)  # valid: kept in the session, then the form
        chosen = hit(
            client,
            "POST",
            f"/password/{uid}/set-password/",
            {"new_password1": "Invented correct horse 2031", "new_password2": "Invented correct horse 2031"},
        )
        assert chosen.status_code == 302
        used = hit(Client(), "GET", f"/password/{uid}/{token}/")
        assert "set-password" not in used.get("Location", "")  # used: the token no longer works
        hit(Client(), "GET", f"/password/{uid}/{unknown}/")  # unknown
        hit(Client(), "GET", f"/password/{uid}/{unknown}/extra/")  # no such page: 404, "Not Found"
    text = logs.text()
    assert token not in text and unknown not in text
    assert f'"GET /password/{uid}/[redacted]/ HTTP/1.1"' in logs.configured_stream.getvalue()
    assert f'"POST /password/{uid}/set-password/ HTTP/1.1" 302' in logs.configured_stream.getvalue()


def test_an_email_confirmation_token_never_reaches_a_log(caplog, world, sw_client):
    user = world["sw"]
    token = signing.dumps({"user": user.pk, "old": user.email, "new": "sw-new@example.org"}, salt=EMAIL_SALT)
    unknown = signing.dumps({"user": user.pk, "old": "someone-else@example.org", "new": "x@example.org"}, salt="x")
    with Logs(caplog) as logs:
        hit(Client(), "GET", f"/account/email/{token}/", follow=True)  # signed out: to the sign-in page, next=...
        assert hit(sw_client, "GET", f"/account/email/{token}/").status_code == 200  # valid
        assert hit(sw_client, "POST", f"/account/email/{token}/").status_code == 302  # confirmed: used
        assert hit(sw_client, "POST", f"/account/email/{token}/").status_code == 400  # used
        assert hit(sw_client, "POST", f"/account/email/{unknown}/").status_code == 400  # unknown
        assert hit(sw_client, "GET", f"/account/email/{unknown}/more/").status_code == 404
    user.refresh_from_db()
    assert user.email == "sw-new@example.org"
    text = logs.text()
    for secret in (token, unknown, *[part for part in token.split(":") + unknown.split(":") if len(part) > 15]):
        assert secret not in text
    assert "/sign-in/?next=/account/email/[redacted]/ HTTP/1.1" in logs.configured_stream.getvalue()
    assert "Not Found: /account/email/[redacted]/more/" in caplog.text
