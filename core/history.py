"""Who made a change and why, for django-simple-history, from every writer (pages, admin, commands, tasks)."""

from typing import Any

from django.db import models


def record(instance: models.Model, acting_user: Any, reason: str) -> None:
    """The user and change reason simple-history stores with the next save of `instance`.

    Without the user, a change made outside a request (a command, a Celery task) would be
    recorded as made by nobody.
    """
    instance._history_user = acting_user  # type: ignore[attr-defined]
    # simple-history keeps at most 100 characters of a reason; a longer one (a user's words) is cut, never refused.
    instance._change_reason = reason if len(reason) <= 100 else reason[:99] + "…"  # type: ignore[attr-defined]
