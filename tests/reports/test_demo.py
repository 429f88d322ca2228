"""The demo's year of report data (issue 29): the demo partnership's report for the last 12 months has a value for
every measure, most of its monthly cells are 5 or more (shown, not suppressed), and seeding again changes nothing.

The demo is seeded at the moment the other demo tests use: seeded once, then copied back (tests/demo_snapshot.py).
"""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from administration.management.commands.seed_demo import PARTNERSHIP
from agencies.models import Agency, Partnership
from core.timescales import LONDON, month_of, months_after
from referrals.models import ClosureOutcome, DeadlineState, Referral, ReferralStatus, Urgency
from reports import suppress
from reports.models import Cell, Fact, FactKind
from reports.selectors import TABLES, TOTAL, Filters, Report, default_range, report_for

pytestmark = pytest.mark.django_db

SEEDED_AT = dt.datetime(2026, 12, 2, 10, 30, tzinfo=LONDON)
# "Most" monthly cells: at least this share of the month rows' cells of the tables by month (the current month,
# two days old at SEEDED_AT, counts against it).
MOST = 0.75


@pytest.fixture
def demo(settings, demo_at) -> Partnership:
    settings.DEBUG = True
    demo_at(SEEDED_AT)
    return Partnership.objects.get(name=PARTNERSHIP)


def _report(partnership: Partnership) -> Report:
    agencies = list(Agency.objects.filter(partnership=partnership).order_by("name"))
    return report_for(partnership, Filters(*default_range(SEEDED_AT)), agencies=agencies)


def test_every_measure_of_the_last_12_months_has_a_value(demo):
    report = _report(demo)
    assert report.filters.months()[0] == months_after(month_of(SEEDED_AT), -11)
    for table in TABLES:
        rows = report.rows(table)
        for index, measure in enumerate(table.measures):
            # The range's total: the "All months" row of a table by month, any row of a breakdown.
            totals = [rows[-1]] if table.by == "month" else rows
            if table.by == "month":
                assert rows[-1].label == TOTAL
            values = [row.values[index] for row in totals]
            assert any(v.numerator > 0 and v.shown.text != suppress.NO_DATA for v in values), (table.slug, measure)
    by_urgency = report.rows(next(t for t in TABLES if t.slug == "urgency"))
    assert {row.key for row in by_urgency if row.values[0].numerator >= 5} == set(Urgency.values)
    actions = report.rows(next(t for t in TABLES if t.slug == "actions"))
    assert len([row for row in actions if row.values[0].numerator >= 5]) >= 4  # led by several agencies
    attendance = report.rows(next(t for t in TABLES if t.slug == "attendance"))
    assert len([row for row in attendance if row.values[0].numerator >= 5]) >= 3


def test_most_monthly_cells_are_5_or_more(demo):
    report = _report(demo)
    cells = good = 0
    for table in (t for t in TABLES if t.by == "month"):
        for row in report.rows(table):
            if row.label == TOTAL:
                continue
            for measure, value in zip(table.measures, row.values, strict=True):
                cells += 1
                if measure.of or measure.percentile:
                    good += value.shown.text not in (suppress.WITHHELD, suppress.NO_DATA)
                else:
                    good += value.numerator >= 5
    assert cells == 12 * sum(len(t.measures) for t in TABLES if t.by == "month")
    assert good >= MOST * cells, f"{good} of {cells} monthly cells are 5 or more"


def test_the_invented_facts_carry_what_each_kind_means(demo):
    """As reports/facts.py builds them from a case: a clock's `on_time` only once met, minutes' hours only once
    circulated, an agency only where the kind has one, the discussion's times always."""
    invented = list(Fact.objects.filter(partnership=demo, referral_id=None))
    assert {f.kind for f in invented} == set(FactKind.values)
    agencies = set(Agency.objects.filter(partnership=demo).values_list("pk", flat=True))
    for fact in invented:
        clock = fact.kind in (FactKind.MINUTES, FactKind.ICPC, FactKind.ASSESSMENT, FactKind.ACTION)
        assert (fact.on_time is not None) == (fact.state == DeadlineState.MET or fact.kind == FactKind.DISCUSSION)
        assert (fact.due_at is not None) == (clock or fact.kind == FactKind.DISCUSSION), fact
        if clock:
            assert fact.month == month_of(fact.due_at) or fact.kind == FactKind.MINUTES
        if fact.kind == FactKind.MINUTES:
            assert (fact.hours is not None) == (fact.state == DeadlineState.MET)
        if fact.kind == FactKind.DISCUSSION:
            assert fact.hours is not None and fact.working_days is not None and fact.state == DeadlineState.MET
        if fact.kind in (FactKind.INVITATION, FactKind.ACTION, FactKind.DISAGREEMENT):
            assert fact.agency_id in agencies, fact  # a disagreement's: the raiser's
        elif fact.kind != FactKind.REFERRAL:  # a referral's agency is the referrer's, if any
            assert fact.agency_id is None, fact
    closed = {f.category for f in invented if f.kind == FactKind.CLOSED}
    assert closed == {ClosureOutcome.THRESHOLD_NOT_MET}  # the only outcome with no discussion held


def _facts() -> list[tuple]:
    fields = [f.attname for f in Fact._meta.concrete_fields if f.attname != "id"]
    return sorted(Fact.objects.values_list(*fields), key=repr)


def _cells() -> list[tuple]:
    fields = [f.attname for f in Cell._meta.concrete_fields if f.attname != "id"]
    return sorted(Cell.objects.values_list(*fields), key=repr)


def test_seeding_again_gives_the_same_facts_and_counts(demo):
    facts, cells = _facts(), _cells()
    invented = Fact.objects.filter(partnership=demo, referral_id=None)
    first = months_after(month_of(SEEDED_AT), -12)
    assert invented.count() > 12 * 300
    assert set(invented.values_list("month", flat=True)) == {months_after(first, n) for n in range(13)}
    # The demo cases' own facts were built too, from the history tables, one referral fact per case.
    cases = Referral.objects.filter(partnership=demo).exclude(status=ReferralStatus.DRAFT)
    built = Fact.objects.filter(partnership=demo, kind="referral").exclude(referral_id=None)
    assert sorted(built.values_list("referral_id", flat=True)) == sorted(cases.values_list("pk", flat=True))

    call_command("seed_demo", now=SEEDED_AT.isoformat(), stdout=io.StringIO())

    assert _facts() == facts
    assert _cells() == cells
