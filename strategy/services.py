"""Writes to strategy discussions (DOMAIN sections 1, 2 and 4). Each is one transaction per user action.

Every deadline comes from the timescale engine through `referrals.deadlines`; every change is
recorded in history with who made it and why; invitations grant case access through
django-guardian on the referral, to the invited agency's group.
"""

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce, Length
from guardian.shortcuts import assign_perm, remove_perm

from actions.models import Action
from actions.services import action_create, actions_cancel_for_closed_case, actions_record_agreed
from agencies.models import Agency, AgencyType, User, may_chair, may_take_part
from agencies.selectors import partnership_calendar
from agencies.services import agency_group
from core import events
from core.forms import worded
from core.history import record
from core.presenters import in_sentence
from core.timescales import DISAGREEMENT_RULES, Rule, end_of_date, end_of_working_day_after, to_local
from referrals import rules as referral_rules
from referrals import services as referral_services
from referrals.access import VIEW_PERMISSION, ReferralChecker
from referrals.deadlines import (
    deadline_bring_forward,
    deadline_meet,
    deadline_open,
    deadline_pause,
    deadline_resume,
    deadline_stop,
    deadlines_stop_for_case,
)
from referrals.models import (
    URGENCY_RULES,
    ClosureOutcome,
    Deadline,
    DeadlineState,
    Person,
    PersonKind,
    Referral,
    ReferralStatus,
)
from strategy import rules
from strategy.access import DiscussionChecker
from strategy.models import (
    CHILD_RISK_QUESTIONS,
    DECISIONS,
    PLAN_ITEMS,
    Attendance,
    ChildDecision,
    ChildRecord,
    ChildRisk,
    Consent,
    Discussion,
    DiscussionAction,
    DiscussionStatus,
    EnquiryPlanItem,
    FamilySharing,
    FamilySummary,
    InformationEntry,
    Invitation,
    InvitationStatus,
    NotYetReason,
    PoliceDecision,
    ProceedWithout,
    Protection,
    RiskLevel,
    Trigger,
    risk_level_error,
)
from strategy.selectors import discussion_being_held, lado_needed


class StaleSectionError(Exception):
    """Someone else saved this section of the meeting after this user loaded it; nothing was saved."""

    def __init__(self, section: str) -> None:
        super().__init__(section)
        self.section = section


def _require_started(discussion: Discussion, message: str) -> None:
    if discussion.status == DiscussionStatus.CONVENED:
        raise ValidationError(message)


def _discussion_rule(trigger: str, urgency: str) -> Rule:
    """A child found missing has its own 24-hour rule; otherwise the urgency decides (DOMAIN section 3)."""
    return Rule.SD_MISSING_CHILD if trigger == Trigger.MISSING else URGENCY_RULES[urgency]


def _grant(referral: Referral, agency: Agency) -> None:
    """Invited: the agency's group may view the case (CSC sees its partnership's cases already)."""
    if agency.agency_type != AgencyType.CHILDRENS_SOCIAL_CARE:
        assign_perm(VIEW_PERMISSION, agency_group(agency), referral)


def _revoke_unless_still_invited(referral: Referral, agency: Agency) -> None:
    still = Invitation.objects.filter(
        discussion__referral=referral, agency=agency, status=InvitationStatus.INVITED
    ).exists()
    if not still and agency.group_id is not None:
        remove_perm(VIEW_PERMISSION, agency.group, referral)  # type: ignore[arg-type]


def _bump(discussion: Discussion, section: str, expected: int | None) -> None:
    """Refuse a save made from an older copy of the section (`expected` None: not a section of the page)."""
    if expected is not None and discussion.section_version(section) != expected:
        raise StaleSectionError(section)
    discussion.section_versions = {**discussion.section_versions, section: discussion.section_version(section) + 1}
    Discussion.objects.filter(pk=discussion.pk).update(section_versions=discussion.section_versions)


def _locked(discussion: Discussion) -> Discussion:
    fresh = Discussion.objects.select_for_update().select_related("referral__partnership").get(pk=discussion.pk)
    return fresh


# --- Convening ---------------------------------------------------------------------------------------------


def discussion_convene(
    *,
    acting_user: User,
    referral: Referral,
    data: Mapping[str, Any],
    children: Sequence[Person],
    invitations: Sequence[Mapping[str, Any]],
    declined: Sequence[Mapping[str, Any]] = (),
    now: dt.datetime,
    submission_key: uuid.UUID | None = None,
) -> Discussion:
    """Convene a strategy discussion on a case: its deadline counts from when the concern was identified.

    `data`: trigger, concern_identified_at, urgency, scheduled_at, format, chair, reason, purpose,
    reconvened_from, reconvene_rationale. `invitations`: agency, person, contact_name, role,
    proposal, reason. `declined`: proposals not taken up, each with agency, role, proposal, reason
    and decline_reason. The chair and the convening social worker are invited as CSC.
    """
    if not ReferralChecker.for_user(acting_user, referral).can_edit():
        raise PermissionDenied("Only CSC social workers and team managers convene a discussion")
    if submission_key and (earlier := Discussion.objects.filter(submission_key=submission_key).first()):
        return earlier  # the same form sent twice (a double click, a retry) convenes one discussion
    chair, identified, previous = data.get("chair"), data.get("concern_identified_at"), data.get("reconvened_from")
    errors = rules.check_convene(
        data=data,
        children=children,
        case_child_ids={p.pk for p in referral.people.filter(kind=PersonKind.CHILD, removed_at=None)},
        referral_id=referral.pk,
        partnership_id=referral.partnership_id,
        concerns=referral.concerns.values_list("code", flat=True),
        non_mobile_injury=referral.non_mobile_infant_injury,
        chair_allowed=may_chair(chair, referral.partnership_id),
        invitations=invitations,
        declined=declined,
        may_take_part=may_take_part,
        now=now,
    )
    if errors or identified is None:
        raise ValidationError(errors)

    with transaction.atomic():
        referral = Referral.objects.select_for_update().select_related("partnership").get(pk=referral.pk)
        deadline = _convene_clock(acting_user, referral, _discussion_rule(data["trigger"], data["urgency"]), identified)
        discussion = Discussion(
            referral=referral,
            trigger=data["trigger"],
            concern_identified_at=identified,
            urgency=data["urgency"],
            urgency_reason=""
            if data["urgency"] in referral_rules.SAME_DAY_URGENCIES
            else str(data.get("urgency_reason") or "").strip(),
            scheduled_at=data["scheduled_at"],
            format=data["format"],
            chair=chair,
            convened_by=acting_user,
            reason=data["reason"],
            purpose=data.get("purpose", ""),
            reconvened_from=previous,
            reconvene_rationale=data.get("reconvene_rationale", "") if previous else "",
            deadline=deadline,
            submission_key=submission_key,
        )
        record(discussion, acting_user, "Strategy discussion convened")
        discussion.full_clean()
        discussion.save()
        discussion.children.set(children)
        _convene_invitees(discussion, acting_user, chair=chair, invitations=invitations, declined=declined)
        # A case whose discussion was held awaits one again: invited agencies may record until it is held.
        referral_services.referral_status_move(
            acting_user=acting_user,
            referral=referral,
            from_status=ReferralStatus.DISCUSSION_HELD,
            to_status=ReferralStatus.AWAITING_DISCUSSION,
            reason="Strategy discussion convened",
        )
    return discussion


