"""System checks of the accounts: with DEBUG off, no user may still have the demo password."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError

DEMO_SUFFIX = ".demo"  # seed_demo's accounts (it refuses to run with DEBUG off)


def demo_password_users() -> list[str]:
    """Usernames of active demo accounts whose password is still the demo password."""
    from agencies.models import User

    try:
        candidates = list(User.objects.filter(username__endswith=DEMO_SUFFIX, is_active=True)[:100])
    except DatabaseError:  # no tables yet (before the first migrate)
        return []
    return sorted(user.username for user in candidates if user.check_password(settings.DEMO_PASSWORD))


@register(Tags.security)
def demo_passwords(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if settings.DEBUG:
        return []
    users = demo_password_users()
    if not users:
        return []
    return [
        Error(
            f"{len(users)} user(s) still have the demo password: {', '.join(users)}",
            hint="Deactivate the demo accounts, or send them a password reset link from the admin, before going live.",
            id="agencies.E001",
        )
    ]


def refuse_to_start_with_demo_passwords() -> None:
    """Called by the WSGI entry point: a server with DEBUG off does not start while a demo password works."""
    errors = demo_passwords()
    if errors:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(errors[0].msg + ". " + str(errors[0].hint))
