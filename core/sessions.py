"""Sessions that time out (OWASP ASVS 7.3.1, 7.3.2) without losing what was typed.

A signed-in session ends after `SESSION_IDLE_MINUTES` without a request (idle) and `SESSION_ABSOLUTE_HOURS` after
signing in (absolute), whatever the browser's cookie says: the moments live in the session on the server. A form
posted once the session has ended is kept in the new, anonymous session (server-side, never in a URL or a cookie)
with the user whose session it was; after that same user signs in again it is posted again, so it is saved or comes
back with its errors. Anyone else signing in on that browser drops it unseen.
"""

import re
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, QueryDict

SIGNED_IN_AT = "_signed_in_at"
LAST_ACTIVE_AT = "_last_active_at"
TIMED_OUT = "_timed_out"  # in the anonymous session that follows: {"user": pk, "reason": "idle" or "absolute"}
KEPT_WORK = "_kept_work"  # {"user": pk, "path": ..., "data": [[name, [values]], ...]}

# Activity is noted when the last note is this old: a session may end up to this much before 30 minutes idle.
ACTIVITY_RESOLUTION_SECONDS = 60
# The warning appears this long before the idle timeout (the GOV.UK timeout warning pattern).
WARN_SECONDS = 120
# What a kept form may hold, in characters of names and values: the longest assessment, far from the request limit.
MAX_KEPT_CHARS = 200_000
# Never kept: the CSRF token (the page after signing in has a fresh one), nor any password, secret or one-time code,
# which must not rest in the session store (such a form comes back asking for them again).
NOT_KEPT = re.compile(r"csrfmiddlewaretoken|password|secret|token|otp", re.IGNORECASE)

View = TypeVar("View", bound=Callable[..., Any])


def passive(view: View) -> View:
    """A request to this view does not count as activity: it only asks how long is left."""
    view.session_passive = True  # type: ignore[attr-defined]
    return view


def sign_in_step(view: View) -> View:
    """A page of signing in itself (the second factor): work kept from a time-out waits until it is passed."""
    view.sign_in_step = True  # type: ignore[attr-defined]
    return view


def idle_seconds() -> int:
    return settings.SESSION_IDLE_MINUTES * 60


def absolute_seconds() -> int:
    return settings.SESSION_ABSOLUTE_HOURS * 60 * 60


def ended_by(session: SessionBase, now: float) -> str | None:
    """Why this signed-in session has ended at `now` (a timestamp): "absolute", "idle", or None while it lasts."""
    signed_in = float(session.get(SIGNED_IN_AT, now))
    last = float(session.get(LAST_ACTIVE_AT, signed_in))
    if now >= signed_in + absolute_seconds():
        return "absolute"
    if now >= last + idle_seconds():
        return "idle"
    return None


def seconds_left(session: SessionBase, now: float) -> int:
    """Seconds until the signed-in session ends, by whichever timeout comes first."""
    signed_in = float(session.get(SIGNED_IN_AT, now))
    last = float(session.get(LAST_ACTIVE_AT, signed_in))
    return max(0, int(min(last + idle_seconds(), signed_in + absolute_seconds()) - now))


def touch(session: SessionBase, now: float, *, force: bool = False) -> None:
    """Note activity at `now`. To the minute, so that most requests do not write the session; `force` for
    "stay signed in". Never moved back (a clock put back must not end the session early)."""
    last = float(session.get(LAST_ACTIVE_AT, 0))
    if now - last >= ACTIVITY_RESOLUTION_SECONDS or (force and now > last):
        session[LAST_ACTIVE_AT] = now


def keep_work(request: HttpRequest) -> bool:
    """Keep a form posted after the session ended, for the user whose session it was. False if it cannot be kept.

    Only a session this app ended knows whose it was; a post with no such session (another browser, a cleared
    cookie) is not kept, as it could not be given back to the right person. Uploaded files are never kept (there
    is no upload in this app today); nor are the fields NOT_KEPT names.
    """
    timed_out = request.session.get(TIMED_OUT)
    if not isinstance(timed_out, dict) or not timed_out.get("user"):
        return False
    data = [[name, values] for name, values in request.POST.lists() if not NOT_KEPT.search(name)]
    if sum(len(name) + sum(len(v) for v in values) for name, values in data) > MAX_KEPT_CHARS:
        request.session.pop(KEPT_WORK, None)
        return False
    request.session[KEPT_WORK] = {"user": timed_out["user"], "path": request.get_full_path(), "data": data}
    return True


def kept_work_for(session: SessionBase, user_pk: Any) -> dict | None:
    """The form kept for this user, or None; a form kept for anyone else is dropped unseen."""
    kept = session.get(KEPT_WORK)
    if not isinstance(kept, dict):
        return None
    if kept.get("user") != user_pk:
        session.pop(KEPT_WORK, None)
        return None
    return kept


def as_post(kept: dict) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, values in kept["data"]:
        data.setlist(str(name), [str(v) for v in values])
    data._mutable = False
    return data
