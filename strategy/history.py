"""The history of a case: every change to the referral, its people, discussions, invitations, information,
decisions, what is recorded per child, reasons to proceed without an agency, enquiry plan, what the family is
told and actions, field by field, newest first (DOMAIN section 2: every change is kept).

Read from django-simple-history's tables of one case, merged newest first. Pages go by keyset, as the lists do
(core.pages): a page is the changes after (older than) the last one shown, so each table gives at most one
page's worth of rows whatever the depth, and only those rows are compared with their previous version. Each
table's rows are found by the case's key (an index of the history table) and sorted there: what bounds a page
is one case's history, never the partnership's. The count stops at the cap, as the lists' do.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import QueryDict

from actions.models import Action
from core.pages import AFTER, BEFORE, COUNT_CAP, KeysetPage, counts_capped, cursor_values, page_with_links
from core.presenters import RULE_NAMES
from core.timescales import DISAGREEMENT_RULES, to_local
from referrals.models import Deadline, DeadlineState, Person, Referral
from strategy.models import (
    ChildDecision,
    ChildRecord,
    ChildRisk,
    Discussion,
    EnquiryPlanItem,
    FamilySummary,
    InformationEntry,
    Invitation,
    ProceedWithout,
)

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
    summary: str = ""  # the change in a practitioner's words ("Strategy discussion deadline met"), never a code


# Words an app above this one gives for one of its clocks being met, by rule: given {deadline id: moment met},
# {deadline id: words}. The minutes app registers the minutes' clock ("Minutes circulated by ... to 9 people"),
# read once per page for the page's clocks (minutes.apps).
MET_WORDS: dict[str, Callable[[dict[int, dt.datetime], dict[int, str]], dict[int, str]]] = {}


def register_met_words(rule: str, words: Callable[[dict[int, dt.datetime], dict[int, str]], dict[int, str]]) -> None:
    MET_WORDS[rule] = words


def _moment(value: dt.datetime | None) -> str:
    return to_local(value).strftime("%a %-d %b %Y %H:%M") if value else ""


# Clocks whose page name reads badly before "deadline".
_DEADLINE_NAMES = {
    "MINUTES_CIRCULATED": "Deadline to circulate the minutes",
    "MEETING_NOT_ENDED": "Deadline to end the meeting",
}


def deadline_name(rule: str) -> str:
    """ "Strategy discussion deadline", "Deadline to circulate the minutes": the clock as a practitioner names it."""
    if rule in _DEADLINE_NAMES:
        return _DEADLINE_NAMES[rule]
    name = RULE_NAMES.get(rule, "")
    return f"{name} deadline" if name else "Deadline"


def _sources(referral: Referral, discussion_ids: list[int]) -> list[tuple[str, Any, models.Q]]:
    return [
        ("Referral", Referral.history.model, models.Q(id=referral.pk)),  # type: ignore[attr-defined]
        ("Person", Person.history.model, models.Q(referral_id=referral.pk)),  # type: ignore[attr-defined]
        ("Strategy discussion", Discussion.history.model, models.Q(referral_id=referral.pk)),  # type: ignore[attr-defined]
        ("Invitation", Invitation.history.model, models.Q(discussion_id__in=discussion_ids)),  # type: ignore[attr-defined]
        ("Information shared", InformationEntry.history.model, models.Q(discussion_id__in=discussion_ids)),  # type: ignore[attr-defined]
        ("Decision", ChildDecision.history.model, models.Q(discussion_id__in=discussion_ids)),  # type: ignore[attr-defined]
        ("Risk analysis", ChildRisk.history.model, models.Q(discussion_id__in=discussion_ids)),  # type: ignore[attr-defined]
        ("Enquiry plan", EnquiryPlanItem.history.model, models.Q(discussion_id__in=discussion_ids)),  # type: ignore[attr-defined]
        ("What the family is told", FamilySummary.history.model, models.Q(discussion_id__in=discussion_ids)),  # type: ignore[attr-defined]
        ("Recorded for the child", ChildRecord.history.model, models.Q(discussion_id__in=discussion_ids)),  # type: ignore[attr-defined]
        ("Proceeding without", ProceedWithout.history.model, models.Q(discussion_id__in=discussion_ids)),  # type: ignore[attr-defined]
        ("Action", Action.history.model, models.Q(referral_id=referral.pk)),  # type: ignore[attr-defined]
        # A disagreement's clocks are in its own page's story, for those who may see it (disputes), not the case's.
        (
            "Deadline",
            Deadline.history.model,  # type: ignore[attr-defined]
            models.Q(referral_id=referral.pk) & ~models.Q(rule__in=DISAGREEMENT_RULES),
        ),
    ]


def _shown(model_field: models.Field | None, value: Any) -> str:
    if value is None or value == "" or (hasattr(value, "pk") and value.pk is None):
        return "(empty)"  # a foreign key cleared comes back from simple-history as an object without a key
    if isinstance(value, Deadline):  # in words, never "MINUTES_CIRCULATED due ... (met)"
        state = {"met": ", met", "stopped": ", stopped"}.get(value.state, "")
        return f"{deadline_name(value.rule)}, due {_moment(value.due_at)}{state}"
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


# A change's place in the merged history: (when, which table, its history id). Newest first; on the same moment
# the tables in `_sources` order; then the newest id. That is (when, -table, id), descending.
Key = tuple[dt.datetime, int, int]


def _decode(cursor: str) -> Key | None:
    """The key a cursor holds, or None if it is not one (the page then starts from the newest change)."""
    values = cursor_values(cursor)
    if values is None or len(values) != 3:
        return None
    when, source, history_id = values
    try:
        moment = dt.datetime.fromisoformat(when)
    except (ValueError, TypeError):
        return None
    if moment.tzinfo is None or type(source) is not int or type(history_id) is not int:
        return None
    return moment, source, history_id


def _after(source: int, cursor: Key) -> models.Q:
    """This table's rows that come after `cursor` in the merged order (older)."""
    when, cursor_source, history_id = cursor
    if source < cursor_source:
        return models.Q(history_date__lt=when)
    if source > cursor_source:
        return models.Q(history_date__lte=when)
    return models.Q(history_date__lt=when) | models.Q(history_date=when, history_id__lt=history_id)


