"""Writes to professional disagreements (DOMAIN section 7): raise one, record a stage. One transaction each.

Each stage's clock is opened, met and stopped through referrals.deadlines (the moments from the timescale engine,
stored on the row), so the watcher chases it like any other: the person holding the stage is responsible, for their
agency, and an overdue stage is told to their line manager, then the agency's leads (actions.alerts).
"""

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from actions.alerts import alert_raise, strategy_leads
from actions.models import Action, AlertKind
from agencies.models import Agency, AgencyType, RoleCode, User
from agencies.selectors import on_call_at, partnership_calendar
from core.history import record
from core.timescales import Rule, is_out_of_hours
from disputes.access import DisagreementChecker, agencies_involved, may_raise
from disputes.models import Disagreement, DisagreementStatus, Stage, StageNumber, StageResult, Subject
from referrals.deadlines import deadline_meet, deadline_open, deadline_stop
from referrals.models import DeadlineState, Person, PersonKind, Referral
from strategy import services as strategy_services
from strategy.models import Discussion, DiscussionStatus, Trigger

STAGE_RULES = {
    StageNumber.PRACTITIONERS: Rule.DISAGREEMENT_STAGE_1,
    StageNumber.LINE_MANAGERS: Rule.DISAGREEMENT_STAGE_2,
    StageNumber.DISCUSSION: Rule.DISAGREEMENT_STAGE_3,
}
OUTCOME_SOUGHT_MAX = 5000


def _lead_of(agency: Agency) -> User | None:
    """The agency's strategy discussion lead: its first active head of service."""
    return (
        User.objects.filter(agency=agency, is_active=True, roles__code=RoleCode.HEAD_OF_SERVICE).order_by("pk").first()
    )


def _manager(user: User | None) -> User | None:
    manager = user.line_manager if user is not None and user.line_manager_id else None
    return manager if manager is not None and manager.is_active else None


def csc_lead(referral: Referral) -> User | None:
    """The case partnership's CSC strategy discussion lead (the Gloucestershire guidance: "Social Care - Head of
    Service with Strategy Discussion Lead"): the first active head of service of its children's social care. They
    hold stage 3 (a strategy discussion held to resolve it) and stage 4 (the partnership)."""
    return (
        User.objects.filter(
            agency__partnership_id=referral.partnership_id,
            agency__agency_type=AgencyType.CHILDRENS_SOCIAL_CARE,
            is_active=True,
            roles__code=RoleCode.HEAD_OF_SERVICE,
        )
        .select_related("agency")
        .order_by("agency_id", "pk")
        .first()
    )


def stage_2_holder(disagreement: Disagreement) -> User | None:
    """Who holds stage 2 (DOMAIN section 7: the line managers talk directly): the line manager of the person the
    disagreement is with; for a CSC team manager's decision, CSC's head of service; with nobody named (or no line
    manager recorded), that agency's strategy discussion lead."""
    other = disagreement.with_person
    agency = other.agency if other is not None else None
    if other is not None and agency is not None:
        if agency.agency_type == AgencyType.CHILDRENS_SOCIAL_CARE and other.has_role(RoleCode.TEAM_MANAGER):
            manager = _manager(other)
            if manager is not None and manager.has_role(RoleCode.HEAD_OF_SERVICE):
                return manager
            return _lead_of(agency)
        manager = _manager(other)
        if manager is not None:
            return manager
    return _lead_of(disagreement.with_agency)


def _open_stage(
    *, acting_user: User, disagreement: Disagreement, number: int, holder: User | None, others: list[User], now
) -> Stage:
    stage = Stage(disagreement=disagreement, number=number, holder=holder, started_at=now)
    rule = STAGE_RULES.get(StageNumber(number))
    if rule is not None and holder is not None:
        stage.deadline = deadline_open(
            acting_user=acting_user,
            referral=disagreement.referral,
            rule=rule,
            starts_at=now,
            responsible=holder,
            agency=holder.agency,
            child=disagreement.child,
            reason=f"Disagreement at stage {number}",
        )
    record(stage, acting_user, f"Disagreement at stage {number}")
    stage.save()
    participants = [p for p in dict.fromkeys(others) if p is not None and p.pk != (holder.pk if holder else None)]
    if participants:
        stage.participants.set(participants)
    disagreement.stage, disagreement.deadline = number, stage.deadline
    return stage


