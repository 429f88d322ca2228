"""Keeping the report's facts and counts up to date (issue 29).

`report_refresh` follows the history tables of the rows the facts are built from (referrals, deadlines,
discussions, invitations, decisions, disagreements: every change to a case is written there, by the service that
made it): the cases changed since the last run have their facts rebuilt, and
the partnership-months those facts fall in are counted again. The Celery task runs it every minute; a run reads a
bounded batch of history rows and the next run carries on. When a table has new rows, its rows of the last ten
minutes are read with them, because history rows are numbered when written and a transaction may commit after a
later one (the rebuild of a case is the same however often it runs); when it has none, nothing is read again and
nothing is written. `report_rebuild_recent` counts the recent months of every
partnership again, so "open and overdue" follows the clock (hourly: this month and the last; nightly: the last
year).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from agencies.models import Partnership
from core.timescales import month_of, months_after
from disputes.models import Disagreement
from referrals.models import Deadline, Referral
from reports.cells import cells_rebuild
from reports.facts import facts_replace
from reports.models import Fact, Watermark
from strategy.models import ChildDecision, Discussion, Invitation

BATCH = 5_000
# History rows of the last minutes are read again with the new ones (a transaction that took its numbers before
# the last run's but committed after it); the history date is indexed.
LATE_COMMITS = dt.timedelta(minutes=10)


def _followed() -> list[tuple[str, type, str]]:
    """Each table whose history is followed, and how a history row names its case (directly or by a discussion)."""
    return [
        ("referral", Referral, "id"),
        ("deadline", Deadline, "referral_id"),
        ("discussion", Discussion, "referral_id"),
        ("invitation", Invitation, "discussion_id"),
        ("decision", ChildDecision, "discussion_id"),
        ("disagreement", Disagreement, "referral_id"),
    ]


def _changed_cases(limit: int, now: dt.datetime) -> tuple[set[int], dict[str, int]]:
    """The cases whose rows changed since the watermarks, and the watermarks that move (to where)."""
    cases: set[int] = set()
    discussions: set[int] = set()
    marks: dict[str, int] = {}
    for name, model, key in _followed():
        mark = Watermark.objects.select_for_update().filter(name=name).first() or Watermark(name=name)
        history = model.history.model  # type: ignore[attr-defined]
        rows = list(
            history.objects.filter(history_id__gt=mark.last_id)
            .order_by("history_id")
            .values_list("history_id", key)[:limit]
        )
        if not rows:
            continue  # nothing new: nothing read again, nothing written
        marks[name] = rows[-1][0]
        late = history.objects.filter(history_id__lte=mark.last_id, history_date__gte=now - LATE_COMMITS)
        rows += list(late.order_by("-history_id").values_list("history_id", key)[:limit])
        (discussions if key == "discussion_id" else cases).update(value for _, value in rows if value)
    cases |= set(Discussion.objects.filter(pk__in=discussions).values_list("referral_id", flat=True))
    return cases, marks


def counts_rebuild(touched: Iterable[tuple[int, dt.date]], *, now: dt.datetime) -> int:
    by_partnership: dict[int, set[dt.date]] = defaultdict(set)
    for partnership_id, month in touched:
        by_partnership[partnership_id].add(month)
    return sum(cells_rebuild(p, months, now=now) for p, months in sorted(by_partnership.items()))


def report_refresh(*, now: dt.datetime, limit: int = BATCH) -> int:
    """Rebuild the facts of the cases changed since the last run, and their months' counts; how many cases."""
    with transaction.atomic():
        cases, marks = _changed_cases(limit, now)
        touched = facts_replace(cases)
        counts_rebuild(touched, now=now)
        for name, last_id in marks.items():  # nothing written when nothing changed (SQLite's one writer)
            Watermark.objects.update_or_create(name=name, defaults={"last_id": last_id})
    return len(cases)


def report_rebuild_recent(*, now: dt.datetime, months: int) -> int:
    """Count the last `months` months (this one included) of every partnership that has facts again."""
    first = months_after(month_of(now), -(months - 1))
    touched = set(Fact.objects.filter(month__gte=first).values_list("partnership_id", "month").distinct())
    return counts_rebuild(touched, now=now)


def facts_backfill(*, now: dt.datetime, partnership: Partnership | None = None, batch: int = 2_000) -> int:
    """Build the facts of every case (of one partnership) from scratch, a batch of cases at a time: after a deploy
    that adds a measure, or on a database made without the app (the benchmark's). How many cases."""
    cases = Referral.objects.order_by("pk")
    if partnership is not None:
        cases = cases.filter(partnership=partnership)
    done, last, touched = 0, 0, set()
    while ids := list(cases.filter(pk__gt=last).values_list("pk", flat=True)[:batch]):
        touched |= facts_replace(ids)
        done, last = done + len(ids), ids[-1]
    counts_rebuild(touched, now=now)
    return done
