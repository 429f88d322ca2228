"""Writes to SMART actions. Each action owns an ACTION deadline, opened through the deadline services."""

import datetime as dt
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet

from actions.access import ActionChecker
from actions.models import Action, ActionStatus
from agencies.models import Agency, User
from core.history import record
from core.timescales import Rule
from referrals.access import agency_sees_case
from referrals.deadlines import deadline_hand_over, deadline_meet, deadline_move, deadline_open, deadline_stop
from referrals.models import Deadline, Person, Referral


def action_create(
    *,
    acting_user: User,
    referral: Referral,
    what: str,
    measure: str,
    lead_agency: Agency,
    due_at: dt.datetime,
    now: dt.datetime,
    person: User | None = None,
    contact_name: str = "",
    child: Person | None = None,
    automatic: bool = False,
    submission_key: uuid.UUID | None = None,
    after_the_meeting: bool = False,
) -> Action:
    """Record an action agreed for a case, with its ACTION deadline owned by the lead agency (DOMAIN 3 and 4).

    Called by strategy (`strategy.services.action_agree`), which links it to the discussion that agreed it; added
    `after_the_meeting` ended, it is part of what the minutes record as agreed at once."""
    errors = {}
    if lead_agency.partnership_id != referral.partnership_id:
        errors["lead_agency"] = "Select an agency of this partnership"
    elif not agency_sees_case(lead_agency, referral):
        errors["lead_agency"] = (
            f"Invite {lead_agency} to the discussion first: an agency leads actions only on cases it can see"
        )
    if person is not None and person.agency_id != lead_agency.pk:
        errors["person"] = "The named person must work for the lead agency"
    if child is not None and child.referral_id != referral.pk:
        errors["child"] = "Select a child of this case"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        deadline = deadline_open(
            acting_user=acting_user,
            referral=referral,
            rule=Rule.ACTION,
            starts_at=now,
            agreed_due=due_at,
            responsible=person,
            agency=lead_agency,
            child=child,
            reason="Action agreed",
        )
        action = Action(
            referral=referral,
            child=child,
            what=what,
            measure=measure,
            lead_agency=lead_agency,
            person=person,
            contact_name="" if person is not None else contact_name,
            due_at=due_at,
            deadline=deadline,
            automatic=automatic,
            created_by=acting_user,
            created_at=now,
            submission_key=submission_key,
        )
        if after_the_meeting:
            # Added to the record after the meeting ended: part of what the minutes record as agreed.
            action.agreed = agreed(action)
        record(action, acting_user, "Created automatically" if automatic else "Action agreed")
        action.full_clean()
        action.save()
    return action


def agreed(action: Action) -> dict:
    """The action as the minutes record it (DOMAIN section 6): what, the measure, the lead, due, status."""
    return {
        "what": action.what,
        "measure": action.measure,
        "lead_agency": action.lead_agency.name,
        "person": str(action.person) if action.person_id else action.contact_name,
        "due_at": action.due_at.isoformat(),
        "status": action.status,
    }


def actions_record_agreed(*, acting_user: User, actions: QuerySet[Action], now: dt.datetime) -> int:
    """The meeting ended (`strategy.services.discussion_end`, which passes its actions): each is frozen as it then
    stood.

    That is the action plan the minutes show, whatever happens to the actions after (DOMAIN section 6): later
    progress is on the action's own page and never asks for a new version of the minutes. Returns how many.
    """
    count = 0
    with transaction.atomic():
        for action in (
            actions.select_for_update(of=("self",))
            .select_related("lead_agency", "person")
            .filter(agreed__isnull=True)
            .order_by("pk")
        ):
            action.agreed = agreed(action)
            record(action, acting_user, "Recorded as agreed when the meeting ended")
            action.save()
            count += 1
    return count