def _before(source: int, cursor: Key) -> models.Q:
    """This table's rows that come before `cursor` in the merged order (newer)."""
    when, cursor_source, history_id = cursor
    if source < cursor_source:
        return models.Q(history_date__gte=when)
    if source > cursor_source:
        return models.Q(history_date__gt=when)
    return models.Q(history_date__gt=when) | models.Q(history_date=when, history_id__gt=history_id)


def case_history(referral: Referral, *, params: QueryDict, size: int = PAGE_SIZE, cap: int = COUNT_CAP) -> KeysetPage:
    """One page of the case's history, newest first, with links to the newer and older pages and the (capped)
    number of changes in all. `params` may hold a cursor ("after" or "before"), as the lists' addresses do."""
    discussion_ids = list(Discussion.objects.filter(referral=referral).values_list("pk", flat=True))
    after = _decode(params.get(AFTER, "")) if params.get(AFTER) else None
    before = _decode(params.get(BEFORE, "")) if params.get(BEFORE) and after is None else None
    rows: list[tuple[Key, str, Any]] = []
    sources = _sources(referral, discussion_ids)
    counts = counts_capped([model.objects.filter(condition) for _what, model, condition in sources], cap)  # one query
    total, capped = sum(counted for counted, _over in counts), any(over for _counted, over in counts)
    for source, (what, model, condition) in enumerate(sources):
        history = model.objects.filter(condition)
        read = history.select_related("history_user", *_shown_relations(model))
        if before is not None:
            read = read.filter(_before(source, before)).order_by("history_date", "history_id")
        else:
            if after is not None:
                read = read.filter(_after(source, after))
            read = read.order_by("-history_date", "-history_id")
        rows.extend(((record.history_date, source, record.history_id), what, record) for record in read[: size + 1])
    # Newest first; for the page before a cursor, the nearest newer changes first (reversed again below).
    rows.sort(key=lambda row: (row[0][0], -row[0][1], row[0][2]), reverse=before is None)
    if before is not None:
        has_previous, has_next = len(rows) > size, True
        rows = rows[:size][::-1]
    else:
        has_previous, has_next = after is not None, len(rows) > size
        rows = rows[:size]
    page = page_with_links(
        rows,
        count=min(total, cap),
        count_capped=capped or total > cap,
        params=params,
        has_previous=has_previous,
        has_next=has_next,
        key_of=lambda row: row[0],
    )
    entries = [_entry(what, record) for _key, what, record in rows]
    _deadline_words([(entry, record) for entry, (_key, what, record) in zip(entries, rows, strict=True)])
    page.rows = entries
    return page


def _shown_relations(model: Any) -> list[str]:
    """The foreign keys of a history row, read with it: a creation lists each of them and a row's description
    names some (an invitation's agency, a decision's child), one query a row and a key otherwise."""
    return [
        f.name
        for f in model._meta.concrete_fields
        if f.is_relation and f.name not in ("history_user", "history_relation")
    ]