def _subject_errors(referral: Referral, data: dict[str, Any], errors: dict[str, str]) -> tuple:
    """What it is about: the subject, and the child or the action it names (of this case)."""
    subject = data.get("subject") or ""
    if subject not in Subject.values:
        errors["subject"] = "Select what the disagreement is about"
    child = data.get("child") if subject == Subject.CHILD_DECISION else None
    if subject == Subject.CHILD_DECISION:
        if not isinstance(child, Person):
            errors["child"] = "Select the child the decision is about"
        elif child.referral_id != referral.pk or child.kind != PersonKind.CHILD or child.removed_at is not None:
            errors["child"] = "Select a child of this case"
    action = data.get("action") if subject == Subject.ACTION else None
    if subject == Subject.ACTION:
        if not isinstance(action, Action):
            errors["action"] = "Select the action"
        elif action.referral_id != referral.pk:
            errors["action"] = "Select an action of this case"
    return subject, child, action


def _with_errors(referral: Referral, acting_user: User, data: dict[str, Any], errors: dict[str, str]) -> tuple:
    """With whom: an agency of the case's partnership, and a person of it (a user, or a name typed)."""
    agency = data.get("with_agency")
    if not isinstance(agency, Agency):
        errors["with_agency"] = "Select the agency you disagree with"
    elif agency.partnership_id != referral.partnership_id:
        errors["with_agency"] = "Select an agency of this case's partnership"
    elif agency not in agencies_involved(referral):
        errors["with_agency"] = (
            f"Select an agency involved in this case: {agency} has not been invited to any of its discussions"
        )
    person = data.get("with_person")
    name = (data.get("with_name") or "").strip()
    if person is not None:
        if not isinstance(person, User) or not person.is_active:
            errors["with_person"] = "Select the person you disagree with"
        elif isinstance(agency, Agency) and person.agency_id != agency.pk:
            errors["with_person"] = "Select a person of the agency you disagree with"
        elif person.pk == acting_user.pk:
            errors["with_person"] = "Select someone else: you cannot disagree with yourself"
        name = ""
    if len(name) > 200:
        errors["with_name"] = "The name must be 200 characters or fewer"
    return agency, person, name


def _clean_raise(referral: Referral, acting_user: User, data: dict[str, Any]) -> dict[str, Any]:
    """The raise form's answers checked against the case: each problem on its field, all at once."""
    errors: dict[str, str] = {}
    subject, child, action = _subject_errors(referral, data, errors)
    agency, person, name = _with_errors(referral, acting_user, data, errors)
    sought = (data.get("outcome_sought") or "").strip()
    if not sought:
        errors["outcome_sought"] = "Enter the outcome you are seeking"
    elif len(sought) > OUTCOME_SOUGHT_MAX:
        errors["outcome_sought"] = f"The outcome sought must be {OUTCOME_SOUGHT_MAX:,} characters or fewer"
    if errors:
        raise ValidationError(errors)
    return {
        "subject": subject,
        "child": child,
        "action": action,
        "with_agency": agency,
        "with_person": person,
        "with_name": name,
        "outcome_sought": sought,
        "immediate_risk": bool(data.get("immediate_risk")),
    }