def action_correct_agreed(
    *,
    acting_user: User,
    checker: ActionChecker,
    what: str,
    measure: str,
    due_at: dt.datetime,
    reason: str,
    now: dt.datetime,
) -> Action:
    """The chair corrects what was agreed at the meeting (its wording, its measure, the date agreed), with the reason.

    A correction of the record, not progress: the minutes' action plan changes, so the chair approves a new
    version. The action's wording follows; its due date too while it still stands at the date agreed and the
    action is unfinished (a date already moved on the action's page stays as it was moved).
    """
    if not checker.can_correct_agreed():
        raise PermissionDenied("Only the chair corrects what was agreed at the meeting")
    what, measure, reason = what.strip(), measure.strip(), reason.strip()
    errors = {}
    if not what:
        errors["what"] = "Enter what was agreed"
    if not measure:
        errors["measure"] = "Enter how we will know it is done"
    if not reason:
        errors["reason"] = "Give the reason for the correction"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        action = (
            Action.objects.select_for_update(of=("self",))
            .select_related("lead_agency", "person", "deadline__partnership")
            .get(pk=checker.action.pk)
        )
        as_agreed = action.agreed or agreed(action)
        agreed_due = dt.datetime.fromisoformat(as_agreed["due_at"])
        if (as_agreed["what"], as_agreed["measure"], agreed_due) == (what, measure, due_at):
            return action  # nothing to correct (or the same correction sent twice)
        follows = due_at != agreed_due and action.due_at == agreed_due and action.status not in FINISHED
        if follows and due_at.astimezone(dt.UTC) <= now.astimezone(dt.UTC):
            raise ValidationError(
                {"due": "The action is still due on the date agreed: the corrected date must be in the future"}
            )
        action.what, action.measure = what, measure
        if action.agreed is not None:
            action.agreed = {**as_agreed, "what": what, "measure": measure, "due_at": due_at.isoformat()}
        if follows:
            action.due_at = due_at
        record(action, acting_user, f"What was agreed corrected: {reason}")
        action.full_clean()
        action.save()
        if follows:
            deadline_move(
                acting_user=acting_user,
                deadline=Deadline.objects.select_for_update().select_related("partnership").get(pk=action.deadline_id),
                agreed_due=due_at,
                reason=f"What was agreed corrected: {reason}"[:200],
            )
    return action


FINISHED = (ActionStatus.DONE, ActionStatus.CANCELLED)


def action_set_status(*, acting_user: User, checker: ActionChecker, status: str, note: str, now: dt.datetime) -> Action:
    """Open, in progress, done (with a completion note: meets the deadline) or cancelled (with the reason: stops it).

    A done or cancelled action is finished: its record stays as it was (agree a new action instead).
    """
    if not checker.can_update():
        raise PermissionDenied("Only the lead agency, the chair and the case's social worker update this action")
    if status not in ActionStatus.values:
        raise ValidationError({"status": "Select the status from the list"})
    if status == ActionStatus.DONE and not note.strip():
        raise ValidationError({"note": "Say what was done: a completion note is needed"})
    if status == ActionStatus.CANCELLED and not note.strip():
        raise ValidationError({"note": "Give the reason the action is cancelled"})
    with transaction.atomic():
        action = Action.objects.select_for_update().select_related("deadline__partnership").get(pk=checker.action.pk)
        if action.status in FINISHED:
            raise ValidationError({"status": f"This action is {action.get_status_display().lower()}: it cannot change"})
        if action.status == status:
            return action
        action.status = status
        if status == ActionStatus.DONE:
            action.completion_note = note.strip()
            deadline_meet(acting_user=acting_user, deadline=action.deadline, at=now, by="Action done")
        elif status == ActionStatus.CANCELLED:
            action.cancel_reason = note.strip()
            deadline_stop(
                acting_user=acting_user,
                deadline=action.deadline,
                at=now,
                reason=f"Action cancelled: {note.strip()}"[:200],
            )
        note_words = f": {note.strip()}" if note.strip() and status not in FINISHED else ""
        record(action, acting_user, f"Status: {action.get_status_display().lower()}{note_words}")
        action.full_clean()
        action.save()
    return action


