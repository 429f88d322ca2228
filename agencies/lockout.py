"""Account lockout (django-axes): what a locked account is shown, and unlocking it."""

from django.http import HttpRequest, HttpResponse

from agencies.models import AuthEventKind, User, auth_event_record


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
