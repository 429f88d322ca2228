"""The report's page and CSVs (issue 29): who reads them, what a CSV holds (the table's rows, suppressed alike),
bad filters, no link to a case, and a page whose cost does not grow with the partnership's cases."""

import csv
import datetime as dt
import io
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import RoleCode
from core.timescales import LONDON
from referrals.models import DeadlineState, Urgency
from reports.cells import cells_rebuild
from reports.models import Fact, FactKind
from tests.conftest import _client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 15, 12, 0, tzinfo=LONDON)
LAST_MONTH = dt.date(2026, 11, 1)


def _facts(world, month: dt.date, *, discussions: int, on_time: int, referrals: int = 0) -> None:
    """Discussions held in `month` (the first `on_time` within their timescale), as the task would have built them."""
    partnership = world["partnership"]
    due = dt.datetime(month.year, month.month, 20, 17, 0, tzinfo=LONDON)
    facts = [
        Fact(
            partnership=partnership,
            kind=FactKind.DISCUSSION,
            month=month,
            urgency=Urgency.STANDARD,
            state=DeadlineState.MET,
            due_at=due,
            on_time=n < on_time,
            hours=20 + n,
            working_days=1 + n % 3,
            police_present=True,
            health_present=n % 2 == 0,
            flag=False,
        )
        for n in range(discussions)
    ]
    facts += [
        Fact(partnership=partnership, kind=FactKind.REFERRAL, month=month, urgency=Urgency.STANDARD)
        for _ in range(referrals)
    ]
    Fact.objects.bulk_create(facts)
    cells_rebuild(partnership.pk, [month], now=NOW)


@pytest.fixture
def analyst(world):
    with time_machine.travel(NOW, tick=False):
        yield _client_for(world["analyst"])


def _table(html: str, slug: str) -> list[list[str]]:
    """The rows of one table of the page, as the cells' text."""
    section = html.split(f'id="{slug}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", section, re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in rows
    ]


def test_the_analyst_reads_the_months_with_counts_rounded_and_small_ones_suppressed(world, analyst):
    _facts(world, LAST_MONTH, discussions=13, on_time=8, referrals=22)
    _facts(world, dt.date(2026, 10, 1), discussions=3, on_time=3)
    html = analyst.get("/reports/").content.decode()
    rows = {row[0]: row for row in _table(html, "discussions")[1:]}
    assert rows["November 2026"][1:4] == ["20", "15", "62%"]  # 22 and 13 rounded; 8 of 13 from the counts as they are
    assert rows["October 2026"][2:4] == ["fewer than 5", "withheld"]
    assert rows["All months"][2] == "15"  # 16 held in all: 15, never "13 + 3"
    assert "Counted at" in html


def test_a_csv_is_the_table_shown_for_its_measure_named_by_partnership_and_range(world, analyst):
    _facts(world, LAST_MONTH, discussions=13, on_time=8, referrals=22)
    html = analyst.get("/reports/").content.decode()
    shown = _table(html, "discussions")
    column = shown[0].index("Held within timescale")
    response = analyst.get("/reports/held-within-timescale.csv")
    assert response["Content-Type"].startswith("text/csv")
    disposition = response["Content-Disposition"]
    assert disposition == 'attachment; filename="invented-partnership-held-within-timescale-2026-01-to-2026-12.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["value"] for r in rows] == [row[column] for row in shown[1:]]
    november = next(r for r in rows if r["month"] == "2026-11")
    assert (november["numerator"], november["denominator"], november["value"]) == ("10", "15", "62%")
    assert rows[-1]["month"] == "2026-01 to 2026-12"
    assert {r["agency"] for r in rows} == {"every agency"} and {r["urgency"] for r in rows} == {"every urgency"}


def test_a_head_of_service_of_another_agency_reads_it_too(world):
    lead = UserFactory(username="police_lead", agency=world["police_agency"], roles=[RoleCode.HEAD_OF_SERVICE])
    with time_machine.travel(NOW, tick=False):
        assert _client_for(lead).get("/reports/").status_code == 200


def test_bad_filters_are_named_in_the_error_summary_and_kept(world, analyst):
    response = analyst.get("/reports/", {"first": "2026-11", "last": "2026-02", "urgency": "unknown"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in html
    assert "The last month must be the same as or after the first month" in html
    assert "Select an urgency from the list" in html
    assert '<option value="2026-11" selected>' in html
    assert 'id="discussions"' not in html  # no tables from filters that do not make sense


def test_an_agency_alone_in_the_address_is_a_whole_filter_over_the_default_months(world, analyst):
    """A walk of `make run` found `?agency=...` alone answered "This field is required." for the months."""
    response = analyst.get("/reports/", {"agency": world["police_agency"].pk})
    html = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" not in html
    assert f"{world['police_agency'].name}, every urgency." in html and 'id="discussions"' in html


def test_an_unknown_measure_or_bad_filters_give_no_csv(world, analyst):
    assert analyst.get("/reports/no-such-measure.csv").status_code == 404
    assert analyst.get("/reports/held-within-timescale.csv", {"first": "1999-01"}).status_code == 404


def test_no_page_of_the_report_links_to_a_case(world, analyst):
    _facts(world, LAST_MONTH, discussions=13, on_time=9, referrals=22)
    html = analyst.get("/reports/").content.decode()
    assert not re.search(r'href="/referrals/\d', html)
    assert not re.search(r'href="/(discussions|actions|minutes)/\d', html)


def test_the_page_costs_the_same_queries_however_many_months_and_cases(world, analyst):
    _facts(world, LAST_MONTH, discussions=5, on_time=5)
    analyst.get("/reports/")  # the session and caches warm
    with CaptureQueriesContext(connection) as few:
        assert analyst.get("/reports/").status_code == 200
    for month in range(1, 11):
        _facts(world, dt.date(2026, month, 1), discussions=40, on_time=30, referrals=60)
    with CaptureQueriesContext(connection) as many:
        assert analyst.get("/reports/").status_code == 200
    assert len(many) == len(few)
    cells = [q["sql"] for q in many.captured_queries if "reports_cell" in q["sql"]]
    assert len(cells) == 2  # the range's cells (counts and histograms), and when the oldest was built
    assert not any("reports_fact" in q["sql"] or "referrals_referral" in q["sql"] for q in many.captured_queries)


def test_the_charts_are_drawn_from_the_tables_numbers_and_the_minutes_against_48_hours(world, analyst):
    _facts(world, LAST_MONTH, discussions=13, on_time=8, referrals=22)
    html = analyst.get("/reports/").content.decode()
    held = html.split('id="chart-discussions-0-title"', 1)[1].split("</svg>", 1)[0]
    assert ">62%<" in held  # November's bar carries the table's value
    assert "fewer than 5" not in held and ">none<" in held  # months with nothing held draw no bar, and say so
    minutes = html.split('id="chart-minutes-0-title"', 1)[1].split("</svg>", 1)[0]
    assert "48 hours" in minutes
    assert html.count('role="img"') == sum(1 for _ in re.finditer(r'<svg[^>]*class="app-chart"', html)) >= 7
