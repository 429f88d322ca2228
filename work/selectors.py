"""Each user's work queues (the home page): what is waiting on them, soonest first.

One queue per kind of work: meetings to chair or attend, minutes to approve (the chair), minutes to
circulate (business support), my actions, the disagreements whose stage I hold, my overdue clocks, and requests
waiting on me (a section 47 enquiry for the chair to authorise). Each is one queryset read by keyset a page at a
time (core.pages), from an index whose leading columns are the queue's filter and whose last are its sort:

* meetings: discussions still to hold, (chair, scheduled_at, id) and (scheduled_at, id), both partial on
  "not ended", so what is read is the meetings still to come, never every meeting ever held;
* minutes to approve, disagreements and my overdue clocks: one person's open clocks, (responsible, due_at, id);
* minutes to circulate: a partnership's open clocks of one kind, (partnership, rule, due_at, id);
* my actions: (person, finished, due_at, id);
* requests: decisions with a section 47 enquiry not yet authorised (partial index), few at any time.

So a queue costs the same two queries (its page and its capped count) whatever the rows behind it.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.urls import reverse

from actions.models import Action
from agencies.models import RoleCode, User
from core.pages import KeysetPage, keyset_page
from core.presenters import DeadlineView, present_deadline_row, rule_task, shortened
from core.timescales import DISAGREEMENT_RULES, LONDON, Rule, to_local
from minutes.models import MinutesVersion
from referrals import access
from referrals.access import visible_cases
from referrals.models import Deadline, DeadlineState, Referral
from referrals.selectors import drafts_of
from strategy.models import ChildDecision, Discussion, DiscussionStatus, Invitation, InvitationStatus

HOME_SIZE = 5  # rows of each queue on the home page; the queue's own page shows the rest
PAGE_SIZE = 25


@dataclass(frozen=True)
class Queue:
    slug: str
    title: str
    empty: str
    keys: tuple[str, ...]
    applies: Callable[[User], bool]
    rows: Callable[[User, dt.datetime], QuerySet]
    decorate: Callable[[QuerySet], QuerySet]


def _everyone(user: User) -> bool:
    return True


def _team_manager(user: User) -> bool:
    return user.has_role(RoleCode.TEAM_MANAGER)


def _business_support(user: User) -> bool:
    return user.has_role(RoleCode.BUSINESS_SUPPORT)


def start_of_day(now: dt.datetime) -> dt.datetime:
    """Midnight in England of the day `now` falls on: "today" begins there, whatever the server's zone."""
    return dt.datetime.combine(to_local(now).date(), dt.time(0, 0), tzinfo=LONDON)


def meetings(user: User, now: dt.datetime) -> QuerySet[Discussion]:
    """Discussions I chair or am invited to, from today on, not yet ended: invited by name, or (for a practitioner
    of an invited agency) my agency invited with nobody named yet, so someone of it says who attends."""
    # Probed per meeting still to hold ((discussion, person) index), never a read of every invitation the person
    # ever had: the meetings to come are read in time order from the partial index until the page is full. Two
    # probes, not one with an OR inside: the planner answered "person is me, or nobody and my agency" by reading
    # every unnamed invitation in the table once per meeting.
    to_hold = Invitation.objects.filter(discussion=OuterRef("pk"), status=InvitationStatus.INVITED)
    mine = Q(chair=user) | Q(Exists(to_hold.filter(person=user)))
    if access.may_be_invited(user) and user.agency_id:
        mine |= Q(Exists(to_hold.filter(person=None, agency_id=user.agency_id)))
    return (
        Discussion.objects.exclude(status=DiscussionStatus.ENDED)
        .filter(scheduled_at__gte=start_of_day(now))
        .filter(mine)
        .filter(visible_cases(user))
    )


def _approved(field: str = "pk") -> Exists:
    """The minutes of the clock's discussion have an approved version."""
    return Exists(MinutesVersion.objects.filter(discussion__minutes_deadline=OuterRef(field)))


def minutes_to_approve(user: User, now: dt.datetime) -> QuerySet[Deadline]:
    """The chair's: meetings ended whose minutes nobody has approved yet (the 48-hour clock is the chair's)."""
    return (
        Deadline.objects.filter(state=DeadlineState.OPEN, responsible=user, rule=Rule.MINUTES_CIRCULATED)
        .exclude(_approved())
        .filter(visible_cases(user))
    )


def minutes_to_circulate(user: User, now: dt.datetime) -> QuerySet[Deadline]:
    """Business support's: approved minutes of the partnership not yet sent to everyone the distribution requires."""
    return (
        Deadline.objects.filter(
            state=DeadlineState.OPEN, partnership_id=user.partnership_id or 0, rule=Rule.MINUTES_CIRCULATED
        )
        .filter(_approved())
        .filter(visible_cases(user))
    )


def my_actions(user: User, now: dt.datetime) -> QuerySet[Action]:
    return Action.objects.filter(person=user, finished=False).filter(visible_cases(user))


def overdue_clocks(user: User, now: dt.datetime) -> QuerySet[Deadline]:
    return Deadline.objects.filter(state=DeadlineState.OPEN, responsible=user, due_at__lt=now).filter(
        visible_cases(user)
    )


def disagreements(user: User, now: dt.datetime) -> QuerySet[Deadline]:
    """Professional disagreements whose stage is mine to respond to or resolve (DOMAIN section 7), from the moment
    one is raised with me: the open stage clocks I hold. Whoever holds a stage is party to the disagreement, so sees
    it (disputes.access); its row leads to the disagreement's page (work:act)."""
    return Deadline.objects.filter(state=DeadlineState.OPEN, responsible=user, rule__in=DISAGREEMENT_RULES)


def _may_log_referrals(user: User) -> bool:
    return user.has_role(RoleCode.SOCIAL_WORKER, RoleCode.TEAM_MANAGER)


def drafts(user: User, now: dt.datetime) -> QuerySet[Referral]:
    """Draft referrals still to submit: my own, or every draft of the partnership for a team manager. Their clock
    runs from when each was received (DOMAIN section 1), so the soonest due comes first."""
    return drafts_of(user)


def requests(user: User, now: dt.datetime) -> QuerySet[ChildDecision]:
    """Section 47 enquiries decided at a discussion I chair, waiting for my authorisation (DOMAIN section 1.3)."""
    return ChildDecision.objects.filter(s47=True, s47_authorised_at=None, discussion__chair=user).filter(
        visible_cases(user, "discussion__referral")
    )


QUEUES: dict[str, Queue] = {
    queue.slug: queue
    for queue in (
        Queue(
            "meetings",
            "Meetings to chair or attend",
            "No meetings today or coming up that you chair or are invited to.",
            ("scheduled_at", "id"),
            _everyone,
            meetings,
            lambda page: page.select_related("referral", "chair"),
        ),
        Queue(
            "drafts",
            "Draft referrals to finish",
            "No draft referrals are waiting to be finished.",
            ("sd_due_at", "id"),
            _may_log_referrals,
            drafts,
            lambda page: page.select_related("sd_deadline", "created_by"),
        ),
        Queue(
            "requests",
            "Waiting for your authorisation",
            "No section 47 enquiries are waiting for your authorisation.",
            ("id",),
            _team_manager,
            requests,
            lambda page: page.select_related("discussion__referral", "child"),
        ),
        Queue(
            "minutes-to-approve",
            "Minutes to approve",
            "No minutes are waiting for your approval.",
            ("due_at", "id"),
            _team_manager,
            minutes_to_approve,
            lambda page: page.select_related("referral", "minutes_of"),
        ),
        Queue(
            "minutes-to-circulate",
            "Minutes to circulate",
            "No approved minutes are waiting to be circulated.",
            ("due_at", "id"),
            _business_support,
            minutes_to_circulate,
            lambda page: page.select_related("referral", "minutes_of"),
        ),
        Queue(
            "actions",
            "My actions",
            "No open actions are assigned to you.",
            ("due_at", "id"),
            _everyone,
            my_actions,
            lambda page: page.select_related("referral", "deadline"),
        ),
        Queue(
            "disagreements",
            "Disagreements waiting on you",
            "No professional disagreement is waiting on you.",
            ("due_at", "id"),
            _everyone,
            disagreements,
            lambda page: page.select_related("referral", "child"),
        ),
        Queue(
            "overdue",
            "My overdue deadlines",
            "None of your deadlines is overdue.",
            ("due_at", "id"),
            _everyone,
            overdue_clocks,
            # Whether a minutes clock's minutes are approved, for its words (one subquery per row of the page).
            lambda page: page.select_related("referral", "child", "action", "minutes_of").annotate(
                minutes_approved=_approved()
            ),
        ),
    )
}


def queues_for(user: User) -> list[Queue]:
    return [queue for queue in QUEUES.values() if queue.applies(user)]


def queue_page(queue: Queue, *, user: User, now: dt.datetime, params: QueryDict, size: int = PAGE_SIZE) -> KeysetPage:
    """One page of one queue, soonest (or oldest) first (no count query: core.pages)."""
    return keyset_page(queue.rows(user, now), keys=queue.keys, params=params, size=size, decorate=queue.decorate)


@dataclass
class Row:
    """One line of a queue: what is to be done, for which case, by when, and where to do it."""

    what: str
    reference: str
    link: str
    when: dt.datetime
    when_label: str
    state: DeadlineView | None = None


def _state(deadline: Deadline, now: dt.datetime) -> DeadlineView:
    return present_deadline_row(deadline, now=now)


def _deadline_row(deadline: Deadline, now: dt.datetime, what: str = "") -> Row:
    if not what and deadline.rule == Rule.MINUTES_CIRCULATED and getattr(deadline, "minutes_approved", False):
        what = "Circulate the approved minutes"  # "Approve and circulate" of minutes approved long ago read wrong
    what = what or rule_task(deadline.rule)
    if deadline.child_id and deadline.child is not None:
        what = f"{what}: {deadline.child.full_name}"
    action = getattr(deadline, "action", None)
    if action is not None:
        what = f"{what}: {shortened(action.what)}"
    return Row(
        what=what,
        reference=deadline.referral.reference,
        link=reverse("work:act", kwargs={"deadline_pk": deadline.pk}),
        when=deadline.due_at,
        when_label="Due",
        state=_state(deadline, now),
    )


def rows(queue: Queue, page: KeysetPage, *, user: User, now: dt.datetime) -> list[Row]:
    """The page's rows in words, each with the page to act on it."""
    if queue.slug == "meetings":
        return [
            Row(
                what=f"{'Chair' if d.chair_id == user.pk else 'Attend'} the strategy discussion"
                f" ({d.get_status_display().lower()}, {d.get_format_display().lower()})",
                reference=d.referral.reference,
                link=reverse("strategy:meeting", kwargs={"discussion_pk": d.pk}),
                when=d.scheduled_at,
                when_label="At",
            )
            for d in page
        ]
    if queue.slug == "requests":
        return [
            Row(
                what=f"Authorise the section 47 enquiry for {decision.child.full_name}",
                reference=decision.discussion.referral.reference,
                link=reverse("strategy:meeting", kwargs={"discussion_pk": decision.discussion_id}) + "#decision",
                when=decision.discussion.when,
                when_label="Decided at the discussion of",
            )
            for decision in page
        ]
    if queue.slug == "drafts":
        return [
            Row(
                what="Finish and submit the draft referral"
                + ("" if referral.created_by_id == user.pk else f" started by {referral.created_by}"),
                reference=referral.reference,
                link=reverse("referrals:draft", kwargs={"pk": referral.pk}),
                when=referral.sd_due_at,
                when_label="Strategy discussion due",
                state=_state(referral.sd_deadline, now) if referral.sd_deadline else None,
            )
            for referral in page
        ]
    if queue.slug == "actions":
        return [
            Row(
                what=shortened(action.what, 120),
                reference=action.referral.reference,
                link=reverse("actions:detail", kwargs={"action_pk": action.pk}),
                when=action.due_at,
                when_label="Due",
                state=_state(action.deadline, now),
            )
            for action in page
        ]
    if queue.slug in ("minutes-to-approve", "minutes-to-circulate"):
        verb = "Approve" if queue.slug == "minutes-to-approve" else "Circulate"
        return [
            Row(
                what=f"{verb} the minutes of the strategy discussion"
                + (f" of {to_local(d.minutes_of.when):%-d %B %Y}" if d.minutes_of else ""),
                reference=d.referral.reference,
                link=reverse("minutes:minutes", kwargs={"discussion_pk": d.minutes_of.pk})
                if d.minutes_of
                else reverse("work:act", kwargs={"deadline_pk": d.pk}),
                when=d.due_at,
                when_label="Due",
                state=_state(d, now),
            )
            for d in page
        ]
    return [_deadline_row(deadline, now) for deadline in page]
