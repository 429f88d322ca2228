"""System checks of the accounts: with DEBUG off, no demo credential works and no email leaks into a log.

The demo data flags the accounts it makes (`User.is_demo`) and its authenticator holds one published key, so each
check is one indexed query: no password is hashed at start-up (at national scale that would take minutes).
"""

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError

# Email backends that write each message (and every single-use link in it) to the console or a file.
LOGGING_EMAIL_BACKENDS = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)


def active_demo_users() -> list[str]:
    """Usernames of the active accounts the demo data made (outsider.police included)."""
    from agencies.models import User

    return sorted(User.objects.filter(is_demo=True, is_active=True).values_list("username", flat=True)[:100])


def demo_key_users() -> list[str]:
    """Usernames of users whose authenticator holds the demo key printed in the README."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from agencies.demo import DEMO_TOTP_KEY

    return sorted(
        TOTPDevice.objects.filter(key=DEMO_TOTP_KEY).values_list("user__username", flat=True).distinct()[:100]
    )


def _demo_credential_errors() -> list[Error]:
    try:
        users, keyed = active_demo_users(), demo_key_users()
    except DatabaseError:  # no tables yet (before the first migrate)
        return []
    errors = []
    if users:
        errors.append(
            Error(
                f"{len(users)} account(s) made by the demo data are active: {', '.join(users)}",
                hint="Run `manage.py demo_deactivate` before going live (their password is published).",
                id="agencies.E001",
            )
        )
    if keyed:
        errors.append(
            Error(
                f"{len(keyed)} user(s) have the demo authenticator key: {', '.join(keyed)}",
                hint="Run `manage.py demo_deactivate` (it removes the key; they set up their own authenticator).",
                id="agencies.E002",
            )
        )
    return errors


@register(Tags.security)
def demo_passwords(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """With DEBUG off: no demo account active, no authenticator with the demo key."""
    if settings.DEBUG:
        return []
    return _demo_credential_errors()


@register(Tags.security, deploy=True)
def email_backend(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """In production an email is sent, never written to the console or a file (single-use links would be in logs)."""
    if settings.DEBUG or settings.EMAIL_BACKEND not in LOGGING_EMAIL_BACKENDS:
        return []
    return [
        Error(
            f"The email backend {settings.EMAIL_BACKEND} writes every email, single-use links included, to a log",
            hint="Set EMAIL_URL to the SMTP server, for example smtp+tls://user:password@host:587.",
            id="agencies.E003",
        )
    ]


def refuse_to_start_with_demo_passwords() -> None:
    """Called by the WSGI entry point: a server with DEBUG off does not start while a demo credential works."""
    errors = demo_passwords()
    if errors:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(errors[0].msg + ". " + str(errors[0].hint))
