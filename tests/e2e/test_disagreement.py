"""A professional disagreement in Chromium (issue 30): police.demo disagrees with the decision for Ella Thornbury (no
further action), raised from the case page with the social worker found by name; sw.demo cannot resolve it at stage 1
and escalates; tm.demo, the social worker's line manager, holds stage 2, finds it on the case page and records it
resolved. The raise form's errors come back in the GOV.UK summary with what was typed kept. axe-core on every page."""

import re

import pytest
from playwright.sync_api import Page, expect

from disputes.models import Disagreement, DisagreementStatus, StageNumber
from referrals.models import Referral
from tests.e2e.test_log_referral import sign_in

pytestmark = pytest.mark.e2e

SOUGHT = "Invented: a section 47 enquiry for Ella too; police hold information that she was also hurt."


def test_police_raise_a_disagreement_and_the_team_manager_resolves_it_at_stage_2(
    page: Page, live_server, demo_data, check_a11y
) -> None:
    base = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    thornbury = Referral.objects.get(people__first_name="Ella", people__kind="child")

    sign_in(page, base, "police.demo")
    page.goto(f"{base}/referrals/{thornbury.pk}/")
    page.get_by_role("link", name="Raise a disagreement").click()
    expect(page.get_by_role("heading", name="Raise a disagreement", level=1)).to_be_visible()
    check_a11y(page, "the raise page")

    page.get_by_label("A decision for a child").check()
    page.get_by_label("What outcome are you seeking?").fill(SOUGHT)
    page.get_by_role("button", name="Raise the disagreement").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select the child the decision is about")
    expect(summary).to_contain_text("Select the agency you disagree with")
    expect(page.get_by_label("What outcome are you seeking?")).to_have_value(SOUGHT)
    check_a11y(page, "the raise page with errors")

    page.get_by_label("The child the decision is about").select_option(label="Ella Thornbury")
    page.get_by_label("Which agency do you disagree with?").select_option(label="Demo Children's Social Care")
    page.get_by_label("Find the person at that agency (optional)").fill("wal")
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page.get_by_label("What outcome are you seeking?")).to_have_value(SOUGHT)
    page.get_by_label("Who do you disagree with? (optional)").select_option(
        label="Sam Walker, Demo Children's Social Care"
    )
    check_a11y(page, "the raise page after finding the person")
    page.get_by_role("button", name="Raise the disagreement").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Disagreement raised")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Disagreement: a decision for a child")
    check_a11y(page, "the disagreement page")
    disagreement = Disagreement.objects.get(referral=thornbury, raised_by__username="police.demo")
    assert (disagreement.child.first_name, disagreement.with_person.username) == ("Ella", "sw.demo")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, "sw.demo")
    page.goto(f"{base}/disagreements/{disagreement.pk}/")
    expect(page.get_by_role("heading", name="Record stage 1")).to_be_visible()
    page.get_by_label("What was said").fill("Invented: we spoke; I could not agree without new information.")
    page.get_by_label("Escalated to the next stage").check()
    page.get_by_role("button", name="Record the stage").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("now at stage 2")
    check_a11y(page, "the disagreement page at stage 2")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, "tm.demo")
    page.goto(f"{base}/referrals/{thornbury.pk}/")
    panel = page.locator("#disagreements + ul")
    expect(panel).to_contain_text("stage 2")
    panel.get_by_role("link", name="A decision for a child").click()
    expect(page.get_by_role("heading", name="Record stage 2")).to_be_visible()
    check_a11y(page, "the disagreement page for the stage 2 holder")
    page.get_by_label("What was said").fill("Invented: police shared what they hold; Ella is added to the enquiry.")
    page.get_by_label("Resolved").check()
    page.get_by_role("button", name="Record the stage").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("resolved")
    expect(page.get_by_text(re.compile("Invented: police shared what they hold"))).to_be_visible()
    check_a11y(page, "the resolved disagreement")

    disagreement.refresh_from_db()
    assert (disagreement.status, disagreement.stage) == (DisagreementStatus.RESOLVED, StageNumber.LINE_MANAGERS)
    assert disagreement.stages.get(number=2).recorded_by.username == "tm.demo"
    assert errors == []
