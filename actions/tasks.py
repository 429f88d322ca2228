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


@shared_task(name="actions.send_alert_emails")
def send_alert_emails() -> int:
    """Queued when an urgent alert (or another alert about no deadline) is raised: its emails go at once, not at the
    next sweep. Sends whatever is waiting, claimed one by one, so it never sends an email twice with the sweep."""
    return alerts.email_pending(now=timezone.now())


@shared_task(name="actions.check_rota")
def check_rota() -> int:
    """Daily: warn the administrators of a partnership whose on-call rota runs out within a week."""
    return alerts.rota_check(now=timezone.now())


@shared_task(name="actions.check_delays")
def check_delays() -> int:
    """Hourly: alert the strategy discussion leads of a partnership with repeated delays this month."""
    return alerts.delays_check(now=timezone.now())