def disagreement_raise(
    *, acting_user: User, referral: Referral, data: dict[str, Any], now: dt.datetime
) -> Disagreement:
    """Raise a professional disagreement about the case (DOMAIN section 7): stage 1 starts at once, held by the
    person it is with (or, with nobody named, by who raised it), on its clock."""
    if not may_raise(acting_user, referral):
        raise PermissionDenied("You may not raise a disagreement about this case")
    values = _clean_raise(referral, acting_user, data)
    with transaction.atomic():
        disagreement = Disagreement(
            referral=referral,
            raised_by=acting_user,
            raised_by_agency=acting_user.agency,
            raised_at=now,
            **values,
        )
        record(disagreement, acting_user, "Disagreement raised")
        disagreement.full_clean(exclude=["deadline"])
        disagreement.save()
        holder = values["with_person"] or acting_user
        _open_stage(
            acting_user=acting_user,
            disagreement=disagreement,
            number=StageNumber.PRACTITIONERS,
            holder=holder,
            others=[acting_user],
            now=now,
        )
        told = _urgent_route(disagreement, now=now) if disagreement.immediate_risk else []
        record(disagreement, acting_user, "Disagreement at stage 1")
        disagreement.save()
        if told:
            disagreement.alerted.set(told)
    return disagreement


def _case_csc_agencies(referral: Referral) -> list[int]:
    """The case's CSC agency: its allocated social worker's; without one, whoever logged it, if CSC; else every CSC
    agency of the partnership."""
    for person in (referral.allocated_social_worker, referral.created_by):
        agency = person.agency if person is not None and person.agency_id else None
        if agency is not None and agency.agency_type == AgencyType.CHILDRENS_SOCIAL_CARE:
            return [agency.pk]
    return list(
        Agency.objects.filter(
            partnership_id=referral.partnership_id, agency_type=AgencyType.CHILDRENS_SOCIAL_CARE
        ).values_list("pk", flat=True)
    )


def _urgent_route(disagreement: Disagreement, *, now: dt.datetime) -> list[User]:
    """A child at immediate risk (DOMAIN section 7): an alert at once to the strategy discussion leads of the agencies
    involved (who raised it, who it is with, the case's CSC) and, out of hours in the partnership's calendar, to whoever
    is on call (both duties). Everyone told is recorded on the disagreement, and so may open it (disputes.access)."""
    referral = disagreement.referral
    partnership = referral.partnership
    agencies = [disagreement.raised_by_agency_id, disagreement.with_agency_id, *_case_csc_agencies(referral)]
    told = strategy_leads(list(dict.fromkeys(agencies)))
    out_of_hours = is_out_of_hours(now, partnership_calendar(partnership))
    if out_of_hours:
        told.extend(on_call_at(partnership, now))
    told = list({user.pk: user for user in told}.values())
    alert_raise(
        kind=AlertKind.URGENT_DISAGREEMENT,
        key=f"disagreement:{disagreement.pk}",
        partnership=partnership,
        recipients=told,
        link=reverse("disputes:detail", kwargs={"disagreement_pk": disagreement.pk}),
        message="A professional disagreement was raised: a child is at immediate risk. Open it to respond now.",
        now=now,
    )
    disagreement.alerted_at, disagreement.alerted_out_of_hours = now, out_of_hours
    return told


def _clean_stage(checker: DisagreementChecker, said: str, result: str) -> str:
    """What was said, checked, and the result among those the user may record (refused: 403 if none)."""
    allowed = checker.results_allowed()
    if not allowed:
        raise PermissionDenied("Only the person holding this stage records it")
    errors: dict[str, str] = {}
    said = (said or "").strip()
    if not said:
        errors["said"] = "Enter what was said"
    elif len(said) > OUTCOME_SOUGHT_MAX:
        errors["said"] = f"What was said must be {OUTCOME_SOUGHT_MAX:,} characters or fewer"
    if result not in StageResult.values:
        errors["result"] = "Select the result of this stage"
    elif result not in allowed:
        if allowed == [StageResult.WITHDRAWN]:
            errors["result"] = "You can only withdraw your disagreement: the person holding this stage records the rest"
        elif result == StageResult.WITHDRAWN:
            errors["result"] = (
                "Only the person who raised the disagreement can withdraw it: record whether it was resolved or "
                "escalated"
            )
        else:
            errors["result"] = "The partnership is the last stage: record it as resolved"
    if errors:
        raise ValidationError(errors)
    return said


