"""Helpers for the strategy discussion tests: a case, a discussion convened on it, and the meeting held."""

import datetime as dt

from agencies.models import Agency
from core.timescales import LONDON
from referrals.models import Person, PersonKind, Referral
from strategy import services
from strategy.access import DiscussionChecker, get_discussion_for_user
from strategy.models import (
    CHILD_RISK_QUESTIONS,
    PLAN_ITEMS,
    Attendance,
    ChildRisk,
    Discussion,
    Format,
    InvitationStatus,
    RiskLevel,
    Trigger,
)
from tests.factories import make_referral

# Mon 2026-11-23, GMT. Thu 26 is the SD_STANDARD deadline of a referral received now (DOMAIN section 3).
MONDAY_10AM = dt.datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)
CONVENED = MONDAY_10AM + dt.timedelta(hours=2)
MEETING = dt.datetime(2026, 11, 24, 10, 0, tzinfo=LONDON)
ENDED = MEETING + dt.timedelta(hours=1)


def health_agency(world) -> Agency:
    return world["health"].agency


def case(world, **overrides) -> Referral:
    overrides.setdefault("received_at", MONDAY_10AM)
    return make_referral(acting_user=world["sw"], **overrides)


def children_of(referral: Referral) -> list[Person]:
    return list(referral.people.filter(kind=PersonKind.CHILD).order_by("position", "pk"))


def checker(user, discussion: Discussion) -> DiscussionChecker:
    """A fresh checker, as a page would build it for this user now."""
    return get_discussion_for_user(user, discussion.pk)[1]


def core_invitations(world, *, police: bool = True, health: bool = True) -> list[dict]:
    rows = []
    if police:
        rows.append({"agency": world["police_agency"], "person": world["police"], "role": "Police officer"})
    if health:
        rows.append({"agency": health_agency(world), "person": world["health"], "role": "Health practitioner"})
    return rows


def convene(
    world,
    referral: Referral,
    *,
    acting_user=None,
    now: dt.datetime = CONVENED,
    children: list[Person] | None = None,
    invitations: list[dict] | None = None,
    **data,
) -> Discussion:
    fields = {
        "trigger": Trigger.NEW_REFERRAL,
        "concern_identified_at": referral.received_at,
        "urgency": referral.urgency,
        "scheduled_at": now + dt.timedelta(hours=1),
        "format": Format.TELEPHONE,
        "chair": world["tm"],
        "reason": "An invented reason for a test.",
        **data,
    }
    return services.discussion_convene(
        acting_user=acting_user or world["sw"],
        referral=referral,
        data=fields,
        children=children if children is not None else children_of(referral),
        invitations=core_invitations(world) if invitations is None else invitations,
        now=now,
    )


def attend(world, discussion: Discussion, *, absent: tuple[Agency, ...] = ()) -> None:
    """The chair marks everyone invited as attended, except the agencies in `absent`."""
    rows = {
        i.pk: (Attendance.APOLOGIES if i.agency in absent else Attendance.ATTENDED, False)
        for i in discussion.invitations.filter(status=InvitationStatus.INVITED)
    }
    services.attendance_save(acting_user=world["tm"], checker=checker(world["tm"], discussion), rows=rows, version=None)


def decide(world, discussion: Discussion, child: Person, *, now: dt.datetime = MEETING, **decisions):
    """Record a decision in the meeting (started first, at `now`, if it has not started: decisions need it)."""
    discussion.refresh_from_db()
    if discussion.status == "convened":
        start(world, discussion, now=now)
    data = {"reasoning": "Invented reasoning.", **(decisions or {"nfa": True})}
    if data.get("s47") and "investigation_type" not in data:
        data["investigation_type"] = "joint"
    return services.decision_save(
        acting_user=world["tm"], checker=checker(world["tm"], discussion), child=child, data=data, version=None, now=now
    )


def full_plan(world, discussion: Discussion) -> None:
    services.plan_save(
        acting_user=world["tm"],
        checker=checker(world["tm"], discussion),
        answers=dict.fromkeys(PLAN_ITEMS, ("Invented answer.", "")),
        version=None,
    )


def assess(world, discussion: Discussion, *, level: str = RiskLevel.MEDIUM) -> None:
    """A complete risk analysis for each child of the discussion (ending the meeting needs one)."""
    for child in discussion.children.all():
        services.child_risk_save(
            acting_user=world["tm"],
            checker=checker(world["tm"], discussion),
            child=child,
            data={**dict.fromkeys(CHILD_RISK_QUESTIONS, "Invented answer."), "level": level},
            version=None,
        )


def start(world, discussion: Discussion, *, now: dt.datetime = MEETING) -> Discussion:
    return services.discussion_start(acting_user=world["tm"], checker=checker(world["tm"], discussion), now=now)


STANDING = {
    "police_decision": "no_investigation",
    "police_decision_reason": "No offence disclosed (invented).",
    "police_decision_maker": "DS Invented",
    "legal_advice_sought": False,
    "protection": "none",
    "lado_informed": False,
    "lado_not_informed_reason": "Invented: the LADO referred the case.",
}


def record_standing(world, discussion: Discussion, *, now: dt.datetime = MEETING, **data) -> Discussion:
    """What every discussion records whatever the outcome: the police decision, legal advice, protection, the
    LADO where needed, and for each child safe discharge (in hospital) and child in need support (after NFA)."""
    discussion.refresh_from_db()
    children = {}
    no_further_action = set(discussion.decisions.filter(nfa=True).values_list("child_id", flat=True))
    for child in discussion.children.all():
        row = {}
        if child.in_hospital:
            row["safe_discharge"] = "Invented: home with the mother once the ward agrees."
        if child.pk in no_further_action:
            row.update(cin_support="not_needed", cin_support_reason="Invented: early help in place.")
        children[child.pk] = row
    values = {**STANDING, **data}
    if not services.lado_needed(discussion):
        values["lado_informed"] = None
    return services.standing_save(
        acting_user=world["tm"],
        checker=checker(world["tm"], discussion),
        data=values,
        children=children,
        version=None,
        now=now,
    )


def end(
    world, discussion: Discussion, *, now: dt.datetime = ENDED, standing: bool = True, risk: bool = True
) -> Discussion:
    """End the meeting; first (unless told not to) record what every discussion records, and a risk analysis for
    each child that has none yet, if it has started."""
    discussion.refresh_from_db()
    if standing and discussion.status == "in_progress":
        record_standing(world, discussion, now=discussion.held_at or now)
    if risk and discussion.status == "in_progress":
        assessed = set(ChildRisk.objects.filter(discussion=discussion).values_list("child_id", flat=True))
        for child in discussion.children.exclude(pk__in=assessed):
            services.child_risk_save(
                acting_user=world["tm"],
                checker=checker(world["tm"], discussion),
                child=child,
                data={**dict.fromkeys(CHILD_RISK_QUESTIONS, "Invented answer."), "level": RiskLevel.MEDIUM},
                version=None,
            )
    return services.discussion_end(acting_user=world["tm"], checker=checker(world["tm"], discussion), now=now)


def hold(world, discussion: Discussion, *, started: dt.datetime = MEETING, ended: dt.datetime = ENDED) -> Discussion:
    """Start, everyone attends, a risk analysis and no further action for every child, end."""
    start(world, discussion, now=started)
    attend(world, discussion)
    assess(world, discussion)
    for child in discussion.children.all():
        decide(world, discussion, child, now=started)
    return end(world, discussion, now=ended)
