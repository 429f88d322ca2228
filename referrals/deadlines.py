"""Writes to deadlines: open, meet, stop and move the clocks of a case (DOMAIN sections 3 and 5).

Every moment comes from the timescale engine (`core.timescales`) and is stored on the row
when it is written: due, due soon and escalation. A watcher then finds what needs telling
with one indexed query on open rows and never recomputes anything. Strategy discussions
and actions (the apps above this one) open and close their clocks through these functions.
"""

import datetime as dt
from collections.abc import Callable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from agencies.models import Agency, Partnership, User
from agencies.selectors import partnership_calendar
from core.history import record
from core.timescales import (
    DISAGREEMENT_RULES,
    SET_BY_PERSON,
    Calendar,
    OutOfRange,
    Rule,
    due_at,
    due_soon_at,
    escalation_at,
    to_local,
)
from referrals.access import can_move_deadlines
from referrals.models import Deadline, DeadlineState, Person, Referral


def deadline_moments(
    rule: Rule | str,
    starts_at: dt.datetime,
    *,
    calendar: Calendar,
    due_soon_share: float,
    agreed_due: dt.datetime | None = None,
) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """Due, due-soon and escalation moments of a clock that started at `starts_at`.

    A due moment a person set (an agreed action date, a reconvene or review date, a clock a team
    manager moved) is `agreed_due`; every other comes from the engine.
    """
    try:
        if agreed_due is not None:
            due = agreed_due
        elif Rule(rule) in SET_BY_PERSON:
            raise ValueError(f"A {Rule(rule).value} deadline needs the due moment agreed for it")
        else:
            due = due_at(rule, starts_at, calendar)
        return due, due_soon_at(starts_at, due, due_soon_share), escalation_at(due, calendar)
    except OutOfRange:
        # A date no clock can have (31/12/9999): refused as bad input on the due date, never a 500.
        raise ValidationError({"due": "The date is too far ahead or behind: check the year"}) from None


def deadline_open(
    *,
    acting_user: User,
    referral: Referral,
    rule: Rule | str,
    starts_at: dt.datetime,
    responsible: User | None,
    agency: Agency | None,
    reason: str,
    child: Person | None = None,
    agreed_due: dt.datetime | None = None,
    calendar: Calendar | None = None,
) -> Deadline:
    """Start a clock on a case, with the person and agency responsible for meeting it."""
    partnership = referral.partnership
    due, due_soon, escalate = deadline_moments(
        rule,
        starts_at,
        calendar=calendar or partnership_calendar(partnership),
        due_soon_share=partnership.due_soon_share,
        agreed_due=agreed_due,
    )
    deadline = Deadline(
        partnership=partnership,
        referral=referral,
        child=child,
        rule=Rule(rule).value,
        starts_at=starts_at,
        due_at=due,
        original_due_at=due,
        set_by_person=Rule(rule) in SET_BY_PERSON,
        due_soon_at=due_soon,
        escalate_at=escalate,
        responsible=responsible,
        agency=agency,
        alerted_stage=0,
        next_alert_at=due_soon,
    )
    with transaction.atomic():
        record(deadline, acting_user, reason)
        deadline.full_clean()
        deadline.save()
    return deadline


def deadline_move(
    *,
    acting_user: User,
    deadline: Deadline,
    reason: str,
    rule: Rule | str | None = None,
    starts_at: dt.datetime | None = None,
    agreed_due: dt.datetime | None = None,
    calendar: Calendar | None = None,
) -> bool:
    """Compute an open clock again (a corrected start, another rule, a changed calendar). Returns whether it moved.

    A met or stopped deadline stays as it was: it is history.
    """
    if deadline.state != DeadlineState.OPEN:
        return False
    rule = Rule(rule or deadline.rule)
    starts_at = starts_at or deadline.starts_at
    due, due_soon, escalate = deadline_moments(
        rule,
        starts_at,
        calendar=calendar or partnership_calendar(deadline.partnership),
        due_soon_share=deadline.partnership.due_soon_share,
        agreed_due=agreed_due or (deadline.due_at if deadline.set_by_person else None),
    )
    new = (rule.value, starts_at, due, due_soon, escalate)
    if (deadline.rule, deadline.starts_at, deadline.due_at, deadline.due_soon_at, deadline.escalate_at) == new:
        return False
    if not deadline.set_by_person:
        deadline.original_due_at = due  # a computed clock corrected (a start typed wrong, a calendar changed)
    deadline.rule, deadline.starts_at, deadline.due_at, deadline.due_soon_at, deadline.escalate_at = new
    # Judged again from its new moments: alerts for the old due moment stay raised; the new one starts afresh.
    deadline.alerted_stage, deadline.next_alert_at = 0, None if deadline.paused else due_soon
    record(deadline, acting_user, reason)
    deadline.full_clean()
    deadline.save()
    _listed_due_keep([deadline.pk])
    return True