def _convene_clock(acting_user: User, referral: Referral, rule: Rule, identified: dt.datetime) -> Deadline:
    """The discussion's deadline, counted from when the concern was identified.

    The first discussion takes over the clock the referral started. Convening never moves it later (an overdue case
    stays overdue); an earlier concern or a tighter urgency brings it forward (DOMAIN 1). Otherwise a clock of its
    own, which the case then points at when it has no open one.
    """
    calendar = partnership_calendar(referral.partnership)
    current = referral.sd_deadline
    first = not referral.discussions.exists()
    if first and current is not None and current.state == DeadlineState.OPEN:
        current.partnership = referral.partnership
        deadline_bring_forward(
            acting_user=acting_user,
            deadline=current,
            rule=rule,
            starts_at=identified,
            calendar=calendar,
            reason="Strategy discussion convened",
        )
        return current
    responsible = referral.allocated_social_worker or acting_user
    deadline = deadline_open(
        acting_user=acting_user,
        referral=referral,
        rule=rule,
        starts_at=identified,
        responsible=responsible,
        agency=responsible.agency,
        calendar=calendar,
        reason="Strategy discussion convened",
    )
    if current is None or current.state != DeadlineState.OPEN:
        referral_services.referral_point_at_sd_deadline(referral=referral, deadline=deadline)
    return deadline


def _convene_invitees(
    discussion: Discussion,
    acting_user: User,
    *,
    chair: Any,
    invitations: Sequence[Mapping[str, Any]],
    declined: Sequence[Mapping[str, Any]],
) -> None:
    """The chair and the case's social worker (as CSC), each invitee chosen, and each proposal declined with why;
    a model's refusal of one row is put on that row of the form."""
    csc: Agency = chair.agency  # a chair is a CSC team manager (check_convene)
    _invite(discussion, acting_user, agency=csc, person=chair, role="Chair", reason="Chairs the discussion")
    worker = discussion.referral.allocated_social_worker or acting_user
    if worker != chair:
        _invite(
            discussion,
            acting_user,
            agency=csc,
            person=worker,
            role="Social worker",
            reason="The case's social worker",
        )
    for row in invitations:
        with _on_row(f"invite_{row.get('proposal') or ''}"):
            _invite(discussion, acting_user, **row)
    for row in declined:
        invitation = Invitation(
            discussion=discussion,
            agency=row["agency"],
            role=row["role"],
            proposal=row["proposal"],
            reason=row.get("reason", ""),
            status=InvitationStatus.DECLINED,
            decline_reason=row["decline_reason"],
            created_by=acting_user,
        )
        record(invitation, acting_user, "Proposal declined")
        with _on_row(f"decline_{row['proposal']}"):
            invitation.full_clean()
        invitation.save()


@contextmanager
def _on_row(key: str) -> Iterator[None]:
    """A model's refusal of one invitee, put on that invitee's row of the form (`key`) in words naming the field
    ("Role must be 200 characters or fewer"), so the error summary links to the row and nothing is saved."""
    try:
        yield
    except ValidationError as exc:
        errors = exc.error_dict.items() if hasattr(exc, "error_dict") else [("__all__", exc.error_list)]
        raise ValidationError(
            {key: [worded(error, _label(Invitation, field)) for field, found in errors for error in found]}
        ) from exc


def _label(model: type, field: str) -> str:
    try:
        return str(model._meta.get_field(field).verbose_name)  # type: ignore[attr-defined]
    except FieldDoesNotExist:
        return "This invitation"


def _invite(
    discussion: Discussion,
    acting_user: User,
    *,
    agency: Agency,
    person: User | None = None,
    contact_name: str = "",
    role: str = "",
    proposal: str = "",
    reason: str = "",
) -> Invitation:
    invitation = Invitation(
        discussion=discussion,
        agency=agency,
        person=person,
        contact_name=contact_name,
        role=role,
        proposal=proposal,
        reason=reason,
        created_by=acting_user,
    )
    record(invitation, acting_user, "Invited")
    invitation.full_clean()
    invitation.save()
    _grant(discussion.referral, agency)
    return invitation


def invitation_add(
    *,
    acting_user: User,
    checker: DiscussionChecker,
    agency: Agency,
    person: User | None,
    contact_name: str,
    role: str,
) -> Invitation:
    """Invite another agency or named person to a discussion not yet over."""
    discussion = checker.discussion
    if not checker.can_record_all():
        raise PermissionDenied("Only CSC social workers and team managers invite agencies")
    errors = {}
    if agency.partnership_id != discussion.referral.partnership_id:
        errors["agency"] = "Select an agency of this partnership"
    if person is not None and not may_take_part(person, agency):
        errors["person"] = f"Select a practitioner of {agency}: {person} cannot take part in a discussion"
    already = discussion.invitations.filter(status=InvitationStatus.INVITED, agency=agency)
    if person is not None and already.filter(person=person).exists():
        errors["person"] = f"{person} is already invited"
    elif person is None and already.filter(person=None, contact_name=contact_name.strip(), role=role.strip()).exists():
        errors["agency"] = f"{agency} is already invited in that role: name the person, or give another role"
    if discussion.ended:
        errors["__all__"] = "This discussion is over: convene another to invite more agencies"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _locked(discussion)
        return _invite(
            discussion, acting_user, agency=agency, person=person, contact_name=contact_name, role=role, reason="Added"
        )


def invitation_withdraw(
    *, acting_user: User, checker: DiscussionChecker, invitation: Invitation, reason: str
) -> Invitation:
    """Withdraw an invitation, with the reason: the agency loses the case unless another invitation still grants it."""
    if not checker.can_record_all() or invitation.discussion_id != checker.discussion.pk:
        raise PermissionDenied("Only CSC social workers and team managers withdraw invitations")
    if invitation.person_id == checker.discussion.chair_id:
        raise ValidationError("The chair's invitation cannot be withdrawn: change the chair instead")
    if not reason.strip():
        raise ValidationError({"reason": f"Give the reason for withdrawing the invitation to {invitation.name}"})
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.status != InvitationStatus.INVITED:
            return invitation
        invitation.status, invitation.withdraw_reason = InvitationStatus.WITHDRAWN, reason.strip()
        record(invitation, acting_user, "Invitation withdrawn")
        invitation.save()
        _revoke_unless_still_invited(checker.discussion.referral, invitation.agency)
    return invitation


# --- The meeting ---------------------------------------------------------------------------------------------


def discussion_start(*, acting_user: User, checker: DiscussionChecker, now: dt.datetime) -> Discussion:
    """The meeting starts: the time it began is recorded, and its own clock starts (MEETING_NOT_ENDED).

    Starting is not holding (DOMAIN section 1): the discussion's deadline is met only when the meeting
    ends quorate, at the time it began. Meanwhile that deadline raises no alert; a meeting left running
    past the partnership's setting (default 4 hours) is chased instead.
    """
    if not checker.can_chair():
        raise PermissionDenied("Only a team manager in children's social care starts the meeting (the chair)")
    with transaction.atomic():
        discussion = _locked(checker.discussion)
        if discussion.status != DiscussionStatus.CONVENED:
            return discussion
        discussion.status, discussion.held_at = DiscussionStatus.IN_PROGRESS, now
        chair = discussion.chair
        discussion.meeting_deadline = deadline_open(
            acting_user=acting_user,
            referral=discussion.referral,
            rule=Rule.MEETING_NOT_ENDED,
            starts_at=now,
            responsible=chair,
            agency=chair.agency,
            reason="Meeting started",
        )
        deadline_pause(acting_user=acting_user, deadline=discussion.deadline, reason="Meeting started")
        record(discussion, acting_user, "Meeting started")
        discussion.save()
    return discussion


