"""Working an overdue action in Chromium, then the team manager's view of their team's deadlines.

police.demo sees the red overdue count in the header, finds the overdue police actions in "My
agency's actions", marks one done (a completion note is needed first), and it leaves the overdue
list; tm.demo opens the deadlines dashboard and sees sw.demo's deadlines on the "My team's" tab.
axe-core runs on every page visited.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from actions.models import Action, ActionStatus
from actions.selectors import overdue_deadlines
from agencies.models import User
from referrals.models import DeadlineState
from tests.e2e.gate import ready
from tests.e2e.test_log_referral import sign_in
from tests.e2e.test_strategy_meeting import sign_out

pytestmark = pytest.mark.e2e

OVERDUE_POLICE_ACTION = "Visit the home with the social worker and check who lives at and visits the address"


def header_count(page: Page):
    return page.locator(".govuk-service-navigation").get_by_role("link", name=re.compile(r"^Deadlines"))


def test_police_mark_an_overdue_action_done_and_the_team_manager_sees_the_team(
    page: Page, live_server, demo_data, check_a11y
) -> None:
    base = live_server.url
    now = demo_data
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    police = User.objects.get(username="police.demo")
    action = Action.objects.select_related("deadline").get(what=OVERDUE_POLICE_ACTION)
    assert action.status == ActionStatus.OPEN and action.due_at < now and action.person == police
    overdue = overdue_deadlines(police, now).count()
    assert overdue >= 1

    # The header shows police.demo's overdue deadlines in red.
    sign_in(page, base, "police.demo")
    deadlines_link = header_count(page)
    expect(deadlines_link).to_have_accessible_name(f"Deadlines {overdue} overdue")
    expect(deadlines_link.locator(".govuk-tag--red")).to_have_text(f"{overdue} overdue")

    # Actions, then the agency's actions: the overdue ones lead.
    page.locator(".govuk-service-navigation").get_by_role("link", name="Actions", exact=True).click()
    expect(page.get_by_role("heading", name="My actions", level=1)).to_be_visible()
    page.get_by_role("link", name="My agency's actions").click()
    expect(page.get_by_role("heading", name="My agency's actions", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=OVERDUE_POLICE_ACTION)).to_be_visible()
    check_a11y(page, "my agency's actions")

    page.get_by_label("Due", exact=True).select_option(label="Overdue")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"due=overdue"))
    table = page.get_by_role("table")
    police_overdue = Action.objects.filter(
        lead_agency=police.agency, status__in=[ActionStatus.OPEN, ActionStatus.IN_PROGRESS], due_at__lt=now
    ).count()
    expect(table.locator("caption")).to_contain_text(f"{police_overdue} action")
    expect(table.locator("tbody tr")).to_have_count(police_overdue)
    expect(table.locator("tbody .govuk-tag--red")).to_have_count(police_overdue)
    check_a11y(page, "my agency's overdue actions")

    page.get_by_role("link", name=OVERDUE_POLICE_ACTION).click()
    expect(page.get_by_role("heading", name="Action", level=1)).to_be_visible()
    expect(page.locator(".govuk-summary-list")).to_contain_text("Overdue")
    check_a11y(page, "an overdue action")

    # Done needs a completion note: the GOV.UK error summary, linked to the field.
    page.get_by_role("radio", name="Done").check()
    page.get_by_role("button", name="Save the status").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Say what was done: a completion note is needed")
    check_a11y(page, "the action with an error")
    summary.get_by_role("link", name="Say what was done: a completion note is needed").click()
    note = page.get_by_label("Completion note, or the reason it is cancelled")
    expect(note).to_be_focused()
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN

    page.get_by_role("radio", name="Done").check()
    note.fill("Visited with the social worker: Megan Wren and Jacob live there; two visitors named and checked.")
    page.get_by_role("button", name="Save the status").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Action marked done")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Done late")
    ready(page)  # its scripts have run: a check that something is absent means it
    expect(page.get_by_role("button", name="Save the status")).to_have_count(0)
    expect(header_count(page)).to_have_accessible_name(
        f"Deadlines {overdue - 1} overdue" if overdue > 1 else "Deadlines"
    )
    check_a11y(page, "the action marked done")

    # Back to the agency's overdue actions: it is no longer listed.
    page.locator(".govuk-service-navigation").get_by_role("link", name="Actions", exact=True).click()
    page.get_by_role("link", name="My agency's actions").click()
    page.get_by_label("Due", exact=True).select_option(label="Overdue")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"due=overdue"))
    ready(page)  # its scripts have run: a check that something is absent means it
    expect(page.get_by_role("link", name=OVERDUE_POLICE_ACTION)).to_have_count(0)
    if police_overdue > 1:
        expect(page.get_by_role("table").locator("tbody tr")).to_have_count(police_overdue - 1)
    else:
        expect(page.get_by_text("No actions match.")).to_be_visible()
    check_a11y(page, "my agency's overdue actions, one done")
    sign_out(page)

    # The team manager: the deadlines dashboard, then their team's (sw.demo's) deadlines.
    sign_in(page, base, "tm.demo")
    page.locator(".govuk-service-navigation").get_by_role("link", name=re.compile(r"^Deadlines")).click()
    expect(page.get_by_role("heading", name="Deadlines", level=1)).to_be_visible()
    check_a11y(page, "the deadlines dashboard")
    page.get_by_role("navigation", name="Whose deadlines").get_by_role("link", name="My team's").click()
    expect(page).to_have_url(re.compile(r"tab=team"))
    expect(page.get_by_role("navigation", name="Whose deadlines").locator("[aria-current=page]")).to_have_text(
        "My team's"
    )
    table = page.get_by_role("table")
    expect(table).to_contain_text("Sam Walker")
    team_overdue = table.locator("tbody tr").filter(
        has=page.get_by_role("link", name=re.compile("Agree a written safety plan with Megan Wren"))
    )
    expect(team_overdue.locator(".govuk-tag--red")).to_have_text("Overdue")
    expect(table.locator("tbody .govuk-tag--orange").first).to_be_visible()  # one of sw.demo's is due soon
    check_a11y(page, "my team's deadlines")

    action.refresh_from_db()
    action.deadline.refresh_from_db()
    assert action.status == ActionStatus.DONE and action.completion_note.startswith("Visited with the social worker")
    assert action.deadline.state == DeadlineState.MET and action.deadline.met_by == "Action done"
    assert action.deadline.met_at > action.deadline.due_at  # done late
    assert action.history.first().history_user == police
    assert errors == [], f"JavaScript errors: {errors}"
