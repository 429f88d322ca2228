"""The deadline watcher (DOMAIN section 5): due soon, overdue and escalation alerts, each raised once.

A sweep is one indexed query on the stored moments (open deadlines whose next alert moment has
passed). Each deadline's next stage is claimed with a conditional update on its stored stage, as
healthchecks' `sendalerts` claims a check, so two sweeps at once (two beats, two workers, a retry)
raise it once; a unique constraint on (deadline, stage, due moment) is the last guard. No working-day
arithmetic happens here: the moments were computed by the timescale engine when the deadline was
stored, escalation included.
"""

import datetime as dt
import logging
from collections import Counter
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from actions.models import Alert, AlertStage, Notification
from agencies.models import RoleCode, User
from referrals.models import Deadline, DeadlineState

log = logging.getLogger(__name__)
BATCH = 500


def stage_at(deadline: Deadline, now: dt.datetime) -> int:
    """The stage a deadline has reached at `now`, from its stored moments."""
    if now >= deadline.escalate_at:
        return AlertStage.ESCALATED
    if now > deadline.due_at:  # at the due moment itself it is still in time (as the engine's is_overdue)
        return AlertStage.OVERDUE
    if now >= deadline.due_soon_at:
        return AlertStage.DUE_SOON
    return 0


def next_moment(deadline: Deadline, stage: int) -> dt.datetime | None:
    """When the stage after `stage` falls (None once escalated: the timeliness report takes over)."""
    return {0: deadline.due_soon_at, 1: deadline.due_at, 2: deadline.escalate_at}.get(stage)


def _leads(deadline: Deadline) -> list[User]:
    """The agency's heads of service / strategy discussion leads."""
    if deadline.agency_id is None:
        return []
    return list(
        User.objects.filter(
            agency_id=deadline.agency_id, is_active=True, roles__code=RoleCode.HEAD_OF_SERVICE
        ).distinct()
    )


def recipients(deadline: Deadline, stage: int) -> list[User]:
    """Who is told at each stage (DOMAIN section 5)."""
    person = deadline.responsible if deadline.responsible_id and deadline.responsible.is_active else None  # type: ignore[union-attr]
    if stage == AlertStage.DUE_SOON:
        return [person] if person else _leads(deadline)
    if stage == AlertStage.OVERDUE:
        manager = person.line_manager if person and person.line_manager_id else None
        told = [person] if person else []
        if manager is not None and manager.is_active and manager.agency_id == deadline.agency_id:
            told.append(manager)
        else:
            told.extend(_leads(deadline))  # another agency's action, or nobody's manager recorded: its leads
        return list(dict.fromkeys(told))
    return _leads(deadline)


def _raise(deadline: Deadline, stage: int, now: dt.datetime) -> Alert | None:
    try:
        with transaction.atomic():
            alert = Alert.objects.create(deadline=deadline, stage=stage, due_at=deadline.due_at, raised_at=now)
            for user in recipients(deadline, stage):
                Notification.objects.create(alert=alert, user=user)
    except IntegrityError:
        return None  # raised already (a retry after a crash between claim and raise)
    return alert


def _claim(deadline: Deadline, now: dt.datetime) -> list[int]:
    """Move the stored stage on if nobody else has; returns the stages this sweep must raise."""
    reached = stage_at(deadline, now)
    if reached <= deadline.alerted_stage:
        return []
    claimed = Deadline.objects.filter(
        pk=deadline.pk, state=DeadlineState.OPEN, alerted_stage=deadline.alerted_stage, due_at=deadline.due_at
    ).update(alerted_stage=reached, next_alert_at=next_moment(deadline, reached))
    if not claimed:
        return []
    stages = list(range(deadline.alerted_stage + 1, reached + 1))
    if reached >= AlertStage.OVERDUE:
        stages = [s for s in stages if s != AlertStage.DUE_SOON]  # already overdue: "due soon" would be noise
    return stages


def sweep(*, now: dt.datetime) -> Counter:
    """Raise every alert that has fallen due; return how many per stage. Safe to run at once in many places."""
    raised: Counter = Counter()
    while True:
        due = list(
            Deadline.objects.filter(state=DeadlineState.OPEN, next_alert_at__lte=now)
            .select_related("responsible__line_manager")
            .order_by("next_alert_at", "pk")[:BATCH]
        )
        if not due:
            return raised
        for deadline in due:
            for stage in _claim(deadline, now):
                alert = _raise(deadline, stage, now)
                if alert is not None:
                    raised[stage] += 1
                    transaction.on_commit(partial(email_alert, alert.pk))
        if len(due) < BATCH:
            return raised


def email_alert(alert_pk: int) -> None:
    """Email each recipient a link: never a child's name or any case detail (email is not a secure channel)."""
    from django.utils import timezone

    alert = Alert.objects.get(pk=alert_pk)
    link = settings.SITE_URL.rstrip("/") + reverse("actions:notifications")
    for notification in alert.notifications.filter(emailed_at=None).select_related("user"):
        if not notification.user.email:
            continue
        send_mail(
            subject="Strategy Discussions: a deadline needs your attention",
            message=(
                f"A deadline you are responsible for, or oversee, is {alert.get_stage_display().lower()}.\n\n"
                f"Sign in to see it: {link}\n\nThis email holds no case details on purpose."
            ),
            from_email=None,
            recipient_list=[notification.user.email],
        )
        Notification.objects.filter(pk=notification.pk, emailed_at=None).update(emailed_at=timezone.now())
    log.info("alert %s emailed", alert_pk)
