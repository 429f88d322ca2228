"""Writes to SMART actions. Each action owns an ACTION deadline, opened through the deadline services."""

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction

from actions.models import Action
from agencies.models import Agency, User
from core.history import record
from core.timescales import Rule
from referrals.deadlines import deadline_open
from referrals.models import Person, Referral


def action_create(
    *,
    acting_user: User,
    referral: Referral,
    discussion,  # strategy.Discussion: the app above this one passes it in
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
) -> Action:
    """Record an action agreed for a case, with its ACTION deadline owned by the lead agency (DOMAIN 3 and 4)."""
    errors = {}
    if lead_agency.partnership_id != referral.partnership_id:
        errors["lead_agency"] = "Select an agency of this partnership"
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
            discussion=discussion,
            child=child,
            what=what,
            measure=measure,
            lead_agency=lead_agency,
            person=person,
            contact_name=contact_name,
            due_at=due_at,
            deadline=deadline,
            automatic=automatic,
            created_by=acting_user,
            created_at=now,
            submission_key=submission_key,
        )
        record(action, acting_user, "Created automatically" if automatic else "Action agreed")
        action.full_clean()
        action.save()
    return action