def deadline_bring_forward(
    *,
    acting_user: User,
    deadline: Deadline,
    rule: Rule | str,
    starts_at: dt.datetime,
    reason: str,
    calendar: Calendar | None = None,
) -> bool:
    """Count an open clock from an earlier concern or a tighter rule, if that makes it due sooner. Returns whether
    it moved.

    Convening or editing never moves a clock later (DOMAIN section 1): an overdue case stays overdue. Only a team
    manager moves one later, with a reason (`deadline_move_later`).
    """
    if deadline.state != DeadlineState.OPEN or deadline.set_by_person:
        return False
    calendar = calendar or partnership_calendar(deadline.partnership)
    due, _soon, _escalate = deadline_moments(
        rule, starts_at, calendar=calendar, due_soon_share=deadline.partnership.due_soon_share
    )
    if due >= deadline.due_at:
        return False
    return deadline_move(
        acting_user=acting_user, deadline=deadline, reason=reason, rule=rule, starts_at=starts_at, calendar=calendar
    )


def _listed_due_keep(deadline_ids: list[int]) -> None:
    """The referral list sorts by its listed deadline's due moment, copied onto the referral: copy it again."""
    Referral.objects.filter(sd_deadline_id__in=deadline_ids).update(
        sd_due_at=Subquery(Deadline.objects.filter(pk=OuterRef("sd_deadline_id")).values("due_at")[:1])
    )


def deadline_assign(*, acting_user: User, deadline: Deadline, responsible: User | None, reason: str) -> bool:
    """Make someone else responsible for an open clock (their agency with them). Returns whether it changed."""
    if deadline.state != DeadlineState.OPEN or deadline.responsible_id == (responsible.pk if responsible else None):
        return False
    deadline.responsible = responsible
    deadline.agency = responsible.agency if responsible else None
    record(deadline, acting_user, reason)
    deadline.save()
    return True


def deadline_hand_over(
    *, acting_user: User, deadline: Deadline, responsible: User | None, agency: Agency | None, reason: str
) -> bool:
    """Make another person and agency responsible for an open clock (an action reassigned).

    Returns whether it changed.
    """
    new = (responsible.pk if responsible else None, agency.pk if agency else None)
    if deadline.state != DeadlineState.OPEN or (deadline.responsible_id, deadline.agency_id) == new:
        return False
    deadline.responsible, deadline.agency = responsible, agency
    record(deadline, acting_user, reason)
    deadline.save()
    return True


def deadline_meet(
    *, acting_user: User, deadline: Deadline, at: dt.datetime, by: str, note: str = "", recorded: bool = False
) -> bool:
    """The clock is met at `at` by `by` ("Strategy discussion held"); late if after it was due.

    `note`: what the step found (a review's outcome); `recorded`: a person recorded the step (who is kept).
    """
    if deadline.state != DeadlineState.OPEN:
        return False
    deadline.state, deadline.met_at, deadline.met_by = DeadlineState.MET, at, by
    deadline.met_note = note
    deadline.met_recorded_by = acting_user if recorded else None
    deadline.paused = False
    record(deadline, acting_user, by)
    deadline.full_clean()
    deadline.save()
    return True


def deadline_stop(*, acting_user: User, deadline: Deadline, at: dt.datetime, reason: str) -> bool:
    """The clock no longer applies (case closed, action cancelled, conference not needed), with the reason."""
    if deadline.state != DeadlineState.OPEN:
        return False
    deadline.state, deadline.stopped_at, deadline.stop_reason = DeadlineState.STOPPED, at, reason[:200]
    deadline.paused = False
    record(deadline, acting_user, reason)
    deadline.full_clean()
    deadline.save()
    return True


