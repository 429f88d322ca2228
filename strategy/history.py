"""The history of a case: every change to the referral, its people, discussions, invitations, information,
decisions, enquiry plan and actions, field by field, newest first (DOMAIN section 2: every change is kept).

Read from django-simple-history's tables; a page costs the same whatever the length of the history: each
table gives at most one page's worth of rows, and only those rows are compared with their previous version.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from actions.models import Action
from referrals.models import Person, Referral
from strategy.models import ChildDecision, Discussion, EnquiryPlanItem, InformationEntry, Invitation

PAGE_SIZE = 25
# Bookkeeping, not what anyone changed.
HIDDEN_FIELDS = {"version", "updated_at", "created_at", "finished", "search_text", "section_versions", "submission_key"}


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class Entry:
    when: dt.datetime
    what: str
    kind: str  # created, changed, deleted
    who: str
    reason: str
    changes: list[Change] = field(default_factory=list)


def _sources(referral: Referral, discussion_ids: list[int]) -> list[tuple[str, Any, models.Q]]:
    return [
        ("Referral", Referral.history.model, models.Q(id=referral.pk)),  # type: ignore[attr-defined]
        ("Person", Person.history.model, models.Q(referral_id=referral.pk)),  # type: ignore[attr-defined]
        ("Strategy discussion", Discussion.history.model, models.Q(referral_id=referral.pk)),  # type: ignore[attr-defined]
        ("Invitation", Invitation.history.model, models.Q(discussion_id__in=discussion_ids)),  # type: ignore[attr-defined]
        ("Information shared", InformationEntry.history.model, models.Q(discussion_id__in=discussion_ids)),  # type: ignore[attr-defined]
        ("Decision", ChildDecision.history.model, models.Q(discussion_id__in=discussion_ids)),  # type: ignore[attr-defined]
        ("Enquiry plan", EnquiryPlanItem.history.model, models.Q(discussion_id__in=discussion_ids)),  # type: ignore[attr-defined]
        ("Action", Action.history.model, models.Q(referral_id=referral.pk)),  # type: ignore[attr-defined]
    ]


def _shown(model_field: models.Field | None, value: Any) -> str:
    if value is None or value == "" or (hasattr(value, "pk") and value.pk is None):
        return "(empty)"  # a foreign key cleared comes back from simple-history as an object without a key
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if model_field is not None and model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, dt.datetime):
        from core.timescales import to_local

        return to_local(value).strftime("%d %b %Y %H:%M")
    if isinstance(value, list | tuple | set):
        return ", ".join(str(item) for item in value) or "(empty)"
    return str(value)


def _label(model: Any, name: str) -> tuple[str, models.Field | None]:
    try:
        model_field = model._meta.get_field(name)
    except Exception:  # noqa: BLE001 (a field of history's own)
        return name.replace("_", " "), None
    return str(getattr(model_field, "verbose_name", name)).capitalize(), model_field


def _changes(record: Any) -> list[Change]:
    model = record.instance_type
    if record.history_type == "+":
        changes = []
        for model_field in model._meta.concrete_fields:
            name = model_field.attname if model_field.is_relation else model_field.name
            if model_field.name in HIDDEN_FIELDS or model_field.name == "id":
                continue
            value = getattr(record, model_field.name if model_field.is_relation else name, None)
            if value in (None, "", False):
                continue
            changes.append(Change(str(model_field.verbose_name).capitalize(), "", _shown(model_field, value)))
        return changes
    previous = record.prev_record
    if previous is None:
        return []
    delta = record.diff_against(previous, excluded_fields=HIDDEN_FIELDS, foreign_keys_are_objs=True)
    result = []
    for change in delta.changes:
        label, model_field = _label(model, change.field)
        result.append(Change(label, _shown(model_field, change.old), _shown(model_field, change.new)))
    return result


def case_history_count(referral: Referral) -> int:
    discussion_ids = list(Discussion.objects.filter(referral=referral).values_list("pk", flat=True))
    return sum(model.objects.filter(condition).count() for _w, model, condition in _sources(referral, discussion_ids))


def case_history(referral: Referral, *, page: int) -> tuple[list[Entry], int]:
    """One page of the case's history, newest first, and the number of changes in all."""
    discussion_ids = list(Discussion.objects.filter(referral=referral).values_list("pk", flat=True))
    wanted = page * PAGE_SIZE
    rows: list[tuple[str, Any]] = []
    total = 0
    for what, model, condition in _sources(referral, discussion_ids):
        history = model.objects.filter(condition)
        total += history.count()
        rows.extend(
            (what, record)
            for record in history.select_related("history_user").order_by("-history_date", "-history_id")[:wanted]
        )
    rows.sort(key=lambda item: item[1].history_date, reverse=True)
    entries = []
    for what, record in rows[(page - 1) * PAGE_SIZE : wanted]:
        entries.append(
            Entry(
                when=record.history_date,
                what=f"{what}: {record.instance}" if what != "Referral" else f"Referral {record.reference}",
                kind={"+": "Created", "~": "Changed", "-": "Deleted"}[record.history_type],
                who=str(record.history_user) if record.history_user else "The system",
                reason=record.history_change_reason or "",
                changes=_changes(record),
            )
        )
    return entries, total