def discussion_abandon(*, acting_user: User, checker: DiscussionChecker, reason: str, now: dt.datetime) -> Discussion:
    """The chair abandons a meeting in progress, with the reason: it was not held.

    The discussion's clock is open again exactly where it was (overdue if it was), and the meeting's own
    clock stops. What was recorded stays, for the meeting when it is started again.
    """
    if not checker.can_chair():
        raise PermissionDenied("Only the chair abandons the meeting")
    if not reason.strip():
        raise ValidationError({"abandon_reason": "Give the reason for abandoning the meeting"})
    with transaction.atomic():
        discussion = _locked(checker.discussion)
        if discussion.status != DiscussionStatus.IN_PROGRESS:
            raise ValidationError("Only a meeting in progress can be abandoned")
        discussion.status, discussion.held_at = DiscussionStatus.CONVENED, None
        discussion.abandoned_at, discussion.abandon_reason = now, reason.strip()
        if discussion.meeting_deadline is not None:
            deadline_stop(
                acting_user=acting_user,
                deadline=discussion.meeting_deadline,
                at=now,
                reason=f"Meeting abandoned: {reason.strip()}",
            )
            discussion.meeting_deadline = None
        deadline_resume(acting_user=acting_user, deadline=discussion.deadline, reason="Meeting abandoned")
        record(discussion, acting_user, f"Meeting abandoned: {reason.strip()}"[:100])
        discussion.save()
    return discussion


def discussion_end(*, acting_user: User, checker: DiscussionChecker, now: dt.datetime) -> Discussion:
    """The meeting ends: quorate or proceeding-without recorded, a decision for every child, the plan complete.

    Ending it quorate is what holds the discussion (DOMAIN section 1): its deadline is met at the time the
    meeting began; the meeting's own clock is met now; the minutes are due 48 hours later (the partnership's
    setting); each reconvene date and the risk review date become clocks; a reconvene clock an earlier
    discussion set for these children is met. Invited agencies keep read-only access until the case closes.
    """
    if not checker.can_chair():
        raise PermissionDenied("Only a team manager in children's social care ends the meeting (the chair)")
    with transaction.atomic():
        discussion = _locked(checker.discussion)
        if discussion.status == DiscussionStatus.ENDED:
            return discussion
        errors = end_problems(discussion)
        if errors:
            raise ValidationError(errors)
        began = discussion.held_at or now
        discussion.status, discussion.held_at, discussion.ended_at = DiscussionStatus.ENDED, began, now
        deadline_meet(acting_user=acting_user, deadline=discussion.deadline, at=began, by="Strategy discussion held")
        if discussion.meeting_deadline is not None:
            deadline_meet(acting_user=acting_user, deadline=discussion.meeting_deadline, at=now, by="Meeting ended")
        chair = discussion.chair
        referral = discussion.referral
        discussion.minutes_deadline = deadline_open(
            acting_user=acting_user,
            referral=referral,
            rule=Rule.MINUTES_CIRCULATED,
            starts_at=now,
            responsible=chair,
            agency=chair.agency,
            reason="Strategy discussion ended",
        )
        children = list(discussion.children.all())
        _reconvene_clocks_meet(acting_user, discussion, children, began)
        worker = referral.allocated_social_worker or discussion.convened_by
        for decision in discussion.decisions.select_for_update().select_related("child"):
            if decision.reconvene and decision.reconvene_on and decision.reconvene_deadline_id is None:
                decision.reconvene_deadline = _agreed_date_clock(
                    acting_user, referral, Rule.RECONVENE, decision.reconvene_on, worker, now, decision.child
                )
                record(decision, acting_user, "Reconvene date set")
                decision.save()
        if discussion.risk_review_on and discussion.risk_review_deadline_id is None:
            discussion.risk_review_deadline = _agreed_date_clock(
                acting_user, referral, Rule.RISK_REVIEW, discussion.risk_review_on, worker, now
            )
        record(discussion, acting_user, "Meeting ended")
        discussion.save()
        # The action plan as agreed now is what the minutes record, whatever progress follows (DOMAIN section 6).
        actions_record_agreed(acting_user=acting_user, actions=discussion.agreed_actions.all(), now=now)
        # The apps above react in this transaction (minutes: the distribution list is built; see core.events).
        events.announce(events.MeetingEnded(acting_user=acting_user, now=now, discussion_pk=discussion.pk))
        pending = referral.discussions.exclude(pk=discussion.pk).exclude(status=DiscussionStatus.ENDED)
        waiting = (
            Deadline.objects.filter(discussion__in=pending, state=DeadlineState.OPEN).order_by("due_at", "pk").first()
        )
        if waiting is not None and referral.sd_deadline_id == discussion.deadline_id:
            # The case still awaits another discussion: it is listed by that one's clock, not by this one's "Held".
            referral_services.referral_point_at_sd_deadline(referral=referral, deadline=waiting)
        if not pending.exists():
            referral_services.referral_record_discussion_held(
                acting_user=acting_user,
                referral=referral,
                held_at=discussion.held_at,
                deadline=discussion.deadline,
            )
    return discussion


_AGREED_DATE_SET = {Rule.RECONVENE: "Reconvene date set", Rule.RISK_REVIEW: "Risk review date set"}


def _agreed_date_clock(
    acting_user: User,
    referral: Referral,
    rule: Rule,
    on: dt.date,
    worker: User,
    now: dt.datetime,
    child: Person | None = None,
) -> Deadline:
    """A date the meeting agreed (to reconvene, to review the risk) becomes a clock of the case's social worker,
    due at the end of that day."""
    return deadline_open(
        acting_user=acting_user,
        referral=referral,
        rule=rule,
        starts_at=now,
        agreed_due=end_of_date(on),
        responsible=worker,
        agency=worker.agency,
        child=child,
        reason=_AGREED_DATE_SET[rule],
    )


def _reconvene_clocks_meet(
    acting_user: User, discussion: Discussion, children: Sequence[Person], held_at: dt.datetime
) -> None:
    """A discussion held about a child meets the reconvene clocks an earlier discussion set for that child."""
    open_ = discussion.referral.deadlines.select_for_update().filter(
        rule=Rule.RECONVENE, state=DeadlineState.OPEN, child__in=children
    )
    for deadline in open_:
        deadline_meet(acting_user=acting_user, deadline=deadline, at=held_at, by="Reconvened discussion held")


def end_problems(discussion: Discussion) -> list[str]:
    """What stops the meeting being ended, in words (empty when it can end)."""
    problems = []
    if discussion.status == DiscussionStatus.CONVENED:
        problems.append("Start the meeting first")
    q = discussion_quoracy(discussion)
    if q.csc_missing:
        problems.append(
            "Record the attendance of " + " and ".join(q.csc_missing) + ": the discussion cannot go ahead without them"
        )
    proceeded = list(discussion.proceeded_without.all())
    covered_types = {agency.agency_type for agency in proceeded}
    covered_ids = {agency.pk for agency in proceeded}
    unexcused = [AgencyType(t).label.lower() for t in q.missing_core_types if t not in covered_types]
    unexcused += [name for pk, name in q.missing_others.items() if pk not in covered_ids]
    if unexcused:
        problems.append(
            f"Record why the discussion proceeds without {', '.join(unexcused)}, or record their attendance"
        )
    # .all() throughout: the meeting page has these prefetched (strategy.selectors.meeting), elsewhere it reads them.
    decisions = list(discussion.decisions.all())
    decided = {decision.child_id for decision in decisions}
    for child in discussion.children.all():
        if child.pk not in decided:
            problems.append(f"Record the decision for {child.full_name}")
    risks = {risk.child_id: risk for risk in discussion.child_risks.all()}
    for child in discussion.children.all():
        risk = risks.get(child.pk)
        if risk is None:
            problems.append(f"Record the risk analysis for {child.full_name}, with the level of risk")
        elif missing := risk.unanswered():
            problems.append(
                f"Complete the risk analysis for {child.full_name}: "
                + "; ".join(m[:1].lower() + m[1:].rstrip("?") for m in missing)
            )
    if any(decision.s47 for decision in decisions):
        # Only the items still asked count: a retired item's old answer neither fills nor leaves a gap. An answer
        # for one child where it differs is optional: the whole discussion's answer is what must be there.
        answered = {
            item.item
            for item in discussion.plan_items.all()
            if item.item in PLAN_ITEMS and item.child_id is None and item.recorded
        }
        if len(answered) < len(PLAN_ITEMS):
            left = len(PLAN_ITEMS) - len(answered)
            problems.append(f"Answer every item of the enquiry plan, or say why it is not needed ({left} left)")
    problems += standing_problems(discussion)
    return problems


