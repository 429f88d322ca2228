"""Builders for the tests: a case, a strategy discussion convened on it and held, an action agreed in it.

Everything goes through the real services, so deadlines come from the engine and history is recorded. Time is
an argument: every builder takes the moment it acts at (`now`, `received_at`), and "today" for a child's age is
the referral's receipt, never the clock, so a test with a fixed 2026 moment passes whatever the date it runs
(`TEST_CLOCK` moves the clock of the whole suite).
"""

import datetime as dt
from typing import Any

from django.utils import timezone

from actions.models import Action
from agencies.models import Agency, User
from core.timescales import LONDON
from referrals import services as referral_services
from referrals.models import Person, PersonKind, Referral, Urgency
from referrals.rules import proposed_urgency
from strategy import selectors, services
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

# Mon 2026-11-23, GMT. Thu 26 is the SD_STANDARD deadline of a referral received now (DOMAIN section 3).
MONDAY_10AM = dt.datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)
CONVENED = MONDAY_10AM + dt.timedelta(hours=2)
MEETING = dt.datetime(2026, 11, 24, 10, 0, tzinfo=LONDON)
ENDED = MEETING + dt.timedelta(hours=1)
# The action most tests agree: on Monday, due on Wednesday.
AGREED = dt.datetime(2026, 11, 23, 11, 0, tzinfo=LONDON)
DUE = dt.datetime(2026, 11, 25, 17, 0, tzinfo=LONDON)


# --- A case -------------------------------------------------------------------------------------------------------


def eight_years_before(on: dt.date | dt.datetime) -> dt.date:
    """The birthday of an invented eight-year-old on `on` (a week past the birthday, and never on a 29 February)."""
    today = on.astimezone(LONDON).date() if isinstance(on, dt.datetime) else on
    return dt.date(today.year - 8, today.month, min(today.day, 28)) - dt.timedelta(days=7)


def child(first: str = "Robin", last: str = "Testchild", *, on: dt.date | dt.datetime | None = None, **extra: Any):
    """An invented child, eight years old on `on`.

    Without `on` (and without a `date_of_birth`), `make_referral` gives the child eight years on the day the
    referral was received; anything else that takes the child's fields directly needs `on`.
    """
    fields: dict[str, Any] = {"first_name": first, "last_name": last, **extra}
    if on is not None:
        fields.setdefault("date_of_birth", eight_years_before(on))
    return fields


def make_referral(
    *, acting_user: User, children: list[dict] | None = None, now: dt.datetime | None = None, **overrides: Any
) -> Referral:
    """A referral saved through the real service, so its deadline comes from the engine.

    Received an hour ago unless told otherwise (`received_at`), and logged (`now`) an hour after it was received,
    so a test may give any receipt time, however far from the real clock. A child without a date of birth is
    eight years old on the day it was received.
    """
    data = {
        "received_at": timezone.now() - dt.timedelta(hours=1),
        "referrer_name": "Invented Referrer",
        "referrer_agency": None,
        "referrer_organisation": "Test School",
        "referrer_contact": "01632 960001",
        "urgency": Urgency.STANDARD,
        "immediate_action_taken": False,
        "immediate_action_agency": None,
        "immediate_action_details": "",
        "concern_summary": "An invented concern for a test.",
    }
    concerns = overrides.pop("concerns", ["neglect"])
    if "urgency" not in overrides:
        # As a social worker logs it: same day where the concern calls for it (serious injury, forensic evidence).
        data["urgency"] = proposed_urgency(concerns, non_mobile_injury=overrides.get("non_mobile_infant_injury")) or (
            Urgency.STANDARD
        )
    household = overrides.pop("household", [])
    others = overrides.pop("others", [])
    data.update(overrides)
    received = data["received_at"]
    kids = [
        c
        if "date_of_birth" in c or c.get("unborn") or "id" in c
        else {**c, "date_of_birth": eight_years_before(received)}
        for c in (children if children is not None else [child()])
    ]
    return referral_services.referral_create(
        acting_user=acting_user,
        data=data,
        concerns=concerns,
        children=kids,
        household=household,
        others=others,
        now=now or received + dt.timedelta(hours=1),
    )


def case(world, **overrides) -> Referral:
    """A case logged by the social worker, received on Monday 23 November 2026 at 10:00 unless told otherwise."""
    overrides.setdefault("received_at", MONDAY_10AM)
    return make_referral(acting_user=world["sw"], **overrides)


def children_of(referral: Referral) -> list[Person]:
    return list(referral.people.filter(kind=PersonKind.CHILD).order_by("position", "pk"))


# --- A discussion -------------------------------------------------------------------------------------------------


def health_agency(world) -> Agency:
    return world["health"].agency


def checker(user, discussion: Discussion) -> DiscussionChecker:
    """A fresh checker, as a page would build it for this user now."""
    return get_discussion_for_user(user, discussion.pk)[1]


def core_invitations(world, *, police: bool = True, health: bool = True) -> list[dict]:
    """Police and health invited, each with its named person."""
    rows = []
    if police:
        rows.append({"agency": world["police_agency"], "person": world["police"], "role": "Police officer"})
    if health:
        rows.append({"agency": health_agency(world), "person": world["health"], "role": "Health practitioner"})
    return rows


def agencies_invited(agencies) -> list[dict]:
    """Each agency invited with nobody named yet."""
    return [{"agency": a, "role": a.get_agency_type_display(), "reason": "Core agency"} for a in agencies]


def convene(
    world,
    referral: Referral | None = None,
    *,
    acting_user=None,
    now: dt.datetime = CONVENED,
    children: list[Person] | None = None,
    invitations: list[dict] | None = None,
    declined: list[dict] | None = None,
    **data,
) -> Discussion:
    """A discussion convened at `now` through the service, chaired by the team manager, for an hour later.

    Without a referral, on a new case of two children received two hours before; police and health invited
    with their named people unless `invitations` says otherwise.
    """
    if referral is None:
        referral = make_referral(
            acting_user=world["sw"],
            children=[child("Robin", "Testchild"), child("Sky", "Testchild")],
            received_at=now - dt.timedelta(hours=2),
            now=now - dt.timedelta(hours=1),
        )
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
    extra = {"declined": declined} if declined is not None else {}
    return services.discussion_convene(
        acting_user=acting_user or world["sw"],
        referral=referral,
        data=fields,
        children=children if children is not None else children_of(referral),
        invitations=core_invitations(world) if invitations is None else invitations,
        now=now,
        **extra,
    )


def start(world, discussion: Discussion, *, now: dt.datetime = MEETING) -> Discussion:
    return services.discussion_start(acting_user=world["tm"], checker=checker(world["tm"], discussion), now=now)


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
    if not selectors.lado_needed(discussion):
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


# --- An action ----------------------------------------------------------------------------------------------------


def add_action(
    world,
    discussion: Discussion,
    *,
    lead: Agency,
    person=None,
    due: dt.datetime = DUE,
    what: str = "Invented: check police records",
    measure: str = "Invented: records shared with the chair",
    now: dt.datetime = AGREED,
) -> Action:
    """An action agreed in the meeting by its chair at `now`: led by `lead`, by `person` or a named contact."""
    return services.discussion_action_add(
        acting_user=world["tm"],
        checker=checker(world["tm"], discussion),
        data={
            "what": what,
            "measure": measure,
            "lead_agency": lead,
            "person": person,
            "contact_name": "" if person else "Invented Contact",
            "due_at": due,
        },
        now=now,
    )
