import json
import logging
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.datastructures import MultiValueDict

from core import sessions


class NoStoreWhenSignedInMiddleware:
    """A page shown to a signed-in user may hold case data: no browser or proxy may keep a copy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 500:
            return response  # never kept (core.views.server_error); asking who is signed in may be what failed
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


csp_log = logging.getLogger("csp")
CSP_REPORT_PATH = "/csp-report/"
MAX_REPORT_BYTES = 16 * 1024
# Per address (issue 26: an unauthenticated POST could log without limit): a page with a few violations sends a few
# reports; past this many in a window, reports from that address are answered 429 and not logged.
CSP_REPORTS_PER_WINDOW = 30
CSP_REPORT_WINDOW_SECONDS = 60
MAX_REPORTS_PER_POST = 5
_CSP_FIELDS = {  # logged field: (the report's keys, old and new format; longest kept)
    "directive": (("violated-directive", "effectiveDirective"), 100),
    "blocked": (("blocked-uri", "blockedURL"), 200),
    "page": (("document-uri", "documentURL"), 200),
}


def log_field(value: object, limit: int) -> str:
    """A value from outside, safe in a log line: capped, then quoted with every control character escaped, so a
    newline or a carriage return in it cannot start a forged line (JSON string quoting, ASCII only)."""
    return json.dumps(str(value)[:limit], ensure_ascii=True)


def _client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")[:64]


def _csp_allowed(address: str) -> bool:
    """Count this report against its address's window (the cache); False once over the limit."""
    key = f"csp-report:{address}"
    cache.add(key, 0, timeout=CSP_REPORT_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=CSP_REPORT_WINDOW_SECONDS)
        count = 1
    return count <= CSP_REPORTS_PER_WINDOW


class CspReportMiddleware:
    """Where browsers send Content-Security-Policy violation reports: logged, nothing stored, 204.

    A browser posts a report with no CSRF token and no session, so this sink sits before the CSRF
    and sign-in middleware; it is not a view (no view is `csrf_exempt`) and it changes nothing.
    Anyone can post here, so it is limited per address (429 past the limit) and each report is logged as
    named fields, quoted and capped (`log_field`): what a report says can never forge a log line.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path != CSP_REPORT_PATH:
            return self.get_response(request)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        address = _client_address(request)
        if not _csp_allowed(address):
            return HttpResponse("Too many reports", status=429, content_type="text/plain")
        body = request.read(MAX_REPORT_BYTES + 1)
        try:
            report = json.loads(body[:MAX_REPORT_BYTES]) if len(body) <= MAX_REPORT_BYTES else None
        except ValueError:
            report = None
        reports = report[:MAX_REPORTS_PER_POST] if isinstance(report, list) else [report]
        for item in reports:
            details = item.get("csp-report", item.get("body", item)) if isinstance(item, dict) else None
            if not isinstance(details, dict):
                csp_log.warning("CSP report that could not be read bytes=%d", len(body), extra={"csp_bytes": len(body)})
                continue
            # Which rule blocked what, on which page: URLs without their query strings (no search terms in logs).
            fields = {}
            for name, (keys, limit) in _CSP_FIELDS.items():
                value = str(next((details[key] for key in keys if details.get(key)), "?"))
                fields[name] = log_field(value if name == "directive" else value.split("?")[0], limit)
            csp_log.warning(
                "CSP violation directive=%s blocked=%s page=%s",
                fields["directive"],
                fields["blocked"],
                fields["page"],
                extra={f"csp_{name}": value for name, value in fields.items()},
            )
        return HttpResponse(status=204)


class SessionTimeoutMiddleware:
    """Ends a signed-in session after the idle or the absolute timeout (ASVS 7.3.1, 7.3.2), on the server.

    Every request to a view counts as activity (noted to the minute), except those that only ask how long
    is left (`sessions.passive`). An ended session is flushed; the new anonymous one remembers whose it was
    and why it ended, for the sign-in page and for keeping a form posted after it (`sessions.keep_work`).
    Sits after the authentication middleware and before the sign-in requirement.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict) -> None:
        if not request.user.is_authenticated:
            return
        now = timezone.now().timestamp()
        session = request.session
        session.setdefault(sessions.SIGNED_IN_AT, now)  # a session from before time-outs: it starts now
        reason = sessions.ended_by(session, now)
        if reason is not None:
            user_pk = request.user.pk
            request.session_ended_by = reason  # type: ignore[attr-defined]  # for the sign-in audit's detail
            logout(request)
            request.session[sessions.TIMED_OUT] = {"user": user_pk, "reason": reason}
        elif not getattr(view_func, "session_passive", False):
            sessions.touch(session, now)