def _instance(record: Any) -> Any:
    """The object as the history row has it, with the related objects the row was read with (for its __str__)."""
    instance = record.instance
    for key in record._meta.concrete_fields:
        if key.is_relation and key.is_cached(record):
            try:
                target = instance._meta.get_field(key.name)
            except FieldDoesNotExist:
                continue
            target.set_cached_value(instance, key.get_cached_value(record))
    return instance


def _entry(what: str, record: Any) -> Entry:
    kind = {"+": "Created", "~": "Changed", "-": "Deleted"}[record.history_type]
    reason = record.history_change_reason or ""
    described = {"Referral": lambda: f"Referral {record.reference}", "Deadline": lambda: "Deadline"}.get(
        what, lambda: f"{what}: {_instance(record)}"
    )()
    return Entry(
        when=record.history_date,
        what=described,
        kind=kind,
        who=str(record.history_user) if record.history_user else "The system",
        reason=reason,
        changes=[] if what == "Deadline" else _changes(record),
        # The service's own words for what happened ("Strategy discussion convened"), else what changed.
        summary=reason or f"{described} {kind.lower()}",
    )


def _deadline_words(entries: list[tuple[Entry, Any]]) -> None:
    """Each clock's change in words, with the original due moment wherever it was moved: set, met (and by what),
    stopped (and why), moved (from, to, first due), recalculated. The minutes' clock met says who circulated them
    to how many people (MET_WORDS, one query for the page)."""
    clocks = [(entry, record) for entry, record in entries if record.instance_type is Deadline]
    extra: dict[int, str] = {}
    for rule, words in MET_WORDS.items():
        met = {
            record.id: record.met_at
            for _entry, record in clocks
            if record.rule == rule and record.state == DeadlineState.MET and record.met_at
        }
        if met:
            # Who met it: the user of the change that met the clock (its first record in the met state), not of
            # another change to the same clock on the page (setting it, at the approval, is the chair's).
            meeting: dict[int, Any] = {}
            for _entry, record in clocks:
                if record.id in met and record.state == DeadlineState.MET:
                    earlier = meeting.get(record.id)
                    if earlier is None or record.history_date < earlier.history_date:
                        meeting[record.id] = record
            extra.update(words(met, {pk: str(record.history_user or "") for pk, record in meeting.items()}))
    for entry, record in clocks:
        entry.what = deadline_name(record.rule)
        entry.summary = _deadline_summary(record, extra)
        entry.changes = []


def _deadline_summary(record: Any, extra: dict[int, str]) -> str:
    name = deadline_name(record.rule)
    child = f" for {record.child.full_name}" if record.child_id and record.child else ""
    first = (
        f" (first due {_moment(record.original_due_at)})"
        if record.original_due_at and record.original_due_at != record.due_at
        else ""
    )
    previous = record.prev_record if record.history_type == "~" else None
    if record.history_type == "+":
        return f"{name}{child} set: due {_moment(record.due_at)}"
    if previous is not None and previous.paused != record.paused and previous.state == record.state:
        held = "paused while the meeting is held" if record.paused else "running again: the meeting was abandoned"
        return f"{name}{child} {held}"
    if record.state != DeadlineState.OPEN and (previous is None or previous.state != record.state):
        if record.state == DeadlineState.MET:
            late = " late" if record.met_at and record.met_at > record.due_at else ""
            words = extra.get(record.id, "")
            because = f" ({record.met_by})" if record.met_by and not words else ""
            done = f"{name}{child} met{late}{because}{first}"
            return f"{words}: {done[0].lower()}{done[1:]}" if words else done
        if record.state == DeadlineState.STOPPED:
            return f"{name}{child} stopped: {record.stop_reason}{first}"
    if previous is not None and previous.state != record.state:
        return f"{name}{child} open again: due {_moment(record.due_at)}{first}"
    if previous is not None and previous.due_at != record.due_at:
        moved = "moved later" if record.due_at > previous.due_at else "moved earlier"
        why = f". {record.history_change_reason}" if record.history_change_reason else ""
        return f"{name}{child} {moved} from {_moment(previous.due_at)} to {_moment(record.due_at)}{first}{why}"
    if previous is not None and previous.times_moved != record.times_moved and record.moved_reason:
        return f"{name}{child} moved later by a team manager, to {_moment(record.due_at)}{first}: {record.moved_reason}"
    return f"{name}{child} changed: due {_moment(record.due_at)}{first}"
