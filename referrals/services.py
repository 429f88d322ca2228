"""Writes to referrals. Each service is one transaction: all of it is saved, or none.

Every rule lives here or in `referrals.rules`, never only in a form, so the pages, the admin,
commands, the demo data and tasks obey the same ones. A refused write raises
ValidationError with a message per field: "received_at", "urgency", or "children.0.last_name"
for the first child's last name (the pages route each one to its field).
"""

import datetime as dt
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from agencies.models import Agency, Partnership, User, may_be_allocated
from core import queue
from core.history import record
from core.timescales import to_local
from referrals import access, rules
from referrals.deadlines import (
    deadline_assign,
    deadline_bring_forward,
    deadline_meet,
    deadline_open,
    deadline_taken_over,
)
from referrals.models import (
    OTHER_PERSON_KINDS,
    SD_RULES,
    URGENCY_RULES,
    CaseView,
    Concern,
    ConcernCategory,
    Deadline,
    DeadlineState,
    ListedCase,
    ListLook,
    Person,
    PersonKind,
    ReferenceCounter,
    Referral,
    ReferralStatus,
)

REFERRAL_FIELDS = (
    "received_at",
    "referrer_name",
    "referrer_agency",
    "referrer_organisation",
    "referrer_contact",
    "urgency",
    "immediate_action_taken",
    "immediate_action_agency",
    "immediate_action_details",
    "concern_summary",
    "non_mobile_infant_injury",
    "urgency_reason",
)
# The parts of a person on a referral: everyone's, a child's only, and an alleged abuser's or other significant
# adult's only. The person form shows each kind its own (referrals.forms.PersonForm).
CHILD_FIELDS = (
    "unborn",
    "expected_date",
    "nhs_number",
    "not_yet_mobile",
    "education_status",
    "education_setting",
    "gp",
    "health_visitor_or_school_nurse",
    "plan",
    "looked_after",
    "placement",
    "responsible_authority",
    "previous_authority",
    "in_hospital",
    "hospital",
)
OTHER_PERSON_FIELDS = ("under_18", "works_with_children")
PERSON_FIELDS = (
    "first_name",
    "last_name",
    "aliases",
    "date_of_birth",
    "relationship",
    "address",
    "disability",
    "first_language",
    "interpreter_needed",
    "communication_needs",
    "ethnicity",
    "religion",
    *CHILD_FIELDS,
    *OTHER_PERSON_FIELDS,
)
# Each list of people a referral is written with, and the kinds of person it may hold.
PEOPLE_GROUPS: dict[str, tuple[str, ...]] = {
    "children": (PersonKind.CHILD,),
    "household": (PersonKind.HOUSEHOLD,),
    "others": OTHER_PERSON_KINDS,
}
MAX_PEOPLE_PER_GROUP = 20


class StaleEditError(Exception):
    """Someone else saved the record after this user opened it."""


class _Errors:
    """Errors gathered from every rule before anything is written, raised together."""

    def __init__(self) -> None:
        self.messages: dict[str, list[str]] = {}

    def add(self, errors: Mapping[str, str], prefix: str = "") -> None:
        for field, message in errors.items():
            self.messages.setdefault(f"{prefix}{field}", []).append(message)

    def add_model(self, exc: ValidationError, prefix: str = "") -> None:
        for field, messages in exc.message_dict.items():
            # A rule has already said what is wrong with this field, in words fit for the page.
            self.messages.setdefault(f"{prefix}{field}", messages)

    def raise_any(self) -> None:
        if self.messages:
            raise ValidationError(cast(dict[str, Any], self.messages))