def deadline_move_later(
    *, acting_user: User, deadline: Deadline, due: dt.datetime, reason: str, now: dt.datetime
) -> Deadline:
    """A team manager moves an open clock later, with a reason that is kept and shown (DOMAIN section 1).

    Nothing else moves a clock later: convening, editing a referral and the calendar never do. The
    original due moment stays on the row for the timeliness report; the clock keeps its new date when
    the partnership's calendar changes.
    """
    if not can_move_deadlines(acting_user, deadline.referral):
        raise PermissionDenied("Only a team manager in children's social care moves a deadline later")
    errors: dict[str, str] = {}
    if not reason.strip():
        errors["reason"] = "Give the reason for moving the deadline later"
    with transaction.atomic():
        deadline = Deadline.objects.select_for_update().select_related("partnership").get(pk=deadline.pk)
        if deadline.state != DeadlineState.OPEN:
            errors["__all__"] = "This deadline has been met or stopped: it cannot move"
        elif Rule(deadline.rule) is Rule.ACTION:
            errors["__all__"] = "Change an action's due date on the action's page"
        elif Rule(deadline.rule) in DISAGREEMENT_RULES:
            errors["__all__"] = "A disagreement's stage ends when it is recorded on the disagreement's page"
        elif due <= deadline.due_at:
            errors["due"] = f"The new deadline must be later than {to_local(deadline.due_at):%-d %B %Y, %H:%M}"
        elif due <= now:
            errors["due"] = "The new deadline must be in the future"
        if errors:
            raise ValidationError(errors)
        before = deadline.due_at
        if deadline.original_due_at is None:
            deadline.original_due_at = before
        deadline.set_by_person = True  # from now on a date a person set: the original stays as it was
        moved = deadline_move(
            acting_user=acting_user,
            deadline=deadline,
            agreed_due=due,
            reason=f"Moved later by a team manager: {reason.strip()}"[:100],
        )
        if not moved:  # pragma: no cover - a later due always moves it
            raise RuntimeError("The deadline did not move")
        deadline.moved_from, deadline.moved_by, deadline.moved_at = before, acting_user, now
        deadline.moved_reason = reason.strip()
        deadline.times_moved += 1
        record(deadline, acting_user, "Deadline moved later")
        deadline.save()
    return deadline


def deadline_pause(*, acting_user: User, deadline: Deadline, reason: str) -> bool:
    """Stop watching an open clock for now (its meeting is in progress and has a clock of its own)."""
    if deadline.state != DeadlineState.OPEN or deadline.paused:
        return False
    deadline.paused, deadline.next_alert_at = True, None
    record(deadline, acting_user, reason)
    deadline.save()
    return True


def deadline_resume(*, acting_user: User, deadline: Deadline, reason: str) -> bool:
    """Watch a paused clock again exactly where it was: overdue if it was, with the alerts already raised kept."""
    if deadline.state != DeadlineState.OPEN or not deadline.paused:
        return False
    stages = {0: deadline.due_soon_at, 1: deadline.due_at, 2: deadline.escalate_at}
    deadline.paused, deadline.next_alert_at = False, stages.get(deadline.alerted_stage)
    record(deadline, acting_user, reason)
    deadline.save()
    return True


def deadlines_stop_for_case(
    *, acting_user: User, referral: Referral, at: dt.datetime, reason: str, keep: Sequence[Rule | str] = ()
) -> int:
    """Stop every open clock of a case (it was closed) but those of the rules in `keep` (the minutes' clock runs on
    after closure, DOMAIN section 1, step 6). Returns how many stopped."""
    with transaction.atomic():
        open_ = (
            referral.deadlines.select_for_update()
            .filter(state=DeadlineState.OPEN)
            .exclude(rule__in=[Rule(rule).value for rule in keep])
            .select_related("partnership")
        )
        return sum(deadline_stop(acting_user=acting_user, deadline=d, at=at, reason=reason) for d in open_)


RESCHEDULE_BATCH = 1000
MOVED_FIELDS = ["due_at", "original_due_at", "due_soon_at", "escalate_at", "alerted_stage", "next_alert_at"]


