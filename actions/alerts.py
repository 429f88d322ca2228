"""The deadline watcher (DOMAIN section 5): due soon, overdue and escalation alerts, each raised once.

A sweep is one indexed query on the stored moments (open deadlines whose next alert moment has
passed), read in batches. Each deadline's next stage is claimed with a conditional update on its
stored stage, as healthchecks' `sendalerts` claims a check, so two sweeps at once (two beats, two
workers, a retry) raise it once; a unique constraint on (deadline, stage, due moment) is the last
guard. A batch's claims, alerts and notifications commit together: a worker killed mid-sweep leaves
each deadline either fully raised or untouched, for the retried or next sweep. No working-day
arithmetic happens here: the moments were computed by the timescale engine when the deadline was
stored, escalation included.

Alerts that are about no deadline (an urgent disagreement, repeated delays, the on-call rota running out) are
raised through `alert_raise`, once per kind and key (a conditional unique constraint), in the caller's transaction;
their emails are queued at once when it commits (`actions.send_alert_emails`), and the sweep sends any left over.

Emails go after the alerts are saved, from the notifications still waiting for one (an indexed
moment, `email_next_try_at`), a bounded number per sweep. Each is claimed with a conditional update
before it is sent; a mail server that fails leaves it for the next sweep, and never undoes an alert.
"""

import datetime as dt
import logging
import smtplib
from collections import Counter, defaultdict

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse

from actions.models import Alert, AlertKind, AlertStage, Notification
from agencies.models import Duty, Partnership, RoleCode, User
from agencies.selectors import partnership_administrators, rota_last_days
from core import queue
from core.presenters import rule_task
from core.timescales import month_of, month_start, months_after, to_local
from referrals.models import Deadline, DeadlineState

log = logging.getLogger(__name__)
# A claimed email not marked sent by then (its sender died mid-send) may be claimed again: far longer than
# a send can take with EMAIL_TIMEOUT, short enough that nobody waits long for an email.
EMAIL_CLAIM = dt.timedelta(minutes=5)
# What the sweep reads of a deadline: its stored moments, stage, person and agency.
WATCHED = ("next_alert_at", "due_soon_at", "due_at", "escalate_at", "alerted_stage", "responsible", "agency")


def stage_at(deadline: Deadline, now: dt.datetime) -> int:
    """The stage a deadline has reached at `now`, from its stored moments."""
    if now >= deadline.escalate_at:
        return AlertStage.ESCALATED
    if now > deadline.due_at:  # at the due moment itself it is still in time (as the engine's is_overdue)
        return AlertStage.OVERDUE
    if now >= deadline.due_soon_at:
        return AlertStage.DUE_SOON
    return 0


class Audience:
    """Everyone a batch of deadlines may tell, loaded in two queries however long the batch: the people
    responsible (with their line managers) and each agency's heads of service / strategy discussion leads."""

    def __init__(self, deadlines: list[Deadline]) -> None:
        people = {d.responsible_id for d in deadlines if d.responsible_id}
        self.people: dict[int, User] = User.objects.select_related("line_manager").in_bulk(people)  # type: ignore[assignment]
        self.leads: dict[int, list[User]] = defaultdict(list)
        agencies = {d.agency_id for d in deadlines if d.agency_id}
        leads = User.objects.filter(agency_id__in=agencies, is_active=True, roles__code=RoleCode.HEAD_OF_SERVICE)
        for user in leads.distinct().order_by("pk"):
            self.leads[user.agency_id].append(user)  # type: ignore[index]

    def recipients(self, deadline: Deadline, stage: int) -> list[User]:
        """Who is told at each stage (DOMAIN section 5)."""
        agency_leads = self.leads.get(deadline.agency_id, []) if deadline.agency_id else []  # type: ignore[call-overload]
        person = self.people.get(deadline.responsible_id) if deadline.responsible_id else None  # type: ignore[arg-type]
        if person is not None and not person.is_active:
            person = None
        if stage == AlertStage.DUE_SOON:
            return [person] if person else list(agency_leads)
        if stage == AlertStage.OVERDUE:
            manager = person.line_manager if person and person.line_manager_id else None
            told = [person] if person else []
            if manager is not None and manager.is_active and manager.agency_id == deadline.agency_id:
                told.append(manager)
            else:
                told.extend(agency_leads)  # another agency's action, or nobody's manager recorded: its leads
            return list(dict.fromkeys(told))
        return list(agency_leads)


