"""The demo's professional disagreements (issue 30), raised and answered through the services as each person would,
at moments relative to the seeding moment (`seed_demo --now`). All invented.

- Penrose: the school disagreed with the chair's outcome (early help); resolved at stage 1 the next day.
- Ellery: the school disagreed with closing the case at the front door (threshold not met); the team manager
  escalated it, and stage 2 (the head of service with the headteacher) is overdue.
- Wren: the police disagreed with the outcome (a single-agency enquiry); stages 1 and 2 could not resolve it, so a
  strategy discussion was convened from it (stage 3), to be held tomorrow.
- Marchbank: health, absent from the meeting, disagrees with the police about Kai's decision and says he is at
  immediate risk: the urgent route (the leads alerted at once; out of hours, whoever is on call too).

Before them, the partnership's on-call rota: the emergency duty team for the next five days (so the rota warning
shows) and the on-call senior manager for a month.
"""

import datetime as dt

from agencies.models import Duty, OnCall, User
from agencies.selectors import partnership_calendar
from core.history import record
from core.timescales import add_working_days, to_local
from disputes import services
from disputes.access import get_disagreement_for_user
from disputes.models import Disagreement, StageResult, Subject
from referrals.models import PersonKind, Referral
from strategy.models import Discussion


def _raise(user: User, referral: Referral, *, at: dt.datetime, **data) -> Disagreement:
    return services.disagreement_raise(acting_user=user, referral=referral, data=data, now=at)


def _record(user: User, disagreement: Disagreement, *, said: str, result: str, at: dt.datetime) -> Disagreement:
    checker = get_disagreement_for_user(user, disagreement.pk)
    return services.stage_record(acting_user=user, checker=checker, said=said, result=result, now=at)


def _rota(users: dict[str, User], now: dt.datetime) -> None:
    today = to_local(now).date()
    for username, duty, last in (("edt.demo", Duty.EMERGENCY_DUTY_TEAM, 5), ("hos.demo", Duty.SENIOR_MANAGER, 33)):
        user = users[username]
        spell = OnCall(
            partnership=users["tm.demo"].agency.partnership,  # type: ignore[union-attr]
            user=user,
            duty=duty,
            starts_on=today - dt.timedelta(days=28),
            ends_on=today + dt.timedelta(days=last),
        )
        record(spell, users["admin.demo"], "On-call spell added")
        spell.full_clean()
        spell.save()


def _stage_3(users: dict[str, User], wren: Referral, now: dt.datetime) -> None:
    """Wren: raised by the police with the chair, escalated at stages 1 and 2, then a discussion convened for it."""
    held = Discussion.objects.filter(referral=wren).order_by("pk").first()
    start = held.ended_at if held is not None and held.ended_at else wren.received_at
    disagreement = _raise(
        users["police.demo"],
        wren,
        at=start + dt.timedelta(hours=20),
        subject=Subject.DISCUSSION_OUTCOME,
        with_agency=users["tm.demo"].agency,
        with_person=users["tm.demo"],
        outcome_sought="A joint section 47 investigation by the police and children's social care, not a "
        "single-agency enquiry: an offence may have been committed against Jacob.",
    )
    _record(
        users["tm.demo"],
        disagreement,
        said="We spoke: I still think a single-agency enquiry is right while the medical opinion is awaited.",
        result=StageResult.ESCALATED,
        at=start + dt.timedelta(hours=24),
    )
    _record(
        users["hos.demo"],
        disagreement,
        said="The detective inspector and I could not agree: a strategy discussion will decide.",
        result=StageResult.ESCALATED,
        at=start + dt.timedelta(hours=44),
    )
    convened_at = start + dt.timedelta(hours=46)
    calendar = wren.partnership
    day = add_working_days(to_local(now).date(), 1, partnership_calendar(calendar))
    (jacob,) = wren.people.filter(kind=PersonKind.CHILD, removed_at=None)
    services.stage_discussion_convene(
        acting_user=users["tm.demo"],
        checker=get_disagreement_for_user(users["tm.demo"], disagreement.pk),
        data={
            "concern_identified_at": convened_at - dt.timedelta(hours=2),
            "urgency": "standard",
            "urgency_reason": "Jacob is safe under the enquiry's plan; what is disputed is who investigates.",
            "scheduled_at": to_local(dt.datetime.combine(day, dt.time(11))),
            "format": "virtual",
            "chair": users["tm.demo"],
            "reason": "The police and children's social care disagree about the enquiry for Jacob.",
            "purpose": "Resolve the disagreement: a joint investigation or a single-agency enquiry.",
        },
        children=[jacob],
        invitations=[
            {
                "agency": users["police.demo"].agency,
                "person": users["police.demo"],
                "role": "Police officer",
                "proposal": "police",
                "reason": "Core agency: always expected",
            },
            {
                "agency": users["health.demo"].agency,
                "person": users["health.demo"],
                "role": "Health practitioner",
                "proposal": "health",
                "reason": "Core agency: always expected",
            },
        ],
        now=convened_at,
    )


def seed_disagreements(*, cases: dict[str, Referral], users: dict[str, User], now: dt.datetime) -> int:
    """The demo's disagreements on freshly seeded cases; returns how many were raised."""
    penrose, ellery, wren, marchbank = cases["Penrose"], cases["Ellery"], cases["Wren"], cases["Marchbank"]
    csc = users["tm.demo"].agency
    _rota(users, now)

    resolved = _raise(
        users["dsl.demo"],
        penrose,
        at=penrose.received_at + dt.timedelta(days=2, hours=5),
        subject=Subject.DISCUSSION_OUTCOME,
        with_agency=csc,
        with_person=users["tm.demo"],
        outcome_sought="A section 47 enquiry rather than early help: the school has seen Isla withdrawn for weeks.",
    )
    _record(
        users["tm.demo"],
        resolved,
        said="Talked it through by phone: early help goes ahead with a review in six weeks, and the school will "
        "refer again at once if Isla discloses more. The school agreed.",
        result=StageResult.RESOLVED,
        at=penrose.received_at + dt.timedelta(days=2, hours=23),
    )

    overdue = _raise(
        users["dsl.demo"],
        ellery,
        at=ellery.received_at + dt.timedelta(days=1, hours=2),
        subject=Subject.THRESHOLD,
        with_agency=csc,
        with_person=users["tm.demo"],
        outcome_sought="A strategy discussion: Sam was pushed by his father and is frightened of contact.",
    )
    _record(
        users["tm.demo"],
        overdue,
        said="The threshold was applied as the partnership's guidance says; we could not agree, so it goes to our "
        "managers.",
        result=StageResult.ESCALATED,
        at=ellery.received_at + dt.timedelta(days=2),
    )

    _stage_3(users, wren, now)

    (kai,) = marchbank.people.filter(kind=PersonKind.CHILD, removed_at=None)
    _raise(
        users["health.demo"],
        marchbank,
        at=now - dt.timedelta(hours=2),
        subject=Subject.CHILD_DECISION,
        child=kai,
        with_agency=users["police.demo"].agency,
        with_person=users["police.demo"],
        outcome_sought="Police to see Kai today: the hospital has just seen new injuries and he is going home to "
        "the adult he named.",
        immediate_risk=True,
    )
    return 4
