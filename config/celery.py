"""The Celery app. Worker and beat both load it; the beat schedule lives here."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("strategy_discussions")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "clear-expired-sessions": {
        "task": "agencies.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=15),
    },
}
