"""Writes to referrals. Each service is one transaction: all of it is saved, or none."""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction

from agencies.models import Partnership, User
from agencies.selectors import partnership_calendar
from agencies.timescales import Calendar, due_at
from referrals import access
from referrals.models import (
    SD_RULES,
    URGENCY_RULES,
    CaseView,
    Concern,
    ConcernCategory,
    Deadline,
    Person,
    PersonKind,
    Referral,
    ReferralStatus,
)

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


def _because(instance: models.Model, reason: str) -> None:
    """The change reason django-simple-history records with the next save of `instance`."""
    instance._change_reason = reason  # type: ignore[attr-defined]


class StaleEditError(Exception):
    """Someone else saved the record after this user opened it."""


def _schedule_strategy_discussion(referral: Referral, *, calendar: Calendar | None = None, reason: str) -> bool:
    """Create or move the referral's strategy discussion deadline from its urgency (DOMAIN section 3).

    A deadline already met stays as it was: holding the discussion fixed it. Returns whether it changed.
    """
    rule = URGENCY_RULES[referral.urgency]
    due = due_at(rule, referral.received_at, calendar or partnership_calendar(referral.partnership))
    deadline = referral.deadlines.select_for_update().filter(rule__in=SD_RULES, person=None).first()
    if deadline is None:
        deadline = Deadline(referral=referral)
    elif deadline.met_at is not None or (deadline.rule, deadline.starts_at, deadline.due_at) == (
        rule,
        referral.received_at,
        due,
    ):
        return False
    deadline.rule, deadline.starts_at, deadline.due_at = rule, referral.received_at, due
    _because(deadline, reason)
    deadline.full_clean()
    deadline.save()
    return True


def _save_people(referral: Referral, kind: str, people: Sequence[dict[str, Any]]) -> None:
    """Create, update and remove one kind of person so the referral holds exactly `people`."""
    existing = {person.pk: person for person in referral.people.filter(kind=kind)}
    kept: set[int] = set()
    for position, data in enumerate(people):
        person = existing.get(int(data["id"])) if data.get("id") else None
        if person is None:
            person = Person(referral=referral, kind=kind)
        for name in PERSON_FIELDS:
            if name in data:
                field = cast(models.Field, Person._meta.get_field(name))
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
    submission_key: uuid.UUID | None = None,
) -> Referral:
    """Log a referral with its children and household in one transaction (DOMAIN section 1, step 1).

    A `submission_key` already used by this user returns the referral it logged instead of a second one.
    """
    if not access.can_log_referral(acting_user):
        raise PermissionDenied("Only CSC social workers and team managers log referrals")
    _check_people(children)
    if submission_key and (earlier := _already_logged(acting_user, submission_key)):
        return earlier
    try:
        return _referral_insert(acting_user, data, concerns, children, household, submission_key)
    except IntegrityError:
        # The same form, sent twice at once: the other request logged it.
        if submission_key and (earlier := _already_logged(acting_user, submission_key)):
            return earlier
        raise


def _already_logged(acting_user: User, submission_key: uuid.UUID) -> Referral | None:
    return Referral.objects.filter(submission_key=submission_key, created_by=acting_user).first()


def _referral_insert(
    acting_user: User,
    data: dict[str, Any],
    concerns: Sequence[str],
    children: Sequence[dict[str, Any]],
    household: Sequence[dict[str, Any]],
    submission_key: uuid.UUID | None,
) -> Referral:
    with transaction.atomic():
        referral = Referral(
            partnership=access.own_partnership(acting_user), created_by=acting_user, submission_key=submission_key
        )
        for name in REFERRAL_FIELDS:
            setattr(referral, name, data[name])
        _because(referral, "Referral logged")
        referral.full_clean()
        referral.save()
        _schedule_strategy_discussion(referral, reason="Referral logged")
        referral.concerns.set(Concern.objects.filter(code__in=concerns))
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
        _because(referral, "Referral edited")
        referral.full_clean()
        referral.save()
        _schedule_strategy_discussion(referral, reason="Referral edited")
        referral.concerns.set(Concern.objects.filter(code__in=concerns))
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
    with transaction.atomic():
        waiting = Referral.objects.filter(partnership=partnership).awaiting_discussion().select_related("partnership")
        return sum(_schedule_strategy_discussion(r, calendar=calendar, reason=reason) for r in waiting)


def referral_record_discussion_held(*, referral: Referral, held_at: dt.datetime) -> Referral:
    """The strategy discussion was held: its deadline is met (late if after it was due).

    Called by the strategy discussion workflow (and the demo data); not a page of its own.
    """
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        deadline = referral.strategy_discussion_deadline()
        if deadline.met_at is None:
            deadline.met_at = held_at
            _because(deadline, "Strategy discussion held")
            deadline.save()
        if referral.status == ReferralStatus.AWAITING_DISCUSSION:
            referral.status = ReferralStatus.DISCUSSION_HELD
            referral.version += 1
            _because(referral, "Strategy discussion held")
            referral.save()
    return referral


def referral_close(*, acting_user: User, referral: Referral) -> Referral:
    """Close a referral. One about an injured non-mobile infant needs a strategy discussion first (DOMAIN 4)."""
    if not access.ReferralChecker(user=acting_user, referral=referral).can_edit():
        raise PermissionDenied("You cannot close this referral")
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        held = referral.strategy_discussion_deadline().met_at is not None
        if not held and referral.concerns.filter(code=ConcernCategory.NON_MOBILE_INJURY).exists():
            raise ValidationError(
                "A referral about an injury to a non-mobile infant cannot be closed without a strategy discussion"
            )
        referral.status = ReferralStatus.CLOSED
        referral.version += 1
        _because(referral, "Referral closed")
        referral.save()
    return referral


def case_view_record(*, user: User, referral: Referral, page: str) -> None:
    """Log that `user` looked at `referral` on `page`; called by every page that shows a case."""
    CaseView.objects.create(user=user, referral=referral, page=page)
