"""What the timeliness report shows (issue 29, DOMAIN section 8): its measures, read from the monthly counts.

Two queries a page, whatever the partnership's size: the range's cells (a few hundred a month at most: their counts
and the histograms of the timed measures), and when the oldest of them was built. Every value goes through
`reports.suppress` before anyone sees it.
"""

import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Min

from agencies.models import Agency, Partnership
from core.timescales import month_of, months_after
from disputes.models import StageNumber, Subject
from referrals.models import ClosureOutcome, Urgency
from reports import suppress
from reports.models import Cell
from strategy.models import Attendance

# Counters an agency filter narrows (they belong to one agency); the others count the partnership's discussions.
AGENCY_COUNTERS = frozenset(
    {"referrals", "invited", "proceeded_without", "action_due", "action_on_time", "action_late", "action_open_overdue"}
)
HISTOGRAMS = frozenset({"held_hours", "held_working_days", "minutes_circulated"})
TOTAL = "All months"


@dataclass(frozen=True)
class Measure:
    """One column of a table, and one CSV: a count, a share (numerator of denominator) or a time (a percentile of a
    histogram). `category` picks one category of the counter (an attendance, an outcome, a role)."""

    slug: str
    title: str
    counter: str
    of: str = ""  # the denominator's counter, or counters added up ("a+b"): a share
    percentile: int = 0  # a time: this percentile of the counter's histogram
    unit: str = ""
    category: str = ""
    of_category: str = ""


def _count(slug: str, title: str, counter: str, category: str = "") -> Measure:
    return Measure(slug, title, counter, category=category)


def _share(slug: str, title: str, counter: str, of: str, category: str = "", of_category: str = "") -> Measure:
    return Measure(slug, title, counter, of=of, category=category, of_category=of_category)


def decided(prefix: str) -> str:
    """A clock's share is of the clocks already decided: met (on time or late), or open past their deadline. One
    still open and not yet due is neither on time nor late: counted in, it made the current month look far worse than
    it was (a conference due at the end of the month counted as not held within 15 working days: a walk)."""
    met = "minutes_circulated" if prefix == "minutes" else f"{prefix}_on_time+{prefix}_late"
    return f"{met}+{prefix}_open_overdue"


def _time(slug: str, title: str, counter: str, percentile: int, unit: str) -> Measure:
    return Measure(slug, title, counter, percentile=percentile, unit=unit)


@dataclass(frozen=True)
class Table:
    """A table of measures: one row a month (and the range's total), or one row a breakdown value over the range."""

    slug: str
    title: str
    measures: tuple[Measure, ...]
    by: str = "month"  # or "urgency", "agency", "category"
    categories: tuple[tuple[str, str], ...] = ()  # by category: (code, label)
    note: str = ""
    heading: str = ""  # the rows' heading, by category ("Outcome" unless said)


ATTENDANCE = tuple((a.value, a.label) for a in Attendance if a != Attendance.INVITED)
OUTCOMES = (
    ("s47", "Section 47 enquiry"),
    ("s17", "Child in need (section 17) assessment"),
    ("early_help", "Early help"),
    ("nfa", "No further action"),
    ("other", "Other outcome"),
)
MOVER_ROLES = (
    ("team_manager", "Team manager"),
    ("head_of_service", "Head of service"),
    ("social_worker", "Social worker"),
    ("other", "Other role"),
)

