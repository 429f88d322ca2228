"""What the family is told, in Chromium: tm.demo records the family summary on the meeting page and approves it.

tm.demo opens the demo's held discussion about the injured infant (Jacob), where nothing has been decided for the
family yet: the page says nothing is shared. A first save with the date missing is refused with a GOV.UK error
summary and keeps what was typed; the second saves in the background (htmx). On the minutes page the record has a
family summary to approve; approving it gives version 1 with its family summary PDF. axe-core runs on each page.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from core.timescales import to_local
from minutes.models import Kind
from strategy.models import Discussion, FamilySummary, Trigger
from tests.e2e.test_log_referral import sign_in

pytestmark = pytest.mark.e2e


def test_the_chair_records_what_the_family_is_told(page: Page, live_server, demo_data, check_a11y) -> None:
    base = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    discussion = (
        Discussion.objects.select_related("referral")
        .exclude(trigger=Trigger.PROFESSIONAL_DISAGREEMENT)  # the held one, not the one to resolve a disagreement
        .get(referral__people__first_name="Jacob")
    )
    assert not FamilySummary.objects.filter(discussion=discussion).exists()
    told_on = to_local(demo_data).date()

    sign_in(page, base, "tm.demo")
    page.goto(f"{base}/discussions/{discussion.pk}/#family")
    section = page.locator("section#family")
    expect(section).to_contain_text("Nothing is shared with the family until the chair decides")
    check_a11y(page, "the meeting page, family not yet decided")

    section.get_by_role("radio", name="Tell the family now").check()
    section.get_by_label("What will be shared with the family").fill(
        "Invented: we are making enquiries to understand how Jacob was hurt, and will visit you this week."
    )
    section.get_by_label("Who will tell them").fill("Sam Walker, social worker")
    section.get_by_role("checkbox", name="The date of the discussion").check()
    section.get_by_role("button", name="Save what the family is told").click()
    section = page.locator("section#family")
    expect(section.locator(".govuk-error-summary")).to_contain_text("Enter the date the family will be told")
    expect(section.get_by_label("Who will tell them")).to_have_value("Sam Walker, social worker")
    check_a11y(page, "the family section with an error")

    group = section.get_by_role("group", name="Date they will be told")
    group.get_by_label("Day").fill(str(told_on.day))
    group.get_by_label("Month").fill(str(told_on.month))
    group.get_by_label("Year").fill(str(told_on.year))
    section.get_by_role("button", name="Save what the family is told").click()
    expect(page.locator("section#family")).to_contain_text(re.compile(r"What the family is told saved at \d\d:\d\d"))
    expect(page.locator("section#family")).to_contain_text("Shared with the family")
    check_a11y(page, "the meeting page with the family summary")
    summary = FamilySummary.objects.get(discussion=discussion)
    assert summary.shares and summary.told_on == told_on and summary.recorded_by.username == "tm.demo"
    assert summary.include_date and not summary.include_names

    page.goto(f"{base}/discussions/{discussion.pk}/minutes/")
    expect(page.locator("#family-document")).to_contain_text("A family summary is recorded")
    page.get_by_role("button", name=re.compile("^Approve the record as version 1")).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Version 1 of the minutes is approved")
    expect(page.get_by_role("link", name=re.compile("^Family summary 1"))).to_be_visible()
    check_a11y(page, "the minutes page with a family summary")
    version = discussion.minutes_versions.get()
    assert version.snapshot["sections"]["family"]["shares"]
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("^Family summary 1")).click()
    assert info.value.suggested_filename == f"{discussion.referral.reference}-family-summary-v1.pdf"
    assert {d.kind for d in version.documents.all()} >= {Kind.SUMMARY}
    assert errors == []
