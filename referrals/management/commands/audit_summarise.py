"""`manage.py audit_summarise`: the list log older than its retention period summarised, then removed (issue 28).

Run monthly from cron connected as the database owner (DATABASE_URL the owner's, as for `migrate`), never as the
app's role, which may not (and the database refuses it): docs/operations.md, "Retention of the list log".
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from referrals.retention import LIST_LOG_YEARS, NotTheOwner, list_log_summarise


class Command(BaseCommand):
    help = "Summarise the list log older than the retention period (per user, case and month); run as the owner."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--years", type=int, default=LIST_LOG_YEARS, help=f"kept in full (default {LIST_LOG_YEARS})"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["years"] < LIST_LOG_YEARS:
            raise CommandError(f"The list log is kept in full for at least {LIST_LOG_YEARS} years")
        try:
            done = list_log_summarise(now=timezone.now(), years=options["years"])
        except (NotTheOwner, NotImplementedError) as refused:
            raise CommandError(str(refused)) from refused
        self.stdout.write(
            f"List log before {timezone.localtime(done.before):%Y-%m-%d %H:%M}: {done.lists} lists and {done.rows} "
            f"rows by case summarised into {done.summaries} monthly counts, then removed"
        )
