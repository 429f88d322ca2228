"""A social worker signs in, logs a referral with two children, and sees it listed with its deadline."""

import datetime as dt
import re
import time

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from administration.management.commands.seed_demo import DEMO_TOTP_KEY
from agencies.models import User
from core.timescales import LONDON
from referrals.models import Referral
from referrals.services import referral_draft_start
from tests.e2e import clock
from tests.e2e.gate import ready

pytestmark = pytest.mark.e2e


def sign_in(page: Page, base: str, username: str) -> None:
    """Password, then (for the demo managers and administrator) the code of the demo authenticator; lands on the
    referral list (the home page, "/", is each user's work queues)."""
    page.goto(f"{base}/referrals/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo-pass-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if "/sign-in/code/" not in page.url:
        return
    totp = TOTP(bytes.fromhex(DEMO_TOTP_KEY))
    # A code is used once: signing in again within 30 seconds takes the next one (the server accepts one step on);
    # a third time within the minute waits for the next step, as a person at their phone would (the server's
    # clock is moved on to it rather than slept through: tests/e2e/clock.py).
    for step in (0, 1, 1):
        if step and totp.t() >= TOTP(bytes.fromhex(DEMO_TOTP_KEY)).t() + 1:
            clock.wait(30 - time.time() % 30 + 1)
        totp.time = time.time() + 30 * step
        page.get_by_label("Code").fill(f"{totp.token():06d}")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
        if "/sign-in/code/" not in page.url:
            return
    raise AssertionError(f"the demo code was refused for {username}")


def fill_child(page: Page, number: int, first: str, last: str, born: dt.date, school: str = "") -> None:
    group = page.locator("fieldset.app-person", has=page.get_by_text(f"Child {number}", exact=True))
    group.get_by_label("First name").fill(first)
    group.get_by_label("Last name").fill(last)
    born_group = group.get_by_role("group", name="Date of birth", exact=True)
    born_group.get_by_label("Day").fill(str(born.day))
    born_group.get_by_label("Month").fill(str(born.month))
    born_group.get_by_label("Year").fill(str(born.year))
    if school:
        group.get_by_label("Education", exact=True).select_option("on_roll")
        group.get_by_label("School, nursery or college").fill(school)


LONG_SCHOOL = "St Bartholomew's Church of England Voluntary Aided Primary School"


def no_page_overflow(page: Page) -> bool:
    """Nothing wider than the screen outside a scroll container (a 375 px phone)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_social_worker_logs_a_referral_with_two_children(
    page: Page, live_server, seed_demo_at, check_a11y, artifacts
) -> None:
    """The referral form as a task list (issue 25, item 6): start with when it was received and its urgency (the
    clock starts), fill the tasks as a saved draft, submit, and see every problem of the form in one round."""
    # The server's clock (same process) reads Tuesday 24 November 2026, noon, and ticks on from there;
    # the demo data is seeded from that moment, so its overdue referral is overdue then.
    seed_demo_at(dt.datetime(2026, 11, 24, 12, 0, tzinfo=LONDON))
    base = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, base, "sw.demo")
    navigation = page.locator(".govuk-service-navigation")
    navigation.get_by_role("link", name="Your work").click()
    expect(page.get_by_role("heading", name="Your work", level=1)).to_be_visible()
    check_a11y(page, "the home page of work queues")
    navigation.get_by_role("link", name="Referrals").click()
    expect(page.get_by_role("heading", name="Referrals")).to_be_visible()
    check_a11y(page, "the referral list")

    page.get_by_role("button", name="Log a referral").click()
    expect(page.get_by_role("heading", name="Log a referral")).to_be_visible()
    check_a11y(page, "the start of a referral")

    # Starting with nothing: the GOV.UK error summary, linked to the fields.
    page.get_by_role("button", name="Start referral").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the date received")
    expect(summary).to_contain_text("Select the urgency")
    check_a11y(page, "the start of a referral with errors")
    summary.get_by_role("link", name="Enter the date received").click()
    expect(page.get_by_role("group", name="Date received").get_by_label("Day")).to_be_focused()

    received = dt.datetime(2026, 11, 23, 9, 45, tzinfo=LONDON)  # Monday
    date_group = page.get_by_role("group", name="Date received")
    date_group.get_by_label("Day").fill(str(received.day))
    date_group.get_by_label("Month").fill(str(received.month))
    date_group.get_by_label("Year").fill(str(received.year))
    page.get_by_label("Time received").fill("09:45")
    page.get_by_role("radio", name="Any other significant-harm concern").check()
    page.get_by_role("button", name="Start referral").click()

    # The draft's task list, its clock running from when it was received (DOMAIN section 3: Thursday 17:00).
    draft = Referral.objects.latest("pk")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Draft referral {draft.reference}")
    expect(page.locator(".app-deadline")).to_contain_text("Thursday 26 November 2026, 17:00")
    expect(page.locator(".govuk-task-list__item")).to_have_count(6)
    check_a11y(page, "the task list of a draft")

    # Submitting now: every problem of the form in one round, each naming its task and linking to its field.
    page.get_by_role("button", name="Submit referral").click()
    summary = page.locator(".govuk-error-summary")
    for problem in (
        "When it was received and who referred: Enter the name of the person who made the referral",
        "The concern: Select at least one concern category",
        "The concern: Describe the concern",
        "Children: Add at least one child",
    ):
        expect(summary).to_contain_text(problem)
    check_a11y(page, "the task list with every problem")
    summary.get_by_role("link", name="Children: Add at least one child").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Children")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Add at least one child")
    check_a11y(page, "the children task with its problem")
    fill_child(page, 1, "Ellis", "Quarrington", dt.date(2016, 6, 14), school=LONG_SCHOOL)
    page.get_by_role("button", name="Add another child").click()
    expect(page.get_by_text("Child 2", exact=True)).to_be_visible()
    expect(page.locator("#id_children-1-first_name")).to_be_focused()
    # What was typed before "Add another child" is still there.
    expect(page.locator("#id_children-0-education_setting")).to_have_value(LONG_SCHOOL)
    fill_child(page, 2, "Sky", "Quarrington", dt.date(2019, 2, 3), school=LONG_SCHOOL)
    page.set_viewport_size({"width": 375, "height": 800})
    assert no_page_overflow(page), "the children task is wider than a phone"
    check_a11y(page, "the children task on a phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Children: saved in the draft")

    # Another day, the draft is where it was left: the user comes back to it from the list.
    page.get_by_role("link", name="Referrals", exact=True).click()
    page.get_by_role("link", name=f"Draft {draft.reference}: Ellis Quarrington, Sky Quarrington").click()
    expect(page.locator("#task-children-status")).to_have_text("Completed")

    page.get_by_role("link", name="When it was received and who referred").click()
    check_a11y(page, "the details task")
    page.get_by_label("Referrer's name").fill("Invented Teacher")
    page.get_by_label("Or, if not an agency of the partnership").fill("Invented Primary School")
    # Enter in a text field saves the task.
    page.get_by_label("Referrer's contact details").press("Enter")
    expect(page.locator("#task-details-status")).to_have_text("Completed")

    page.get_by_role("link", name="The concern").click()
    page.get_by_role("checkbox", name="Neglect", exact=True).check()
    page.get_by_role("checkbox", name="Emotional abuse", exact=True).check()
    page.get_by_label("The concern", exact=True).fill("Invented concern: the children are often left alone overnight.")
    check_a11y(page, "the concern task")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_role("link", name="Urgency and immediate action").click()
    # The immediate action questions are revealed only when the box is ticked.
    agency = page.get_by_label("Which agency took the action")
    ready(page)  # its scripts have run: a check that something is absent means it
    expect(agency).to_be_hidden()
    page.get_by_label("An agency has already taken immediate protective action").check()
    expect(agency).to_be_visible()
    check_a11y(page, "the urgency task")
    page.get_by_label("An agency has already taken immediate protective action").uncheck()
    page.get_by_role("button", name="Save and continue").click()

    page.set_viewport_size({"width": 375, "height": 800})
    assert no_page_overflow(page), "the task list is wider than a phone"
    check_a11y(page, "the task list on a phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("button", name="Submit referral").click()

    expect(page.locator(".govuk-notification-banner")).to_contain_text("logged")
    referral = Referral.objects.get(pk=draft.pk)
    assert referral.status == "awaiting_discussion"
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ellis Quarrington, Sky Quarrington")
    expect(page.get_by_text(LONG_SCHOOL).first).to_be_visible()
    expect(page.locator(".app-deadline")).to_contain_text("Thursday 26 November 2026, 17:00")
    expect(page.locator(".app-deadline")).to_contain_text(re.compile(r"2 days \d+ hours? left"))
    check_a11y(page, "the referral detail page")

    page.get_by_role("link", name="Referrals", exact=True).click()
    row = page.locator("tr", has=page.get_by_role("link", name=referral.reference))
    expect(row).to_contain_text("Ellis Quarrington")
    expect(row).to_contain_text("Sky Quarrington")
    expect(row).to_contain_text("Thu 26 Nov 2026 17:00")
    # The demo data's overdue referral is flagged in words, not colour alone.
    expect(page.locator("main .govuk-tag--red").first).to_have_text("Overdue")
    screenshot = artifacts / "referral-list.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
    check_a11y(page, "the referral list with the new referral")
    assert errors == [], f"JavaScript errors: {errors}"


def test_team_manager_sees_a_social_workers_draft_and_its_clock(
    page: Page, live_server, seed_demo_at, check_a11y
) -> None:
    seed_demo_at(dt.datetime(2026, 11, 24, 12, 0, tzinfo=LONDON))
    sw = User.objects.get(username="sw.demo")
    draft = referral_draft_start(
        acting_user=sw,
        received_at=dt.datetime(2026, 11, 23, 9, 45, tzinfo=LONDON),
        urgency="standard",
        now=dt.datetime(2026, 11, 24, 12, 0, tzinfo=LONDON),
    )
    sign_in(page, live_server.url, "tm.demo")
    drafts = page.locator(".app-drafts")
    expect(drafts).to_contain_text("Draft referrals in the partnership")
    expect(drafts).to_contain_text(f"Draft {draft.reference}")
    expect(drafts).to_contain_text("Strategy discussion due Thu 26 Nov 2026 17:00")
    check_a11y(page, "the team manager's list with drafts")
    page.get_by_label("Status").select_option("draft")
    page.get_by_role("button", name="Apply filters").click()
    row = page.locator("tr", has=page.get_by_role("link", name=draft.reference))
    expect(row).to_contain_text("Draft")
    expect(row).to_contain_text("Thu 26 Nov 2026 17:00")
    check_a11y(page, "the list of drafts")
    row.get_by_role("link", name=draft.reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Draft referral {draft.reference}")
    check_a11y(page, "a social worker's draft, opened by the team manager")


def test_outsider_police_cannot_reach_a_referral(page: Page, live_server, demo_data, check_a11y) -> None:
    referral = Referral.objects.latest("pk")
    sign_in(page, live_server.url, "outsider.police")
    page.goto(f"{live_server.url}/referrals/")
    expect(page.get_by_text("These are the cases your agency is invited to")).to_be_visible()
    expect(page.get_by_text("No referrals match.")).to_be_visible()
    check_a11y(page, "the referral list of an uninvolved agency")
    response = page.goto(f"{live_server.url}/referrals/{referral.pk}/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    check_a11y(page, "the not-found page")


def test_team_manager_edits_a_referral_and_signs_out(page: Page, live_server, demo_data, check_a11y) -> None:
    referral = Referral.objects.get(people__first_name="Noah")
    sign_in(page, live_server.url, "tm.demo")
    page.get_by_label("Name or reference").fill("Noah")
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_role("link", name=referral.reference).click()
    expect(page.locator(".app-deadline")).to_contain_text("Overdue")
    page.get_by_role("link", name="Edit referral").click()
    expect(page.get_by_role("heading", name=f"Edit referral {referral.reference}")).to_be_visible()
    check_a11y(page, "the edit page")

    page.get_by_role("radio", name="Serious risk of harm").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("updated")
    expect(page.locator(".govuk-summary-list").first).to_contain_text("Serious risk of harm")
    referral.refresh_from_db()
    assert referral.urgency == "serious_risk" and referral.version == 2

    # On a phone-sized screen the list still reads: the time left comes right after the children.
    page.set_viewport_size({"width": 375, "height": 800})
    page.get_by_role("button", name="Menu").click()  # the service navigation folds away on a phone
    page.get_by_role("link", name="Referrals", exact=True).click()
    expect(page.locator("thead th")).to_have_text(
        ["Reference", "Children", "Time left", "Strategy discussion due", "Status", "Received"]
    )
    check_a11y(page, "the referral list on a phone")

    page.get_by_role("button", name="Menu").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out")).to_be_visible()
    check_a11y(page, "the signed-out page")
    page.goto(f"{live_server.url}/referrals/{referral.pk}/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
