"""`python manage.py sweep_deadlines`: one sweep now, the same code as the beat task (for operators and cron)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from actions import alerts
from actions.models import AlertStage


class Command(BaseCommand):
    help = "Raise every due-soon, overdue and escalation alert that has fallen due (each once), then email them."

    def handle(self, *args, **options) -> None:
        raised = alerts.sweep(now=timezone.now())
        alerts.email_pending(now=timezone.now())
        for stage in AlertStage:
            self.stdout.write(f"{stage.label.lower()}: {raised.get(stage.value, 0)}")
        self.stdout.write(f"alerts raised: {sum(raised.values())}")
