"""Record the step that meets a clock after the meeting (DOMAIN sections 1 and 3); which step and who may
record it are in `referrals.steps`.

A step records the date it happened, which may be earlier than the day it is entered; the clock is
met at that date. A conference held also goes on the decision that opened its clock.
"""

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from agencies.models import User
from core.history import record
from core.timescales import Rule, step_moment, to_local
from referrals.access import ReferralChecker
from referrals.deadlines import deadline_meet
from referrals.models import Deadline, DeadlineState
from referrals.steps import can_record_step, step_for
from strategy.models import ChildDecision, ConferenceOutcome


def deadline_step_record(
    *, acting_user: User, checker: ReferralChecker, deadline: Deadline, data: Mapping[str, Any], now: dt.datetime
) -> Deadline:
    """Record the step that meets a clock (`data`: on, a date; outcome for a conference or a review).

    The clock is met at the start of that day (never before it began), so a step on the due day is on time.
    A conference held also records its date and outcome on the decision that opened the clock.
    """
    if not can_record_step(checker, deadline):
        raise PermissionDenied("You cannot record this step")
    step = step_for(deadline)
    assert step is not None  # noqa: S101 - can_record_step checked it
    errors: dict[str, str] = {}
    on = data.get("on")
    outcome = str(data.get("outcome") or "").strip()
    started = to_local(deadline.starts_at).date()
    if on is None:
        errors["on"] = f"Enter the {step.date_label.lower()}"
    elif on > to_local(now).date():
        errors["on"] = f"The {step.date_label.lower()} must be today or in the past"
    elif on < started:
        errors["on"] = f"The {step.date_label.lower()} must be on or after {started:%-d %B %Y}, when the clock started"
    if step.outcome_label and not outcome:
        errors["outcome"] = (
            "Select the outcome of the conference" if Rule(deadline.rule) is Rule.ICPC else "Say what the review found"
        )
    if Rule(deadline.rule) is Rule.ICPC and outcome and outcome not in ConferenceOutcome.values:
        errors["outcome"] = "Select the outcome of the conference"
    if errors or on is None:
        raise ValidationError(errors)
    with transaction.atomic():
        deadline = Deadline.objects.select_for_update().get(pk=deadline.pk)
        if deadline.state != DeadlineState.OPEN:
            raise ValidationError("This deadline has already been met or stopped")
        note = ConferenceOutcome(outcome).label if Rule(deadline.rule) is Rule.ICPC else outcome
        deadline_meet(
            acting_user=acting_user,
            deadline=deadline,
            at=step_moment(on, deadline.starts_at),
            by=step.met_by,
            note=note,
            recorded=True,
        )
        if Rule(deadline.rule) is Rule.ICPC:
            for decision in ChildDecision.objects.select_for_update().filter(icpc_deadline=deadline):
                decision.conference_held_on, decision.conference_outcome = on, outcome
                if decision.conference_needed is None:
                    decision.conference_needed = True
                record(decision, acting_user, "Conference held")
                decision.save()
    return deadline
