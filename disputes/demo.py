"""The demo's professional disagreements (issue 30), raised and answered through the services as each person would,
at moments relative to the seeding moment (`seed_demo --now`). All invented.

- Penrose: the school disagreed with the chair's outcome (early help); resolved at stage 1 the next day.
- Ellery: the school disagreed with closing the case at the front door (threshold not met); the team manager
  escalated it, and stage 2 (the head of service with the headteacher) is overdue.
- Wren: health disagrees with the police about Jacob's decision and says he is at immediate risk: the urgent route.
"""

import datetime as dt

from agencies.models import User
from disputes import services
from disputes.access import get_disagreement_for_user
from disputes.models import Disagreement, StageResult, Subject
from referrals.models import PersonKind, Referral


def _raise(user: User, referral: Referral, *, at: dt.datetime, **data) -> Disagreement:
    return services.disagreement_raise(acting_user=user, referral=referral, data=data, now=at)


def _record(user: User, disagreement: Disagreement, *, said: str, result: str, at: dt.datetime) -> Disagreement:
    checker = get_disagreement_for_user(user, disagreement.pk)
    return services.stage_record(acting_user=user, checker=checker, said=said, result=result, now=at)


def seed_disagreements(*, cases: dict[str, Referral], users: dict[str, User], now: dt.datetime) -> int:
    """The demo's disagreements on freshly seeded cases; returns how many were raised."""
    penrose, ellery, wren = cases["Penrose"], cases["Ellery"], cases["Wren"]
    csc = users["tm.demo"].agency

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

    (jacob,) = wren.people.filter(kind=PersonKind.CHILD, removed_at=None)
    _raise(
        users["health.demo"],
        wren,
        at=now - dt.timedelta(hours=2),
        subject=Subject.CHILD_DECISION,
        child=jacob,
        with_agency=users["police.demo"].agency,
        with_person=users["police.demo"],
        outcome_sought="A joint visit today: the bruise has a new pattern and Jacob is at home with the adult "
        "suspected.",
        immediate_risk=True,
    )
    return 3