def standing_problems(discussion: Discussion) -> list[str]:
    """What every discussion records whatever the outcome and has not yet (DOMAIN sections 1.3 and 4)."""
    problems = []
    if not discussion.police_decision:
        problems.append("Record the police decision on a criminal investigation, and the police decision maker")
    if discussion.lado_informed is None and (abusers := lado_needed(discussion)):
        names = ", ".join(p.full_name for p in abusers)
        problems.append(f"Record whether the LADO has been informed ({names} works with children), or why not")
    if discussion.legal_advice_sought is None or not discussion.protection:
        problems.append(
            "Record whether legal advice was sought, and any police protection or emergency protection order"
        )
    records = {r.child_id: r for r in discussion.child_records.all()}
    no_further_action = {decision.child_id for decision in discussion.decisions.all() if decision.nfa}
    for child in discussion.children.all():
        record_ = records.get(child.pk)
        if child.in_hospital and not (record_ and record_.safe_discharge.strip()):
            problems.append(f"Record the safe discharge from hospital of {child.full_name}")
        if child.pk in no_further_action and not (record_ and record_.cin_support):
            problems.append(f"Record whether child in need support was considered for {child.full_name}")
    return problems


def discussion_quoracy(discussion: Discussion) -> rules.Quoracy:
    invitations = discussion.invitations.select_related("agency").filter(status=InvitationStatus.INVITED)
    return rules.quoracy_of(invitations, chair_id=discussion.chair_id)


def attendance_save(
    *,
    acting_user: User,
    checker: DiscussionChecker,
    rows: Mapping[int, tuple],
    version: int | None,
    names: Mapping[int, tuple[User | None, str]] | None = None,
) -> Discussion:
    """Attendance per invitee (attended, apologies, no response; information sent in advance), and, when given,
    their role and whether they can decide for their agency: (attendance, sent[, role, can_decide]).

    `names`: who attended on a line that names nobody yet ("Police officer (to be named)"), by invitation: a user
    of that agency, or a named contact. A line marked attended must name the person (DOMAIN section 4: agency,
    person, role), and one person is on one line only. Invited agencies mark their own agency's lines; the chair
    and CSC anyone's. Nothing is saved when any line is refused.
    """
    names = names or {}
    with transaction.atomic():
        discussion = _locked(checker.discussion)
        invitations = _invitations_locked(discussion)
        for pk in {*rows, *names}:
            if pk not in invitations or not checker.can_record_agency(invitations[pk].agency_id):
                raise PermissionDenied("You can record attendance for your own agency only")
        _bump(discussion, "attendance", version)
        errors: dict[str, str] = {}
        for pk, (person, contact) in names.items():
            problem = _named(invitations, invitations[pk], person, contact)
            if problem:
                errors[f"person_{pk}"] = problem
        for pk, (attendance, *_rest) in rows.items():
            invitation = invitations[pk]
            if attendance == Attendance.ATTENDED and not (invitation.person_id or invitation.contact_name):
                errors.setdefault(
                    f"person_{pk}",
                    f"Name who attended for {invitation.agency} as {in_sentence(invitation.role) or 'its invitee'}: "
                    "choose them from the list or type their name",
                )
        if errors:
            raise ValidationError(errors)
        for pk, (attendance, sent, *more) in rows.items():
            invitation = invitations[pk]
            if pk in names and any(names[pk]) and attendance == Attendance.INVITED:
                attendance = Attendance.ATTENDED  # naming who came is recording that they attended
            role = str(more[0]).strip() if more else invitation.role
            can_decide = more[1] if len(more) > 1 else invitation.can_decide
            now_ = (attendance, sent, role, can_decide)
            if (
                invitation.attendance,
                invitation.information_sent_in_advance,
                invitation.role,
                invitation.can_decide,
            ) == now_ and pk not in names:
                continue
            invitation.attendance, invitation.information_sent_in_advance = attendance, sent
            invitation.role, invitation.can_decide = role, can_decide
            record(invitation, acting_user, "Attendance recorded")
            invitation.full_clean()
            invitation.save()
        for pk in set(names) - set(rows):
            record(invitations[pk], acting_user, "Attendee named")
            invitations[pk].full_clean()
            invitations[pk].save()
        for pk, (person, _contact) in names.items():
            if person is not None:
                _announce_named(acting_user, invitations[pk])
    return discussion


def _invitations_locked(discussion: Discussion) -> dict[int, Invitation]:
    """The discussion's current invitations by key, locked for the attendance list being written."""
    invited = (
        discussion.invitations.select_for_update().select_related("agency").filter(status=InvitationStatus.INVITED)
    )
    return {invitation.pk: invitation for invitation in invited}


def _announce_named(acting_user: User, invitation: Invitation) -> None:
    """A user is named on the invitation: the apps above react in this transaction (core.events)."""
    events.announce(
        events.InviteeNamed(
            acting_user=acting_user,
            discussion_pk=invitation.discussion_id,
            invitation_pk=invitation.pk,
            person_pk=invitation.person_id,  # type: ignore[arg-type]  # named: not None
        )
    )


def _named(invitations: Mapping[int, Invitation], invitation: Invitation, person: User | None, contact: str) -> str:
    """Name who attends on `invitation` (changing it in memory); the problem in words, or "" when named."""
    contact = contact.strip()
    if person is None and not contact:
        return ""
    if invitation.person_id or invitation.contact_name:
        return f"{invitation.name} is already named on this line"
    if person is not None and not may_take_part(person, invitation.agency):
        return f"Select a practitioner of {invitation.agency}: {person} cannot take part in a discussion"
    for other in invitations.values():
        same = (person is not None and other.person_id == person.pk) or (
            person is None
            and other.agency_id == invitation.agency_id
            and other.contact_name.casefold() == contact.casefold()
        )
        if other.pk != invitation.pk and same:
            return f"{other.name} is already on the attendance list, as {in_sentence(other.role) or 'an invitee'}"
    invitation.person, invitation.contact_name = person, "" if person is not None else contact
    invitation.attendance = Attendance.ATTENDED
    return ""


def invitation_attend(
    *, acting_user: User, checker: DiscussionChecker, invitation_pk: int, version: int | None
) -> Invitation:
    """One click: "I am attending for Demo Police". The acting user is named on their agency's line and marked
    attended; a user already on the list, or a line already naming someone, is refused."""
    with transaction.atomic():
        discussion = _locked(checker.discussion)
        invitations = _invitations_locked(discussion)
        invitation = invitations.get(invitation_pk)
        if invitation is None or invitation.agency_id != acting_user.agency_id:
            raise PermissionDenied("You can attend for your own agency only")
        if not checker.can_record_agency(invitation.agency_id):
            raise PermissionDenied("You can record attendance for your own agency only")
        _require_not_over(discussion)
        _bump(discussion, "attendance", version)
        problem = _named(invitations, invitation, acting_user, "")
        if problem:
            raise ValidationError({"__all__": problem})
        record(invitation, acting_user, "Attending")
        invitation.full_clean()
        invitation.save()
        _announce_named(acting_user, invitation)
    return invitation


def _require_not_over(discussion: Discussion) -> None:
    if discussion.ended:
        raise ValidationError("This discussion is over: its attendance is as the chair recorded it")


# What one discussion's information may hold (issue 26: 60 entries of 15,000 characters took the draft minutes 10.7 s
# to print). Far above a real meeting (a few entries per agency); each text also within the partnership's maximum.
MAX_INFORMATION_ENTRIES = 60
MAX_INFORMATION_CHARACTERS = 150_000
INFORMATION_TEXTS = {
    "information": "Information shared",
    "checks_done": "Checks done",
    "consent_manager_reason": "The manager's reason",
}


