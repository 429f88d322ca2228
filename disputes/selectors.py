"""Reads of professional disagreements: the case page's panel and the disagreement page's stages with their clocks."""

import datetime as dt

from core.presenters import DeadlineView, present_deadline_row
from disputes.access import DisagreementChecker, may_raise
from disputes.models import Disagreement, DisagreementStatus, StageNumber
from disputes.record import convened_stage, stages_of, summary
from referrals.access import ReferralChecker
from strategy.access import DiscussionChecker


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
        StageNumber.DISCUSSION: calendar.disagreement_stage_3_days,
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


def meeting_disagreements_panel(checker: DiscussionChecker, *, now: dt.datetime) -> dict | None:
    """The meeting page's part (issue 30): the disagreement a stage-3 discussion was convened to resolve, for
    everyone who sees the meeting (the meeting is about it), with a link for who may open it; and the case's open
    disagreements, each only for who may see it (as on the case page). None: draw nothing."""
    user, discussion = checker.user, checker.discussion
    stage = convened_stage(discussion)
    convened_for = None
    if stage is not None:
        disagreement = stage.disagreement
        convened_for = {
            "disagreement": disagreement,
            "summary": summary(disagreement, stages_of(disagreement)),
            "link": DisagreementChecker.for_user(user, disagreement).can_view(),
        }
    others = Disagreement.objects.filter(referral_id=discussion.referral_id, status=DisagreementStatus.OPEN)
    if stage is not None:
        others = others.exclude(pk=stage.disagreement_id)
    shown = [
        {"disagreement": c.disagreement, "clock": clock_view(c.disagreement.deadline, now=now)}
        for c in (
            DisagreementChecker.for_user(user, d)
            for d in others.select_related("raised_by", "raised_by_agency", "with_agency", "with_person", "deadline")
        )
        if c.can_view()
    ]
    if convened_for is None and not shown:
        return None
    return {"convened_for": convened_for, "disagreements": shown}
