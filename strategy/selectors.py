"""Reads for the strategy discussion pages: a fixed number of queries whatever the number of people or entries."""

import datetime as dt
from typing import Any

from django.db.models import Prefetch, prefetch_related_objects

from actions.models import Action
from agencies.models import Agency, User
from core.panels import Panels
from core.timescales import to_local
from referrals.models import ConcernCategory, Deadline, Person, PersonKind, Referral
from strategy import rules
from strategy.access import DiscussionChecker
from strategy.models import (
    PLAN_ITEMS,
    ChildDecision,
    Discussion,
    DiscussionAction,
    DiscussionStatus,
    FamilySummary,
    InvitationStatus,
)

# Panels the apps above draw on the meeting page (disputes: the disagreement it was convened to resolve, and the
# case's open disagreements), registered in their ready(): strategy never imports them. Each is a template and a
# function of the user's DiscussionChecker returning the panel's context, or None to draw nothing.
MEETING_PANELS = Panels()  # each panel a function of the user's DiscussionChecker


def discussion_being_held(referral) -> Discussion | None:
    """The case's discussion being held now, if any: it stops the case closing (services.case_close), and the close
    page says so before the form is filled."""
    return referral.discussions.filter(status=DiscussionStatus.IN_PROGRESS).first()


def meeting(discussion: Discussion, *, checker: DiscussionChecker, now: dt.datetime) -> dict[str, Any]:
    """Everything the meeting page shows, loaded once."""
    referral = discussion.referral
    # Read once, for the page and for the checks of what stops it ending (services.end_problems, standing_problems
    # and lado_needed read them through .all()).
    prefetch_related_objects(
        [discussion],
        "children",
        Prefetch(
            "decisions",
            queryset=ChildDecision.objects.select_related(
                "s47_authorised_by", "icpc_deadline", "medical_deadline", "outcome_recorded_by"
            ),
        ),
        "plan_items",
        "child_risks",
        "child_records",
        "proceeded_without",
        "referral__people",
    )
    invitations = list(discussion.invitations.select_related("agency", "person"))
    active = [i for i in invitations if i.status == InvitationStatus.INVITED]
    children = list(discussion.children.all())  # Person's order: kind, position, pk (all children here)
    today = to_local(now).date()
    for child in children:
        child.age = child.age_words_on(today)
    decisions = {d.child_id: d for d in discussion.decisions.all()}
    plan_items = [item for item in discussion.plan_items.all() if item.item in PLAN_ITEMS]
    plan = {item.item: item for item in plan_items if item.child_id is None}
    child_plans = {child.pk: {i.item: i for i in plan_items if i.child_id == child.pk} for child in children}
    risks = {risk.child_id: risk for risk in discussion.child_risks.all()}
    family_summary = FamilySummary.objects.filter(discussion=discussion).select_related("recorded_by").first()
    records = {r.child_id: r for r in discussion.child_records.all()}
    proceeds = list(discussion.proceeds_without.select_related("agency", "recorded_by"))
    # A medical is, or may be, needed: the paediatrician was proposed, a medical was done, or the plan has one.
    medical = (
        any(i.proposal == "paediatrician" for i in invitations)
        or any(d.medical_done_at for d in decisions.values())
        or bool("medical" in plan and plan["medical"].answer.strip())
    )
    agencies = list(Agency.objects.filter(partnership_id=referral.partnership_id).order_by("name"))
    people = list(referral.people.all())
    invited_agencies = sorted({i.agency for i in active}, key=lambda a: a.name)
    quoracy = rules.quoracy_of(active, chair_id=discussion.chair_id)
    return {
        "discussion": discussion,
        "referral": referral,
        "checker": checker,
        "invitations": [i for i in invitations if i.status != InvitationStatus.DECLINED],
        "declined": [i for i in invitations if i.status == InvitationStatus.DECLINED],
        "active_invitations": active,
        "children": children,
        "decisions": decisions,
        "child_rows": [(child, decisions.get(child.pk)) for child in children],
        "plan": plan,
        "child_plans": child_plans,
        # Each item of the plan as it stands: the whole discussion's answer, and each child's where it differs.
        "plan_rows": [
            {
                "label": label,
                "item": plan.get(code),
                "children": [
                    (child, child_plans[child.pk][code])
                    for child in children
                    if code in child_plans[child.pk] and child_plans[child.pk][code].recorded
                ],
            }
            for code, label in PLAN_ITEMS.items()
            if code in plan or any(code in child_plans[c.pk] and child_plans[c.pk][code].recorded for c in children)
        ],
        "risk_rows": [(child, risks.get(child.pk)) for child in children],
        "legacy_risk": discussion.legacy_risk_answers(),
        "family_summary": family_summary,
        "information": list(discussion.information.select_related("agency", "recorded_by")),
        "actions": list(discussion.agreed_actions.select_related("lead_agency", "person", "child", "deadline")),
        "agencies": agencies,
        "invited_agencies": invited_agencies,
        "people": practitioners(referral.partnership_id),
        "quoracy": quoracy,
        "proceeded_without": list(discussion.proceeded_without.all()),
        "proceeds": proceeds,
        "child_records": records,
        "standing_rows": [(child, records.get(child.pk)) for child in children],
        "lado_abusers": lado_needed(discussion),
        "paediatrician_missing": rules.paediatrician_missing(active, medical_needed=medical),
        "cannot_decide": [i for i in active if i.can_decide is False and i.attendance == "attended"],
        "alleged_child_abusers": [
            p for p in people if p.kind == PersonKind.ALLEGED_ABUSER and p.under_18 and p.removed_at is None
        ],
        "meeting_harms": _meeting_harms(discussion) if discussion.by_telephone else [],
        "now": now,
    }