def deadlines_reschedule(
    *, acting_user: User, partnership: Partnership, reason: str, batch_size: int = RESCHEDULE_BATCH
) -> int:
    """Compute again every open clock of a partnership after its calendar changed. Returns how many moved.

    Closure days, the standard number of days, the end of the working day, the due-soon share
    and the jurisdiction all feed the moments stored on each row. Slow work for a big partnership:
    the admin queues it (`referrals.reschedule_partnership`); it runs in batches by key, each one
    transaction with one bulk UPDATE and one bulk insert of history rows, so a batch's queries do
    not grow with its size.
    """
    calendar = partnership_calendar(partnership)
    share = partnership.due_soon_share
    moved, last = 0, 0
    while True:
        with transaction.atomic():
            batch = list(
                Deadline.objects.select_for_update()
                .filter(partnership=partnership, state=DeadlineState.OPEN, pk__gt=last)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return moved
            last = batch[-1].pk
            changed = []
            for deadline in batch:
                due, due_soon, escalate = deadline_moments(
                    deadline.rule,
                    deadline.starts_at,
                    calendar=calendar,
                    due_soon_share=share,
                    # A date a person set stays where it is; only computed clocks follow the calendar.
                    agreed_due=deadline.due_at if deadline.set_by_person else None,
                )
                if (deadline.due_at, deadline.due_soon_at, deadline.escalate_at) == (due, due_soon, escalate):
                    continue
                if deadline.due_at != due:
                    deadline.original_due_at = due
                deadline.due_at, deadline.due_soon_at, deadline.escalate_at = due, due_soon, escalate
                # Judged again from its new moments, as deadline_move does.
                deadline.alerted_stage, deadline.next_alert_at = 0, None if deadline.paused else due_soon
                changed.append(deadline)
            if changed:
                _moved_save(changed, acting_user=acting_user, reason=reason[:100])
                _listed_due_keep([d.pk for d in changed])
            moved += len(changed)
        if len(batch) < batch_size:
            return moved


def _moved_save(changed: list[Deadline], *, acting_user: User, reason: str) -> None:
    """Save a batch of moved clocks and a history row ("changed", by whom, why) for each.

    On PostgreSQL: one UPDATE ... FROM (VALUES ...) and one INSERT ... SELECT (Django's bulk_update
    writes a CASE per field and row, several times slower at a thousand rows). Elsewhere (SQLite in
    `make run`): simple-history's bulk_update_with_history.
    """
    if connection.vendor != "postgresql":
        bulk_update_with_history(
            changed, Deadline, MOVED_FIELDS, default_user=acting_user, default_change_reason=reason
        )
        return
    _moments_save(changed)
    _history_save(changed, acting_user=acting_user, reason=reason)


def _moments_save(changed: list[Deadline]) -> None:
    """One UPDATE for a batch of moved clocks on PostgreSQL, joining the new moments by key."""
    rows = "(%s, %s::timestamptz, %s::timestamptz, %s::timestamptz, %s::timestamptz, %s, %s::timestamptz)"
    params: list = []
    for d in changed:
        params += [d.pk, d.due_at, d.original_due_at, d.due_soon_at, d.escalate_at, d.alerted_stage, d.next_alert_at]
    # Only placeholders are put into the statement; every value is a parameter.
    sql = (
        "UPDATE referrals_deadline AS d SET due_at = v.due_at, original_due_at = v.original_due_at, "  # noqa: S608
        "due_soon_at = v.due_soon_at, "
        "escalate_at = v.escalate_at, alerted_stage = v.alerted_stage, next_alert_at = v.next_alert_at "
        f"FROM (VALUES {', '.join([rows] * len(changed))}) "
        "AS v(id, due_at, original_due_at, due_soon_at, escalate_at, alerted_stage, next_alert_at) "
        "WHERE d.id = v.id"  # nosec B608
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _history_save(changed: list[Deadline], *, acting_user: User, reason: str) -> None:
    """One history row per moved clock on PostgreSQL, copied from the rows just updated (INSERT ... SELECT),
    so the history holds exactly what was saved."""
    historical = Deadline.history.model  # type: ignore[attr-defined]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in historical.tracked_fields)
    table = connection.ops.quote_name(historical._meta.db_table)
    # Table and column names come from the models, never from input; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({columns}, history_date, history_change_reason, history_type, history_user_id) "  # noqa: S608
        f"SELECT {columns}, %s, %s, '~', %s FROM referrals_deadline WHERE id = ANY(%s)"  # nosec B608
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [timezone.now(), reason, acting_user.pk if acting_user else None, [d.pk for d in changed]])


# Whether an app above has taken a clock over (a strategy discussion counts the case's first clock from its own
# concern): that app registers its check at start-up (StrategyConfig.ready), so this app asks without looking up a
# relation it does not own (tests/test_layers.py).
_taken_over_checks: list[Callable[[Deadline], bool]] = []


def deadline_taken_over_register(check: Callable[[Deadline], bool]) -> None:
    if check not in _taken_over_checks:
        _taken_over_checks.append(check)


def deadline_taken_over(deadline: Deadline) -> bool:
    """Whether a record of an app above (a strategy discussion) now owns this clock."""
    return any(check(deadline) for check in _taken_over_checks)
