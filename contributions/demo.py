"""The demo's contributions (issue 31), written through the services as each person would, at moments relative to
the seeding moment (`seed_demo --now`). All invented.

- Wren: before the meeting, the chair asked Jacob's GP practice (outside the partnership, no account) for what it
  knows; the meeting was held without an answer, so the request is outstanding and overdue (`ask_gp_before`,
  called while the discussion is still to be held, so the request falls due when the meeting was).
- Ashdown: Theo is looked after, placed here by an authority out of the area. The chair invited its social worker
  as an external contact and asked for information; their contribution arrived before the meeting
  (`seed_contributions`, after the discussions and the disagreements).
"""

import datetime as dt

from agencies.models import User
from contributions import services
from contributions.models import Contribution, ExternalKind, InformationRequest
from referrals.models import PersonKind, Referral
from strategy.access import get_discussion_for_user
from strategy.models import Discussion

CHAIR = "tm.demo"


def _invite_and_ask(
    chair: User, discussion: Discussion, *, person: dict, question: str, children: list, at: dt.datetime
) -> InformationRequest:
    checker = get_discussion_for_user(chair, discussion.pk)[1]
    invitee = services.external_invitee_add(acting_user=chair, checker=checker, data=person, now=at)
    return services.information_request_create(
        acting_user=chair,
        checker=get_discussion_for_user(chair, discussion.pk)[1],
        recipient=f"external-{invitee.pk}",
        question=question,
        children=children,
        now=at + dt.timedelta(minutes=5),
    )


def ask_gp_before(*, users: dict[str, User], discussion: Discussion, at: dt.datetime) -> InformationRequest:
    """Wren: the GP practice asked before the meeting (due when it was); never answered."""
    return _invite_and_ask(
        users[CHAIR],
        discussion,
        person={
            "name": "Dr Demo Harlow",
            "organisation": "Demo Riverside Surgery",
            "role": "GP partner",
            "email": "riverside.surgery@example.invalid",
            "kind": ExternalKind.GP,
        },
        question="When did the practice last see Jacob and his mother, and has anything about his care or any "
        "injury been noted or reported to you?",
        children=list(discussion.children.all()),
        at=at,
    )


def seed_contributions(*, cases: dict[str, Referral], users: dict[str, User], now: dt.datetime) -> Contribution:
    """Ashdown: the out-of-area placing authority invited, asked, and its contribution received before the meeting."""
    ashdown = cases["Ashdown"]
    discussion = Discussion.objects.filter(referral=ashdown).order_by("pk").first()
    if discussion is None:
        raise LookupError("the demo's Ashdown discussion is seeded before its contribution")
    theo = ashdown.people.get(kind=PersonKind.CHILD, first_name="Theo", removed_at=None)
    asked_at = ashdown.received_at + dt.timedelta(hours=3, minutes=30)  # convened three hours after the referral
    request = _invite_and_ask(
        users[CHAIR],
        discussion,
        person={
            "name": "Demo Okafor",
            "organisation": "Demo Farshire County Council, children's services",
            "role": "Social worker for children in care",
            "email": "farshire.lac@example.invalid",
            "kind": ExternalKind.PLACING_AUTHORITY,
        },
        question="Theo is placed here by your authority. What do you know of his contact with the football club, "
        "and what has he or his carers said?",
        children=[theo],
        at=asked_at,
    )
    return services.contribution_submit(
        request=request,
        data={
            "known_involvement": "Theo has been in our care for three years and placed with foster carers in the "
            "area since last spring. I visit every six weeks.",
            "concerns": "His carers told me in my last visit that he had been messaging his coach late at night. "
            "They did not know the content.",
            "strengths": "Theo is settled at school and close to his carers, who will support him through this.",
            "family_told": "His carers know the club is being looked at; his birth mother has not been told.",
            "shareable_with_family": False,
        },
        now=min(asked_at + dt.timedelta(hours=5), now - dt.timedelta(minutes=30)),
    )
