"""The report's monthly counts (`Cell`), built from the facts of one partnership-month (issue 29).

A counter counts facts; some also keep a histogram of whole hours or working days, so a median or a percentile over
any range is read exactly from the merged histograms. Every counter is kept per urgency, and per agency or category
where it has one; the report adds them up for the filters chosen. "Overdue" is as of the build (`built_at`): the
task builds the current and last month again every hour, and the last year every night.
"""

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from django.db import transaction

from core.timescales import is_overdue
from referrals.models import DeadlineState
from reports.models import Cell, Fact, FactKind


class FactRow(NamedTuple):
    """What a count reads of a fact, as `cells_rebuild` reads it (a tuple, not a model instance: several times
    quicker to make, which a rebuild of every partnership-month at national scale feels)."""

    kind: str
    urgency: str
    agency_id: int | None
    category: str
    state: str
    due_at: dt.datetime | None
    on_time: bool | None
    hours: float | None
    working_days: int | None
    police_present: bool | None
    health_present: bool | None
    flag: bool | None
    second_flag: bool | None
    times: int


# A fact as a model instance (tests, the demo) or as the tuple cells_rebuild reads: the same attributes.
AnyFact = Fact | FactRow


class Count(NamedTuple):
    """One increment: a counter, its category and agency, and the value its histogram takes (if it keeps one)."""

    counter: str
    category: str = ""
    agency_id: int | None = None
    value: int | None = None
    by: int = 1


def _clock(prefix: str, fact: AnyFact, now: dt.datetime, agency_id: int | None = None) -> Iterator[Count]:
    """A clock counted in the month it was first due: due (unless stopped), met on time, late, open overdue."""
    if fact.state == DeadlineState.STOPPED:
        return
    yield Count(f"{prefix}_due", agency_id=agency_id)
    if fact.state == DeadlineState.MET:
        yield Count(f"{prefix}_on_time" if fact.on_time else f"{prefix}_late", agency_id=agency_id)
    elif fact.due_at is not None and is_overdue(fact.due_at, now):
        yield Count(f"{prefix}_open_overdue", agency_id=agency_id)


def _discussion(fact: AnyFact) -> Iterator[Count]:
    yield Count("held", value=None)
    yield Count("held_hours", value=int(fact.hours or 0))
    yield Count("held_working_days", value=fact.working_days or 0)
    if fact.on_time:
        yield Count("held_on_time")
    if fact.flag:
        yield Count("held_clock_moved")
    if fact.police_present:
        yield Count("held_police")
    if fact.health_present:
        yield Count("held_health")
    if fact.police_present and fact.health_present:
        yield Count("held_police_and_health")


def _minutes(fact: AnyFact, now: dt.datetime) -> Iterator[Count]:
    if fact.state == DeadlineState.STOPPED:
        return
    yield Count("minutes_due")
    if fact.state == DeadlineState.MET:
        yield Count("minutes_circulated", value=int(fact.hours or 0))
        if fact.on_time:
            yield Count("minutes_on_time")
    elif fact.due_at is not None and is_overdue(fact.due_at, now):
        yield Count("minutes_open_overdue")


def counts(fact: AnyFact, now: dt.datetime) -> Iterator[Count]:
    """What one fact adds to its month's counters."""
    match fact.kind:
        case FactKind.REFERRAL:
            yield Count("referrals", agency_id=fact.agency_id)
        case FactKind.CLOSED:
            yield Count("closed_no_discussion", category=fact.category)
        case FactKind.DISCUSSION:
            yield from _discussion(fact)
        case FactKind.INVITATION:
            yield Count("invited", category=fact.category, agency_id=fact.agency_id)
            if fact.flag:
                yield Count("proceeded_without", agency_id=fact.agency_id)
        case FactKind.DECISION:
            yield Count("children_decided", category=fact.category)
            if fact.flag:
                yield Count("s47")
                if fact.second_flag:
                    yield Count("s47_authorised_in_meeting")
        case FactKind.MINUTES:
            yield from _minutes(fact, now)
        case FactKind.ICPC | FactKind.ASSESSMENT:
            yield from _clock(fact.kind, fact, now)
        case FactKind.ACTION:
            yield from _clock("action", fact, now, agency_id=fact.agency_id)
        case FactKind.MOVED:
            yield Count("moved_clocks", category=fact.category)
            yield Count("moves", category=fact.category, by=fact.times)
        case FactKind.DISAGREEMENT:
            yield Count("disagreements", category=fact.category)
            yield Count(f"disagreements_{fact.state}", category=f"stage_{fact.times}")


def cells_for(facts: Iterable[AnyFact], *, partnership_id: int, month: dt.date, now: dt.datetime) -> list[Cell]:
    """The cells of one partnership-month from its facts (unsaved)."""
    tallies: dict[tuple[str, str, int | None, str], int] = defaultdict(int)
    histograms: dict[tuple[str, str, int | None, str], Counter[int]] = defaultdict(Counter)
    for fact in facts:
        for count in counts(fact, now):
            key = (count.counter, fact.urgency, count.agency_id, count.category)
            tallies[key] += count.by
            if count.value is not None:
                histograms[key][count.value] += 1
    return [
        Cell(
            partnership_id=partnership_id,
            month=month,
            counter=counter,
            urgency=urgency,
            agency_id=agency_id,
            category=category,
            count=total,
            histogram={str(k): v for k, v in sorted(histograms[key].items())} if key in histograms else None,
            built_at=now,
        )
        for key in sorted(tallies, key=lambda k: (k[0], k[1], k[2] or 0, k[3]))
        for counter, urgency, agency_id, category in [key]
        for total in [tallies[key]]
    ]


def cells_rebuild(partnership_id: int, months: Iterable[dt.date], *, now: dt.datetime) -> int:
    """Count one partnership's months again from their facts; how many cells they now have."""
    made = 0
    for month in sorted(set(months)):
        facts = Fact.objects.filter(partnership_id=partnership_id, month=month).values_list(*FactRow._fields)
        with transaction.atomic():
            Cell.objects.filter(partnership_id=partnership_id, month=month).delete()
            rows = (FactRow(*row) for row in facts.iterator(chunk_size=5_000))
            cells = cells_for(rows, partnership_id=partnership_id, month=month, now=now)
            Cell.objects.bulk_create(cells, batch_size=2_000)
        made += len(cells)
    return made