TABLES = (
    Table(
        "discussions",
        "Strategy discussions held within their timescale",
        (
            _count("referrals-received", "Referrals received", "referrals"),
            _count("discussions-held", "Discussions held", "held"),
            _share("held-within-timescale", "Held within timescale", "held_on_time", "held"),
            _count("held-clock-moved", "Held after a clock was moved later", "held_clock_moved"),
            _time("held-hours-median", "Median hours from concern to discussion", "held_hours", 50, "hours"),
            _time("held-hours-p90", "90th percentile hours", "held_hours", 90, "hours"),
            _time("held-days-median", "Median working days", "held_working_days", 50, "working days"),
            _time("held-days-p90", "90th percentile working days", "held_working_days", 90, "working days"),
        ),
        note="Always against the clock's original deadline: a clock moved later never improves the figure.",
    ),
    Table(
        "urgency",
        "Held within timescale, by urgency",
        (
            _count("held-by-urgency", "Discussions held", "held"),
            _share("within-timescale-by-urgency", "Held within timescale", "held_on_time", "held"),
        ),
        by="urgency",
    ),
    Table(
        "present",
        "Police and health present",
        (
            _count("present-held", "Discussions held", "held"),
            _share("police-present", "Police present", "held_police", "held"),
            _share("health-present", "Health present", "held_health", "held"),
            _share("police-and-health-present", "Police and health present", "held_police_and_health", "held"),
        ),
    ),
    Table(
        "attendance",
        "Attendance by agency",
        (
            _count("invited", "Invited", "invited"),
            *(_count(f"attendance-{code}", label, "invited", category=code) for code, label in ATTENDANCE),
            _count("proceeded-without", "Meeting went ahead without them", "proceeded_without"),
            _share("attended-share", "Attended", "invited", "invited", category="attended"),
        ),
        by="agency",
    ),
    Table(
        "decisions",
        "Decisions for each child",
        (
            _count("children-decided", "Children decided for", "children_decided"),
            _share("s47-share", "Leading to a section 47 enquiry", "s47", "children_decided"),
            _share("s47-authorised", "Section 47 authorised within the meeting", "s47_authorised_in_meeting", "s47"),
        ),
    ),
    Table(
        "outcomes",
        "Outcome for each child",
        (
            _count("outcome-children", "Children", "children_decided"),
            _share("outcome-share", "Share of children", "children_decided", "children_decided"),
        ),
        by="category",
        categories=OUTCOMES,
    ),
    Table(
        "minutes",
        "Minutes circulated",
        (
            _count("minutes-due", "Discussions ended", "minutes_due"),
            _count("minutes-circulated", "Minutes circulated", "minutes_circulated"),
            _share("minutes-within-48-hours", "Circulated within 48 hours", "minutes_on_time", decided("minutes")),
            _time("minutes-hours-median", "Median hours to circulation", "minutes_circulated", 50, "hours"),
            _time("minutes-hours-p90", "90th percentile hours", "minutes_circulated", 90, "hours"),
            _count("minutes-overdue", "Not yet circulated and overdue", "minutes_open_overdue"),
        ),
        note="Counted in the month the discussion ended; the clock is the partnership's minutes setting (48 hours). "
        "Within 48 hours is a share of the minutes circulated or past their deadline.",
    ),
    Table(
        "conferences",
        "Conferences and assessments",
        (
            _count("icpc-due", "Conferences due", "icpc_due"),
            _share("icpc-within-15", "Held within 15 working days", "icpc_on_time", decided("icpc")),
            _count("assessment-due", "Assessments due", "assessment_due"),
            _share("assessment-within-45", "Done within 45 working days", "assessment_on_time", decided("assessment")),
        ),
        note="Counted in the month each was first due; a share is of those met or past their deadline.",
    ),
    Table(
        "actions",
        "Actions by lead agency",
        (
            _count("actions-due", "Due", "action_due"),
            _count("actions-on-time", "Completed on time", "action_on_time"),
            _count("actions-late", "Completed late", "action_late"),
            _count("actions-overdue", "Open and overdue", "action_open_overdue"),
            _share("actions-on-time-share", "On time", "action_on_time", decided("action")),
        ),
        by="agency",
        note="Counted in the month each was first due, against that date; on time is a share of those met or past it.",
    ),
    Table(
        "moved",
        "Clocks moved later",
        (
            _count("clocks-moved", "Clocks moved later", "moved_clocks"),
            _count("moves", "Moves", "moves"),
        ),
        by="category",
        categories=MOVER_ROLES,
        heading="Role",
        note="By the role of who moved it last, in the month of the last move.",
    ),
    Table(
        "closed",
        "Cases closed without a discussion held",
        (_count("closed-without-discussion", "Cases closed", "closed_no_discussion"),),
        by="category",
        categories=tuple((o.value, o.label) for o in ClosureOutcome),
    ),
    Table(
        "disagreements",
        "Professional disagreements by stage",
        (
            _count("disagreements-open", "Open", "disagreements_open"),
            _count("disagreements-resolved", "Resolved", "disagreements_resolved"),
            _count("disagreements-withdrawn", "Withdrawn", "disagreements_withdrawn"),
        ),
        by="category",
        categories=tuple((f"stage_{s.value}", f"Stage {s.value}: {s.label.lower()}") for s in StageNumber),
        heading="Stage",
        note="Raised in these months: each at the stage it is open at, or was resolved or withdrawn at (DOMAIN 7).",
    ),
    Table(
        "disagreement-subjects",
        "Professional disagreements by subject",
        (
            _count("disagreements-raised", "Raised", "disagreements"),
            _share("disagreements-share", "Share", "disagreements", "disagreements"),
        ),
        by="category",
        categories=tuple((s.value, s.label) for s in Subject),
        heading="Subject",
    ),
)
MEASURES = {measure.slug: (table, measure) for table in TABLES for measure in table.measures}


