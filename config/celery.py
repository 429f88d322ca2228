"""The Celery app. Worker and beat both load it; the beat schedule lives here."""

import os
from datetime import timedelta

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("strategy_discussions")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "sweep-deadlines": {
        "task": "actions.sweep_deadlines",
        "schedule": timedelta(minutes=int(os.environ.get("DEADLINE_SWEEP_MINUTES", "5"))),
    },
    "render-pending-minutes": {
        "task": "minutes.render_pending",
        "schedule": timedelta(minutes=10),
    },
    "reschedule-pending-calendars": {
        "task": "referrals.reschedule_pending",
        "schedule": timedelta(minutes=5),
    },
    "clear-expired-sessions": {
        "task": "agencies.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=15),
    },
}