def information_add(
    *,
    acting_user: User,
    checker: DiscussionChecker,
    agency: Agency,
    data: Mapping[str, Any],
    now: dt.datetime,
    submission_key: uuid.UUID | None = None,
) -> InformationEntry:
    """An agency's information, with its checks and whether consent was sought; maybe not for the family.

    The same form sent twice (a double click, a retry) adds one entry.
    """
    if not checker.can_record_agency(agency.pk):
        raise PermissionDenied("You can add your own agency's information only")
    if submission_key and (earlier := InformationEntry.objects.filter(submission_key=submission_key).first()):
        return earlier
    if agency.pk not in checker.invited_agency_ids:
        raise ValidationError({"agency": "Select an agency invited to this discussion"})
    manager_reason = str(data.get("consent_manager_reason") or "").strip()
    if data.get("consent") in (Consent.NOT_SOUGHT, Consent.SOUGHT_REFUSED) and not manager_reason:
        # DOMAIN section 4, enquiry plan: consent not sought (or refused) needs the manager's reason.
        raise ValidationError({"consent_manager_reason": "Give the manager's reason for going ahead without consent"})
    limit = checker.discussion.referral.partnership.max_entry_characters
    too_long = {
        key: f"{label} must be {limit:,} characters or fewer"
        for key, label in INFORMATION_TEXTS.items()
        if len(str(data.get(key) or "")) > limit
    }
    if too_long:
        raise ValidationError(too_long)
    with transaction.atomic():
        _locked(checker.discussion)
        held = InformationEntry.objects.filter(discussion=checker.discussion).aggregate(
            entries=Count("pk"),
            characters=Coalesce(
                Sum(Length("information") + Length("checks_done") + Length("consent_manager_reason")), 0
            ),
        )
        adding = sum(len(str(data.get(key) or "")) for key in INFORMATION_TEXTS)
        if held["entries"] >= MAX_INFORMATION_ENTRIES or held["characters"] + adding > MAX_INFORMATION_CHARACTERS:
            raise ValidationError(
                f"This discussion holds as much information as its minutes can print ({MAX_INFORMATION_ENTRIES} "
                f"entries or {MAX_INFORMATION_CHARACTERS:,} characters): ask the chair to add a summary instead"
            )
        entry = InformationEntry(
            discussion=checker.discussion,
            agency=agency,
            information=data["information"],
            checks_done=data.get("checks_done", ""),
            consent=data["consent"],
            not_for_family=bool(data.get("not_for_family")),
            consent_manager_reason=manager_reason
            if data.get("consent") in (Consent.NOT_SOUGHT, Consent.SOUGHT_REFUSED)
            else "",
            recorded_by=acting_user,
            recorded_at=now,
            submission_key=submission_key,
        )
        record(entry, acting_user, "Information shared")
        entry.full_clean()
        entry.save()
    return entry


def risk_save(
    *, acting_user: User, checker: DiscussionChecker, data: Mapping[str, Any], version: int | None
) -> Discussion:
    """When the risk analysis will be reviewed [002], for the whole discussion: the words, and the date (a clock
    once the meeting ends). The other questions are answered per child (`child_risk_save`)."""
    if not checker.can_record_all():
        raise PermissionDenied("Only CSC record the risk analysis")
    review_on = data.get("risk_review_on")
    discussion_day = to_local(checker.discussion.when).date()
    if review_on is not None and review_on <= discussion_day:
        raise ValidationError({"risk_review_on": "The date of the risk review must be after the discussion"})
    with transaction.atomic():
        discussion = _locked(checker.discussion)
        _bump(discussion, "risk", version)
        discussion.risk_review = data.get("risk_review", "")
        if discussion.risk_review_deadline_id is not None and review_on != discussion.risk_review_on:
            raise ValidationError(
                {"risk_review_on": "The review date is a deadline now: a team manager moves it on the case page"}
            )
        discussion.risk_review_on = review_on
        record(discussion, acting_user, "Risk review recorded")
        discussion.save()
    return discussion


def child_risk_save(
    *,
    acting_user: User,
    checker: DiscussionChecker,
    child: Person,
    data: Mapping[str, Any],
    version: int | None,
) -> ChildRisk:
    """The risk analysis for one child [002]: the four questions and a level of risk (DOMAIN section 4).

    It may be saved part-answered as the meeting goes; ending the meeting needs it complete.
    """
    if not checker.can_record_all():
        raise PermissionDenied("Only CSC record the risk analysis")
    discussion = checker.discussion
    if not discussion.children.filter(pk=child.pk).exists():
        raise ValidationError({"child": "This discussion is not about that child: convene one that is"})
    level = str(data.get("level") or "")
    if level and level not in RiskLevel.values:
        raise ValidationError({"level": risk_level_error(child.full_name)})
    with transaction.atomic():
        discussion = _locked(discussion)
        _bump(discussion, f"risk-{child.pk}", version)
        risk = ChildRisk.objects.select_for_update().filter(discussion=discussion, child=child).first()
        risk = risk or ChildRisk(discussion=discussion, child=child)
        values = {key: str(data.get(key) or "") for key in CHILD_RISK_QUESTIONS}
        if risk.pk and all(getattr(risk, k) == v for k, v in values.items()) and risk.level == level:
            return risk
        for key, value in values.items():
            setattr(risk, key, value)
        risk.level = level
        record(risk, acting_user, "Risk analysis recorded")
        risk.full_clean()
        risk.save()
    return risk


def proceed_save(
    *,
    acting_user: User,
    checker: DiscussionChecker,
    agencies: Sequence[Agency],
    reason: str,
    urgency: str,
    now: dt.datetime,
    version: int | None,
) -> Discussion:
    """Proceed without expected agencies: reason and urgency recorded, and for each one an automatic action
    "obtain information from <agency>", due by the end of the next working day (DOMAIN section 4)."""
    if not checker.can_record_all():
        raise PermissionDenied("Only CSC record why the discussion proceeds without an agency")
    # Decided in the meeting: before it starts, everyone may still join.
    _require_started(
        checker.discussion, "Start the meeting first: whether to proceed without an agency is decided in it"
    )
    errors = {}
    if not agencies:
        errors["agencies"] = "Select the agencies the discussion proceeds without"
    if not reason.strip():
        errors["reason"] = (
            "Give the reason for proceeding without them (delay would increase the risk or impede the investigation)"
        )
    if not urgency.strip():
        errors["urgency"] = "Say how urgent it is"
    if any(a.partnership_id != checker.discussion.referral.partnership_id for a in agencies):
        errors["agencies"] = "Select agencies of this partnership"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        discussion = _locked(checker.discussion)
        _bump(discussion, "proceed", version)
        already = set(discussion.proceeded_without.values_list("pk", flat=True))
        # The latest reason stays on the discussion for older readers; each agency keeps its own on its row.
        discussion.proceed_reason, discussion.proceed_urgency = reason, urgency
        record(discussion, acting_user, "Proceeding without an agency")
        discussion.save()
        discussion.proceeded_without.add(*agencies)
        rows = {r.agency_id: r for r in discussion.proceeds_without.select_for_update()}
        for agency in agencies:
            row = rows.get(agency.pk) or ProceedWithout(discussion=discussion, agency=agency)
            if row.pk and (row.reason, row.urgency) == (reason, urgency):
                continue
            row.reason, row.urgency, row.recorded_by, row.recorded_at = reason, urgency, acting_user, now
            record(row, acting_user, "Proceeding without an agency")
            row.full_clean()
            row.save()
        calendar = partnership_calendar(discussion.referral.partnership)
        invited = set(
            discussion.invitations.filter(status=InvitationStatus.INVITED).values_list("agency_id", flat=True)
        )
        for agency in agencies:
            if agency.pk in already:
                continue
            if agency.pk not in invited:
                # They are to send their information afterwards: invited, so they can see the case and their action.
                _invite(
                    discussion,
                    acting_user,
                    agency=agency,
                    role=agency.get_agency_type_display(),
                    reason="To give its information after the discussion",
                )
            action_agree(
                acting_user=acting_user,
                discussion=discussion,
                what=f"Obtain information from {agency}",
                measure=f"{agency}'s information is recorded on the case and shared with the chair",
                lead_agency=agency,
                due_at=end_of_working_day_after(now, 1, calendar),
                now=now,
                automatic=True,
            )
    return discussion