def _next_stage(disagreement: Disagreement, stage: Stage) -> tuple[User, list[User]]:
    """Who holds the stage after `stage`, and who else takes part (DOMAIN section 7): stage 2, the line managers
    (the one disagreed with's holds it, the raiser's takes part); stage 3, a strategy discussion held to resolve it,
    and stage 4, the partnership, both held by CSC's strategy discussion lead (at stage 3 the line managers of stage
    2 take part). Nobody to hold it: refused, with what to ask an administrator."""
    if stage.number == StageNumber.PRACTITIONERS:
        holder = stage_2_holder(disagreement)
        if holder is None:
            raise ValidationError(
                {
                    "result": f"Nobody is recorded to hold stage 2 for {disagreement.with_agency}: ask an "
                    "administrator to record the line manager or the agency's head of service"
                }
            )
        return holder, [_manager(disagreement.raised_by)]  # type: ignore[list-item]
    lead = csc_lead(disagreement.referral)
    if lead is None:
        raise ValidationError(
            {
                "result": "Nobody is recorded as children's social care's strategy discussion lead to hold "
                f"stage {stage.number + 1}: ask an administrator to record its head of service"
            }
        )
    if stage.number == StageNumber.LINE_MANAGERS:
        return lead, [stage.holder, *stage.participants.all()]  # type: ignore[list-item]
    return lead, []


def stage_record(
    *, acting_user: User, checker: DisagreementChecker, said: str, result: str, now: dt.datetime
) -> Disagreement:
    """Record what was said at the current stage and its result (DOMAIN section 7): resolved ends the disagreement;
    withdrawn ends it too; escalated opens the next stage (stage 2 on its clock, held by the line manager; stage 3,
    a strategy discussion, on its clock, held by CSC's strategy discussion lead; stage 4, the partnership, held by
    the lead too, with no clock). Stage 3 is resolved or escalated only once its discussion has been held. The
    stage's clock is met when it ends resolved or escalated, stopped when withdrawn."""
    said = _clean_stage(checker, said, result)
    with transaction.atomic():
        disagreement = (
            Disagreement.objects.select_for_update(of=("self",))
            .select_related(
                "referral__partnership",
                "with_agency",
                "with_person__agency",
                "with_person__line_manager",
                "raised_by__line_manager",
                "child",
            )
            .get(pk=checker.disagreement.pk)
        )
        stage = (
            Stage.objects.select_for_update(of=("self",))
            .select_related("deadline__partnership", "discussion__deadline")
            .get(disagreement=disagreement, number=disagreement.stage)
        )
        if disagreement.status != DisagreementStatus.OPEN or stage.result:
            raise ValidationError({"__all__": "This stage has already been recorded: reload the page"})
        if stage.number == StageNumber.DISCUSSION and result != StageResult.WITHDRAWN:
            _require_held(stage)
        following = _next_stage(disagreement, stage) if result == StageResult.ESCALATED else None
        stage.said, stage.result, stage.ended_at, stage.recorded_by = said, result, now, acting_user
        words = {
            StageResult.RESOLVED: "resolved",
            StageResult.ESCALATED: "escalated",
            StageResult.WITHDRAWN: "withdrawn",
        }[StageResult(result)]
        reason = f"Disagreement {words} at stage {stage.number}"
        if stage.deadline is not None:
            if result == StageResult.WITHDRAWN:
                deadline_stop(acting_user=acting_user, deadline=stage.deadline, at=now, reason=reason)
            else:
                deadline_meet(acting_user=acting_user, deadline=stage.deadline, at=now, by=reason, recorded=True)
        record(stage, acting_user, reason)
        stage.save()
        if following is not None:
            holder, others = following
            _open_stage(
                acting_user=acting_user,
                disagreement=disagreement,
                number=stage.number + 1,
                holder=holder,
                others=others,
                now=now,
            )
        else:
            disagreement.status = (
                DisagreementStatus.RESOLVED if result == StageResult.RESOLVED else DisagreementStatus.WITHDRAWN
            )
            disagreement.deadline, disagreement.ended_at = None, now
        record(disagreement, acting_user, reason)
        disagreement.save()
        if acting_user.pk != disagreement.raised_by_id:
            _tell_the_raiser(disagreement, stage=stage.number, words=words, now=now)
    return disagreement


