"""Slow work on deadlines, in Celery: moving a partnership's open clocks after its calendar changed."""

import datetime as dt
import logging

from celery import shared_task
from django.db.models import F, Q
from django.utils import timezone

from agencies.models import Partnership, User
from referrals.deadlines import deadlines_reschedule

log = logging.getLogger(__name__)
REASON = "Partnership calendar changed"


def reschedule(partnership: Partnership, acting_user: User | None) -> int:
    """Move the open deadlines to the calendar as it is now; note when they caught up with the change."""
    changed_at = partnership.calendar_changed_at
    moved = deadlines_reschedule(acting_user=acting_user, partnership=partnership, reason=REASON)  # type: ignore[arg-type]
    # Done only for the change this run saw: a newer change while it ran is picked up by the next run.
    Partnership.objects.filter(pk=partnership.pk, calendar_changed_at=changed_at).update(
        deadlines_moved_at=timezone.now()
    )
    log.info("partnership %s: %s open deadlines moved to its calendar", partnership.pk, moved)
    return moved


@shared_task(name="referrals.reschedule_partnership")
def reschedule_partnership(partnership_id: int, user_id: int | None = None) -> int:
    """Queued by the admin when a partnership's calendar or settings change."""
    partnership = Partnership.objects.filter(pk=partnership_id).first()
    if partnership is None or not partnership.deadlines_moving:
        return 0
    return reschedule(partnership, User.objects.filter(pk=user_id).first() if user_id else None)


@shared_task(name="referrals.reschedule_pending")
def reschedule_pending() -> int:
    """Beat: catch up on calendar changes whose queued task was lost (the broker was down when it was saved)."""
    stale = timezone.now() - dt.timedelta(minutes=2)  # leave a just-queued task to do it
    pending = Partnership.objects.filter(calendar_changed_at__lte=stale).filter(
        Q(deadlines_moved_at=None) | Q(deadlines_moved_at__lt=F("calendar_changed_at"))
    )
    return sum(reschedule(partnership, None) for partnership in pending)
