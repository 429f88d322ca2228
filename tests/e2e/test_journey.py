"""Fit for a Friday at 5pm (issue 25): the whole journey in Chromium, as each person does it.

A social worker logs a referral for a bruised non-mobile infant and a sibling at a school with a real-length name
(a task list, saved as a draft, every problem in one round), and convenes: the school matches no agency of the
partnership, so nothing is proposed or ticked for it. Police and health find the meeting on their home page and
say with one click that they attend, by name; the chair records attendance, the risk and the decision for each
child, the enquiry plan and an action, ends the meeting and approves the minutes from "Your work". Business
support gives the school's address and circulates; the school's safeguarding lead, who has no account, reads the
email on a real SMTP server and downloads the PDF signed out. axe-core runs on every page; the meeting and the
list pages are seen again at 375 px, with nothing wider than the screen outside a scroll container.
"""

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from agencies.models import User
from core.timescales import to_local
from minutes.models import Circulation, Recipient, Source
from referrals.models import DeadlineState, Referral
from strategy.models import Discussion
from tests.e2e.codes import enter_emailed_code
from tests.e2e.gate import ready
from tests.e2e.test_log_referral import LONG_SCHOOL, fill_child, sign_in
from tests.e2e.test_phone import OVERFLOW, PHONE, SCROLLERS

pytestmark = pytest.mark.e2e

LINK = re.compile(r"(https?://\S+/minutes/link/[\w-]+/)")
SCHOOL_EMAIL = "dsl@st-bartholomews.example.org"


def save_task(page: Page, title: str) -> None:
    """Press "Save and continue" on a draft's task: back on the task list, with the banner saying so (govuk-frontend has
    focused it), before the next click, so nothing is clicked on a page still loading."""
    page.get_by_role("button", name="Save and continue").click()
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text(f"{title}: saved in the draft")
    expect(banner).to_be_focused()


def on_a_phone(page: Page, name: str, check_a11y) -> None:
    """The page as it is now, again at 375 px: nothing sticks out sideways outside a named scroll container."""
    page.set_viewport_size(PHONE)
    try:
        assert page.evaluate(OVERFLOW) == [], f"{name} does not fit a 375 px screen"
        for scroller in page.evaluate(SCROLLERS):
            assert scroller["focusable"] and scroller["name"] and scroller["role"] == "region", (name, scroller)
        check_a11y(page, f"{name} on a phone")
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})


def your_work(page: Page, check_a11y, who: str) -> None:
    page.get_by_role("link", name="Your work").first.click()
    expect(page.get_by_role("heading", name="Your work", level=1)).to_be_visible()
    check_a11y(page, f"the home page of {who}")


