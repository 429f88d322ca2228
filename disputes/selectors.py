"""Reads of professional disagreements: the case page's panel and the disagreement page's stages with their clocks."""

import datetime as dt

from core.presenters import DeadlineView, present_deadline_row
from disputes.access import DisagreementChecker, may_raise
from disputes.models import Disagreement, DisagreementStatus, StageNumber
from referrals.access import ReferralChecker


def case_disagreements_panel(checker: ReferralChecker, *, now: dt.datetime) -> dict | None:
    """The case page's open disagreements the user may see, and whether they may raise one (None: draw nothing).

    A case has a handful of disagreements at most: each is checked through the one disagreement policy."""
    user, referral = checker.user, checker.referral
    visible = [
        DisagreementChecker.for_user(user, d)
        for d in Disagreement.objects.filter(referral=referral, status=DisagreementStatus.OPEN).select_related(
            "raised_by", "raised_by_agency", "with_agency", "with_person", "deadline"
        )
    ]
    shown = [
        {"disagreement": c.disagreement, "clock": clock_view(c.disagreement.deadline, now=now)}
        for c in visible
        if c.can_view()
    ]
    raise_ = may_raise(user, referral)
    if not shown and not raise_:
        return None
    return {"disagreements": shown, "may_raise": raise_, "referral": referral}


def clock_view(deadline, *, now: dt.datetime) -> DeadlineView | None:
    return present_deadline_row(deadline, now=now, due_soon=False) if deadline is not None else None


def stage_rows(checker: DisagreementChecker, *, now: dt.datetime) -> list[dict]:
    """Each stage so far, with its clock as the page shows it and the timescale in words."""
    calendar = checker.disagreement.referral.partnership
    days = {
        StageNumber.PRACTITIONERS: calendar.disagreement_stage_1_days,
        StageNumber.LINE_MANAGERS: calendar.disagreement_stage_2_days,
    }
    rows = []
    for stage in checker.stages:
        deadline = stage.deadline
        count = days.get(StageNumber(stage.number))
        rows.append(
            {
                "stage": stage,
                "participants": list(stage.participants.all()),
                "clock": clock_view(deadline, now=now),
                "deadline": deadline,
                "timescale": f"{count} working day{'s' if count != 1 else ''}" if count else "",
            }
        )
    return rows
