"""A whole strategy discussion in Chromium, three users in turn: the chair, police and health.

tm.demo convenes and chairs it, records a section 47 enquiry for one child and no further action
for the sibling, authorises the enquiry and records the police decision on a criminal investigation;
police.demo marks police attendance and adds police information; health.demo adds health
information. Each section saves in the background (htmx) and says when; axe-core runs on every
page visited; one screenshot of the meeting page is kept.
"""

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from agencies.models import User
from core.timescales import to_local
from referrals.models import Deadline
from strategy.models import ChildDecision, ChildRisk, Discussion, EnquiryPlanItem, InformationEntry
from tests.builders import make_referral
from tests.e2e.gate import ready
from tests.e2e.test_log_referral import sign_in

pytestmark = pytest.mark.e2e


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()


def open_meeting(page: Page, base: str, discussion: Discussion) -> None:
    page.goto(f"{base}/referrals/{discussion.referral_id}/")
    page.get_by_role("link", name=re.compile("Open the discussion")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Strategy discussion")


def test_a_strategy_discussion_with_the_chair_police_and_health(
    page: Page, live_server, demo_data, check_a11y, artifacts
) -> None:
    base = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    now = demo_data
    social_worker = User.objects.get(username="sw.demo")
    referral = make_referral(
        acting_user=social_worker,
        children=[
            {"first_name": "Rowan", "last_name": "Inventedson", "date_of_birth": dt.date(2019, 5, 1)},
            {"first_name": "Wren", "last_name": "Inventedson", "date_of_birth": dt.date(2021, 8, 9)},
        ],
        concerns=["physical"],
        received_at=now - dt.timedelta(hours=3),
        now=now - dt.timedelta(hours=2),
    )

    # The chair convenes from the case page.
    sign_in(page, base, "tm.demo")
    page.goto(f"{base}/referrals/{referral.pk}/")
    page.get_by_role("link", name="Convene a strategy discussion").click()
    expect(page.get_by_role("heading", name="Convene a strategy discussion")).to_be_visible()
    expect(page.get_by_text("Core agency: always expected").first).to_be_visible()
    check_a11y(page, "the convene page")
    today = to_local(now).date()
    group = page.get_by_role("group", name="Date of the discussion")
    group.get_by_label("Day").fill(str(today.day))
    group.get_by_label("Month").fill(str(today.month))
    group.get_by_label("Year").fill(str(today.year))
    page.get_by_label("Time of the discussion").fill("11:00")
    page.get_by_role("radio", name="Virtual meeting").check()
    page.get_by_label("Reason for the discussion").fill("Invented: bruising seen on the older child.")
    page.get_by_role("button", name="Convene the discussion").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Strategy discussion convened")
    discussion = Discussion.objects.get(referral=referral)
    check_a11y(page, "the meeting page, convened")

    page.get_by_role("button", name="Start the meeting").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Meeting started")

    # Attendance for CSC: the chair and the social worker attended.
    attendance = page.locator("section#attendance")
    for name in ("Tara Mendes", "Sam Walker"):
        attendance.get_by_role("group", name=re.compile(name)).get_by_label("Attended").check()
    attendance.get_by_role("button", name="Save attendance").click()
    expect(page.locator("section#attendance")).to_contain_text(re.compile(r"Attendance saved at \d\d:\d\d"))

    # Decisions, per child: s47 for Rowan, no further action for Wren.
    rowan, wren = discussion.children.order_by("first_name")
    block = page.locator(f"#decision-{rowan.pk}")
    block.get_by_role("checkbox", name="Section 47 enquiry", exact=True).check()
    block.get_by_role("radio", name="Joint").check()
    block.get_by_label("Reasoning").fill("Invented: injuries unexplained; joint enquiry needed.")
    block.get_by_role("button", name=re.compile("Save the decision")).click()
    expect(page.locator(f"#decision-{rowan.pk}")).to_contain_text("Awaiting a team manager's authorisation")
    block = page.locator(f"#decision-{wren.pk}")
    block.get_by_role("checkbox", name="No further action").check()
    block.get_by_label("Reasoning").fill("Invented: no concerns for the younger child.")
    block.get_by_role("button", name=re.compile("Save the decision")).click()
    expect(page.locator(f"#decision-{wren.pk}")).to_contain_text(re.compile(r"Decision for Wren Inventedson saved at"))
    page.get_by_role("button", name=re.compile("Authorise the section 47 enquiry")).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Section 47 enquiry authorised")
    check_a11y(page, "the meeting page with decisions")

    # What every discussion records whatever the outcome: the police decision first (DOMAIN 1.3 and 4).
    standing = page.locator("section#standing")
    standing.get_by_role("radio", name="The police will investigate").check()
    standing.get_by_label("Police decision maker").fill("DS Pat Oduya (invented)")
    standing.get_by_role("group", name="Has legal advice been sought?").get_by_role(
        "radio", name="No", exact=True
    ).check()
    standing.get_by_role("radio", name="Neither police protection nor an emergency protection order").check()
    standing.get_by_role("group", name="Child in need support for Wren Inventedson").get_by_role(
        "radio", name="Considered and not needed"
    ).check()
    standing.get_by_label("What was considered for Wren Inventedson, and why").fill("Invented: no needs found.")
    standing.get_by_role("button", name="Save the decisions of the discussion").click()
    expect(page.locator("section#standing")).to_contain_text(re.compile(r"Decisions of the discussion saved at"))
    expect(page.locator("#standing-record")).to_contain_text("The police will investigate. Decided by DS Pat Oduya")
    check_a11y(page, "the meeting page with the police decision")
    # The risk analysis, for each child, with a level of risk.
    for subject, level, worry in (
        (rowan, "High", "Invented: further injury at home."),
        (wren, "Low", "Invented: little contact with the adult concerned."),
    ):
        block = page.locator(f"#risk-{subject.pk}")
        block.get_by_label("What harm are we most worried about?").fill(worry)
        block.get_by_role("radio", name=re.compile(f"^{level}:")).check()
        block.get_by_role("button", name=re.compile("Save the risk analysis")).click()
        expect(page.locator(f"#risk-{subject.pk}")).to_contain_text(
            re.compile(f"Risk analysis for {subject.full_name} saved at")
        )

    # The enquiry plan where it differs for Wren: no medical for her.
    page.locator(f"#plan-{wren.pk}").get_by_text(f"Where the plan differs for {wren.full_name}").click()
    differs = page.locator(f"#plan-{wren.pk}")
    differs.get_by_label("Or: not needed because").first.fill("Invented: no injury seen on Wren.")
    differs.get_by_role("button", name=re.compile("Save the plan")).click()
    expect(page.locator(f"#plan-{wren.pk}")).to_contain_text(f"Enquiry plan for {wren.full_name} saved at")
    check_a11y(page, "the meeting page with the risk analysis per child")
    sign_out(page)

    # Police: their own attendance and information (not for the family).
    sign_in(page, base, "police.demo")
    open_meeting(page, base, discussion)
    check_a11y(page, "the meeting page as police")
    attendance = page.locator("section#attendance")
    # Only the police line is theirs to mark: its attendance, and whether they can decide for the police.
    expect(attendance.get_by_role("group")).to_have_count(2)
    # One click names them on it (issue 25): the invitations above say "Attended" at once (htmx, no reload).
    invitations = page.locator("section#invite")
    expect(invitations).to_contain_text("Police officer (to be named)")
    attendance.get_by_role("button", name="I am attending for Demo Police").click()
    expect(page.locator("section#attendance")).to_contain_text("Your attendance for Demo Police saved at")
    ready(page)  # its scripts have run: a check that something is absent means it
    expect(page.get_by_role("button", name=re.compile("I am attending"))).to_have_count(0)
    police_row = page.locator("section#invite tr", has_text="Demo Police")
    expect(police_row).to_contain_text("Pat Oduya")
    expect(police_row).to_contain_text("Attended")
    expect(page.locator("section#invite")).not_to_contain_text("Police officer (to be named)")
    information = page.locator("section#information")
    information.get_by_label("Information shared").fill("Invented: the father is known for violence.")
    information.get_by_label("Checks done").fill("Police national computer")
    information.get_by_role("radio", name="Consent not sought").check()
    information.get_by_label("The manager's reason").fill("Invented: consent could alert the father.")
    information.get_by_label("Not to be shared with the family").check()
    information.get_by_role("button", name="Add information").click()
    expect(page.locator("section#information")).to_contain_text("Information saved at")
    expect(page.locator("section#information")).to_contain_text("Not to be shared with the family")
    ready(page)  # its scripts have run: a check that something is absent means it
    expect(page.get_by_role("button", name=re.compile("Save the risk"))).to_have_count(0)
    expect(page.locator(f"#risk-{rowan.pk}")).to_contain_text("High")
    expect(page.locator("section#plan")).to_contain_text(
        f"For {wren.full_name}: Not needed because Invented: no injury seen on Wren."
    )
    sign_out(page)

    # Health: their information (an error first: the entry is kept and nothing saved).
    sign_in(page, base, "health.demo")
    open_meeting(page, base, discussion)
    information = page.locator("section#information")
    information.get_by_role("radio", name="No checks needing consent").check()
    information.get_by_role("button", name="Add information").click()
    expect(page.locator("section#information .govuk-error-summary")).to_contain_text("Enter the information shared")
    check_a11y(page, "the meeting page with an error in a section")
    information = page.locator("section#information")
    information.get_by_label("Information shared").fill("Invented: missed two health visitor appointments.")
    information.get_by_role("button", name="Add information").click()
    expect(page.locator("section#information")).to_contain_text("Information saved at")
    check_a11y(page, "the meeting page as health")
    sign_out(page)

    # The chair proceeds without the school: its automatic action appears among the actions at once (htmx).
    sign_in(page, base, "tm.demo")
    open_meeting(page, base, discussion)
    expect(page.locator("section#action")).to_contain_text("No actions agreed yet")
    proceed = page.locator("section#proceed")
    ready(page)  # its scripts have run: a check that something is absent means it
    expect(proceed.get_by_role("checkbox", checked=True)).to_have_count(0)  # nothing ticked on anyone's behalf
    proceed.get_by_role("checkbox", name="Demo Primary School").check()
    proceed.get_by_label("Why it cannot wait for them").fill("Invented: the children are seen today.")
    proceed.get_by_label("How urgent it is").fill("Invented: today")
    proceed.get_by_role("button", name="Proceed without them").click()
    expect(page.locator("section#proceed")).to_contain_text("Proceeding without an agency saved at")
    expect(page.locator("section#action")).to_contain_text("Obtain information from Demo Primary School")
    expect(page.locator("section#action")).not_to_contain_text("No actions agreed yet")
    screenshot = artifacts / "strategy-meeting.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000

    decisions = {d.child.first_name: d for d in ChildDecision.objects.filter(discussion=discussion)}
    assert decisions["Rowan"].s47 and decisions["Rowan"].s47_authorised_by.username == "tm.demo"
    assert decisions["Wren"].nfa and not decisions["Wren"].s47
    assert Deadline.objects.filter(referral=referral, rule="ICPC", child=rowan, state="open").count() == 1
    levels = {r.child.first_name: r.level for r in ChildRisk.objects.filter(discussion=discussion)}
    assert levels == {"Rowan": "high", "Wren": "low"}
    assert EnquiryPlanItem.objects.get(discussion=discussion, child=wren).item == "medical"
    entries = InformationEntry.objects.filter(discussion=discussion)
    assert {e.agency.name for e in entries} == {"Demo Police", "Demo Health Trust"}
    assert entries.get(agency__name="Demo Police").not_for_family
    discussion.refresh_from_db()
    assert discussion.invitations.get(agency__name="Demo Police").attendance == "attended"
    assert (discussion.police_decision, discussion.police_decision_maker) == ("investigate", "DS Pat Oduya (invented)")
    assert discussion.child_records.get(child=wren).cin_support == "not_needed"
    assert errors == [], f"JavaScript errors: {errors}"