def lado_needed(discussion: Discussion) -> list[Person]:
    """The case's alleged abusers who work with children: the LADO must be informed, or why not recorded."""
    return [
        person
        for person in discussion.referral.people.all()
        if person.kind == PersonKind.ALLEGED_ABUSER and person.works_with_children and person.removed_at is None
    ]


def _meeting_harms(discussion: Discussion) -> list[str]:
    """Harms the partnership lists as needing a meeting rather than calls (DOMAIN section 1)."""
    referral = discussion.referral
    codes = set(referral.concerns.values_list("code", flat=True))
    return [ConcernCategory(code).label for code in referral.partnership.meeting_harm_codes() if code in codes]


def practitioners(partnership_id: int) -> list[User]:
    """Who may be named as an invitee or an action's lead: active practitioners (no analysts) of the partnership."""
    return list(
        User.objects.practitioners()
        .filter(agency__partnership_id=partnership_id)
        .select_related("agency")
        .order_by("agency__name", "first_name", "last_name")
    )


def discussion_owns_clock(deadline: Deadline) -> bool:
    """Whether a discussion has taken this clock over: it then counts from that discussion's concern, and editing
    the referral no longer brings it forward (registered with referrals.deadlines at start-up)."""
    return Discussion.objects.filter(deadline=deadline).exists()


def action_chaired_by(action: Action, user: User) -> bool:
    """Whether `user` chaired the discussion that agreed `action`: the chair updates any of its actions, corrects
    what was agreed and moves one to another agency (registered with actions.access at start-up)."""
    return DiscussionAction.objects.filter(action=action, discussion__chair=user).exists()


def case_discussions(referral: Referral) -> list[Discussion]:
    """The case page's discussions, with their children and decisions (registered with referrals.selectors)."""
    return list(
        Discussion.objects.filter(referral=referral)
        .select_related("chair", "deadline")
        .prefetch_related("children", "decisions__child", "decisions__s47_authorised_by")
        .order_by("scheduled_at", "pk")
    )