def standing_save(
    *,
    acting_user: User,
    checker: DiscussionChecker,
    data: Mapping[str, Any],
    children: Mapping[int, Mapping[str, Any]],
    version: int | None,
    now: dt.datetime,
) -> Discussion:
    """What every discussion records whatever the outcome (DOMAIN sections 1.3 and 4), recorded by the chair.

    `data`: police_decision (with police_decision_reason when there is no investigation, and the
    police_decision_maker), police_only_first and police_only_note, lado_informed (with
    lado_informed_who and lado_informed_on, or lado_not_informed_reason), legal_advice_sought (with
    legal_advice_outcome), protection (with protection_details). `children`, by child id:
    safe_discharge (a child in hospital), cin_support and cin_support_reason, abuse_nature,
    identity_needs, interpreter, intermediary. What is not yet known may be left blank; what is
    given must be complete. Ending the meeting needs the lot (standing_problems).
    """
    if not checker.can_record_all():
        raise PermissionDenied("Only CSC record the decisions of the discussion")
    discussion = checker.discussion
    _require_started(discussion, "Start the meeting before recording its decisions")
    errors = rules.check_standing(
        data=data, children=children, about={c.pk: c for c in discussion.children.all()}, today=to_local(now).date()
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        discussion = _locked(discussion)
        _bump(discussion, "standing", version)
        decision = data.get("police_decision") or ""
        discussion.police_decision = decision
        discussion.police_decision_reason = (
            _text(data, "police_decision_reason") if decision == PoliceDecision.NO_INVESTIGATION else ""
        )
        discussion.police_decision_maker = _text(data, "police_decision_maker")
        discussion.police_only_first = bool(data.get("police_only_first"))
        discussion.police_only_note = _text(data, "police_only_note") if discussion.police_only_first else ""
        informed = data.get("lado_informed")
        discussion.lado_informed = informed
        discussion.lado_informed_who = _text(data, "lado_informed_who") if informed else ""
        discussion.lado_informed_on = data.get("lado_informed_on") if informed else None
        discussion.lado_not_informed_reason = _text(data, "lado_not_informed_reason") if informed is False else ""
        sought = data.get("legal_advice_sought")
        discussion.legal_advice_sought = sought
        discussion.legal_advice_outcome = _text(data, "legal_advice_outcome") if sought else ""
        discussion.protection = data.get("protection") or ""
        discussion.protection_details = (
            _text(data, "protection_details") if discussion.protection not in ("", Protection.NONE) else ""
        )
        record(discussion, acting_user, "Decisions of the discussion recorded")
        discussion.full_clean()
        discussion.save()
        existing = {r.child_id: r for r in discussion.child_records.select_for_update()}
        for child in discussion.children.all():
            given = children.get(child.pk)
            if given is None:
                continue
            row = existing.get(child.pk) or ChildRecord(discussion=discussion, child=child)
            cin = given.get("cin_support") or ""
            values = {
                "safe_discharge": _text(given, "safe_discharge") if child.in_hospital else "",
                "cin_support": cin,
                "cin_support_reason": _text(given, "cin_support_reason") if cin else "",
                "abuse_nature": _text(given, "abuse_nature"),
                "identity_needs": _text(given, "identity_needs"),
                "interpreter": bool(given.get("interpreter")),
                "intermediary": bool(given.get("intermediary")),
            }
            if row.pk and all(getattr(row, k) == v for k, v in values.items()):
                continue
            for key, value in values.items():
                setattr(row, key, value)
            record(row, acting_user, "Recorded for the child")
            row.full_clean()
            row.save()
    return discussion


def _text(data: Mapping[str, Any], key: str) -> str:
    return str(data.get(key) or "").strip()


def decision_save(
    *,
    acting_user: User,
    checker: DiscussionChecker,
    child: Person,
    data: Mapping[str, Any],
    version: int | None,
    now: dt.datetime,
) -> ChildDecision:
    """The decisions for one child, with the reasoning (DOMAIN section 4)."""
    if not checker.can_record_all():
        raise PermissionDenied("Only CSC record decisions")
    discussion = checker.discussion
    _require_started(discussion, "Start the meeting before recording decisions")
    if not discussion.children.filter(pk=child.pk).exists():
        raise ValidationError({"child": "This discussion is not about that child: convene one that is"})
    errors = rules.check_decision(
        data=data,
        child_name=child.full_name,
        enquiry_under_way=enquiry_under_way(discussion, child) is not None,
        held_on=to_local(discussion.held_at).date() if discussion.held_at else None,
        now=now,
    )
    if errors:
        raise ValidationError(errors)
    medical = data.get("medical_done_at")
    with transaction.atomic():
        discussion = _locked(discussion)
        _bump(discussion, f"decision-{child.pk}", version)
        decision = ChildDecision.objects.select_for_update().filter(discussion=discussion, child=child).first()
        decision = decision or ChildDecision(discussion=discussion, child=child)
        if decision.s47_authorised and not data.get("s47"):
            raise ValidationError(
                {
                    "decisions": "The section 47 enquiry has been authorised, so it stays on the record: "
                    "record its outcome instead (no conference needed, with the reason)"
                }
            )
        for field in DECISIONS:
            setattr(decision, field, bool(data.get(field)))
        for field in ("reasoning", "investigation_type", "police_decision_maker", "reconvene_rationale"):
            setattr(decision, field, data.get(field) or "")
        decision.reconvene_on = data.get("reconvene_on")
        newly_examined = medical is not None and decision.medical_done_at is None
        decision.medical_done_at = medical or decision.medical_done_at
        if medical is not None and newly_examined:
            decision.medical_deadline = deadline_open(
                acting_user=acting_user,
                referral=discussion.referral,
                rule=Rule.MEDICAL_REPORT,
                starts_at=medical,
                responsible=None,
                agency=_health_agency(discussion),
                child=child,
                reason="Child protection medical done",
            )
        record(decision, acting_user, "Decision recorded")
        decision.full_clean()
        decision.save()
        if decision.s47 or decision.s17:
            _open_assessment(acting_user, discussion, child)
    return decision


def enquiry_under_way(discussion: Discussion, child: Person) -> Deadline | None:
    """The conference clock of a section 47 enquiry already under way for the child on this case, if any.

    One ICPC clock per child per enquiry (DOMAIN section 3): it is under way from its authorisation until
    the conference is held or the outcome says none is needed. This discussion's own authorisation is not
    "already" under way.
    """
    return (
        Deadline.objects.filter(
            referral_id=discussion.referral_id, child=child, rule=Rule.ICPC, state=DeadlineState.OPEN
        )
        .exclude(pk__in=discussion.decisions.filter(child=child).exclude(icpc_deadline=None).values("icpc_deadline"))
        .first()
    )


def _health_agency(discussion: Discussion) -> Agency | None:
    invitation = (
        discussion.invitations.filter(agency__agency_type=AgencyType.HEALTH, status=InvitationStatus.INVITED)
        .select_related("agency")
        .first()
    )
    return invitation.agency if invitation else None


def _open_assessment(acting_user: User, discussion: Discussion, child: Person) -> None:
    """ASSESSMENT: 45 working days from receipt of the referral, once per child (DOMAIN section 3)."""
    referral = discussion.referral
    if referral.deadlines.filter(rule=Rule.ASSESSMENT, child=child).exists():
        return
    worker = referral.allocated_social_worker or discussion.convened_by
    deadline_open(
        acting_user=acting_user,
        referral=referral,
        rule=Rule.ASSESSMENT,
        starts_at=referral.received_at,
        responsible=worker,
        agency=worker.agency,
        child=child,
        reason="Assessment decided",
    )


def decision_authorise_s47(
    *, acting_user: User, checker: DiscussionChecker, decision: ChildDecision, now: dt.datetime
) -> ChildDecision:
    """A team manager authorises the section 47 enquiry: who and when are recorded, and the ICPC clock starts
    (15 working days from the date of this discussion) for that child (DOMAIN sections 3 and 4)."""
    if not checker.can_authorise_s47():
        raise PermissionDenied("Only a team manager in children's social care authorises a section 47 enquiry")
    _require_started(checker.discussion, "Start the meeting before authorising a section 47 enquiry")
    with transaction.atomic():
        discussion = _locked(checker.discussion)
        decision = ChildDecision.objects.select_for_update().get(pk=decision.pk, discussion=discussion)
        if not decision.s47:
            raise ValidationError("Record a section 47 enquiry for this child before authorising it")
        if decision.s47_authorised:
            return decision
        if enquiry_under_way(discussion, decision.child) is not None:
            raise ValidationError(
                f"A section 47 enquiry is already under way for {decision.child.full_name}: "
                "record that it continues instead (one conference clock per child per enquiry)"
            )
        held = discussion.held_at or now
        decision.s47_authorised_by, decision.s47_authorised_at = acting_user, now
        decision.icpc_deadline = deadline_open(
            acting_user=acting_user,
            referral=discussion.referral,
            rule=Rule.ICPC,
            starts_at=held,
            responsible=discussion.chair,
            agency=discussion.chair.agency,
            child=decision.child,
            reason="Section 47 enquiry authorised",
        )
        record(decision, acting_user, "Section 47 enquiry authorised")
        decision.save()
        _open_assessment(acting_user, discussion, decision.child)
    return decision


def decision_record_outcome(
    *,
    acting_user: User,
    checker: DiscussionChecker,
    decision: ChildDecision,
    conference_needed: bool,
    reason: str,
    now: dt.datetime,
) -> ChildDecision:
    """The s47 outcome: a conference is needed (the ICPC clock runs on) or not (it stops, with the reason)."""
    if not checker.can_record_all():
        raise PermissionDenied("Only CSC record the outcome of a section 47 enquiry")
    if not conference_needed and not reason.strip():
        raise ValidationError({"no_conference_reason": "Give the reason no conference is needed"})
    _require_started(checker.discussion, "Start the meeting first")
    with transaction.atomic():
        decision = ChildDecision.objects.select_for_update().get(pk=decision.pk, discussion=checker.discussion)
        if not decision.s47_authorised:
            raise ValidationError("The section 47 enquiry has not been authorised, so it has no outcome yet")
        decision.conference_needed = conference_needed
        decision.no_conference_reason = "" if conference_needed else reason
        decision.outcome_recorded_by, decision.outcome_recorded_at = acting_user, now
        record(decision, acting_user, "Section 47 outcome recorded")
        decision.save()
        if not conference_needed and decision.icpc_deadline is not None:
            deadline_stop(
                acting_user=acting_user,
                deadline=decision.icpc_deadline,
                at=now,
                reason=f"No conference needed: {reason}"[:200],
            )
    return decision


def plan_save(
    *,
    acting_user: User,
    checker: DiscussionChecker,
    answers: Mapping[str, tuple[str, str]],
    version: int | None,
    child: Person | None = None,
) -> Discussion:
    """The enquiry plan: each item answered, or "not needed because...", never both (DOMAIN section 4).

    With no child, the plan for the whole discussion. With a child, where the plan differs for that child
    (optional, versioned per child): an item left blank there no longer differs, its row kept for history.
    """
    if not checker.can_record_all():
        raise PermissionDenied("Only CSC record the enquiry plan")
    if any(item not in PLAN_ITEMS for item in answers):
        raise ValidationError("Unknown enquiry plan item")
    if child is not None and not checker.discussion.children.filter(pk=child.pk).exists():
        raise ValidationError({"child": "This discussion is not about that child: convene one that is"})
    for_whom = f" for {child.full_name}" if child is not None else ""
    errors = {
        f"{item}": f"{PLAN_ITEMS[item].split(':')[0]}{for_whom}: give an answer or say why it is not needed, not both"
        for item, (answer, not_needed) in answers.items()
        if answer.strip() and not_needed.strip()
    }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        discussion = _locked(checker.discussion)
        _bump(discussion, f"plan-{child.pk}" if child is not None else "plan", version)
        existing = {i.item: i for i in discussion.plan_items.select_for_update().filter(child=child)}
        for item, (answer, not_needed) in answers.items():
            row = existing.get(item) or EnquiryPlanItem(discussion=discussion, item=item, child=child)
            if row.pk and (row.answer, row.not_needed_because) == (answer, not_needed):
                continue
            if row.pk is None and child is not None and not (answer.strip() or not_needed.strip()):
                continue
            row.answer, row.not_needed_because = answer, not_needed
            record(row, acting_user, f"Enquiry plan recorded{for_whom}")
            row.save()
    return discussion


FAMILY_SUMMARY_FIELDS = (
    "sharing",
    "for_family",
    "for_child",
    "told_by",
    "told_on",
    "not_yet_reason",
    "not_yet_detail",
    "include_names",
    "include_date",
    "include_outcome",
    "outcome",
)


def family_summary_save(
    *,
    acting_user: User,
    checker: DiscussionChecker,
    data: Mapping[str, Any],
    version: int | None,
    now: dt.datetime,
) -> FamilySummary:
    """What the family is told (DOMAIN sections 1 and 6): the chair's decision, one row per discussion.

    Either what is shared with the family (and with the child, in words they understand), by whom
    and when; or why nothing is shared yet. Plus the case details the chair ticks for the family's
    document. Until this is saved nothing is shared. What does not apply to the choice is cleared,
    so the record says one thing (history keeps the earlier one).
    """
    if not checker.can_chair():
        raise PermissionDenied(
            "Only the chair (a team manager in children's social care) decides what the family is told"
        )
    discussion = checker.discussion
    _require_started(discussion, "Start the meeting before recording what the family is told")
    text = {key: str(data.get(key) or "").strip() for key in FAMILY_SUMMARY_FIELDS if key != "told_on"}
    sharing, reason = text["sharing"], text["not_yet_reason"]
    errors: dict[str, str] = {}
    if sharing not in FamilySharing.values:
        errors["sharing"] = "Select whether the family is told now or nothing is shared yet"
    if sharing == FamilySharing.SHARE:
        if not text["for_family"]:
            errors["for_family"] = "Enter what will be shared with the family"
        if not text["told_by"]:
            errors["told_by"] = "Enter who will tell the family"
        told_on = data.get("told_on")
        held_on = to_local(discussion.held_at or now).date()
        if told_on is None:
            errors["told_on"] = "Enter the date the family will be told"
        elif told_on < held_on:
            errors["told_on"] = "The date the family will be told must be on or after the day of the discussion"
    if sharing == FamilySharing.NOT_YET:
        if reason not in NotYetReason.values:
            errors["not_yet_reason"] = "Select why nothing is shared with the family yet"
        elif reason == NotYetReason.OTHER and not text["not_yet_detail"]:
            errors["not_yet_detail"] = "Explain why nothing is shared with the family yet"
    if sharing == FamilySharing.SHARE and data.get("include_outcome") and not text["outcome"]:
        errors["outcome"] = "Write the outcome in plain words, or untick it"
    if errors:
        raise ValidationError(errors)
    share = sharing == FamilySharing.SHARE
    with transaction.atomic():
        discussion = _locked(discussion)
        _bump(discussion, "family", version)
        summary = FamilySummary.objects.select_for_update().filter(discussion=discussion).first()
        summary = summary or FamilySummary(discussion=discussion)
        summary.sharing = sharing
        summary.for_family = text["for_family"] if share else ""
        summary.for_child = text["for_child"] if share else ""
        summary.told_by = text["told_by"] if share else ""
        summary.told_on = data.get("told_on") if share else None
        summary.not_yet_reason = "" if share else reason
        summary.not_yet_detail = "" if share else text["not_yet_detail"]
        summary.include_names = share and bool(data.get("include_names"))
        summary.include_date = share and bool(data.get("include_date"))
        summary.include_outcome = share and bool(data.get("include_outcome"))
        summary.outcome = text["outcome"] if summary.include_outcome else ""
        summary.recorded_by, summary.recorded_at = acting_user, now
        record(summary, acting_user, "What the family is told recorded")
        summary.full_clean()
        summary.save()
    return summary


def discussion_action_add(*, acting_user: User, checker: DiscussionChecker, data: Mapping[str, Any], now: dt.datetime):
    """An action agreed in the meeting: SMART, led by one agency, with its ACTION deadline."""
    if not checker.can_record_all():
        raise PermissionDenied("Only CSC record the actions agreed")
    discussion = checker.discussion
    key = data.get("submission_key")
    if key and (earlier := discussion.agreed_actions.filter(submission_key=key).first()):
        return earlier  # the same form sent twice agrees one action
    person = data.get("person")
    if person is not None and not may_take_part(person, data["lead_agency"]):
        raise ValidationError({"person": f"Select a practitioner of {data['lead_agency']}"})
    child = data.get("child")
    if child is not None and not discussion.children.filter(pk=child.pk).exists():
        raise ValidationError({"child": "Select a child this discussion is about"})
    if data["due_at"].astimezone(dt.UTC) <= now.astimezone(dt.UTC):
        raise ValidationError({"due": "The due date must be in the future"})
    with transaction.atomic():
        _locked(discussion)
        return action_agree(
            acting_user=acting_user,
            discussion=discussion,
            what=data["what"],
            measure=data["measure"],
            lead_agency=data["lead_agency"],
            person=data.get("person"),
            contact_name=data.get("contact_name", ""),
            child=child,
            due_at=data["due_at"],
            now=now,
            submission_key=key,
        )


def action_agree(*, acting_user: User, discussion: Discussion, now: dt.datetime, **fields: Any) -> Action:
    """An action agreed in `discussion` (DOMAIN section 4): made by `actions.services.action_create` with `fields`,
    and linked here to the discussion (the link is strategy's: actions never names a discussion). Added after the
    meeting ended, it is part of the record as agreed at once."""
    with transaction.atomic():
        action = action_create(
            acting_user=acting_user,
            referral=discussion.referral,
            now=now,
            after_the_meeting=discussion.ended,
            **fields,
        )
        link = DiscussionAction(action=action, discussion=discussion)
        record(link, acting_user, "Created automatically" if action.automatic else "Action agreed")
        link.save()
    return action


# --- Closing and reopening a case ------------------------------------------------------------------------------

CLOSE_REASON = "Case closed"


def case_close(*, acting_user: User, referral: Referral, outcome: str, reason: str, now: dt.datetime) -> Referral:
    """Close a case (DOMAIN section 1, step 6): the one way to, for the page, the demo data and everything else.

    A CSC team manager of the partnership closes it with an outcome from the fixed list and a
    reason. Without a strategy discussion ever held, only "threshold not met at referral"
    applies, and never for an injured non-mobile infant (DOMAIN section 4). Refused while a
    discussion is being held. Every open clock stops except the minutes' (circulating them is a
    duty that survives closure), and every unfinished action is cancelled, in one transaction.
    """
    if not ReferralChecker.for_user(acting_user, referral).can_close():
        raise PermissionDenied("Only a team manager in children's social care closes a case")
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if outcome not in ClosureOutcome.values:
        errors["outcome"] = "Select the outcome of the case"
    if not reason:
        errors["reason"] = "Enter the reason for closing the case"
    with transaction.atomic():
        referral = Referral.objects.select_for_update().select_related("partnership").get(pk=referral.pk)
        if referral.status == ReferralStatus.CLOSED:
            raise ValidationError({"__all__": "This case has already been closed"})
        if discussion_being_held(referral) is not None:
            errors["__all__"] = "A strategy discussion is being held: end it before closing the case"
        elif not referral_services.discussion_ever_held(referral):
            if referral_services.non_mobile_guard_applies(referral):
                errors["__all__"] = (
                    "A referral about an injury to a non-mobile infant cannot be closed without a strategy discussion"
                )
            elif outcome in ClosureOutcome.values and outcome != ClosureOutcome.THRESHOLD_NOT_MET:
                errors["outcome"] = (
                    "No strategy discussion has been held: the only outcome is threshold not met at referral"
                )
        if errors:
            raise ValidationError(errors)
        referral.status = ReferralStatus.CLOSED
        referral.closed_at, referral.closed_by = now, acting_user
        referral.closure_outcome, referral.closure_reason = outcome, reason
        referral.version += 1
        record(referral, acting_user, f"Case closed: {ClosureOutcome(outcome).label.lower()}")
        referral.save()
        deadlines_stop_for_case(
            acting_user=acting_user,
            referral=referral,
            at=now,
            reason=CLOSE_REASON,
            # A disagreement's stage runs on after closure: the commonest are about closing the case (DOMAIN 7).
            keep=(Rule.MINUTES_CIRCULATED, *DISAGREEMENT_RULES),
        )
        actions_cancel_for_closed_case(acting_user=acting_user, referral=referral, now=now)
    return referral


def case_reopen(*, acting_user: User, referral: Referral, reason: str, now: dt.datetime) -> Referral:
    """Reopen a closed case with the team manager's reason (DOMAIN section 1, step 6).

    A case whose discussion was held returns to "discussion held"; its stopped clocks and
    cancelled actions stay as they were (history), and a new concern gets a discussion of its
    own, with its own clock, when one is convened. A case closed with no discussion held awaits
    one again, with a new strategy discussion clock by the referral's urgency counted from the
    reopening: that is when the concern is looked at afresh (counted from the original receipt it
    would be overdue the moment it opened, for weeks nobody can now give back).
    """
    reason = (reason or "").strip()
    with transaction.atomic():
        referral = Referral.objects.select_for_update().select_related("partnership").get(pk=referral.pk)
        if not ReferralChecker.for_user(acting_user, referral).can_reopen():
            raise PermissionDenied("Only a team manager in children's social care reopens a closed case")
        if not reason:
            raise ValidationError({"reason": "Enter the reason for reopening the case"})
        held = referral_services.discussion_ever_held(referral)
        referral.status = ReferralStatus.DISCUSSION_HELD if held else ReferralStatus.AWAITING_DISCUSSION
        referral.reopened_at, referral.reopened_by, referral.reopen_reason = now, acting_user, reason
        referral.version += 1
        record(referral, acting_user, "Case reopened")
        referral.save()
        if not held:
            worker = referral.allocated_social_worker or acting_user
            deadline = deadline_open(
                acting_user=acting_user,
                referral=referral,
                rule=URGENCY_RULES[referral.urgency],
                starts_at=now,
                responsible=worker,
                agency=worker.agency,
                reason="Case reopened",
            )
            referral_services.referral_point_at_sd_deadline(referral=referral, deadline=deadline)
    return referral