class LoginRequiredKeepingWorkMiddleware(LoginRequiredMiddleware):
    """Django's sign-in requirement, except that what was typed into a form is never lost to a time-out.

    A form posted after the session ended is kept (`sessions.keep_work`) before the usual redirect to
    sign in. After the same user signs in, the first page they open takes them back to where they
    posted, and the form is posted there again: saved with a message, or shown with its errors.
    A background (htmx) save answers 401 instead, so the page posts the form the plain way.
    """

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict
    ) -> HttpResponseBase | None:
        if (
            request.method == "GET"
            and request.user.is_authenticated
            and sessions.KEPT_WORK in request.session
            and not getattr(view_func, "session_passive", False)
            and not getattr(view_func, "sign_in_step", False)
        ):
            kept = sessions.kept_work_for(request.session, request.user.pk)
            if kept is not None and request.get_full_path() != kept["path"]:
                if kept.get("redirected"):  # once only: the page may have gone since (a new release)
                    del request.session[sessions.KEPT_WORK]
                    return super().process_view(request, view_func, view_args, view_kwargs)
                request.session[sessions.KEPT_WORK] = {**kept, "redirected": True}
                return redirect(kept["path"])
            if kept is not None:
                del request.session[sessions.KEPT_WORK]
                # The original post passed the CSRF check; this request has passed it as a GET, and is
                # the same user's, on the same page, so it is posted again as it was typed.
                request.method = request.META["REQUEST_METHOD"] = "POST"
                request.POST = sessions.as_post(kept)  # type: ignore[assignment]  # immutable, as Django's own
                request._files = MultiValueDict()  # type: ignore[attr-defined]
                messages.info(
                    request,
                    "You were signed out before this was saved. What you typed has been sent again now that you "
                    "have signed in: check it below.",
                )
        return super().process_view(request, view_func, view_args, view_kwargs)

    def handle_no_permission(  # type: ignore[override]  # a 401 for scripts, not only a redirect
        self, request: HttpRequest, view_func: Callable
    ) -> HttpResponseBase:
        if request.method == "POST":
            sessions.keep_work(request)
        if request.headers.get("HX-Request") or not request.accepts("text/html"):
            return HttpResponse("Sign in again", status=401, content_type="text/plain")
        return super().handle_no_permission(request, view_func)


# Where a page that only takes a form's POST sends someone who opened it (its URL's own keys, most specific first).
_BACK_TO = (
    ("discussion_pk", "strategy:meeting", "Go to the strategy discussion"),
    ("disagreement_pk", "disputes:detail", "Go to the disagreement"),
    ("action_pk", "actions:detail", "Go to the action"),
    ("pk", "referrals:detail", "Go to the case"),
)


class MethodNotAllowedPageMiddleware:
    """A page that only saves a form (a POST) and was opened as a page: a link typed or kept, the `next` of a
    sign-in after a time-out. Django answers 405 with an empty body, a blank page with no way on: this answers the
    same 405 (its `Allow` kept) with a page saying why and a link to the record the address belongs to (which the
    record's own access policy then checks) or to the start."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or request.method not in ("GET", "HEAD") or response.content:
            return response
        page = render(request, "errors/405.html", _back_link(request), status=405)
        page["Allow"] = response.get("Allow", "POST")
        if "Cache-Control" in response:  # an emailed link's page: never cached
            page["Cache-Control"] = response["Cache-Control"]
        return page


def _back_link(request: HttpRequest) -> dict[str, str]:
    match = getattr(request, "resolver_match", None)
    kwargs = match.kwargs if match is not None else {}
    for key, url_name, words in _BACK_TO:
        value = kwargs.get(key)
        if isinstance(value, int):
            return {"back_url": reverse(url_name, kwargs={key: value}), "back_words": words}
    return {"back_url": reverse("home"), "back_words": "Go to the start"}


class NotFoundPageMiddleware:
    """A record the user may not see, or that does not exist, answers the app's own "Page not found" with DEBUG
    on too (`make run`): Django's debug page would name the model and list every address, and the demo would not
    show what a user sees in production (where Django renders the same page, config.urls.handler404)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Http404):
            from core.views import page_not_found  # the one 404 page (config.urls.handler404)

            return page_not_found(request, exception)
        return None
