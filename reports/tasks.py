from celery import shared_task
from django.utils import timezone

from reports import services


@shared_task(name="reports.refresh")
def refresh() -> int:
    """Beat runs this every minute: the facts of the cases changed since the last run, and their months' counts
    (a bounded batch; the next run carries on)."""
    return services.report_refresh(now=timezone.now())


@shared_task(name="reports.rebuild_recent")
def rebuild_recent(months: int = 2) -> int:
    """Beat runs this hourly for this month and the last, and nightly for the last 13: "open and overdue" follows
    the clock, with no change to any row."""
    return services.report_rebuild_recent(now=timezone.now(), months=months)
