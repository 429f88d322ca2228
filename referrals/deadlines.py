"""Writes to deadlines: open, meet, stop and move the clocks of a case (DOMAIN sections 3 and 5).

Every moment comes from the timescale engine (`core.timescales`) and is stored on the row
when it is written: due, due soon and escalation. A watcher then finds what needs telling
with one indexed query on open rows and never recomputes anything. Strategy discussions
and actions (the apps above this one) open and close their clocks through these functions.
"""

import datetime as dt

from django.db import transaction

from agencies.models import Agency, Partnership, User
from agencies.selectors import partnership_calendar
from core.history import record
from core.timescales import Calendar, Rule, due_at, due_soon_at, escalation_at
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

    An action's due moment is the one agreed for it (`agreed_due`); every other rule's comes
    from the engine.
    """
    if Rule(rule) is Rule.ACTION:
        if agreed_due is None:
            raise ValueError("An action's deadline needs the due moment agreed for it")
        due = agreed_due
    else:
        due = due_at(rule, starts_at, calendar)
    return due, due_soon_at(starts_at, due, due_soon_share), escalation_at(due, calendar)


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
        agreed_due=agreed_due or (deadline.due_at if rule is Rule.ACTION else None),
    )
    new = (rule.value, starts_at, due, due_soon, escalate)
    if (deadline.rule, deadline.starts_at, deadline.due_at, deadline.due_soon_at, deadline.escalate_at) == new:
        return False
    deadline.rule, deadline.starts_at, deadline.due_at, deadline.due_soon_at, deadline.escalate_at = new
    # Judged again from its new moments: alerts for the old due moment stay raised; the new one starts afresh.
    deadline.alerted_stage, deadline.next_alert_at = 0, due_soon
    record(deadline, acting_user, reason)
    deadline.full_clean()
    deadline.save()
    return True


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


def deadline_meet(*, acting_user: User, deadline: Deadline, at: dt.datetime, by: str) -> bool:
    """The clock is met at `at` by `by` ("Strategy discussion held"); late if after it was due."""
    if deadline.state != DeadlineState.OPEN:
        return False
    deadline.state, deadline.met_at, deadline.met_by = DeadlineState.MET, at, by
    record(deadline, acting_user, by)
    deadline.full_clean()
    deadline.save()
    return True


def deadline_stop(*, acting_user: User, deadline: Deadline, at: dt.datetime, reason: str) -> bool:
    """The clock no longer applies (case closed, action cancelled, conference not needed), with the reason."""
    if deadline.state != DeadlineState.OPEN:
        return False
    deadline.state, deadline.stopped_at, deadline.stop_reason = DeadlineState.STOPPED, at, reason
    record(deadline, acting_user, reason)
    deadline.full_clean()
    deadline.save()
    return True


def deadlines_stop_for_case(*, acting_user: User, referral: Referral, at: dt.datetime, reason: str) -> int:
    """Stop every open clock of a case (it was closed). Returns how many stopped."""
    with transaction.atomic():
        open_ = referral.deadlines.select_for_update().filter(state=DeadlineState.OPEN).select_related("partnership")
        return sum(deadline_stop(acting_user=acting_user, deadline=d, at=at, reason=reason) for d in open_)


def deadlines_reschedule(*, acting_user: User, partnership: Partnership, reason: str) -> int:
    """Compute again every open clock of a partnership after its calendar changed. Returns how many moved.

    Closure days, the standard number of days, the end of the working day, the due-soon share
    and the jurisdiction all feed the moments stored on each row. Called explicitly by whatever
    saves the change (the admin included), never by a signal.
    """
    calendar = partnership_calendar(partnership)
    with transaction.atomic():
        open_ = (
            Deadline.objects.select_for_update()
            .filter(partnership=partnership, state=DeadlineState.OPEN)
            .select_related("partnership")
        )
        moved = 0
        for deadline in open_:
            deadline.partnership = partnership  # the settings just saved, not a stale copy
            moved += deadline_move(acting_user=acting_user, deadline=deadline, reason=reason, calendar=calendar)
        return moved