def _claim(batch: list[Deadline], now: dt.datetime) -> list[tuple[Deadline, list[int]]]:
    """Move each deadline's stored stage on if nobody else has; returns the stages this sweep must raise for each.

    A conditional update, a batch at a time: the rows are locked (in key order, so two sweeps cannot deadlock),
    and each is taken only if it is still as this sweep read it, open at the same stage for the same due
    moment. A second sweep that read the same rows waits for the first to commit, then finds them moved on.
    Call it inside the transaction that raises the alerts.
    """
    wanted = {deadline.pk: deadline for deadline in batch if stage_at(deadline, now) > deadline.alerted_stage}
    if not wanted:
        return []
    current = (
        Deadline.objects.select_for_update()
        .filter(pk__in=list(wanted), state=DeadlineState.OPEN)
        .order_by("pk")
        .values_list("pk", "alerted_stage", "due_at")
    )
    claimed: list[tuple[Deadline, list[int]]] = []
    reaching: dict[int, list[int]] = defaultdict(list)
    for pk, alerted_stage, due_at in current:
        deadline = wanted[pk]
        if (alerted_stage, due_at) != (deadline.alerted_stage, deadline.due_at):
            continue  # claimed by another sweep, or moved, since this sweep read it
        reached = stage_at(deadline, now)
        stages = list(range(deadline.alerted_stage + 1, reached + 1))
        if reached >= AlertStage.OVERDUE:
            stages = [s for s in stages if s != AlertStage.DUE_SOON]  # already overdue: "due soon" would be noise
        claimed.append((deadline, stages))
        reaching[reached].append(pk)
    # The next moment is one of the row's own (due soon, then due, then escalate; none once escalated: the
    # timeliness report takes over): one plain update per stage reached.
    then = {AlertStage.DUE_SOON: F("due_at"), AlertStage.OVERDUE: F("escalate_at"), AlertStage.ESCALATED: None}
    for reached, pks in reaching.items():
        Deadline.objects.filter(pk__in=pks).update(alerted_stage=reached, next_alert_at=then[reached])  # type: ignore[index]
    return claimed


def _raise_batch(batch: list[Deadline], now: dt.datetime) -> Counter:
    """Claim, raise and address one batch in one transaction: all of it is saved, or none of it."""
    raised: Counter = Counter()
    with transaction.atomic():
        claimed = _claim(batch, now)
        if not claimed:
            return raised
        # Raised already for this due moment (a deadline moved away and back): the unique constraint's case.
        existing = set(
            Alert.objects.filter(deadline__in=[d for d, _ in claimed])
            .order_by()
            .values_list("deadline_id", "stage", "due_at")
        )
        new = [
            (deadline, Alert(deadline_id=deadline.pk, stage=stage, due_at=deadline.due_at, raised_at=now))
            for deadline, stages in claimed
            for stage in stages
            if (deadline.pk, stage, deadline.due_at) not in existing
        ]
        Alert.objects.bulk_create([alert for _, alert in new])
        audience = Audience([deadline for deadline, _ in claimed])
        Notification.objects.bulk_create(
            Notification(alert=alert, user=user, email_next_try_at=now if user.email else None)
            for deadline, alert in new
            for user in audience.recipients(deadline, alert.stage)  # type: ignore[arg-type]  # set just above
        )
        raised.update(alert.stage for _, alert in new)
    return raised


