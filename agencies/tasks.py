from celery import shared_task
from django.core import management


@shared_task(name="agencies.clear_expired_sessions")
def clear_expired_sessions() -> None:
    """Nightly housekeeping: expired sessions hold no value and should not linger."""
    management.call_command("clearsessions")
    from django.contrib.sessions.models import Session

    from agencies.models import UserSession

    UserSession.objects.exclude(session_key__in=Session.objects.values("session_key")).delete()