def _tell_the_raiser(disagreement: Disagreement, *, stage: int, words: str, now: dt.datetime) -> None:
    """Who raised a disagreement is told when someone else records one of its stages (resolved or escalated): they
    can read what was said, and take it further if they still disagree. No case detail in the message."""
    alert_raise(
        kind=AlertKind.DISAGREEMENT_RECORDED,
        key=f"disagreement:{disagreement.pk}:stage:{stage}",
        partnership=disagreement.referral.partnership,
        recipients=[disagreement.raised_by],
        link=reverse("disputes:detail", kwargs={"disagreement_pk": disagreement.pk}),
        message=f"Stage {stage} of a professional disagreement you raised was recorded as {words}. Open it to read "
        "what was said.",
        now=now,
    )


def _require_held(stage: Stage) -> None:
    """Stage 3 is a strategy discussion held to resolve the disagreement: its result comes from it."""
    discussion = stage.discussion
    if discussion is None or not live_discussion(stage):
        raise ValidationError(
            {
                "result": "No strategy discussion has been convened for this stage yet: convene one, and record the "
                "result once it has been held (or withdraw the disagreement)"
            }
        )
    if discussion.status != DiscussionStatus.ENDED:
        raise ValidationError(
            {"result": "The strategy discussion has not been held yet: record the result once its meeting has ended"}
        )


def live_discussion(stage: Stage) -> Discussion | None:
    """Stage 3's discussion, unless it was cancelled: never held and its clock stopped (the case was closed before
    it was held, the one way a convened discussion is called off). A cancelled one lets another be convened."""
    discussion = stage.discussion
    if discussion is None:
        return None
    cancelled = discussion.status == DiscussionStatus.CONVENED and discussion.deadline.state == DeadlineState.STOPPED
    return None if cancelled else discussion


def stage_discussion_convene(
    *,
    acting_user: User,
    checker: DisagreementChecker,
    data: Mapping[str, Any],
    children: Sequence[Person],
    invitations: Sequence[Mapping[str, Any]],
    declined: Sequence[Mapping[str, Any]] = (),
    now: dt.datetime,
    submission_key: uuid.UUID | None = None,
) -> Discussion:
    """Convene the strategy discussion of stage 3 (DOMAIN section 7: "a Strategy Discussion should be held"), with
    the trigger "a professional disagreement", and link it to the stage, in one transaction: strategy's own convene
    (its checks, clock and invitations), then the link. One discussion per stage 3: a second attempt is refused
    (the page shows the first); a cancelled one lets another be convened."""
    if not checker.can_convene():
        raise PermissionDenied("Only children's social care convenes the strategy discussion, on an open case")
    with transaction.atomic():
        disagreement = Disagreement.objects.select_for_update(of=("self",)).get(pk=checker.disagreement.pk)
        stage = (
            Stage.objects.select_for_update(of=("self",))
            .select_related("discussion__deadline")
            .filter(disagreement=disagreement, number=StageNumber.DISCUSSION)
            .first()
        )
        if not disagreement.is_open or disagreement.stage != StageNumber.DISCUSSION or stage is None:
            raise ValidationError({"__all__": "This disagreement is not waiting for a strategy discussion"})
        earlier = live_discussion(stage)
        if earlier is not None and not (submission_key and earlier.submission_key == submission_key):
            raise ValidationError(
                {"__all__": "A strategy discussion has already been convened to resolve this disagreement"}
            )
        discussion = strategy_services.discussion_convene(
            acting_user=acting_user,
            referral=disagreement.referral,
            data={**data, "trigger": Trigger.PROFESSIONAL_DISAGREEMENT},
            children=children,
            invitations=invitations,
            declined=declined,
            now=now,
            submission_key=submission_key,
        )
        if stage.discussion_id != discussion.pk:
            stage.discussion = discussion
            record(stage, acting_user, "Strategy discussion convened to resolve the disagreement")
            stage.save()
    return discussion