def sweep(*, now: dt.datetime) -> Counter:
    """Raise every alert that has fallen due; return how many per stage. Safe to run at once in many places."""
    raised: Counter = Counter()
    size = settings.DEADLINE_SWEEP_BATCH
    due = Deadline.objects.filter(state=DeadlineState.OPEN, next_alert_at__lte=now)
    while True:
        batch = list(due.only(*WATCHED).order_by("next_alert_at", "pk")[:size])
        if not batch:
            return raised
        try:
            raised += _raise_batch(batch, now)
        except IntegrityError:
            # Another sweep raised one of these in the same instant: this batch is left whole for the next sweep.
            log.warning("deadline sweep: a batch from deadline %s conflicted; left for the next sweep", batch[0].pk)
        if len(batch) < size:
            return raised
        # On from the last row looked at (keyset), so a row with nothing to raise yet is not read again.
        last = batch[-1]
        due = (
            Deadline.objects.filter(state=DeadlineState.OPEN, next_alert_at__lte=now)
            .filter(next_alert_at__gte=last.next_alert_at)  # a range on the index, not an OR it cannot seek
            .exclude(next_alert_at=last.next_alert_at, pk__lte=last.pk)
        )


def alert_raise(
    *,
    kind: str,
    key: str,
    partnership: Partnership,
    recipients: list[User],
    link: str,
    message: str,
    now: dt.datetime,
) -> Alert | None:
    """Raise an alert that is about no deadline, once per (kind, key) whatever the retries; returns it, or None if it
    was raised before (nobody is told twice). Runs in the caller's transaction (a savepoint guards the insert, so a
    concurrent raise of the same key leaves the caller's work whole); its emails are queued when that commits.

    `link` is a path in the app and `message` a short sentence: neither may carry a child's name or case detail."""
    if kind == AlertKind.DEADLINE or not key or not link.startswith("/") or link.startswith("//"):
        raise ValueError("alert_raise is for alerts about no deadline, with a key and a path in the app")
    if Alert.objects.filter(kind=kind, key=key).exists():
        return None
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                kind=kind, key=key, partnership=partnership, link=link, message=message[:300], raised_at=now
            )
    except IntegrityError:
        return None  # raised in the same instant by another worker
    people = [user for user in dict.fromkeys(recipients) if user is not None and user.is_active]
    Notification.objects.bulk_create(
        Notification(alert=alert, user=user, email_next_try_at=now if user.email else None) for user in people
    )
    if any(user.email for user in people):
        transaction.on_commit(_queue_emails)
    return alert


def _queue_emails() -> None:
    from actions.tasks import send_alert_emails

    try:
        queue.publish(send_alert_emails, args=[])
    except Exception:  # the broker is down: the next sweep sends them (DEADLINE_SWEEP_MINUTES)
        log.warning("alert emails: could not queue them at once; the next sweep sends them")


def strategy_leads(agency_ids: list[int]) -> list[User]:
    """The strategy discussion leads of these agencies: their active heads of service."""
    return list(
        User.objects.filter(agency_id__in=agency_ids, is_active=True, roles__code=RoleCode.HEAD_OF_SERVICE)
        .distinct()
        .order_by("pk")
    )


# The strategy discussion clocks (DOMAIN section 3) whose lateness the repeated-delays alert counts: one range of the
# `deadline_discussion_due` index per partnership.
DISCUSSION_CLOCKS = ("SD_SAME_DAY", "SD_IMMEDIATE_ACTION", "SD_STANDARD", "SD_COMPLEX", "SD_MISSING_CHILD")


def delays_count(partnership: Partnership, now: dt.datetime) -> int:
    """The partnership's strategy discussions due this London month (up to `now`) whose clock was met late or is
    overdue and still open. A stopped clock (the case closed before a discussion was needed) is no delay."""
    month = month_of(now)
    due = Deadline.objects.filter(
        partnership=partnership,
        rule__in=DISCUSSION_CLOCKS,
        due_at__gte=month_start(month),
        due_at__lt=min(now, month_start(months_after(month, 1))),
    )
    late = Q(state=DeadlineState.OPEN) | Q(state=DeadlineState.MET, met_at__gt=F("due_at"))
    return due.filter(late).count()


