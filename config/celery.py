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
    # The timeliness report (issue 29): the facts of changed cases every minute; the recent months counted again
    # hourly (this one and the last) and nightly (the last 13), so "open and overdue" follows the clock.
    "report-refresh": {"task": "reports.refresh", "schedule": timedelta(minutes=1)},
    "report-rebuild-hourly": {"task": "reports.rebuild_recent", "schedule": crontab(minute=7), "args": (2,)},
    "report-rebuild-nightly": {"task": "reports.rebuild_recent", "schedule": crontab(hour=2, minute=37), "args": (13,)},
    # Issue 30: the on-call rota running out (daily, before the working day), repeated delays (hourly).
    "check-rota": {"task": "actions.check_rota", "schedule": crontab(hour=7, minute=45)},
    "check-delays": {"task": "actions.check_delays", "schedule": crontab(minute=23)},
    "clear-expired-sessions": {
        "task": "agencies.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=15),
    },
}