def action_change_due(
    *, acting_user: User, checker: ActionChecker, due_at: dt.datetime, reason: str, now: dt.datetime
) -> Action:
    """A new due date, with the reason: the deadline moves through the engine, and both are kept in history."""
    if not checker.can_update():
        raise PermissionDenied("Only the lead agency, the chair and the case's social worker update this action")
    if not checker.can_move_due(now):
        raise PermissionDenied("Only the chair or the case's social worker moves the due date of an overdue action")
    errors = {}
    if not reason.strip():
        errors["reason"] = "Give the reason the due date changes"
    if due_at.astimezone(dt.UTC) <= now.astimezone(dt.UTC):
        errors["due"] = "The new due date must be in the future"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        action = Action.objects.select_for_update().select_related("deadline__partnership").get(pk=checker.action.pk)
        if action.status in FINISHED:
            raise ValidationError({"due": f"This action is {action.get_status_display().lower()}: it cannot change"})
        if action.due_at == due_at:
            return action  # the same change sent twice: nothing to record
        action.due_at = due_at
        record(action, acting_user, f"Due date changed: {reason.strip()}")
        action.save()
        deadline = Deadline.objects.select_for_update().select_related("partnership").get(pk=action.deadline_id)
        deadline_move(
            acting_user=acting_user,
            deadline=deadline,
            agreed_due=due_at,
            reason=f"Due date changed: {reason.strip()}"[:200],
        )
    return action


def action_reassign(
    *,
    acting_user: User,
    checker: ActionChecker,
    lead_agency: Agency,
    person: User | None,
    contact_name: str,
) -> Action:
    """Another named person of the lead agency; another lead agency is the chair's decision."""
    if not checker.can_update():
        raise PermissionDenied("Only the lead agency, the chair and the case's social worker update this action")
    action = checker.action
    errors = {}
    if lead_agency.pk != action.lead_agency_id and not checker.can_move_agency():
        raise PermissionDenied("Only the chair moves an action to another agency")
    if lead_agency.partnership_id != action.referral.partnership_id:
        errors["lead_agency"] = "Select an agency of this partnership"
    elif not agency_sees_case(lead_agency, action.referral):
        errors["lead_agency"] = f"Invite {lead_agency} to a discussion of this case first: it cannot see the case"
    if person is not None and (person.agency_id != lead_agency.pk or not person.is_active):
        errors["person"] = f"Select someone who works for {lead_agency}"
    if person is None and not contact_name.strip():
        errors["person"] = "Select the named person, or enter their name"
    elif (lead_agency.pk, person.pk if person else None, "" if person else contact_name.strip()) == (
        action.lead_agency_id,
        action.person_id,
        "" if action.person_id else action.contact_name,
    ):
        errors["person"] = f"{person or contact_name.strip()} already leads this action: choose someone else"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        action = Action.objects.select_for_update().get(pk=action.pk)
        if action.status in FINISHED:
            raise ValidationError({"person": f"This action is {action.get_status_display().lower()}: it cannot change"})
        action.lead_agency, action.person = lead_agency, person
        action.contact_name = "" if person is not None else contact_name.strip()
        record(action, acting_user, "Reassigned")
        action.full_clean()
        action.save()
        deadline_hand_over(
            acting_user=acting_user,
            deadline=Deadline.objects.select_for_update().get(pk=action.deadline_id),
            responsible=person,
            agency=lead_agency,
            reason="Action reassigned",
        )
    return action


def actions_cancel_for_closed_case(*, acting_user: User, referral: Referral, now: dt.datetime) -> int:
    """The case closed: its unfinished actions are cancelled ("Case closed"); their deadlines have stopped."""
    with transaction.atomic():
        unfinished = Action.objects.select_for_update().filter(referral=referral).exclude(status__in=FINISHED)
        count = 0
        for action in unfinished:
            action.status, action.cancel_reason = ActionStatus.CANCELLED, "Case closed"
            record(action, acting_user, "Case closed")
            action.save()
            count += 1
        return count
