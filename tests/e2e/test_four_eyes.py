"""Account administration with four eyes, end to end in Chromium (issue 26, finding 1), with emails read from a real
SMTP server as each person would read them:
- an administrator asks in the admin for a team manager's password reset link; nothing is sent yet; the head of
  service, told by email, approves it; the manager opens the emailed link signed out, chooses a password and signs
  in with it and their second factor;
- an administrator changes a social worker's email address; nothing changes until the owner opens the link sent to
  the new address (signed out: it asks them to sign in first, then to confirm), and the old address is told.
"""

import re

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Browser, BrowserContext, Page, expect

from agencies.demo import DEMO_TOTP_KEY
from agencies.models import AccountReset, AuthEvent, AuthEventKind, User
from tests.e2e.test_log_referral import sign_in

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "a-slow-barge-on-the-invented-canal"


def _fresh(browser: Browser) -> BrowserContext:
    """A browser with nobody signed in and no cookies."""
    return browser.new_context(locale="en-GB", timezone_id="Europe/London", bypass_csp=True)


def _mail_to(smtp_server, address: str, subject: str) -> str:
    """The text of the one message to `address` whose subject holds `subject`."""
    found = [m for m in smtp_server.messages if m["To"] == address and subject in m["Subject"]]
    assert len(found) == 1, [(m["To"], m["Subject"]) for m in smtp_server.messages]
    return smtp_server.text(found[0])


def _link(text: str, path: str) -> str:
    return re.search(rf"(https?://\S+{path}\S*)", text).group(1)


def _admin_action(page: Page, base: str, user: User, action: str) -> None:
    page.goto(f"{base}/admin/agencies/user/")
    page.locator(f'input[name="_selected_action"][value="{user.pk}"]').check()
    page.locator('select[name="action"]').select_option(action)
    page.get_by_role("button", name="Go").click()
    page.wait_for_load_state()


def test_a_managers_reset_link_needs_a_second_person_then_works_from_the_email_signed_out(
    page: Page, browser: Browser, live_server, demo_data, smtp_server, settings, check_a11y
) -> None:
    settings.SITE_URL = base = live_server.url
    tm = User.objects.get(username="tm.demo")

    # The administrator asks: the manager is told, nothing is sent yet, the head of service is asked.
    sign_in(page, base, "admin.demo")
    _admin_action(page, base, tm, "send_reset_link")
    expect(page.locator("body")).to_contain_text("a second administrator or a head of service must approve it")
    assert AccountReset.objects.filter(user=tm, decided_at=None).count() == 1
    told = _mail_to(smtp_server, tm.email, "a reset of your sign-in was asked for")
    assert "must approve it first" in told
    assert not [m for m in smtp_server.messages if "/password/" in smtp_server.text(m)]  # no reset link yet
    approvals = _link(_mail_to(smtp_server, "hos.demo@example.invalid", "waits for your approval"), "/account/resets/")

    # The head of service opens the emailed page (signing in first), and approves.
    second = _fresh(browser)
    try:
        hos = second.new_page()
        sign_in(hos, base, "hos.demo")
        hos.goto(approvals)
        expect(hos.get_by_role("heading", name="Resets waiting for your approval")).to_be_visible()
        expect(hos.locator("main")).to_contain_text("Ada Min")  # who asked (admin.demo)
        check_a11y(hos, "resets waiting for approval")
        hos.get_by_role("button", name="Approve the reset for tm.demo").click()
        expect(hos.get_by_text("Approved and done")).to_be_visible()
        check_a11y(hos, "resets waiting, after approving")
    finally:
        second.close()
    reset = AccountReset.objects.get(user=tm)
    assert reset.approved and reset.decided_by.username == "hos.demo" and reset.requested_by.username == "admin.demo"

    # The manager, signed out, opens the link the approval sent them and chooses a password.
    link = _link(_mail_to(smtp_server, tm.email, "choose your password"), "/password/")
    outside = _fresh(browser)
    try:
        manager = outside.new_page()
        manager.goto(link)
        expect(manager.get_by_role("heading", level=1)).to_have_text("Choose your password")
        check_a11y(manager, "choose your password, from the approved reset")
        manager.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        manager.get_by_label("New password confirmation").fill(NEW_PASSWORD)
        manager.get_by_role("button", name="Save the password").click()
        expect(manager.get_by_role("heading", name="Password saved")).to_be_visible()
        # The old password is gone; the new one, with the second factor, signs in.
        manager.goto(f"{base}/sign-in/")
        manager.get_by_label("Username").fill("tm.demo")
        manager.get_by_label("Password").fill(NEW_PASSWORD)
        manager.get_by_role("button", name="Sign in").click()
        expect(manager).to_have_url(re.compile(r"/sign-in/code/"))  # still two-factor: only the password was reset
        manager.get_by_label("Code").fill(f"{TOTP(bytes.fromhex(DEMO_TOTP_KEY)).token():06d}")
        manager.get_by_role("button", name="Continue").click()
        expect(manager.get_by_role("heading", level=1)).to_have_text("Your work")
    finally:
        outside.close()
    tm.refresh_from_db()
    assert tm.check_password(NEW_PASSWORD) and not tm.check_password("demo-pass-2026")
    kinds = set(AuthEvent.objects.filter(user=tm).values_list("kind", flat=True))
    assert {AuthEventKind.RESET_REQUESTED, AuthEventKind.RESET_APPROVED, AuthEventKind.RESET_LINK_SENT} <= kinds


