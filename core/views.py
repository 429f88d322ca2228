from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from core import sessions
from core.context_processors import SERVICE_NAME
from core.exceptions import NotNow


@login_not_required
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers and compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403: "your role does not allow this", or, for a refusal about where the record stands (NotNow), its reason."""
    reason = str(exception) if isinstance(exception, NotNow) else ""
    return render(request, "errors/403.html", {"reason": reason}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, rendered with no context processor: nothing here touches the database or the session.

    What failed may be the database itself (a PostgreSQL restart mid-request): the usual context (who is signed
    in, their partnership, their counts) would fail again and leave a bare "Internal Server Error".
    """
    context = {
        "request": request,  # its path and CSP nonce only: no query
        "service_name": SERVICE_NAME,
        "partnership_name": settings.PARTNERSHIP_NAME,
    }
    response = HttpResponse(loader.render_to_string("errors/500.html", context), status=500)
    add_never_cache_headers(response)
    return response


class SignOutView(auth_views.LogoutView):
    """POST signs out; GET (a bookmarked or typed address) asks first instead of answering 405."""

    http_method_names = ["get", "post", "options"]

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return render(request, "registration/sign_out.html")


def _session_answer(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False, "seconds_left": 0})
    left = sessions.seconds_left(request.session, timezone.now().timestamp())
    return JsonResponse({"signed_in": True, "seconds_left": left, "warn_seconds": sessions.WARN_SECONDS})


# Both answer whether the session is still signed in, rather than redirecting a script to the sign-in page.
@login_not_required
@never_cache
@sessions.passive
@require_safe
def session_status(request: HttpRequest) -> HttpResponse:
    """How long the session has left. Asking does not count as activity, so a page left open still times out."""
    return _session_answer(request)


@login_not_required
@never_cache
@require_POST
def session_keep_alive(request: HttpRequest) -> HttpResponse:
    """Stay signed in: restarts the idle clock to the second (not the absolute one)."""
    if request.user.is_authenticated:
        sessions.touch(request.session, timezone.now().timestamp(), force=True)
    return _session_answer(request)
