"""Reads of professional disagreements: the case page's panel and the disagreement page's stages with their clocks."""

import datetime as dt

from django.db.models import Exists, OuterRef, Q

from actions.models import Action
from agencies.models import PRACTITIONER_ROLES, User
from core.presenters import DeadlineView, present_deadline_row
from disputes.access import DisagreementChecker, may_raise
from disputes.models import Disagreement, DisagreementStatus, StageNumber
from disputes.record import convened_stage, stages_of, summary
from referrals.access import ReferralChecker
from referrals.models import Referral
from strategy.access import DiscussionChecker
from strategy.models import Discussion, Invitation


def case_disagreements_panel(checker: ReferralChecker, *, now: dt.datetime) -> dict | None:
    """The case page's open disagreements the user may see, and whether they may raise one (None: draw nothing).

    A case has a handful of disagreements at most: each is checked through the one disagreement policy."""
    user, referral = checker.user, checker.referral
    shown = _open_seen_by(user, Disagreement.objects.filter(referral=referral, status=DisagreementStatus.OPEN), now)
    raise_ = may_raise(user, referral)
    if not shown and not raise_:
        return None
    return {"disagreements": shown, "may_raise": raise_, "referral": referral}


def _open_seen_by(user: User, disagreements, now: dt.datetime) -> list[dict]:
    """The case's open disagreements (a handful at most) that `user` may see, each checked through the one
    disagreement policy, with its clock: the case page's list and the meeting page's."""
    rows = disagreements.select_related("raised_by", "raised_by_agency", "with_agency", "with_person", "deadline")
    return [
        {"disagreement": d, "clock": clock_view(d.deadline, now=now)}
        for d in rows
        if DisagreementChecker.for_user(user, d).can_view()
    ]


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


PEOPLE_FOUND_MAX = 20


def _case_people_ids(referral: Referral) -> set[int]:
    """Everyone named on the case: who logged it, allocated it, closed it, chaired or was named for an agency at one
    of its discussions, or leads one of its actions. A case has a few dozen at most."""
    ids = {referral.created_by_id, referral.allocated_social_worker_id, referral.closed_by_id}
    ids.update(Discussion.objects.filter(referral=referral).values_list("chair_id", flat=True))
    ids.update(
        Invitation.objects.filter(discussion__referral=referral, person__isnull=False).values_list(
            "person_id", flat=True
        )
    )
    ids.update(Action.objects.filter(referral=referral, person__isnull=False).values_list("person_id", flat=True))
    ids.discard(None)
    return ids  # type: ignore[return-value]


def people_offered(
    referral: Referral, *, sees_case: bool, agency_pk: int | None, find: str, chosen_pk: int | None
) -> tuple[list[User], bool]:
    """Who "with whom" offers, bounded whatever the partnership's size (never a list of all its practitioners):
    the people named on the case (only for who sees the case: raising grants no access), up to PEOPLE_FOUND_MAX
    practitioners of the chosen agency whose first or last name starts with what was typed in "find" (the agency's
    members, by its index), and the person already chosen. Returns them and whether the search found more."""
    practitioners = User.objects.practitioners().filter(agency__partnership_id=referral.partnership_id)
    ids = _case_people_ids(referral) if sees_case else set()
    if chosen_pk:
        ids.add(chosen_pk)
    more = False
    find = " ".join(find.split())
    if find and agency_pk:
        words = find.split(" ")
        roles = User.roles.through.objects.filter(user_id=OuterRef("pk"), role_id__in=PRACTITIONER_ROLES)
        query = User.objects.filter(is_active=True, agency_id=agency_pk, agency__partnership_id=referral.partnership_id)
        query = query.filter(Exists(roles))
        for word in words:
            query = query.filter(Q(first_name__istartswith=word) | Q(last_name__istartswith=word))
        found = list(
            query.order_by("last_name", "first_name", "pk").values_list("pk", flat=True)[: PEOPLE_FOUND_MAX + 1]
        )
        more = len(found) > PEOPLE_FOUND_MAX
        ids.update(found[:PEOPLE_FOUND_MAX])
    people = list(
        practitioners.filter(pk__in=ids).select_related("agency").order_by("agency__name", "last_name", "first_name")
    )
    return people, more


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
    shown = _open_seen_by(user, others, now)
    if convened_for is None and not shown:
        return None
    return {"convened_for": convened_for, "disagreements": shown}