def test_an_email_change_is_confirmed_from_the_link_opened_signed_out_and_the_old_address_is_told(
    page: Page, browser: Browser, live_server, demo_data, smtp_server, settings, check_a11y
) -> None:
    settings.SITE_URL = base = live_server.url
    sw = User.objects.get(username="sw.demo")
    old, new = sw.email, "sam.walker.new@example.invalid"

    sign_in(page, base, "admin.demo")
    page.goto(f"{base}/admin/agencies/user/{sw.pk}/change/")
    page.locator('input[name="email"]').fill(new)
    page.locator('input[name="_save"]').click()
    expect(page.locator("body")).to_contain_text(f"The email address changes to {new} when sw.demo confirms it")
    sw.refresh_from_db()
    assert sw.email == old  # nothing changed yet
    assert "from this address to" in _mail_to(smtp_server, old, "a change of your email address was asked for")
    link = _link(_mail_to(smtp_server, new, "confirm your new email address"), "/account/email/")

    # The owner opens it in a browser where nobody is signed in: first the sign-in, then back to the link.
    outside = _fresh(browser)
    try:
        owner = outside.new_page()
        owner.goto(link)
        expect(owner.get_by_role("heading", name="Sign in")).to_be_visible()
        owner.get_by_label("Username").fill("sw.demo")
        owner.get_by_label("Password").fill("demo-pass-2026")
        owner.get_by_role("button", name="Sign in").click()
        expect(owner.get_by_role("heading", level=1)).to_have_text("Confirm your new email address")
        check_a11y(owner, "confirm your new email address")
        owner.get_by_role("button", name="Confirm the new address").click()
        expect(owner.locator("body")).to_contain_text(f"Your email address is now {new}")
        check_a11y(owner, "home, after confirming the new address")
        # The link works once: opened again it says so, with the GOV.UK error summary.
        owner.goto(link)
        owner.get_by_role("button", name="Confirm the new address").click()
        expect(owner.locator(".govuk-error-summary")).to_contain_text("This link has been used")
        check_a11y(owner, "a used email confirmation link")
    finally:
        outside.close()
    sw.refresh_from_db()
    assert sw.email == new
    assert AuthEvent.objects.filter(user=sw, kind=AuthEventKind.EMAIL_CHANGED).count() == 1
