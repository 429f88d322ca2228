"""The timeliness report in Chromium (issue 29).

analyst.demo follows the header's "Timeliness" link to the report of the demo partnership (a year of months:
seed_demo's invented facts and the demo cases' own), downloads one measure as CSV and finds in it, row by row, the
month and the value the page's table shows; on a 390 px phone the page itself never scrolls sideways (the tables
scroll inside their regions, the charts shrink to the screen). A social worker asking for /reports/ gets the "Page
not found" page and no link to it. axe-core runs on every page.
"""

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.utils.text import slugify
from playwright.sync_api import Browser, Page, expect

from administration.management.commands.seed_demo import PARTNERSHIP
from reports.selectors import TOTAL, default_range
from tests.e2e.gate import ready
from tests.e2e.test_log_referral import sign_in
from tests.e2e.test_phone import OVERFLOW, SCROLLERS

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
# The table, and the measure of it downloaded: a share, with its numerator and denominator.
TABLE, MEASURE, SLUG = "Minutes circulated", "Circulated within 48 hours", "minutes-within-48-hours"

ROWS = """(table) => [...table.querySelectorAll('tbody tr')].map((row) => [
  row.querySelector('th').textContent.trim(),
  ...[...row.querySelectorAll('td')].map((cell) => cell.textContent.trim()),
])"""
HEADERS = """(table) => [...table.querySelectorAll('thead th')].map((cell) => cell.textContent.trim())"""


def _month_key(label: str, whole_range: str) -> str:
    """A row's label in the page ("January 2026", "All months") as the CSV's month column writes it."""
    if label == TOTAL:
        return whole_range
    return dt.datetime.strptime(label, "%B %Y").strftime("%Y-%m")  # noqa: DTZ007 (a month's name, not a moment)


def test_an_analyst_reads_the_report_and_downloads_a_table_that_matches_it(
    page: Page, live_server, demo_data, check_a11y
) -> None:
    base = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, base, "analyst.demo")
    page.goto(f"{base}/")
    page.get_by_role("link", name="Timeliness").click()
    expect(page.get_by_role("heading", name="Timeliness report", level=1)).to_be_visible()
    assert page.url == f"{base}/reports/"
    check_a11y(page, "the timeliness report")

    section = page.locator("section", has=page.get_by_role("heading", name=TABLE, level=2))
    table = section.locator("table")
    headers = table.evaluate(HEADERS)
    column = headers.index(MEASURE)  # the month is column 0, as in each row below
    shown = table.evaluate(ROWS)
    first, last = default_range(demo_data)
    assert len(shown) == 13 and shown[-1][0] == TOTAL  # twelve months and the range's total
    assert [row[0] for row in shown[:-1]][::11] == [f"{first:%B %Y}", f"{last:%B %Y}"]
    assert sum(row[column].endswith("%") for row in shown) >= 10, shown  # the demo's year: mostly shown

    section.get_by_text("Download this table as CSV").click()
    with page.expect_download() as info:
        section.get_by_role("link", name=f"{MEASURE} (CSV)").click()
    download = info.value
    whole_range = f"{first:%Y-%m} to {last:%Y-%m}"
    assert download.suggested_filename == f"{slugify(PARTNERSHIP)}-{SLUG}-{first:%Y-%m}-to-{last:%Y-%m}.csv"
    header, *rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert header == ["month", "agency", "urgency", "breakdown", "numerator", "denominator", "value"]
    assert len(rows) == len(shown)
    for (month, agency, urgency, _by, numerator, denominator, value), row in zip(rows, shown, strict=True):
        assert (month, value) == (_month_key(row[0], whole_range), row[column]), row
        assert (agency, urgency) == ("every agency", "every urgency")
        for count in (numerator, denominator):  # no count from 1 to 4; the others rounded to 5
            assert count == "fewer than 5" or int(count.replace(",", "")) % 5 == 0, (month, count)
    assert errors == []


def test_the_report_fits_a_phone_and_nobody_else_finds_it(
    browser: Browser, browser_context_args, live_server, demo_data, check_a11y
) -> None:
    base = live_server.url
    analyst = browser.new_context(**{**browser_context_args, "viewport": PHONE})
    worker = browser.new_context(**browser_context_args)
    try:
        page = analyst.new_page()
        sign_in(page, base, "analyst.demo")
        page.goto(f"{base}/reports/")
        expect(page.get_by_role("heading", name="Timeliness report", level=1)).to_be_visible()
        assert page.evaluate(OVERFLOW) == [], "the report does not fit a 390 px screen"
        for scroller in page.evaluate(SCROLLERS):  # each table scrolls in a named region a keyboard reaches
            assert scroller["focusable"] and scroller["name"] and scroller["role"] == "region", scroller
        charts = page.locator("svg.app-chart")
        assert charts.count() >= 5
        for box in (charts.nth(i).bounding_box() for i in range(charts.count())):
            assert box is not None and box["width"] <= PHONE["width"], box
        check_a11y(page, "the timeliness report on a phone")

        page = worker.new_page()
        sign_in(page, base, "sw.demo")
        ready(page)  # its scripts have run: a check that something is absent means it
        expect(page.get_by_role("link", name="Timeliness")).to_have_count(0)
        response = page.goto(f"{base}/reports/")
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        check_a11y(page, "the report's address, for a social worker")
    finally:
        analyst.close()
        worker.close()
