from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from core import sessions

SERVICE_NAME = "Strategy Discussions"


def service(request: HttpRequest) -> dict[str, str]:
    """Service and partnership names for the header of every page."""
    user = getattr(request, "user", None)
    partnership_name = settings.PARTNERSHIP_NAME
    if user is not None and user.is_authenticated and user.agency_id:
        partnership_name = user.agency.partnership.name
    return {"service_name": SERVICE_NAME, "partnership_name": partnership_name}


def session_timeout(request: HttpRequest) -> dict[str, Any]:
    """For the timeout warning on signed-in pages; for the sign-in page, why the last session ended."""
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if user is None or session is None:
        return {}
    if user.is_authenticated:
        return {
            "session_seconds_left": sessions.seconds_left(session, timezone.now().timestamp()),
            "session_warn_seconds": sessions.WARN_SECONDS,
        }
    timed_out = session.get(sessions.TIMED_OUT)
    if not isinstance(timed_out, dict):
        return {}
    return {
        "timed_out": timed_out.get("reason"),
        "work_kept": sessions.KEPT_WORK in session,
        "idle_minutes": settings.SESSION_IDLE_MINUTES,
        "absolute_hours": settings.SESSION_ABSOLUTE_HOURS,
    }
