"""Who made a change and why, for django-simple-history, from every writer (pages, admin, commands, tasks)."""

from typing import Any

from django.db import models


def record(instance: models.Model, acting_user: Any, reason: str) -> None:
    """The user and change reason simple-history stores with the next save of `instance`.

    Without the user, a change made outside a request (a command, a Celery task) would be
    recorded as made by nobody.
    """
    instance._history_user = acting_user  # type: ignore[attr-defined]
    instance._change_reason = reason  # type: ignore[attr-defined]