def test_the_journey_from_referral_to_minutes_downloaded_signed_out(
    browser: Browser, browser_context_args, live_server, demo_data, smtp_server, settings, check_a11y, tmp_path
) -> None:
    settings.SITE_URL = live_server.url
    base = live_server.url
    now = demo_data
    today = to_local(now).date()
    errors: list[str] = []
    browsers: dict[str, Page] = {}

    def as_person(username: str) -> Page:
        """Each person at their own browser, signed in once (a demo authenticator code is used once)."""
        if username not in browsers:
            context = browser.new_context(**{**browser_context_args, "viewport": {"width": 1280, "height": 800}})
            browsers[username] = context.new_page()
            browsers[username].on("pageerror", lambda error: errors.append(f"{username}: {error}"))
            sign_in(browsers[username], base, username)
        return browsers[username]

    # The social worker: a draft, then every task, then submitted.
    page = as_person("sw.demo")
    your_work(page, check_a11y, "the social worker")
    page.get_by_role("link", name="All referrals").click()
    on_a_phone(page, "the referral list", check_a11y)
    page.get_by_role("button", name="Log a referral").click()
    received = page.get_by_role("group", name="Date received")
    received.get_by_label("Day").fill(str(today.day))
    received.get_by_label("Month").fill(str(today.month))
    received.get_by_label("Year").fill(str(today.year))
    page.get_by_label("Time received").fill(f"{to_local(now).hour - 1:02d}:00")
    page.get_by_role("radio", name=re.compile("^Serious risk of harm")).check()
    check_a11y(page, "the start of a referral")
    page.get_by_role("button", name="Start referral").click()
    referral = Referral.objects.latest("pk")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Draft referral {referral.reference}")

    page.locator(".govuk-task-list").get_by_role("link", name="Children", exact=True).click()
    infant_born = today - dt.timedelta(weeks=10)
    fill_child(page, 1, "Noa", "Penhallow", infant_born)
    page.get_by_label("Not yet mobile (cannot crawl or walk)").first.check()
    page.get_by_role("button", name="Add another child").click()
    # The page comes back with the cursor in child 2's first field (app.js, after load). Filling before that focus
    # lands would type the next field's text into the first name: wait for it, as a person would see it.
    expect(page.locator("#id_children-1-first_name")).to_be_focused()
    fill_child(page, 2, "Jory", "Penhallow", today.replace(year=today.year - 7), school=LONG_SCHOOL)
    check_a11y(page, "the children task")
    save_task(page, "Children")

    page.locator(".govuk-task-list").get_by_role("link", name="When it was received and who referred").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("When it was received and who referred")
    page.get_by_label("Referrer's name").fill("Invented Health Visitor")
    page.get_by_label("Or, if not an agency of the partnership").fill("Invented Health Visiting Team")
    save_task(page, "When it was received and who referred")

    page.locator(".govuk-task-list").get_by_role("link", name="The concern").click()
    page.get_by_role("checkbox", name="Physical abuse", exact=True).check()
    page.get_by_role("group", name="Is this an injury to a non-mobile infant?").get_by_role(
        "radio", name="Yes", exact=True
    ).check()
    page.get_by_label("The concern", exact=True).fill("Invented: bruising to the infant's cheek seen at a home visit.")
    check_a11y(page, "the concern task")
    save_task(page, "The concern")
    page.get_by_role("button", name="Submit referral").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("logged")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Noa Penhallow, Jory Penhallow")
    expect(page.locator("main")).to_contain_text("10 weeks")  # an infant's age in weeks, not "age 0"
    check_a11y(page, "the case page")

    # Convening: police and health proposed; the school matches no agency, so nothing is ticked for it.
    page.get_by_role("link", name="Convene a strategy discussion").click()
    expect(page.get_by_text(f"No agency of this partnership matches {LONG_SCHOOL}")).to_be_visible()
    school = page.get_by_role("checkbox", name=re.compile("Invite: designated safeguarding lead", re.IGNORECASE))
    expect(school).not_to_be_checked()
    check_a11y(page, "the convene page")
    when = page.get_by_role("group", name="Date of the discussion")
    when.get_by_label("Day").fill(str(today.day))
    when.get_by_label("Month").fill(str(today.month))
    when.get_by_label("Year").fill(str(today.year))
    page.get_by_label("Time of the discussion").fill(f"{to_local(now).hour + 1:02d}:00")
    page.get_by_role("radio", name="Virtual meeting").check()
    page.get_by_label("Chair", exact=True).select_option(str(User.objects.get(username="tm.demo").pk))
    page.get_by_label("Reason for the discussion").fill("Invented: bruising to a non-mobile infant.")
    page.get_by_role("button", name="Convene the discussion").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Strategy discussion convened")
    discussion = Discussion.objects.get(referral=referral)
    assert not discussion.invitations.filter(agency__name="Demo Academy").exists()

    # The chair: from "Your work" to the meeting, and starts it.
    page = as_person("tm.demo")
    your_work(page, check_a11y, "the chair")
    page.locator("li", has_text=referral.reference).get_by_role("link", name=re.compile("^Chair")).click()
    ready(page)  # its scripts have run: a check that something is absent means it
    expect(page.get_by_role("button", name="End the meeting")).to_have_count(0)  # not before it starts
    page.get_by_role("button", name="Start the meeting").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Meeting started")

    # Police and health: the meeting is on their home page; one click says who attends.
    for username, agency in (("police.demo", "Demo Police"), ("health.demo", "Demo Health Trust")):
        page = as_person(username)
        your_work(page, check_a11y, username)
        page.locator("li", has_text=referral.reference).get_by_role("link", name=re.compile("^Attend")).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Strategy discussion")
        page.get_by_role("button", name=re.compile(f"I am attending for {agency}")).first.click()
        expect(page.locator("section#attendance")).to_contain_text(f"Your attendance for {agency} saved at")
        information = page.locator("section#information")
        information.get_by_label("Information shared").fill(f"Invented: what {agency} knows of the family.")
        information.get_by_role("radio", name="No checks needing consent").check()
        information.get_by_role("button", name="Add information").click()
        expect(page.locator("section#information")).to_contain_text("Information saved at")
        check_a11y(page, f"the meeting page as {username}")
        on_a_phone(page, f"the meeting page as {username}", check_a11y)

    # The chair records the meeting and ends it.
    page = as_person("tm.demo")
    page.goto(f"{base}/discussions/{discussion.pk}/")
    attendance = page.locator("section#attendance")
    for name in ("Tara Mendes", "Sam Walker"):
        attendance.get_by_role("group", name=re.compile(name)).get_by_label("Attended").check()
    attendance.get_by_role("button", name="Save attendance").click()
    expect(page.locator("section#attendance")).to_contain_text(re.compile(r"Attendance saved at \d\d:\d\d"))
    invitations = page.locator("section#invite")
    police_row = invitations.locator("tr", has_text="Demo Police")
    expect(police_row).to_contain_text("Attended")
    expect(police_row).not_to_contain_text("(to be named)")

    noa, jory = discussion.children.order_by("first_name")[1], discussion.children.order_by("first_name")[0]
    block = page.locator(f"#decision-{noa.pk}")
    block.get_by_role("checkbox", name="Section 47 enquiry", exact=True).check()
    block.get_by_role("radio", name="Joint").check()
    block.get_by_label("Reasoning").fill("Invented: an unexplained injury to a non-mobile infant.")
    block.get_by_role("button", name=re.compile("Save the decision")).click()
    expect(page.locator(f"#decision-{noa.pk}")).to_contain_text("Awaiting a team manager's authorisation")
    block = page.locator(f"#decision-{jory.pk}")
    block.get_by_role("checkbox", name="Section 47 enquiry", exact=True).check()
    block.get_by_role("radio", name="Joint").check()
    block.get_by_label("Reasoning").fill("Invented: the sibling lives in the same household.")
    block.get_by_role("button", name=re.compile("Save the decision")).click()
    expect(page.locator(f"#decision-{jory.pk}")).to_contain_text("Awaiting a team manager's authorisation")
    for _ in range(2):
        page.get_by_role("button", name=re.compile("Authorise the section 47 enquiry")).first.click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text("Section 47 enquiry authorised")

    standing = page.locator("section#standing")
    standing.get_by_role("radio", name="The police will investigate").check()
    standing.get_by_label("Police decision maker").fill("DS Pat Oduya (invented)")
    standing.get_by_role("group", name="Has legal advice been sought?").get_by_role(
        "radio", name="No", exact=True
    ).check()
    standing.get_by_role("radio", name="Neither police protection nor an emergency protection order").check()
    standing.get_by_role("button", name="Save the decisions of the discussion").click()
    expect(page.locator("section#standing")).to_contain_text("Decisions of the discussion saved at")

    for child in (noa, jory):
        block = page.locator(f"#risk-{child.pk}")
        for question in block.locator("textarea").all():
            question.fill("Invented: further injury at home; answered at the discussion.")
        block.get_by_role("radio", name=re.compile("^High:")).check()
        block.get_by_role("button", name=re.compile("Save the risk analysis")).click()
        expect(page.locator(f"#risk-{child.pk}")).to_contain_text(f"Risk analysis for {child.full_name} saved at")

    plan = page.locator("section#plan form").first
    for answer in plan.locator(".app-plan-item textarea").all():
        answer.fill("Invented: agreed at the discussion.")
    plan.get_by_role("button", name="Save the enquiry plan").click()
    expect(page.locator("section#plan")).to_contain_text("Enquiry plan saved at")

    action = page.locator("section#action")
    action.get_by_label("What will be done").fill("Invented: arrange a child protection medical for Noa today.")
    action.get_by_label("How we will know it is done").fill("Invented: the paediatrician's report is received.")
    action.get_by_label("Lead agency").select_option(label="Demo Health Trust")
    action.get_by_label("Or their name, if not listed").fill("Dr Ada Invented, paediatrician")
    day = action.get_by_role("group", name="Due date")
    day.get_by_label("Day").fill(str(today.day))
    day.get_by_label("Month").fill(str(today.month))
    day.get_by_label("Year").fill(str(today.year))
    action.get_by_label("Due time").fill("17:00")
    action.get_by_role("button", name="Add the action").click()
    expect(page.locator("section#action")).to_contain_text("arrange a child protection medical")
    check_a11y(page, "the meeting page, recorded")
    on_a_phone(page, "the meeting page as the chair", check_a11y)
    page.get_by_role("button", name="End the meeting").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Meeting ended")

    # Business support gives the school's address (it has no account).
    page = as_person("admin.demo")
    page.goto(f"{base}/discussions/{discussion.pk}/minutes/")
    expect(page.get_by_role("heading", name="Distribution list")).to_be_visible()
    school_row = Recipient.objects.get(discussion=discussion, source=Source.EDUCATION, removed_at=None)
    assert school_row.user_id is None and not school_row.email
    page.get_by_label(f"Email address of {school_row}").fill(SCHOOL_EMAIL)
    # The paediatrician invited without a name has no account: their address is typed too.
    page.get_by_label(re.compile(r"Email address of .*\(Demo Health Trust\)")).fill("paediatrics@health.example.org")
    page.get_by_role("button", name="Save the distribution list").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("saved")

    # The chair approves from "Your work", choosing what the school is sent.
    page = as_person("tm.demo")
    your_work(page, check_a11y, "the chair after the meeting")
    page.locator("li", has_text=referral.reference).get_by_role("link", name=re.compile("^Approve the minutes")).click()
    expect(page.get_by_role("heading", name="Minutes of the strategy discussion", level=1)).to_be_visible()
    page.get_by_label(f"What {school_row} is sent").select_option(label="Full version")
    page.get_by_role("button", name="Save the distribution list").click()
    page.get_by_role("button", name="Approve the record as version 1").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("approved")
    check_a11y(page, "the minutes page, approved")

    # Business support circulates from "Your work".
    page = as_person("admin.demo")
    your_work(page, check_a11y, "business support")
    page.locator("li", has_text=referral.reference).get_by_role(
        "link", name=re.compile("^Circulate the minutes")
    ).click()
    page.get_by_role("button", name="Circulate version 1").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Version 1 of the minutes is sent to")
    on_a_phone(page, "the minutes page after circulation", check_a11y)
    discussion.refresh_from_db()
    assert discussion.minutes_deadline.state == DeadlineState.MET

    # The school's safeguarding lead reads the email and downloads the minutes, signed out.
    (message,) = [m for m in smtp_server.messages if m["To"] == SCHOOL_EMAIL]
    text = smtp_server.text(message)
    assert "Noa" not in text and "Penhallow" not in text
    link = LINK.search(text).group(1)
    outside = browser.new_context(locale="en-GB", timezone_id="Europe/London", bypass_csp=True, accept_downloads=True)
    try:
        school_page = outside.new_page()
        school_page.goto(link)
        check_a11y(school_page, "the emailed link's page")
        enter_emailed_code(school_page, smtp_server, SCHOOL_EMAIL)  # the code sent to the same address
        with school_page.expect_download(timeout=15_000) as info:
            school_page.get_by_role("button", name="Download the minutes (PDF)").click()
        saved = tmp_path / "minutes.pdf"
        saved.write_bytes(Path(info.value.path()).read_bytes())
    finally:
        outside.close()
    words = subprocess.run(  # noqa: S603
        ["pdftotext", "-layout", str(saved), "-"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert referral.reference in words and "Action plan" in words
    reading = subprocess.run(  # noqa: S603
        ["pdftotext", str(saved), "-"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "child protection medical" in " ".join(reading.split())  # the action agreed, however the lines wrap
    assert Circulation.objects.get(recipient=school_row).used_at is not None
    for opened in browsers.values():
        opened.context.close()
    assert errors == [], f"JavaScript errors: {errors}"
