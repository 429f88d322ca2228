"""Sign-in limits (ASVS 6.3; django-axes): by account and by address, answered in the time a wrong password takes.

- By account: 5 failed sign-ins for a username lock it for 15 minutes from the fifth; attempts while it is locked
  are refused without counting, so the lock ends when it said it would (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT).
- By address: a spray of usernames from one address is slowed (one attempt per ADDRESS_SLOW_SECONDS after
  ADDRESS_SLOW_AFTER failures in the window), then blocked (after ADDRESS_BLOCK_AFTER failures, until the window
  has passed since the last counted one). The limits are far above one office's typos behind one address.
- A refused attempt still hashes the password it was given, as a wrong password and an unknown username do, so
  the answer's timing does not tell a locked account from any other failure.
"""

import datetime as dt
import ipaddress
from dataclasses import dataclass

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied, AxesBackendRequestParameterRequired
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_credentials
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from agencies.models import AuthEventKind, User, auth_event_record

ADDRESS_SLOW_AFTER = 10
ADDRESS_SLOW_SECONDS = 10
ADDRESS_BLOCK_AFTER = 30
# Whom the sign-in form tells that the address is limited (request attribute set by the backend).
LIMITED_UNTIL = "sign_in_limited_until"


@dataclass(frozen=True)
class AddressLimit:
    failures: int
    until: dt.datetime | None  # refused until then; None: not limited now


def window() -> dt.timedelta:
    return settings.AXES_COOLOFF_TIME


def address_limit(ip_address: str | None, now: dt.datetime) -> AddressLimit:
    """How many sign-ins failed from this address in the window, and until when it is refused (if it is).

    Blocked for a window from the failure that made ADDRESS_BLOCK_AFTER within one window (attempts refused meanwhile
    are not counted, so the block ends when it began plus the window); slowed while the last window holds
    ADDRESS_SLOW_AFTER failures. axes keeps one row per username and address with its last failure's time: each
    row's failures count at that time."""
    if not ip_address:
        return AddressLimit(0, None)
    span = window()
    rows = list(
        AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=now - 2 * span)
        .order_by("attempt_time")
        .values_list("attempt_time", "failures_since_start")[:1000]
    )
    blocked_until, first, running = None, 0, 0
    for moment, failures in rows:
        running += failures
        while rows[first][0] < moment - span:
            running -= rows[first][1]
            first += 1
        if running >= ADDRESS_BLOCK_AFTER:
            blocked_until = moment + span
    recent = sum(failures for moment, failures in rows if moment >= now - span)
    if blocked_until is not None and blocked_until > now:
        return AddressLimit(recent, blocked_until)
    if rows and recent >= ADDRESS_SLOW_AFTER:
        until = rows[-1][0] + dt.timedelta(seconds=ADDRESS_SLOW_SECONDS)
        return AddressLimit(recent, until if until > now else None)
    return AddressLimit(recent, None)


def _as_costly_as_a_wrong_password(password: str | None) -> None:
    """Hash the given password once, as checking a wrong one (or Django's answer to an unknown username) does."""
    make_password(password or "")


class SignInLimitBackend(AxesStandaloneBackend):
    """First of the authentication backends: refuses a locked account or a limited address before the password
    is checked, at the cost of one hash so the refusal takes as long as a wrong password."""

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest, username: str | None = None, password: str | None = None, **kwargs
    ):
        if request is None:
            raise AxesBackendRequestParameterRequired("Signing in needs the request")
        AxesProxyHandler.update_request(request)
        now = getattr(request, "axes_attempt_time", None) or timezone.now()
        limit = address_limit(getattr(request, "axes_ip_address", None), now)
        credentials = get_credentials(username=username, password=password, **kwargs)
        if limit.until is None and AxesProxyHandler.is_allowed(request, credentials):
            return None
        _as_costly_as_a_wrong_password(password)
        request.axes_locked_out = True  # type: ignore[attr-defined]  # refused: axes does not count it
        if limit.until is not None:
            setattr(request, LIMITED_UNTIL, limit.until)
        raise AxesBackendPermissionDenied("Signing in is refused for now")


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None):
    """A locked account sees exactly what a wrong password sees (the sign-in page and its error), so the
    page tells an attacker nothing about the lock; the sign-in audit records it."""
    if original_response is not None:
        return original_response
    return HttpResponse("Enter a correct username and password.", status=200)  # pragma: no cover (no view ran)


def account_unlock(*, actor: User, user: User) -> None:
    """Clear a user's failed sign-ins so they can sign in at once; recorded in the sign-in audit."""
    from axes.utils import reset

    reset(username=user.username)
    auth_event_record(kind=AuthEventKind.UNLOCKED, user=user, actor=actor, detail="Sign-in unlocked")


def client_address(request: HttpRequest) -> str | None:
    """The address a sign-in came from, for the limits by address (AXES_CLIENT_IP_CALLABLE).

    Behind PROXY_COUNT trusted proxies (the TLS proxy in front of `web`), each appends the address it saw to
    X-Forwarded-For, so the client is the entry that many from the right; anything to its left is what the client
    claimed and is ignored. With no proxy configured the header is ignored altogether (a client could forge it).
    """
    remote = request.META.get("REMOTE_ADDR")
    count = settings.PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < count:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote
