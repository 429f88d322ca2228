"""The report's fact rows, built from a case's own rows (issue 29).

`facts_build(referral_ids, now=)` reads the cases named and returns their facts; `facts_replace` swaps a case's
facts for new ones and says which partnership-months changed, for `reports.cells` to count again. Each kind of
fact, what month it counts in, and what it carries:

- referral: the month it was received (drafts are not referrals yet); its urgency; the referring agency.
- closed: a case closed with no discussion held, in the month it closed; the outcome.
- discussion: a strategy discussion held (ended), in the month it was held (began); against its clock's original
  due moment (a clock moved later never improves the figure), the hours and working days from the concern to the
  meeting, police and health present, and whether a person moved the clock (`flag`).
- invitation: an agency invited to a discussion held, in the month it was held; its attendance, and whether the
  meeting went ahead without it (`flag`).
- decision: a child's decision at a discussion held, in that month; its main outcome, s47 (`flag`) and an s47
  authorised by a team manager before the meeting ended (`second_flag`).
- minutes: a discussion held, in the month it ended; circulated by the original due moment, and the hours taken.
- icpc, assessment, action: a clock, in the month it was first due; met on time, met late, open or stopped; an
  action's lead agency.
- moved: a clock a person moved later, in the month of the last move; the mover's role, and how often (`times`).
- disagreement: a professional disagreement about the case, in the month it was raised; its subject, status
  (`state`: open, resolved, withdrawn), the stage it is at or ended at (`times`) and the raiser's agency.

No fact holds a name, a date of birth or any text a person wrote.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from agencies.models import AgencyType, Partnership, RoleCode, User
from agencies.selectors import partnership_calendar
from core.timescales import Calendar, Rule, elapsed_hours, month_of, working_days_between
from disputes.models import Disagreement
from referrals.models import Deadline, DeadlineState, Referral, ReferralStatus
from reports.models import Fact, FactKind
from strategy.models import Attendance, ChildDecision, Discussion, DiscussionStatus, Invitation, InvitationStatus

CLOCK_KINDS = {Rule.ICPC: FactKind.ICPC, Rule.ASSESSMENT: FactKind.ASSESSMENT, Rule.ACTION: FactKind.ACTION}
# A child's main outcome, the first that applies (a decision may tick several).
OUTCOMES = (
    ("s47", ("s47", "s47_continued")),
    ("s17", ("s17",)),
    ("early_help", ("early_help",)),
    ("nfa", ("nfa",)),
)
OTHER_OUTCOME = "other"
# The role a clock's mover is counted under: the first of these they hold.
MOVER_ROLES = (RoleCode.TEAM_MANAGER, RoleCode.HEAD_OF_SERVICE, RoleCode.SOCIAL_WORKER)


def _original_due(deadline: Deadline) -> dt.datetime:
    return deadline.original_due_at or deadline.due_at


def _on_time(deadline: Deadline, met_at: dt.datetime | None) -> bool | None:
    return None if met_at is None else met_at <= _original_due(deadline)


def _outcome(decision: ChildDecision) -> str:
    return next((name for name, fields in OUTCOMES if any(getattr(decision, f) for f in fields)), OTHER_OUTCOME)


class _Case:
    """What one build reads of a set of cases, a query per table, grouped by case."""

    def __init__(self, referral_ids: list[int]) -> None:
        self.referrals = list(
            Referral.objects.filter(pk__in=referral_ids)
            .exclude(status=ReferralStatus.DRAFT)
            .only(
                "pk",
                "partnership_id",
                "received_at",
                "urgency",
                "referrer_agency_id",
                "status",
                "closed_at",
                "closure_outcome",
            )
        )
        ids = [r.pk for r in self.referrals]
        self.deadlines: dict[int, list[Deadline]] = defaultdict(list)
        for deadline in Deadline.objects.filter(referral_id__in=ids).order_by("pk"):
            self.deadlines[deadline.referral_id].append(deadline)
        held = list(
            Discussion.objects.filter(referral_id__in=ids)
            .exclude(held_at=None)
            .select_related("deadline", "minutes_deadline")
            .prefetch_related("proceeded_without")
            .order_by("pk")
        )
        self.held: dict[int, list[Discussion]] = defaultdict(list)
        self.any_held = {d.referral_id for d in held}
        for discussion in held:
            if discussion.status == DiscussionStatus.ENDED:
                self.held[discussion.referral_id].append(discussion)
        ended = [d.pk for ds in self.held.values() for d in ds]
        self.invitations: dict[int, list[Invitation]] = defaultdict(list)
        for invitation in (
            Invitation.objects.filter(discussion_id__in=ended, status=InvitationStatus.INVITED)
            .select_related("agency")
            .only("discussion_id", "agency_id", "agency__agency_type", "attendance")
            .order_by("pk")
        ):
            self.invitations[invitation.discussion_id].append(invitation)
        self.decisions: dict[int, list[ChildDecision]] = defaultdict(list)
        for decision in ChildDecision.objects.filter(discussion_id__in=ended).order_by("pk"):
            self.decisions[decision.discussion_id].append(decision)
        movers = {d.moved_by_id for ds in self.deadlines.values() for d in ds if d.times_moved and d.moved_by_id}
        self.roles: dict[int, frozenset[str]] = defaultdict(frozenset)
        for user_id, code in User.roles.through.objects.filter(user_id__in=movers).values_list("user_id", "role_id"):
            self.roles[user_id] = self.roles[user_id] | {code}
        self.disagreements: dict[int, list[Disagreement]] = defaultdict(list)
        for disagreement in Disagreement.objects.filter(referral_id__in=ids).order_by("pk"):
            self.disagreements[disagreement.referral_id].append(disagreement)
        partnerships = {r.partnership_id for r in self.referrals}
        self.calendars: dict[int, Calendar] = {
            p.pk: partnership_calendar(p) for p in Partnership.objects.filter(pk__in=partnerships)
        }

    def mover_role(self, deadline: Deadline) -> str:
        held = self.roles.get(deadline.moved_by_id or 0, frozenset())
        return next((role.value for role in MOVER_ROLES if role.value in held), "other")


def _referral_facts(case: _Case, referral: Referral) -> Iterable[Fact]:
    base = {"partnership_id": referral.partnership_id, "referral_id": referral.pk, "urgency": referral.urgency}
    yield Fact(
        kind=FactKind.REFERRAL, month=month_of(referral.received_at), agency_id=referral.referrer_agency_id, **base
    )
    if referral.status == ReferralStatus.CLOSED and referral.closed_at and referral.pk not in case.any_held:
        yield Fact(kind=FactKind.CLOSED, month=month_of(referral.closed_at), category=referral.closure_outcome, **base)


def _discussion_facts(case: _Case, referral: Referral, discussion: Discussion) -> Iterable[Fact]:
    assert discussion.held_at is not None and discussion.ended_at is not None  # noqa: S101 (ended: held)
    base = {"partnership_id": referral.partnership_id, "referral_id": referral.pk, "urgency": discussion.urgency}
    held, month = discussion.held_at, month_of(discussion.held_at)
    invitations = case.invitations[discussion.pk]
    attended = {i.agency.agency_type for i in invitations if i.attendance == Attendance.ATTENDED}
    clock = discussion.deadline
    yield Fact(
        kind=FactKind.DISCUSSION,
        month=month,
        state=clock.state,
        due_at=_original_due(clock),
        on_time=held <= _original_due(clock),
        hours=elapsed_hours(discussion.concern_identified_at, held),
        working_days=working_days_between(
            discussion.concern_identified_at, held, case.calendars[referral.partnership_id]
        ),
        police_present=AgencyType.POLICE in attended,
        health_present=AgencyType.HEALTH in attended,
        flag=clock.times_moved > 0,
        **base,
    )
    without = {agency.pk for agency in discussion.proceeded_without.all()}
    for invitation in invitations:
        attendance = Attendance.NO_RESPONSE if invitation.attendance == Attendance.INVITED else invitation.attendance
        yield Fact(
            kind=FactKind.INVITATION,
            month=month,
            agency_id=invitation.agency_id,
            category=attendance,
            flag=invitation.agency_id in without,
            **base,
        )
    for decision in case.decisions[discussion.pk]:
        s47 = decision.s47 or decision.s47_continued
        authorised = decision.s47_authorised_at is not None and decision.s47_authorised_at <= discussion.ended_at
        yield Fact(
            kind=FactKind.DECISION,
            month=month,
            category=_outcome(decision),
            flag=s47,
            second_flag=authorised if s47 else None,
            **base,
        )
    minutes = discussion.minutes_deadline
    if minutes is not None:
        yield Fact(
            kind=FactKind.MINUTES,
            month=month_of(discussion.ended_at),
            state=minutes.state,
            due_at=_original_due(minutes),
            on_time=_on_time(minutes, minutes.met_at),
            hours=None if minutes.met_at is None else elapsed_hours(minutes.starts_at, minutes.met_at),
            **base,
        )


def _clock_facts(case: _Case, referral: Referral) -> Iterable[Fact]:
    base = {"partnership_id": referral.partnership_id, "referral_id": referral.pk, "urgency": referral.urgency}
    for deadline in case.deadlines[referral.pk]:
        kind = CLOCK_KINDS.get(Rule(deadline.rule))
        if kind is not None:
            yield Fact(
                kind=kind,
                month=month_of(_original_due(deadline)),
                agency_id=deadline.agency_id if kind == FactKind.ACTION else None,
                state=deadline.state,
                due_at=_original_due(deadline),
                on_time=_on_time(deadline, deadline.met_at) if deadline.state == DeadlineState.MET else None,
                **base,
            )
        if deadline.times_moved and deadline.moved_at is not None:
            yield Fact(
                kind=FactKind.MOVED,
                month=month_of(deadline.moved_at),
                category=case.mover_role(deadline),
                times=deadline.times_moved,
                **base,
            )


def _disagreement_facts(case: _Case, referral: Referral) -> Iterable[Fact]:
    for disagreement in case.disagreements[referral.pk]:
        yield Fact(
            partnership_id=referral.partnership_id,
            referral_id=referral.pk,
            urgency=referral.urgency,
            kind=FactKind.DISAGREEMENT,
            month=month_of(disagreement.raised_at),
            agency_id=disagreement.raised_by_agency_id,
            category=disagreement.subject,
            state=disagreement.status,
            times=disagreement.stage,
        )


def facts_build(referral_ids: Iterable[int]) -> list[Fact]:
    """The facts of these cases as their rows stand now (unsaved)."""
    case = _Case(list(referral_ids))
    facts: list[Fact] = []
    for referral in case.referrals:
        facts.extend(_referral_facts(case, referral))
        for discussion in case.held[referral.pk]:
            facts.extend(_discussion_facts(case, referral, discussion))
        facts.extend(_clock_facts(case, referral))
        facts.extend(_disagreement_facts(case, referral))
    return facts


def facts_replace(referral_ids: Iterable[int]) -> set[tuple[int, dt.date]]:
    """Rebuild the facts of these cases; the partnership-months whose facts changed (before or after)."""
    ids = sorted(set(referral_ids))
    with transaction.atomic():
        old = Fact.objects.filter(referral_id__in=ids)
        touched = set(old.values_list("partnership_id", "month"))
        old.delete()
        facts = facts_build(ids)
        Fact.objects.bulk_create(facts, batch_size=2_000)
    return touched | {(f.partnership_id, f.month) for f in facts}