def _next_reference(partnership: Partnership, year: int) -> str:
    """PREFIX-YEAR-NUMBER, numbered within the partnership and year; the counter row is locked until commit."""
    ReferenceCounter.objects.bulk_create([ReferenceCounter(partnership=partnership, year=year)], ignore_conflicts=True)
    counter = ReferenceCounter.objects.select_for_update().get(partnership=partnership, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{partnership.reference_prefix}-{year}-{counter.last_number:05d}"


def _person_data(data: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """A person's fields as stored: blanks for what was not given, NHS number as digits."""
    clean: dict[str, Any] = {}
    for name in PERSON_FIELDS:
        field = cast(models.Field, Person._meta.get_field(name))
        value = data.get(name)
        clean[name] = field.get_default() if value is None and not field.null else value
    clean["nhs_number"] = rules.normalise_nhs_number(str(clean["nhs_number"] or ""))
    if kind != PersonKind.CHILD:
        clean["under_18"] = bool(clean["under_18"])
    if not clean["in_hospital"]:
        clean["hospital"] = clean["hospital"] or ""
    return clean


class _PeopleChange:
    """What a referral's people will be after a write: checked whole before anything is saved."""

    def __init__(
        self,
        referral: Referral | None,
        people: Mapping[str, Sequence[Mapping[str, Any]]],
        *,
        today: dt.date,
        strict: bool = True,
    ) -> None:
        self.referral = referral
        self.today = today
        # Not strict: a draft's people are kept as typed; the rules are checked when it is submitted.
        self.strict = strict
        self.rows: list[tuple[str, int, str, Person | None, dict[str, Any], bool]] = []
        existing = {p.pk: p for p in referral.people.filter(removed_at=None)} if referral and referral.pk else {}
        self.errors = _Errors()
        for group, items in people.items():
            kinds = PEOPLE_GROUPS[group]
            if len(items) > MAX_PEOPLE_PER_GROUP:
                self.errors.add({group: f"A referral can have at most {MAX_PEOPLE_PER_GROUP} in each list of people"})
                continue
            for index, item in enumerate(items):
                prefix = f"{group}.{index}."
                kind = str(item.get("kind") or kinds[0])
                if kind not in kinds:
                    self.errors.add({"kind": "Select who this person is"}, prefix)
                    continue
                person = existing.get(_int_or_none(item.get("id")) or 0)
                if item.get("id") and (person is None or person.kind not in kinds):
                    self.errors.add({"__all__": "This person is no longer on the referral: reload the page"}, prefix)
                    continue
                remove = bool(item.get("remove"))
                data = _person_data(item, kind)
                if not remove and strict:
                    self.errors.add(rules.check_person(data, kind=kind, today=today), prefix)
                self.rows.append((group, index, kind, person, data, remove))

    def kept_children(self) -> list[dict[str, Any]]:
        return [data for group, _, _, _, data, remove in self.rows if group == "children" and not remove]

    def check_removals(self) -> None:
        """A person a deadline (and later a decision or action) hangs on stays on the case."""
        leaving = {person.pk: (group, index) for group, index, _, person, _, remove in self.rows if remove and person}
        held = Person.objects.filter(pk__in=leaving, deadlines__isnull=False).distinct()
        for person in held:
            group, index = leaving[person.pk]
            self.errors.add(
                {"__all__": f"{person.full_name} cannot be removed: a deadline of this case is about them"},
                f"{group}.{index}.",
            )

    def save(self, referral: Referral, acting_user: User, *, now: dt.datetime, reason: str) -> None:
        positions = dict.fromkeys(PEOPLE_GROUPS, 0)
        for group, index, kind, person, data, remove in self.rows:
            if remove:
                if person is not None:
                    person.removed_at, person.removed_by = now, acting_user
                    record(person, acting_user, "Removed from the referral")
                    person.save()
                continue
            if person is None:
                person = Person(referral=referral, kind=kind)
            for name, value in data.items():
                setattr(person, name, value)
            person.kind = kind
            person.position = positions[group]
            positions[group] += 1
            try:
                person.full_clean() if self.strict else _storable(person)
            except ValidationError as exc:
                self.errors.add_model(exc, f"{group}.{index}.")
                continue
            record(person, acting_user, reason)
            person.save()
        self.errors.raise_any()


# What a draft may hold that the submitted referral may not: blanks. Anything else (too long, not a choice) cannot
# be kept even in a draft.
_DRAFT_ALLOWED = {"blank", "null", "required"}


def _storable(instance: models.Model, fields: Sequence[str] | None = None) -> None:
    """Raise the errors that stop a draft's row from being stored at all (a blank waits for the submission)."""
    try:
        instance.clean_fields(exclude=None if fields is None else _other_fields(instance, fields))
    except ValidationError as exc:
        kept = {
            field: [error for error in errors if error.code not in _DRAFT_ALLOWED]
            for field, errors in exc.error_dict.items()
        }
        if any(kept.values()):
            raise ValidationError({field: errors for field, errors in kept.items() if errors}) from exc


def _other_fields(instance: models.Model, fields: Sequence[str]) -> list[str]:
    return [f.name for f in instance._meta.concrete_fields if f.name not in fields]


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _check_referral(
    referral: Referral,
    data: Mapping[str, Any],
    concerns: Sequence[str],
    people: _PeopleChange,
    *,
    now: dt.datetime,
    received_changed: bool,
) -> _Errors:
    """Every rule of a referral at once, so the page can show them all."""
    errors = people.errors
    if received_changed:
        errors.add(rules.check_received_at(data.get("received_at"), now=now))
    errors.add(rules.check_immediate_action(data))
    for name in ("referrer_agency", "immediate_action_agency"):
        agency = data.get(name)
        if agency is not None and (not isinstance(agency, Agency) or agency.partnership_id != referral.partnership_id):
            errors.add({name: "Select an agency of this partnership from the list"})
    worker = data.get("allocated_social_worker")
    if worker is not None and not may_be_allocated(worker, referral.partnership_id):
        errors.add({"allocated_social_worker": "Select a social worker or team manager of this partnership's CSC"})
    if not concerns:
        errors.add({"concerns": "Select at least one concern category"})
    if not people.kept_children():
        errors.add({"children": "Add at least one child"})
    errors.add(
        rules.check_non_mobile_answer(data.get("non_mobile_infant_injury"), concerns, people.kept_children(), now=now)
    )
    errors.add(
        rules.check_urgency_against_concern(
            data.get("urgency", referral.urgency),
            str(data.get("urgency_reason", referral.urgency_reason) or ""),
            concerns,
            non_mobile_injury=data.get("non_mobile_infant_injury"),
        )
    )
    people.check_removals()
    return errors


def _apply(referral: Referral, data: Mapping[str, Any], errors: _Errors) -> None:
    """Copy the referral's fields in, normalised (no agency or details without immediate action)."""
    for name in REFERRAL_FIELDS:
        if name in data:
            setattr(referral, name, data[name])
    if "allocated_social_worker" in data and data["allocated_social_worker"] is not None:
        referral.allocated_social_worker = data["allocated_social_worker"]
    if not referral.immediate_action_taken:
        referral.immediate_action_agency, referral.immediate_action_details = None, ""
    if referral.referrer_agency_id:
        referral.referrer_organisation = ""
    if referral.urgency in rules.SAME_DAY_URGENCIES:
        referral.urgency_reason = ""  # same day needs no reason
    try:
        referral.full_clean(exclude=["reference", "created_by", "partnership"])
    except ValidationError as exc:
        errors.add_model(exc)


def _people_lists(
    children: Sequence[Mapping[str, Any]], household: Sequence[Mapping[str, Any]], others: Sequence[Mapping[str, Any]]
) -> dict[str, Sequence[Mapping[str, Any]]]:
    return {"children": children, "household": household, "others": others}


def referral_create(
    *,
    acting_user: User,
    data: Mapping[str, Any],
    concerns: Sequence[str],
    children: Sequence[Mapping[str, Any]],
    household: Sequence[Mapping[str, Any]] = (),
    others: Sequence[Mapping[str, Any]] = (),
    submission_key: uuid.UUID | None = None,
    now: dt.datetime,
) -> Referral:
    """Log a referral with its people and its strategy discussion deadline in one transaction (DOMAIN 1, step 1).

    A `submission_key` already used by this user returns the referral it logged instead of a second one.
    The allocated social worker is who logged it unless another is given.
    """
    if not access.can_log_referral(acting_user):
        raise PermissionDenied("Only CSC social workers and team managers log referrals")
    if submission_key and (earlier := _already_logged(acting_user, submission_key)):
        return earlier
    try:
        return _referral_insert(
            acting_user, data, concerns, _people_lists(children, household, others), submission_key, now
        )
    except IntegrityError:
        # The same form, sent twice at once: the other request logged it.
        if submission_key and (earlier := _already_logged(acting_user, submission_key)):
            return earlier
        raise


def referral_problems(
    *,
    acting_user: User,
    referral: Referral | None,
    data: Mapping[str, Any],
    concerns: Sequence[str],
    children: Sequence[Mapping[str, Any]],
    household: Sequence[Mapping[str, Any]] = (),
    others: Sequence[Mapping[str, Any]] = (),
    now: dt.datetime,
) -> dict[str, list[str]]:
    """What `referral_create` or `referral_update` would refuse in what could be read of a form, without writing.

    A page whose form has errors of its own (a date that is not one) shows these with them, so every problem of
    the form comes in one round (issue 25), not the rules' only once the rest is fixed.
    """
    if referral is None:
        probe = Referral(partnership=access.own_partnership(acting_user), created_by=acting_user)
    else:
        probe = Referral.objects.select_related("partnership").get(pk=referral.pk)
    change = _PeopleChange(
        probe if probe.pk else None,
        _people_lists(children, household, others),
        today=to_local(now).date(),
    )
    received_changed = referral is None or data.get("received_at") != probe.received_at
    errors = _check_referral(probe, data, concerns, change, now=now, received_changed=received_changed)
    _apply(probe, data, errors)
    return errors.messages


def _already_logged(acting_user: User, submission_key: uuid.UUID) -> Referral | None:
    return Referral.objects.filter(submission_key=submission_key, created_by=acting_user).first()


def _referral_insert(
    acting_user: User,
    data: Mapping[str, Any],
    concerns: Sequence[str],
    people: Mapping[str, Sequence[Mapping[str, Any]]],
    submission_key: uuid.UUID | None,
    now: dt.datetime,
) -> Referral:
    partnership = access.own_partnership(acting_user)
    referral = Referral(
        partnership=partnership,
        created_by=acting_user,
        submission_key=submission_key,
        allocated_social_worker=acting_user,
    )
    change = _PeopleChange(None, people, today=to_local(now).date())
    errors = _check_referral(referral, data, concerns, change, now=now, received_changed=True)
    _apply(referral, data, errors)
    errors.raise_any()
    with transaction.atomic():
        referral.reference = _next_reference(partnership, to_local(now).year)
        record(referral, acting_user, "Referral logged")
        referral.save()
        referral.concerns.set(Concern.objects.filter(code__in=concerns))
        change.save(referral, acting_user, now=now, reason="Referral logged")
        worker = referral.allocated_social_worker
        deadline = deadline_open(
            acting_user=acting_user,
            referral=referral,
            rule=URGENCY_RULES[referral.urgency],
            starts_at=referral.received_at,
            responsible=worker,
            agency=worker.agency if worker else None,
            reason="Referral logged",
        )
        referral_point_at_sd_deadline(referral=referral, deadline=deadline)
    return referral


def referral_point_at_sd_deadline(*, referral: Referral, deadline: Deadline) -> None:
    """Make `deadline` the strategy discussion clock the case is listed and sorted by (a derived pointer)."""
    Referral.objects.filter(pk=referral.pk).update(sd_deadline=deadline, sd_due_at=deadline.due_at)
    referral.sd_deadline, referral.sd_due_at = deadline, deadline.due_at


def referral_update(
    *,
    acting_user: User,
    referral: Referral,
    expected_version: int,
    data: Mapping[str, Any],
    concerns: Sequence[str],
    children: Sequence[Mapping[str, Any]],
    household: Sequence[Mapping[str, Any]] = (),
    others: Sequence[Mapping[str, Any]] = (),
    now: dt.datetime,
) -> Referral:
    """Edit a referral; refuse if someone else saved it since `expected_version` was read.

    An open strategy discussion deadline is computed again from the (possibly corrected)
    receipt time and urgency, and follows the allocated social worker. People left off are
    kept; a person is removed only when asked (`"remove": True`), and then marked removed.
    """
    if not access.ReferralChecker.for_user(acting_user, referral).can_edit():
        raise PermissionDenied("You cannot edit this referral")
    with transaction.atomic():
        # Lock the row, then compare versions: a save since the form was opened wins, and this one is refused.
        referral = Referral.objects.select_for_update().select_related("partnership").get(pk=referral.pk)
        if referral.version != expected_version:
            raise StaleEditError
        change = _PeopleChange(referral, _people_lists(children, household, others), today=to_local(now).date())
        received_changed = data.get("received_at") != referral.received_at
        errors = _check_referral(referral, data, concerns, change, now=now, received_changed=received_changed)
        _apply(referral, data, errors)
        errors.raise_any()
        referral.version += 1
        record(referral, acting_user, "Referral edited")
        referral.save()
        referral.concerns.set(Concern.objects.filter(code__in=concerns))
        change.save(referral, acting_user, now=now, reason="Referral edited")
        # The referral's own clock (its first); a later discussion's clock counts from that discussion's concern.
        deadline = referral.deadlines.select_for_update().filter(rule__in=SD_RULES).order_by("pk").first()
        if deadline is None:
            raise RuntimeError("Every referral opens its strategy discussion deadline when logged")
        deadline.partnership = referral.partnership
        # Once a discussion has taken the clock over, it counts from that discussion's concern and urgency.
        if not deadline_taken_over(deadline):
            # An earlier receipt or a tighter urgency brings the clock forward; nothing typed here moves it later
            # (DOMAIN section 1): a team manager does that on the case page, with the reason.
            deadline_bring_forward(
                acting_user=acting_user,
                deadline=deadline,
                rule=URGENCY_RULES[referral.urgency],
                starts_at=referral.received_at,
                reason="Referral edited",
            )
        current = referral.sd_deadline if referral.sd_deadline_id else None
        for clock in dict.fromkeys(c for c in (deadline, current) if c is not None):
            # The first clock, and the one the case is listed by now (a clock opened when the case was reopened).
            deadline_assign(
                acting_user=acting_user,
                deadline=clock,
                responsible=referral.allocated_social_worker,
                reason="Social worker allocated",
            )
    return referral


def discussion_ever_held(referral: Referral) -> bool:
    """Whether a strategy discussion of the case has ever been held: one of its discussion clocks was met."""
    return referral.deadlines.filter(rule__in=SD_RULES, state=DeadlineState.MET).exists()


def referral_record_discussion_held(
    *, acting_user: User, referral: Referral, held_at: dt.datetime, deadline: Deadline | None = None
) -> Referral:
    """A strategy discussion was held: its deadline (by default the case's current one) is met, late if after it.

    Called by the strategy discussion workflow; not a page of its own.
    """
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        deadline = Deadline.objects.select_for_update().get(pk=(deadline or referral.strategy_discussion_deadline()).pk)
        deadline_meet(acting_user=acting_user, deadline=deadline, at=held_at, by="Strategy discussion held")
        referral_status_move(
            acting_user=acting_user,
            referral=referral,
            from_status=ReferralStatus.AWAITING_DISCUSSION,
            to_status=ReferralStatus.DISCUSSION_HELD,
            reason="Strategy discussion held",
        )
    return referral


def referral_status_move(
    *, acting_user: User, referral: Referral, from_status: str, to_status: str, reason: str
) -> None:
    """A case at `from_status` moves to `to_status` (a discussion held; another convened after one was held), in the
    caller's transaction; its version is bumped, so an edit made from the page as it was is refused. A case at any
    other status is left as it is."""
    if referral.status == from_status:
        referral.status = to_status
        referral.version += 1
        record(referral, acting_user, reason)
        referral.save()


def non_mobile_guard_applies(referral: Referral) -> bool:
    """An injury to a non-mobile infant: a strategy discussion is always needed (DOMAIN section 4), so the case never
    closes without one (strategy.services.case_close)."""
    return (
        referral.non_mobile_infant_injury is True
        or referral.concerns.filter(code=ConcernCategory.NON_MOBILE_INJURY).exists()
    )


def case_view_record(*, user: User, referral: Referral, page: str) -> None:
    """Log that `user` looked at `referral` on `page`; called by every page that shows a case."""
    CaseView.objects.create(user=user, referral=referral, page=page)


# The list and a row per case it showed, in one statement (one round trip, atomic by itself): the list is stamped by
# the database's clock (migration 0014) and each case's row takes that moment from the list as inserted.
_LIST_LOOK_INSERT = """
    WITH look AS (
        INSERT INTO referrals_listlook (user_id, page, query, referral_ids, looked_at)
        VALUES (%s, %s, %s, %s::jsonb, clock_timestamp()) RETURNING id, looked_at
    )
    INSERT INTO referrals_listedcase (referral_id, looked_at, look_id)
    SELECT shown.id, look.looked_at, look.id FROM look, unnest(%s::bigint[]) AS shown(id)
"""


def list_look_record(*, user: User, page: str, query: str, referral_ids: Sequence[int]) -> None:
    """Log that `user` was shown a list of cases with children's names: the list (who, which page, the query, the
    cases) and a narrow row per case shown (referrals.models.ListedCase), written as one multi-row INSERT into a
    plain table, in the same request."""
    shown = sorted(set(referral_ids))
    query = query[:500]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_LIST_LOOK_INSERT, [user.pk, page, query, json.dumps(shown), shown])
        return
    with transaction.atomic():  # SQLite (`make run`): the list, then its cases at the list's moment
        look = ListLook.objects.create(user=user, page=page, query=query, referral_ids=shown)
        ListedCase.objects.bulk_create(
            [ListedCase(referral_id=pk, look_id=look.pk, looked_at=look.looked_at) for pk in shown]
        )


def calendar_changed(*, acting_user: User, partnership: Partnership) -> None:
    """A partnership's calendar or settings changed: its open deadlines are moved to it in Celery.

    The request only notes the moment; the task is queued once the change is committed (one attempt,
    never held up by a broker that is down: `referrals.reschedule_pending` catches up).
    """
    now = timezone.now()
    Partnership.objects.filter(pk=partnership.pk).update(calendar_changed_at=now)
    partnership.calendar_changed_at = now
    transaction.on_commit(partial(_queue_reschedule, partnership.pk, acting_user.pk if acting_user else None))


def _queue_reschedule(partnership_id: int, user_id: int | None) -> None:
    from referrals.tasks import reschedule_partnership

    try:
        queue.publish(reschedule_partnership, args=[partnership_id, user_id])
    except Exception:  # the broker is down: the beat's catch-up moves them
        logging.getLogger(__name__).warning("could not queue rescheduling of partnership %s", partnership_id)


# The referral form as a GOV.UK task list (issue 25): a draft is started with when it was received and its urgency,
# so its clock runs from that moment like any logged referral's; each task is saved as typed; submitting checks
# everything at once. Each task and the fields (or list of people) it holds; an error key belongs to one task.
DRAFT_TASKS: dict[str, tuple[str, ...]] = {
    "details": (
        "received_at",
        "referrer_name",
        "referrer_agency",
        "referrer_organisation",
        "referrer_contact",
        "allocated_social_worker",
    ),
    "concern": ("concerns", "concern_summary", "non_mobile_infant_injury"),
    "urgency": (
        "urgency",
        "urgency_reason",
        "immediate_action_taken",
        "immediate_action_agency",
        "immediate_action_details",
    ),
    "children": ("children",),
    "household": ("household",),
    "others": ("others",),
}
DRAFT_TASK_TITLES = {
    "details": "When it was received and who referred",
    "concern": "The concern",
    "urgency": "Urgency and immediate action",
    "children": "Children",
    "household": "Other household members",
    "others": "Alleged abuser and other significant adults",
}


def draft_task_of(error_key: str) -> str:
    """The task whose page shows the field an error is about ("children.0.last_name" is the children's)."""
    head = error_key.partition(".")[0]
    for task, fields in DRAFT_TASKS.items():
        if head in fields:
            return task
    return "details"


def referral_draft_start(
    *,
    acting_user: User,
    received_at: dt.datetime | None,
    urgency: str,
    submission_key: uuid.UUID | None = None,
    now: dt.datetime,
) -> Referral:
    """Start a draft referral: when it was received and its urgency, which open its strategy discussion clock now.

    The clock runs from when the referral was received, as for a referral logged in one go (DOMAIN section 3):
    a draft is watched and alerted like any case. It has its reference from the start. The same start sent twice
    (a double click) starts one draft.
    """
    if not access.can_log_referral(acting_user):
        raise PermissionDenied("Only CSC social workers and team managers log referrals")
    if submission_key and (earlier := _already_logged(acting_user, submission_key)):
        return earlier
    errors = _Errors()
    errors.add(rules.check_received_at(received_at, now=now))
    if urgency not in URGENCY_RULES:
        errors.add({"urgency": "Select the urgency"})
    errors.raise_any()
    partnership = access.own_partnership(acting_user)
    try:
        with transaction.atomic():
            referral = Referral(
                partnership=partnership,
                created_by=acting_user,
                submission_key=submission_key,
                allocated_social_worker=acting_user,
                received_at=cast(dt.datetime, received_at),  # checked above
                urgency=urgency,
                status=ReferralStatus.DRAFT,
            )
            referral.reference = _next_reference(partnership, to_local(now).year)
            record(referral, acting_user, "Draft referral started")
            referral.save()
            deadline = deadline_open(
                acting_user=acting_user,
                referral=referral,
                rule=URGENCY_RULES[urgency],
                starts_at=referral.received_at,
                responsible=acting_user,
                agency=acting_user.agency,
                reason="Draft referral started",
            )
            referral_point_at_sd_deadline(referral=referral, deadline=deadline)
    except IntegrityError:
        if submission_key and (earlier := _already_logged(acting_user, submission_key)):
            return earlier
        raise
    return referral


def _draft_locked(acting_user: User, referral: Referral, expected_version: int) -> Referral:
    if not access.ReferralChecker.for_user(acting_user, referral).can_edit_draft():
        raise PermissionDenied("Only who started this draft and the team managers can change it")
    referral = Referral.objects.select_for_update().select_related("partnership").get(pk=referral.pk)
    if referral.status != ReferralStatus.DRAFT or referral.version != expected_version:
        raise StaleEditError
    return referral


def _draft_refusals(
    referral: Referral, fields: Sequence[str], values: Mapping[str, Any], *, now: dt.datetime
) -> _Errors:
    """What must hold even in a draft, of the task's `fields`: when it was received, the urgency, agencies and a
    social worker of the partnership."""
    errors = _Errors()
    if "received_at" in fields and values.get("received_at") != referral.received_at:
        errors.add(rules.check_received_at(values.get("received_at"), now=now))
    if "urgency" in fields and values.get("urgency") not in URGENCY_RULES:
        errors.add({"urgency": "Select the urgency"})
    for name in ("referrer_agency", "immediate_action_agency"):
        agency = values.get(name)
        if name in fields and agency is not None and agency.partnership_id != referral.partnership_id:
            errors.add({name: "Select an agency of this partnership from the list"})
    worker = values.get("allocated_social_worker")
    if (
        "allocated_social_worker" in fields
        and worker is not None
        and not may_be_allocated(worker, referral.partnership_id)
    ):
        errors.add({"allocated_social_worker": "Select a social worker or team manager of this partnership's CSC"})
    return errors


def _draft_apply(referral: Referral, task: str, fields: Sequence[str], values: Mapping[str, Any]) -> None:
    """The task's fields as typed onto the (unsaved) referral; what the task's answers make moot is cleared."""
    for name in fields:
        if name == "allocated_social_worker":
            referral.allocated_social_worker = values.get(name) or referral.created_by
        elif name in values:
            setattr(referral, name, values[name])
    if task == "urgency" and not referral.immediate_action_taken:
        referral.immediate_action_agency, referral.immediate_action_details = None, ""
    if task == "details" and referral.referrer_agency_id:
        referral.referrer_organisation = ""


def referral_draft_save(
    *,
    acting_user: User,
    referral: Referral,
    expected_version: int,
    task: str,
    data: Mapping[str, Any] | None = None,
    concerns: Sequence[str] | None = None,
    people: Sequence[Mapping[str, Any]] | None = None,
    now: dt.datetime,
) -> Referral:
    """Save one task of a draft as typed, in one transaction (its history says which task).

    Blanks and the rules between fields wait for the submission (`referral_draft_submit` checks everything at
    once). What must hold even in a draft is refused here: when it was received (the clock counts from it),
    the urgency, agencies and a social worker of the partnership, and what cannot be stored (too long).
    A corrected receipt or a tighter urgency brings the clock forward; nothing typed moves it later (DOMAIN 1).
    """
    if task not in DRAFT_TASKS:
        raise ValueError(f"No such task: {task}")
    with transaction.atomic():
        referral = _draft_locked(acting_user, referral, expected_version)
        fields = [name for name in DRAFT_TASKS[task] if name not in ("concerns", *PEOPLE_GROUPS)]
        values = dict(data or {})
        errors = _draft_refusals(referral, fields, values, now=now)
        _draft_apply(referral, task, fields, values)
        try:
            _storable(referral, fields)
        except ValidationError as exc:
            errors.add_model(exc)
        change = None
        if task in PEOPLE_GROUPS:
            change = _PeopleChange(referral, {task: people or ()}, today=to_local(now).date(), strict=False)
            for key, messages in change.errors.messages.items():
                errors.messages.setdefault(key, messages)
            change.errors = errors
        errors.raise_any()
        referral.draft_tasks = sorted({*referral.draft_tasks, task})
        referral.version += 1
        reason = f"Draft saved: {DRAFT_TASK_TITLES[task].lower()}"
        record(referral, acting_user, reason)
        referral.save()
        if concerns is not None and task == "concern":
            referral.concerns.set(Concern.objects.filter(code__in=concerns))
        if change is not None:
            change.save(referral, acting_user, now=now, reason=reason)
        _draft_clock_follow(acting_user, referral, reason)
    return referral


def _draft_clock_follow(acting_user: User, referral: Referral, reason: str) -> None:
    """The draft's clock follows an earlier receipt or a tighter urgency, and its allocated social worker."""
    deadline = referral.deadlines.select_for_update().filter(rule__in=SD_RULES).order_by("pk").first()
    if deadline is None:
        raise RuntimeError("Every draft opens its strategy discussion deadline when started")
    deadline.partnership = referral.partnership
    deadline_bring_forward(
        acting_user=acting_user,
        deadline=deadline,
        rule=URGENCY_RULES[referral.urgency],
        starts_at=referral.received_at,
        reason=reason,
    )
    deadline_assign(
        acting_user=acting_user, deadline=deadline, responsible=referral.allocated_social_worker, reason=reason
    )


def _draft_as_typed(referral: Referral) -> tuple[dict[str, Any], list[str], dict[str, list[dict[str, Any]]]]:
    """A stored draft as the service's input: its fields, concern codes and lists of people."""
    data: dict[str, Any] = {name: getattr(referral, name) for name in REFERRAL_FIELDS}
    data["allocated_social_worker"] = referral.allocated_social_worker
    concerns = list(referral.concerns.values_list("code", flat=True))
    people: dict[str, list[dict[str, Any]]] = {group: [] for group in PEOPLE_GROUPS}
    for person in referral.people.filter(removed_at=None).order_by("kind", "position", "pk"):
        group = next(g for g, kinds in PEOPLE_GROUPS.items() if person.kind in kinds)
        people[group].append(
            {"id": person.pk, "kind": person.kind, **{name: getattr(person, name) for name in PERSON_FIELDS}}
        )
    return data, concerns, people


def referral_draft_problems(referral: Referral, *, now: dt.datetime) -> dict[str, list[str]]:
    """Every problem that stops a draft being submitted, by field ("children.0.last_name"), all at once.

    The same rules as a referral logged in one go (`_check_referral`), with GOV.UK words for what is missing.
    Reads only: the task list shows which tasks have problems, and the submission refuses with all of them.
    """
    data, concerns, people = _draft_as_typed(referral)
    change = _PeopleChange(referral, people, today=to_local(now).date())
    errors = _check_referral(referral, data, concerns, change, now=now, received_changed=True)
    if not str(data["referrer_name"] or "").strip():
        errors.add({"referrer_name": "Enter the name of the person who made the referral"})
    if not str(data["concern_summary"] or "").strip():
        errors.add({"concern_summary": "Describe the concern"})
    if data["urgency"] not in URGENCY_RULES:
        errors.add({"urgency": "Select the urgency"})
    for group, index, _kind, person, _data, _remove in change.rows:
        if person is not None:
            try:
                person.full_clean()
            except ValidationError as exc:
                errors.add_model(exc, f"{group}.{index}.")
    probe = Referral.objects.get(pk=referral.pk)  # checked on a copy: a page that only reads changes nothing
    _apply(probe, data, errors)
    return errors.messages


def referral_draft_submit(
    *, acting_user: User, referral: Referral, expected_version: int, now: dt.datetime
) -> Referral:
    """Submit a draft: every rule of a referral is checked at once, and it becomes a case (DOMAIN 1, step 1).

    Refused with every problem together (ValidationError keyed by field). Its clock is the one started with the
    draft, from when the referral was received; it now follows the allocated social worker.
    """
    with transaction.atomic():
        referral = _draft_locked(acting_user, referral, expected_version)
        problems = referral_draft_problems(referral, now=now)
        if problems:
            raise ValidationError(cast(dict[str, Any], problems))
        data, _concerns, _people = _draft_as_typed(referral)
        errors = _Errors()
        _apply(referral, data, errors)
        errors.raise_any()
        referral.status = ReferralStatus.AWAITING_DISCUSSION
        referral.submitted_at = now
        referral.version += 1
        record(referral, acting_user, "Referral logged (draft submitted)")
        referral.save()
        _draft_clock_follow(acting_user, referral, "Referral logged")
    return referral
