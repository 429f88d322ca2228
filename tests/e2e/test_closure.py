"""Closing a case in Chromium, then circulating the minutes of a closed case.

tm.demo closes the demo's unborn Caldwell case (no discussion held) through the page: without an
outcome, and then with an outcome other than "threshold not met at referral", the page says why and
keeps the reason typed; with it, the case closes, read-only, showing its outcome and reason.
admin.demo then opens the minutes of the demo's closed Penrose case (approved, never circulated),
sees them sent to none of the required recipients (every invitee), and circulates them: the 48-hour clock, which
closing left running, is met (late). axe-core runs on every page visited.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from referrals.models import DeadlineState, Referral, ReferralStatus
from strategy.models import Discussion
from tests.e2e.gate import ready
from tests.e2e.test_log_referral import sign_in

pytestmark = pytest.mark.e2e

REASON = "Invented: the mother has moved to another area and the unborn baby's case is not for us."


def test_a_team_manager_closes_a_case_and_business_support_circulates_minutes_after_closure(
    page: Page, live_server, demo_data, check_a11y, mailoutbox
) -> None:
    base = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    caldwell = Referral.objects.get(people__last_name="Caldwell", people__kind="child")

    sign_in(page, base, "tm.demo")
    page.goto(f"{base}/referrals/{caldwell.pk}/")
    check_a11y(page, "the case page")
    page.get_by_role("link", name="Close the case").click()
    expect(page.get_by_role("heading", name="Close the case", level=1)).to_be_visible()
    check_a11y(page, "the close page")

    page.get_by_label("Reason for closing the case").fill(REASON)
    page.get_by_role("button", name="Close the case").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select the outcome of the case")
    expect(page.get_by_label("Reason for closing the case")).to_have_value(REASON)
    check_a11y(page, "the close page with an error")

    page.get_by_label("Early help").check()
    page.get_by_role("button", name="Close the case").click()
    expect(summary).to_contain_text("the only outcome is threshold not met at referral")
    expect(page.get_by_label("Reason for closing the case")).to_have_value(REASON)
    expect(page.get_by_label("Early help")).to_be_checked()

    page.get_by_label("Threshold not met at referral").check()
    page.get_by_role("button", name="Close the case").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"Case {caldwell.reference} closed")
    expect(page.locator(".govuk-inset-text").first).to_contain_text("threshold not met at referral")
    expect(page.get_by_text(REASON)).to_be_visible()
    ready(page)  # its scripts have run: a check that something is absent means it
    expect(page.get_by_role("link", name="Edit referral")).to_have_count(0)
    expect(page.get_by_role("link", name="Reopen the case")).to_be_visible()
    check_a11y(page, "the closed case page")
    caldwell.refresh_from_db()
    assert (caldwell.status, caldwell.closure_outcome) == (ReferralStatus.CLOSED, "threshold_not_met")
    page.get_by_role("button", name="Sign out").click()

    penrose = Discussion.objects.select_related("referral", "minutes_deadline").get(referral__people__first_name="Isla")
    assert penrose.referral.status == ReferralStatus.CLOSED
    assert penrose.minutes_deadline.state == DeadlineState.OPEN  # closing left the minutes' clock running
    required = penrose.recipients.filter(removed_at=None).count()  # every invitee; Isla has no GP or school recorded
    assert required >= 3
    sign_in(page, base, "admin.demo")
    page.goto(f"{base}/referrals/{penrose.referral.pk}/")
    page.get_by_role("link", name=re.compile("^Open the discussion")).first.click()
    page.get_by_role("link", name="Minutes: download and circulate").click()
    expect(page.locator("#circulation-progress")).to_contain_text(f"Sent to 0 of {required} required recipients")
    check_a11y(page, "the minutes page of a closed case")

    seeded = len(mailoutbox)
    page.get_by_role("button", name="Circulate version 1").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"Version 1 of the minutes is sent to {required}"
    )
    expect(page.locator("#circulation-progress")).to_contain_text(
        f"Sent to {required} of {required} required recipients"
    )
    expect(page.locator(".govuk-summary-list").first).to_contain_text("late")
    check_a11y(page, "the minutes page after circulating after closure")
    penrose.minutes_deadline.refresh_from_db()
    assert penrose.minutes_deadline.state == DeadlineState.MET and penrose.minutes_deadline.met_late
    assert len(mailoutbox) - seeded == required  # one email per recipient, after those the demo itself sent
    assert errors == []
