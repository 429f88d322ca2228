"""Django's error report to ADMINS (`mail_admins`), with single-use link tokens redacted (issue 26, finding 5).

If an operator sets ADMINS, an uncaught error emails its subject ("Internal Server Error: /minutes/link/<token>/")
and a body holding the request's path, URL, Referer and query string. The logging filter redacts the record's
message, but the body is built from the request itself, after every filter: this handler redacts what it sends.
The HTML report (frames' local variables, where a token is a bare argument) stays off.
"""

from typing import TYPE_CHECKING, Any

from django.utils.log import AdminEmailHandler

from core.logredact import redact

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    StrOrPromise = str | _StrPromise
else:
    StrOrPromise = str


class RedactingAdminEmailHandler(AdminEmailHandler):
    """AdminEmailHandler whose subject and body have every single-use link token replaced by [redacted]."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "include_html": False})

    def send_mail(self, subject: StrOrPromise, message: StrOrPromise, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("html_message"):
            kwargs["html_message"] = redact(str(kwargs["html_message"]))
        super().send_mail(redact(str(subject)), redact(str(message)), *args, **kwargs)
