"""The sign-in audit listens to Django's own authentication signals (DOMAIN section 2; DPA 2018 s62)."""

from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from agencies.models import AuthEventKind, User, UserSession, auth_event_record


@receiver(user_logged_in)
def _signed_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    auth_event_record(kind=AuthEventKind.SIGNED_IN, user=user, actor=user)
    session = getattr(request, "session", None)
    if session is not None:
        from agencies import two_factor

        session[two_factor.STATE_KEY] = two_factor.sign_in_state(user)
        if session.session_key is None:
            session.save()
        UserSession.objects.get_or_create(session_key=session.session_key, defaults={"user": user})


@receiver(user_logged_out)
def _signed_out(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    if user is None:
        return
    # Ended by a time-out rather than the sign-out button (core.middleware.SessionTimeoutMiddleware).
    ended_by = getattr(request, "session_ended_by", "")
    detail = {
        "idle": f"Timed out after {settings.SESSION_IDLE_MINUTES} minutes without activity",
        "absolute": f"Timed out {settings.SESSION_ABSOLUTE_HOURS} hours after signing in",
    }.get(ended_by, "")
    auth_event_record(kind=AuthEventKind.SIGNED_OUT, user=user, actor=user, detail=detail)


@receiver(user_login_failed)
def _sign_in_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    """The username tried (never the password); linked to the account when there is one by that name."""
    username = str(credentials.get("username", ""))[:150]
    user = User.objects.filter(username=username).select_related("agency").first()
    auth_event_record(kind=AuthEventKind.SIGN_IN_FAILED, user=user, username=username)


@receiver(user_locked_out)
def _locked_out(sender: Any, request: Any = None, username: str | None = None, **kwargs: Any) -> None:
    """The fifth failure locks the account; each attempt refused while it is locked (or while its address is
    limited) is recorded too, saying until when."""
    from django.utils import timezone

    from agencies.lockout import LIMITED_UNTIL

    name = str(username or "")[:150]
    user = User.objects.filter(username=name).select_related("agency").first()
    limited_until = getattr(request, LIMITED_UNTIL, None)
    if limited_until is not None:
        until = timezone.localtime(limited_until)
        address = getattr(request, "axes_ip_address", "") or "unknown"
        detail = f"Too many failed sign-ins from {address}: refused until {until:%H:%M:%S}"
        auth_event_record(kind=AuthEventKind.ADDRESS_LIMITED, user=user, username=name, detail=detail)
        return
    auth_event_record(kind=AuthEventKind.LOCKED_OUT, user=user, username=name, detail="Locked for 15 minutes")
