import json
import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.cache import add_never_cache_headers


class NoStoreWhenSignedInMiddleware:
    """A page shown to a signed-in user may hold case data: no browser or proxy may keep a copy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


csp_log = logging.getLogger("csp")
CSP_REPORT_PATH = "/csp-report/"
MAX_REPORT_BYTES = 16 * 1024


class CspReportMiddleware:
    """Where browsers send Content-Security-Policy violation reports: logged, nothing stored, 204.

    A browser posts a report with no CSRF token and no session, so this sink sits before the CSRF
    and sign-in middleware; it is not a view (no view is `csrf_exempt`) and it changes nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path != CSP_REPORT_PATH:
            return self.get_response(request)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        body = request.read(MAX_REPORT_BYTES + 1)
        try:
            report = json.loads(body[:MAX_REPORT_BYTES]) if len(body) <= MAX_REPORT_BYTES else None
        except ValueError:
            report = None
        reports = report if isinstance(report, list) else [report]
        for item in reports:
            details = item.get("csp-report", item.get("body", item)) if isinstance(item, dict) else None
            if not isinstance(details, dict):
                csp_log.warning("CSP report that could not be read (%d bytes)", len(body))
                continue
            # Which rule blocked what, on which page: URLs without their query strings (no search terms in logs).
            csp_log.warning(
                "CSP violation: %s blocked %s on %s",
                str(details.get("violated-directive") or details.get("effectiveDirective") or "?")[:100],
                str(details.get("blocked-uri") or details.get("blockedURL") or "?").split("?")[0][:200],
                str(details.get("document-uri") or details.get("documentURL") or "?").split("?")[0][:200],
            )
        return HttpResponse(status=204)
