"""A GP without an account contributes to a strategy discussion in Chromium (issue 31).

tm.demo, chairing the demo's upcoming discussion about Leo and Ava Brightwater, invites their GP from outside the
partnership and asks for information, sharing Leo's first name and age band. The GP's email (read from the test's
real SMTP server) holds a link only. In a fresh browser with nobody signed in, the GP opens it, asks for a code, reads
the code from a second email, enters it, writes what they know and attaches a PDF, and sends it. tm.demo then sees
the contribution on the meeting page. axe-core on every page.
"""

import io
import re

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfWriter

from contributions.models import Contribution
from strategy.models import Discussion
from tests.e2e.test_log_referral import sign_in

pytestmark = pytest.mark.e2e

GP_EMAIL = "gp.invented@example.invalid"
LINK = re.compile(r"(https?://\S+/contribute/[\w-]+/)")
CODE = re.compile(r"\b(\d{6})\b")
KNOWN = "Invented: Leo was seen twice this year for minor illnesses; his growth has fallen two centiles."


def _pdf(tmp_path):
    """A one-page PDF, as a GP's growth chart might be sent."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    path = tmp_path / "growth-chart.pdf"
    path.write_bytes(buffer.getvalue())
    return path


def test_the_chair_asks_a_gp_who_contributes_through_the_link_signed_out(
    page: Page, browser: Browser, live_server, demo_data, smtp_server, settings, check_a11y, tmp_path
) -> None:
    settings.SITE_URL = live_server.url
    base = live_server.url
    upcoming = Discussion.objects.select_related("referral").get(referral__people__first_name="Leo")
    chart = _pdf(tmp_path)

    sign_in(page, base, "tm.demo")
    page.goto(f"{base}/discussions/{upcoming.pk}/requests/")
    check_a11y(page, "the discussion's requests")
    page.get_by_role("link", name="Invite someone from outside the partnership").click()
    page.get_by_label("Full name").fill("Dr Ivy Inventedname")
    page.get_by_label("Organisation").fill("Invented Lane Surgery")
    page.get_by_label("Role").fill("GP")
    page.get_by_label("Email address").fill(GP_EMAIL)
    page.get_by_label("A GP practice").check()
    check_a11y(page, "inviting someone from outside the partnership")
    page.get_by_role("button", name="Invite").click()

    page.get_by_role("link", name="Ask for information").first.click()
    page.get_by_label(re.compile("Dr Ivy Inventedname")).check()
    page.get_by_label("What are you asking for?").fill("Invented: what do you know of Leo's health and growth?")
    page.get_by_label(re.compile("^Leo")).check()
    check_a11y(page, "asking for information")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Information asked of Dr Ivy Inventedname")
    page.get_by_role("button", name="Sign out").click()

    # The GP's inbox: a link only, nothing of the case.
    (asked,) = [m for m in smtp_server.messages if m["To"] == GP_EMAIL]
    text = smtp_server.text(asked)
    assert upcoming.referral.reference not in text and "Leo" not in text and "Brightwater" not in text
    link = LINK.search(text).group(1)

    outside = browser.new_context(locale="en-GB", timezone_id="Europe/London", bypass_csp=True)
    try:
        gp = outside.new_page()
        errors: list[str] = []
        gp.on("pageerror", lambda error: errors.append(str(error)))
        gp.goto(link)
        expect(gp.get_by_role("heading", level=1)).to_have_text(
            "You have been asked for information for a strategy discussion"
        )
        expect(gp.locator("body")).not_to_contain_text("Leo")
        check_a11y(gp, "the emailed link's page")
        gp.get_by_role("button", name="Send me a code").click()
        expect(gp.get_by_role("heading", level=1)).to_have_text("Enter the code")
        check_a11y(gp, "the code page")
        coded = [m for m in smtp_server.messages if m["To"] == GP_EMAIL][-1]
        code = CODE.search(smtp_server.text(coded)).group(1)
        gp.get_by_label("Code").fill("000000" if code != "000000" else "111111")
        gp.get_by_role("button", name="Continue").click()
        expect(gp.locator(".govuk-error-summary")).to_be_visible()
        check_a11y(gp, "the code page with an error")
        gp.get_by_label("Code").fill(code)
        gp.get_by_role("button", name="Continue").click()
        expect(gp.get_by_role("heading", level=1)).to_have_text("Give your information for a strategy discussion")
        expect(gp.locator("body")).to_contain_text("Leo")
        expect(gp.locator("body")).not_to_contain_text("Brightwater")
        check_a11y(gp, "the contribution form")
        gp.get_by_label("Your involvement with the child or family").fill(KNOWN)
        gp.get_by_role("radio", name="No", exact=True).check()
        gp.get_by_label("PDF files (optional)").set_input_files(str(chart))
        gp.get_by_role("button", name="Send your information").click()
        expect(gp.get_by_role("heading", level=1)).to_have_text("Thank you: your information has been sent")
        check_a11y(gp, "the thank-you page")
        assert errors == []
    finally:
        outside.close()

    contribution = Contribution.objects.get(request__discussion=upcoming)
    assert contribution.known_involvement == KNOWN and not contribution.shareable_with_family
    (attached,) = contribution.files.all()
    assert attached.original_name == "growth-chart.pdf" and bytes(attached.pdf) == chart.read_bytes()

    # The chair sees it on the meeting page, attributed, with its file to download (never opened in the browser).
    sign_in(page, base, "tm.demo")
    page.goto(f"{base}/discussions/{upcoming.pk}/")
    panel = page.locator("#contributions")
    expect(panel).to_contain_text("Dr Ivy Inventedname, Invented Lane Surgery")
    expect(panel).to_contain_text(KNOWN)
    expect(panel).to_contain_text("Not to be shared with the family")
    check_a11y(page, "the meeting page with the contribution")
    with page.expect_download(timeout=15_000) as info:
        panel.get_by_role("link", name="growth-chart.pdf").click()
    assert info.value.suggested_filename == f"contribution-{contribution.pk}-file-{attached.pk}.pdf"
