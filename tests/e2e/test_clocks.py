"""Moving an overdue clock later, in Chromium, as the team manager (DOMAIN section 1): only they are offered it,
a reason is needed, and the case page then says from when to when, by whom and why. axe-core on every page."""

import re

import pytest
from playwright.sync_api import Page, expect

from referrals.models import Referral
from tests.e2e.test_log_referral import sign_in
from tests.e2e.test_strategy_meeting import sign_out

pytestmark = pytest.mark.e2e


def test_only_the_team_manager_moves_an_overdue_deadline_later_with_a_reason(
    page: Page, live_server, demo_data, check_a11y
) -> None:
    base = live_server.url
    fenwick = Referral.objects.get(people__first_name="Noah")  # its deadline passed with no discussion held
    deadline = fenwick.strategy_discussion_deadline()
    assert deadline.due_at < demo_data

    sign_in(page, base, "sw.demo")
    page.goto(f"{base}/referrals/{fenwick.pk}/")
    expect(page.get_by_role("heading", name="Deadlines")).to_be_visible()
    expect(page.get_by_role("link", name="Move later")).to_have_count(0)
    sign_out(page)

    sign_in(page, base, "tm.demo")
    page.goto(f"{base}/referrals/{fenwick.pk}/")
    page.get_by_role("link", name="Move later").first.click()
    expect(page.get_by_role("heading", name="Move a deadline later")).to_be_visible()
    check_a11y(page, "move a deadline later")
    page.get_by_role("button", name="Move the deadline later").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Give the reason for moving the deadline later")
    expect(page).to_have_title(re.compile("^Error: Move a deadline later"))  # a screen reader hears it first
    check_a11y(page, "move a deadline later, with errors")
    page.get_by_label("Day").fill("4")
    page.get_by_label("Month").fill("12")
    page.get_by_label("Year").fill("2026")
    page.get_by_label("New time it is due").fill("12:00")
    page.get_by_label("Why is it moved later?").fill("Noah is staying with his grandmother abroad until Friday.")
    page.get_by_role("button", name="Move the deadline later").click()
    expect(page.get_by_role("heading", name="Deadlines")).to_be_visible()
    expect(page.locator("#deadlines + .app-table-scroll table")).to_contain_text(
        "to 4 Dec 2026 12:00 by Tara Mendes because Noah is staying with his grandmother abroad until Friday."
    )
    check_a11y(page, "case page with a moved deadline")
    deadline.refresh_from_db()
    assert (deadline.times_moved, deadline.original_due_at < deadline.due_at) == (1, True)