def delays_check(*, now: dt.datetime) -> int:
    """Each partnership whose discussions missed their timescale more than its setting allows this month: the
    strategy discussion leads of every agency of it are alerted once that month, with the count and the report's
    link (no case detail); at twice the setting, the partnership's administrators too (DOMAIN section 7: "then to
    the partnership"), once. Returns how many alerts were raised."""
    raised = 0
    month = to_local(now).strftime("%Y-%m")
    report = reverse("reports:index")
    for partnership in Partnership.objects.order_by("pk"):
        count = delays_count(partnership, now)
        limit = partnership.delays_alert_after
        if count <= limit:
            continue
        words = f"{count} strategy discussions this month missed their timescale (more than {limit}): see the report"
        with transaction.atomic():
            leads = strategy_leads(list(partnership.agencies.values_list("pk", flat=True)))
            raised += _raised(
                kind=AlertKind.REPEATED_DELAYS,
                key=f"delays:{partnership.pk}:{month}",
                partnership=partnership,
                recipients=leads,
                link=report,
                message=words,
                now=now,
            )
            if count >= 2 * limit:
                raised += _raised(
                    kind=AlertKind.REPEATED_DELAYS,
                    key=f"delays:{partnership.pk}:{month}:partnership",
                    partnership=partnership,
                    recipients=partnership_administrators(partnership.pk),
                    link=report,
                    message=f"{words}. That is twice the partnership's setting or more.",
                    now=now,
                )
    return raised


ROTA_WARNING = dt.timedelta(days=7)


def rota_check(*, now: dt.datetime) -> int:
    """Warn each partnership's administrators, once per last date, when a duty of its on-call rota runs out in less
    than 7 days (its last covered date is before today + 7), or has nobody at all while the other duty has a rota
    (a partnership that keeps no rota is not nagged). Returns how many alerts were raised."""
    raised = 0
    today = to_local(now).date()
    link = reverse("admin:agencies_oncall_changelist")
    for partnership in Partnership.objects.order_by("pk"):
        last = rota_last_days(partnership)
        if not any(last.values()):
            continue
        for duty, day in last.items():
            if day is not None and day >= today + ROTA_WARNING:
                continue
            label = Duty(duty).label
            if day is None:
                key, words = f"rota:{partnership.pk}:{duty}:none", f"Nobody is on the rota for {label.lower()}"
            elif day < today:
                key, words = (
                    f"rota:{partnership.pk}:{duty}:{day.isoformat()}",
                    (f"The on-call rota for {label.lower()} ran out on {day:%-d %B %Y}: add who is on call"),
                )
            else:
                key, words = (
                    f"rota:{partnership.pk}:{duty}:{day.isoformat()}",
                    (f"The on-call rota for {label.lower()} runs out after {day:%-d %B %Y}: add who is on call next"),
                )
            with transaction.atomic():
                raised += _raised(
                    kind=AlertKind.ROTA_ENDING,
                    key=key,
                    partnership=partnership,
                    recipients=partnership_administrators(partnership.pk),
                    link=link,
                    message=words,
                    now=now,
                )
    return raised


def _raised(**values) -> int:
    return 1 if alert_raise(**values) is not None else 0


