"""A GP who is not a user opens their emailed minutes link signed out in Chromium and downloads the PDF (issues 25, 31).

Business support circulates the demo's approved minutes through a real SMTP server; the test reads the GP's
message there as the GP would, opens its link in a fresh browser with no session, asks for the one-time code sent
to the same address (issue 31: a forwarded email or a mail scanner gets nothing), enters it, presses the button and
reads the PDF back; the GP downloads again later, each download logged. Before issue 25 the link page sent
`Referrer-Policy: no-referrer`, so Chromium posted the button with `Origin: null` and Django's CSRF check
answered 403: nobody outside could open the minutes.
"""

import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from minutes.models import Circulation, ExternalDownload, Kind, Source
from strategy.models import Discussion
from tests.e2e.codes import enter_emailed_code
from tests.e2e.test_log_referral import sign_in

pytestmark = pytest.mark.e2e

LINK = re.compile(r"(https?://\S+/minutes/link/[\w-]+/)")


def test_a_recipient_who_is_not_a_user_downloads_the_minutes_from_the_emailed_link_signed_out(
    page: Page, browser: Browser, live_server, demo_data, smtp_server, settings, check_a11y, tmp_path
) -> None:
    settings.SITE_URL = live_server.url
    held = Discussion.objects.select_related("referral").get(referral__people__first_name="Mia")
    version = held.minutes_versions.get()
    gp = held.recipients.get(source=Source.GP, removed_at=None)
    assert gp.user_id is None and gp.email

    sign_in(page, live_server.url, "admin.demo")
    page.goto(f"{live_server.url}/discussions/{held.pk}/minutes/")
    page.get_by_role("button", name="Circulate version 1").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Version 1 of the minutes is sent to")

    # The GP's inbox, as the GP reads it: a link and no case detail.
    messages = [m for m in smtp_server.messages if m["To"] == gp.email]
    assert len(messages) == 1
    text = smtp_server.text(messages[0])
    assert held.referral.reference not in text and "Mia" not in text
    link = LINK.search(text).group(1)

    # A fresh browser: nobody signed in, no cookies.
    outside = browser.new_context(locale="en-GB", timezone_id="Europe/London", bypass_csp=True, accept_downloads=True)
    try:
        gp_page = outside.new_page()
        errors: list[str] = []
        gp_page.on("pageerror", lambda error: errors.append(str(error)))
        response = gp_page.goto(link)
        assert response is not None and response.status == 200
        expect(gp_page.get_by_role("heading", level=1)).to_have_text("A document has been sent to you")
        expect(gp_page.locator("body")).not_to_contain_text("Mia")
        check_a11y(gp_page, "the emailed link's page")
        enter_emailed_code(gp_page, smtp_server, gp.email, check_a11y)
        expect(gp_page.get_by_role("heading", level=1)).to_have_text("Minutes of a strategy discussion")
        expect(gp_page.locator("body")).not_to_contain_text("Mia")
        check_a11y(gp_page, "the minutes' download page")
        with gp_page.expect_download(timeout=15_000) as info:
            gp_page.get_by_role("button", name="Download the minutes (PDF)").click()
        download = info.value
        assert download.failure() is None
        assert download.suggested_filename == f"{held.referral.reference}-minutes-v1-full.pdf"
        content = Path(download.path()).read_bytes()
        assert content == bytes(version.documents.get(kind=Kind.FULL).pdf)
        saved = tmp_path / "minutes.pdf"
        saved.write_bytes(content)
        words = subprocess.run(  # noqa: S603
            ["pdftotext", "-layout", str(saved), "-"],  # noqa: S607
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        assert "OFFICIAL-SENSITIVE" in words and held.referral.reference in words and "Action plan" in words

        # Its addressee may come back to it within its window: opened again, it downloads again.
        gp_page.goto(link)
        with gp_page.expect_download(timeout=15_000) as again:
            gp_page.get_by_role("button", name="Download the minutes (PDF)").click()
        assert Path(again.value.path()).read_bytes() == content
        assert errors == []
        # Why it works: the token's address never leaves this site, and the button posts this site's Origin.
        assert response.headers["referrer-policy"] == "same-origin"
    finally:
        outside.close()
    circulation = Circulation.objects.get(recipient=gp, version=version)
    assert circulation.used_at is not None
    assert ExternalDownload.objects.filter(circulation=circulation).count() == 2


def test_a_new_user_chooses_their_password_from_the_emailed_link_signed_out(
    page: Page, live_server, transactional_db, smtp_server, settings, check_a11y
) -> None:
    """The other page reached from an email signed out: choosing one's password posts back to this site too."""
    from administration.management.commands.seed_demo import ensure_reference_rows
    from agencies.accounts import password_reset_link_send
    from agencies.models import AgencyType, RoleCode
    from tests.factories import AgencyFactory, PartnershipFactory, UserFactory

    settings.SITE_URL = live_server.url
    ensure_reference_rows()
    csc = AgencyFactory(
        partnership=PartnershipFactory(name="Invented Partnership"),
        name="Invented CSC",
        agency_type=AgencyType.CHILDRENS_SOCIAL_CARE,
    )
    user = UserFactory(username="new.sw", agency=csc, roles=[RoleCode.SOCIAL_WORKER], email="new.sw@example.org")
    user.set_unusable_password()
    user.save()
    password_reset_link_send(actor=None, user=user)
    (message,) = smtp_server.messages
    link = re.search(r"(https?://\S+/password/\S+/)", smtp_server.text(message)).group(1)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your password")
    check_a11y(page, "the choose-your-password page")
    chosen = "invented long phrase of ordinary words"
    page.get_by_label("New password", exact=True).fill(chosen)
    page.get_by_label("New password confirmation").fill(chosen)
    page.get_by_role("button", name="Save the password").click()
    expect(page.locator("body")).not_to_contain_text("CSRF")
    assert "/password/done/" in page.url
    user.refresh_from_db()
    assert user.check_password(chosen)