@dataclass(frozen=True)
class Filters:
    first: dt.date
    last: dt.date
    agency: Agency | None = None
    urgency: str = ""

    @property
    def urgency_label(self) -> str:
        return Urgency(self.urgency).label if self.urgency else ""

    def months(self) -> list[dt.date]:
        count = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
        return [months_after(self.first, n) for n in range(count)]


def default_range(now: dt.datetime, months: int = 12) -> tuple[dt.date, dt.date]:
    last = month_of(now)
    return months_after(last, -(months - 1)), last


@dataclass
class _Sums:
    """The range's counts: (counter, month, urgency, agency, category) -> count; histograms by (counter, month)."""

    counts: dict[tuple[str, dt.date, str, int | None, str], int] = field(default_factory=dict)
    histograms: dict[tuple[str, dt.date], Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    # The counts by counter and month, made from `counts` (filled once, by _read) when a value is first asked for: a
    # value reads its own counter's rows of its own months, not every count of the range (a page asks for some 500
    # values, most of them for one month; a large partnership has thousands of counts a year).
    _index: dict[str, dict[dt.date, list[tuple[str, int | None, str, int]]]] | None = field(default=None, repr=False)

    def _of(self, counter: str) -> dict[dt.date, list[tuple[str, int | None, str, int]]]:
        if self._index is None:
            self._index = defaultdict(lambda: defaultdict(list))
            for (c, month, u, a, cat), n in self.counts.items():
                self._index[c][month].append((u, a, cat, n))
        return self._index.get(counter, {})

    def total(self, counter: str, part: "Part", category: str = "") -> int:
        """The counter summed over a part of the range (and one category of it, if given)."""
        by_month = self._of(counter)
        return sum(
            n
            for month in set(part.months)
            for u, a, cat, n in by_month.get(month, ())
            if (not part.urgency or u == part.urgency)
            and (part.agency is None or a == part.agency)
            and (not category or cat == category)
        )

    def values(self, counter: str, months: list[dt.date]) -> Counter[int]:
        merged: Counter[int] = Counter()
        for month in months:
            merged.update(self.histograms.get((counter, month), Counter()))
        return merged


def _read(partnership: Partnership, filters: Filters) -> _Sums:
    """One query, the range's cells: their counts summed by (counter, month, urgency, agency, category), and the
    timed counters' histograms merged by (counter, month). Summed here rather than by the database (GROUP BY): a
    key has one cell (cells_rebuild replaces a month's), so grouping was work for nothing on every page view."""
    cells = Cell.objects.filter(partnership=partnership, month__gte=filters.first, month__lte=filters.last)
    if filters.urgency:
        cells = cells.filter(urgency=filters.urgency)
    sums = _Sums()
    rows = cells.values_list("counter", "month", "urgency", "agency_id", "category", "count", "histogram")
    for counter, month, urgency, agency_id, category, count, histogram in rows.order_by():
        if counter in HISTOGRAMS:
            sums.histograms[(counter, month)].update({int(k): v for k, v in (histogram or {}).items()})
        if filters.agency is not None and counter in AGENCY_COUNTERS and agency_id != filters.agency.pk:
            continue
        key = (counter, month, urgency, agency_id, category)
        sums.counts[key] = sums.counts.get(key, 0) + count
    return sums


def nearest_rank(values: Counter[int], percentile: int) -> int | None:
    """The nearest-rank percentile of whole values counted in a histogram (exact: no interpolation, no averaging)."""
    size = sum(values.values())
    if size == 0:
        return None
    rank, seen = max(math.ceil(percentile / 100 * size), 1), 0
    for value in sorted(values):
        seen += values[value]
        if seen >= rank:
            return value
    return None  # pragma: no cover (seen reaches size)


@dataclass(frozen=True)
class Value:
    shown: suppress.Shown
    numerator: int
    denominator: int | None


@dataclass(frozen=True)
class Part:
    """Which part of the range a value is for: some months, and one urgency, agency or category of a breakdown."""

    months: list[dt.date]
    urgency: str = ""
    agency: int | None = None
    category: str = ""


def measure_value(sums: _Sums, measure: Measure, part: Part) -> Value:
    """One measure for one part of the range, suppressed."""
    if measure.percentile:
        values = sums.values(measure.counter, part.months)
        size = sum(values.values())
        return Value(suppress.amount(nearest_rank(values, measure.percentile), size, measure.unit), size, None)
    numerator = sums.total(measure.counter, part, category=part.category or measure.category)
    if measure.of:
        denominator = sum(sums.total(of, part, category=measure.of_category) for of in measure.of.split("+"))
        return Value(suppress.rate(numerator, denominator), numerator, denominator)
    return Value(suppress.count(numerator), numerator, None)


@dataclass(frozen=True)
class Row:
    label: str
    key: str  # the month (YYYY-MM), "all", or the breakdown's code
    values: list[Value]


def _parts(table: Table, filters: Filters, agencies: list[Agency]) -> list[tuple[str, str, Part]]:
    """The rows of a table: (label, key, part)."""
    months = filters.months()
    if table.by == "month":
        return [(f"{m:%B %Y}", f"{m:%Y-%m}", Part([m])) for m in months] + [(TOTAL, "all", Part(months))]
    if table.by == "agency":
        chosen = [a for a in agencies if filters.agency is None or a.pk == filters.agency.pk]
        return [(a.name, str(a.pk), Part(months, agency=a.pk)) for a in chosen]
    if table.by == "urgency":
        return [(u.label, u.value, Part(months, urgency=u.value)) for u in Urgency if filters.urgency in ("", u.value)]
    return [(label, code, Part(months, category=code)) for code, label in table.categories]


@dataclass(frozen=True)
class Report:
    partnership: Partnership
    filters: Filters
    agencies: list[Agency]
    built_at: dt.datetime | None
    sums: _Sums

    def rows(self, table: Table) -> list[Row]:
        return [
            Row(label, key, [measure_value(self.sums, m, part) for m in table.measures])
            for label, key, part in _parts(table, self.filters, self.agencies)
        ]


def report_for(partnership: Partnership, filters: Filters, *, agencies: list[Agency]) -> Report:
    """The partnership's report for the filters (its agencies given, by name): two queries, the range's cells (their
    counts and histograms) and when the oldest of the range's counts was built."""
    built = Cell.objects.filter(partnership=partnership, month__gte=filters.first, month__lte=filters.last).aggregate(
        oldest=Min("built_at")
    )["oldest"]
    return Report(partnership, filters, agencies, built, _read(partnership, filters))
