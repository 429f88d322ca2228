"""Writes to referrals. Each service is one transaction: all of it is saved, or none."""

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from agencies.models import Partnership, User
from agencies.selectors import partnership_calendar
from agencies.timescales import due_at
from referrals import access
from referrals.models import URGENCY_RULES, Person, PersonKind, Referral, ReferralStatus

REFERRAL_FIELDS = (
    "received_at",
    "referrer_name",
    "referrer_agency",
    "referrer_contact",
    "urgency",
    "immediate_action_taken",
    "immediate_action_agency",
    "immediate_action_details",
    "concern_summary",
)
PERSON_FIELDS = (
    "first_name",
    "last_name",
    "aliases",
    "date_of_birth",
    "unborn",
    "expected_date",
    "relationship",
    "address",
    "looked_after",
    "disability",
    "first_language",
    "interpreter_needed",
)


class StaleEditError(Exception):
    """Someone else saved the record after this user opened it."""


def _schedule_strategy_discussion(referral: Referral) -> None:
    """Set the strategy discussion rule and deadline from the urgency (DOMAIN section 3)."""
    rule = URGENCY_RULES[referral.urgency]
    referral.sd_rule = rule.value
    referral.sd_due_at = due_at(rule, referral.received_at, partnership_calendar(referral.partnership))


def _save_people(referral: Referral, kind: str, people: Sequence[dict[str, Any]]) -> None:
    """Create, update and remove one kind of person so the referral holds exactly `people`."""
    existing = {person.pk: person for person in referral.people.filter(kind=kind)}
    kept: set[int] = set()
    for position, data in enumerate(people):
        person = existing.get(data.get("id")) if data.get("id") else None
        if person is None:
            person = Person(referral=referral, kind=kind)
        for name in PERSON_FIELDS:
            if name in data:
                field = Person._meta.get_field(name)
                value = data[name]
                setattr(person, name, field.get_default() if value is None and not field.null else value)
        person.position = position
        person.full_clean()
        person.save()
        kept.add(person.pk)
    for pk, person in existing.items():
        if pk not in kept:
            person.delete()


def _check_people(children: Sequence[dict[str, Any]]) -> None:
    if not children:
        raise ValidationError("Add at least one child")


def referral_create(
    *,
    acting_user: User,
    data: dict[str, Any],
    concerns: Sequence[str],
    children: Sequence[dict[str, Any]],
    household: Sequence[dict[str, Any]] = (),
) -> Referral:
    """Log a referral with its children and household in one transaction (DOMAIN section 1, step 1)."""
    if not access.can_log_referral(acting_user):
        raise PermissionDenied("Only CSC social workers and team managers log referrals")
    _check_people(children)
    with transaction.atomic():
        referral = Referral(partnership=acting_user.agency.partnership, created_by=acting_user)
        for name in REFERRAL_FIELDS:
            setattr(referral, name, data[name])
        _schedule_strategy_discussion(referral)
        referral._change_reason = "Referral logged"
        referral.full_clean()
        referral.save()
        referral.concerns.set(concerns)
        _save_people(referral, PersonKind.CHILD, children)
        _save_people(referral, PersonKind.HOUSEHOLD, household)
    return referral


def referral_update(
    *,
    acting_user: User,
    referral: Referral,
    expected_version: int,
    data: dict[str, Any],
    concerns: Sequence[str],
    children: Sequence[dict[str, Any]],
    household: Sequence[dict[str, Any]] = (),
) -> Referral:
    """Edit a referral; refuse if someone else saved it since `expected_version` was read.

    The deadline is computed again from the (possibly corrected) receipt time and urgency.
    """
    if not access.ReferralChecker(user=acting_user, referral=referral).can_edit():
        raise PermissionDenied("You cannot edit this referral")
    _check_people(children)
    with transaction.atomic():
        # Lock the row, then compare versions: a save since the form was opened wins, and this one is refused.
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.version != expected_version:
            raise StaleEditError
        referral.version += 1
        for name in REFERRAL_FIELDS:
            setattr(referral, name, data[name])
        _schedule_strategy_discussion(referral)
        referral._change_reason = "Referral edited"
        referral.full_clean()
        referral.save()
        referral.concerns.set(concerns)
        _save_people(referral, PersonKind.CHILD, children)
        _save_people(referral, PersonKind.HOUSEHOLD, household)
    return referral


def referrals_reschedule(*, partnership: Partnership, reason: str) -> int:
    """Compute again the deadline of every referral still awaiting its discussion, after the calendar changed.

    Closure days, the standard number of days, the end of the working day and the
    jurisdiction all feed the engine; a deadline already stored must follow them.
    Returns how many deadlines moved.
    """
    calendar = partnership_calendar(partnership)
    moved = 0
    with transaction.atomic():
        waiting = Referral.objects.select_for_update().filter(
            partnership=partnership, status=ReferralStatus.AWAITING_DISCUSSION, sd_held_at__isnull=True
        )
        for referral in waiting:
            new_due = due_at(URGENCY_RULES[referral.urgency], referral.received_at, calendar)
            if new_due != referral.sd_due_at:
                referral.sd_due_at = new_due
                referral._change_reason = reason
                referral.save(update_fields=["sd_due_at", "updated_at"])
                moved += 1
    return moved
