"""Session time-outs start at sign-in."""

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

from core import sessions


@receiver(user_logged_in)
def _start_session_clocks(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    now = timezone.now().timestamp()
    session[sessions.SIGNED_IN_AT] = now
    session[sessions.LAST_ACTIVE_AT] = now
    session.pop(sessions.TIMED_OUT, None)
    sessions.kept_work_for(session, user.pk)  # drops a form someone else typed before this sign-in