def _message(notification: Notification, connection) -> EmailMessage:
    """What is due, for which case reference, and a link to where it is done: never a child's name or any other
    case detail (email is not a secure channel; the reference alone names nobody), nor an action's own words."""
    base = settings.SITE_URL.rstrip("/")
    alert = notification.alert
    if alert.kind != AlertKind.DEADLINE:
        return _other_message(notification, connection, base)
    deadline, stage_number, due_at = alert.deadline, alert.stage, alert.due_at
    if deadline is None or stage_number is None or due_at is None:  # the check constraint makes this impossible
        raise ValueError(f"alert {alert.pk} is a deadline alert without its deadline, stage or due moment")
    stage = AlertStage(stage_number).label
    due = to_local(due_at).strftime("%a %-d %b %Y %H:%M")
    act = base + reverse("work:act", kwargs={"deadline_pk": deadline.pk})
    return EmailMessage(
        subject=f"Strategy Discussions: {stage.lower()}, case {deadline.referral.reference}",
        body=(
            f"{stage}: {rule_task(deadline.rule)}, case {deadline.referral.reference}, due {due}.\n\n"
            f"Sign in to act on it: {act}\n\n"
            f"All your alerts: {base + reverse('actions:notifications')}\n\n"
            "This email names the case by its reference only and holds no child's details on purpose."
        ),
        to=[notification.user.email],
        connection=connection,
    )


def _other_message(notification: Notification, connection, base: str) -> EmailMessage:
    """An alert about no deadline: what kind it is and a link, only (its message may say a count, never a case)."""
    alert = notification.alert
    kind = AlertKind(alert.kind).label
    return EmailMessage(
        subject=f"Strategy Discussions: {kind.split(':')[0].lower()}",
        body=(
            f"{kind}.\n\n"
            f"Sign in to see it: {base + alert.link}\n\n"
            f"All your alerts: {base + reverse('actions:notifications')}\n\n"
            "This email holds no child's details on purpose."
        ),
        to=[notification.user.email],
        connection=connection,
    )


def _claim_email(notification: Notification, now: dt.datetime) -> bool:
    """Take the email for this sweep unless another has (or took it over EMAIL_CLAIM ago and died)."""
    return bool(
        Notification.objects.filter(pk=notification.pk, emailed_at=None, email_next_try_at__lte=now).update(
            email_next_try_at=now + EMAIL_CLAIM
        )
    )


def email_pending(*, now: dt.datetime, limit: int | None = None) -> int:
    """Send the alert emails still waiting (new, or failed before), at most `limit`; return how many went.

    A mail server that cannot be reached, or times out (EMAIL_TIMEOUT), ends this batch: the emails stay
    waiting for the next sweep. One refused message is logged and retried next time. Log lines carry ids only.
    """
    pending = list(
        Notification.objects.filter(email_next_try_at__lte=now)
        .select_related("user", "alert__deadline__referral")
        .order_by("email_next_try_at", "pk")[: limit or settings.ALERT_EMAILS_PER_SWEEP]
    )
    if not pending:
        return 0
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except OSError as exc:  # smtplib's errors are OSErrors, as are refused connections and timeouts
        log.warning(
            "alert emails: mail server unavailable (%s); %d left for the next sweep", type(exc).__name__, len(pending)
        )
        return 0
    sent = 0
    try:
        for notification in pending:
            if not _claim_email(notification, now):
                continue
            user = notification.user
            if not (user.email and user.is_active):  # the address was removed since: nothing to send
                Notification.objects.filter(pk=notification.pk).update(email_next_try_at=None)
                continue
            try:
                connection.send_messages([_message(notification, connection)])
            except OSError as exc:
                log.warning(
                    "notification %s: email not sent (%s); retried by the next sweep",
                    notification.pk,
                    type(exc).__name__,
                )
                Notification.objects.filter(pk=notification.pk, emailed_at=None).update(email_next_try_at=now)
                if isinstance(exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused):
                    continue  # this message was refused; the server is still there for the others
                break  # the server went away or timed out: the rest wait for the next sweep
            Notification.objects.filter(pk=notification.pk).update(emailed_at=now, email_next_try_at=None)
            sent += 1
    finally:
        try:
            connection.close()
        except OSError:
            log.info("alert emails: the mail connection did not close cleanly")
    if sent:
        log.info("alert emails: %d sent", sent)
    return sent
