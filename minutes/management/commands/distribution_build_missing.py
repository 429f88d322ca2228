"""Build the distribution list of every ended discussion that has none: once, after upgrading to issue 27.

Until then the list was built when the minutes page was first opened; now it is built when the meeting ends
(core.events.MeetingEnded). A discussion that ended before the upgrade, whose minutes nobody opened, has none.
Idempotent: a discussion with a list is left as it is.
"""

from django.core.management.base import BaseCommand

from minutes import services
from strategy.models import Discussion, DiscussionStatus


class Command(BaseCommand):
    help = "Build the distribution list of each ended discussion that has none (its chair as the one who built it)."

    def handle(self, *args, **options) -> None:
        missing = (
            Discussion.objects.filter(status=DiscussionStatus.ENDED, recipients__isnull=True)
            .select_related("chair")
            .order_by("pk")
        )
        count = 0
        for discussion in missing.iterator():
            services.distribution_build(acting_user=discussion.chair, discussion=discussion)
            count += 1
        self.stdout.write(f"Distribution lists built: {count}")
