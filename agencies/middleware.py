"""After the password, the second factor (agencies.two_factor): nothing else opens until it is done."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from agencies import two_factor

# What a signed-in user may reach before the second factor: signing out, the code and set-up pages.
OPEN_PREFIXES = (
    "/sign-in/",
    "/sign-out/",
    "/account/two-factor/",
    "/static/",
    "/healthz",
    "/csp-report/",
    "/admin/logout/",
)


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(OPEN_PREFIXES):
            step = self._step_needed(request, user)
            if step is not None:
                return self._to(step, request)
        return self.get_response(request)

    @staticmethod
    def _step_needed(request: HttpRequest, user) -> str | None:
        """Checked on every request against the user's roles now, not as they were at sign-in: a user made team
        manager (or staff) mid-session passes the second factor before anything else (issue 26, finding 4)."""
        if two_factor.is_verified(user):
            return None
        state = request.session.get(two_factor.STATE_KEY)
        if state is None:  # a session from before two-factor sign-in: decide once
            state = request.session[two_factor.STATE_KEY] = two_factor.sign_in_state(user)
        if state != two_factor.NEEDS_CODE and not two_factor.required(user):
            return None
        if two_factor.app_device(user) is not None:
            return "agencies:two_factor_code"
        return "agencies:two_factor_setup" if two_factor.required(user) else None

    @staticmethod
    def _to(name: str, request: HttpRequest) -> HttpResponse:
        back = request.get_full_path() if request.method == "GET" else "/"
        return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': back})}")
