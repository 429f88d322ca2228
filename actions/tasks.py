from celery import shared_task
from django.utils import timezone

from actions import alerts


@shared_task(name="actions.sweep_deadlines")
def sweep_deadlines() -> int:
    """Beat runs this every few minutes (DEADLINE_SWEEP_MINUTES): raise the alerts that have fallen due, then
    send the alert emails still waiting (new ones, and any a mail server failed to take before)."""
    raised = sum(alerts.sweep(now=timezone.now()).values())
    alerts.email_pending(now=timezone.now())
    return raised
