"""The timeout warning in Chromium: it opens two minutes before the idle timeout, takes the focus, and the
keyboard alone keeps the session (Enter on "Stay signed in", or Escape). Left alone, the page goes to sign in;
unless something was typed: then it stays, and saving it goes through signing in and back to the form, as typed.

The idle timeout is 3 minutes here. The server's clock (same process) and the page's clock (Playwright's)
are moved on together, so nothing waits in real time.
"""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e.gate import ready
from tests.e2e.test_log_referral import sign_in

pytestmark = pytest.mark.e2e


def test_the_timeout_warning_keeps_the_session_with_the_keyboard_only(
    page: Page, live_server, demo_data, settings, time_machine, check_a11y
) -> None:
    settings.SESSION_IDLE_MINUTES = 3
    base = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.clock.install()

    def later(seconds: int) -> None:
        time_machine.move_to(timezone.now() + dt.timedelta(seconds=seconds), tick=True)
        page.clock.run_for(seconds * 1000)

    sign_in(page, base, "sw.demo")
    expect(page.get_by_role("heading", name="Referrals", level=1)).to_be_visible()
    dialog = page.get_by_role("dialog", name="You’re about to be signed out")
    expect(dialog).to_be_hidden()

    later(61)  # 1:59 left: the warning opens, with the focus on "Stay signed in"
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("we will sign you out in 2 minutes")
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    check_a11y(page, "the timeout warning")
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Sign out")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(stay).to_be_focused()

    with page.expect_response("**/session/keep-alive/") as kept:
        page.keyboard.press("Enter")
    assert kept.value.json()["seconds_left"] >= 175
    expect(dialog).to_be_hidden()

    later(61)  # the warning again; Escape also means "stay signed in"
    expect(dialog).to_be_visible()
    with page.expect_response("**/session/keep-alive/"):
        page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    later(170)  # 4:53 after signing in, 2:50 after the last "stay signed in": still signed in
    page.goto(f"{base}/actions/mine/")
    ready(page)  # its scripts have run: a check that something is absent means it
    expect(page.get_by_role("heading", name="Sign in")).to_have_count(0)
    expect(page.get_by_text("Signed in as")).to_be_visible()

    later(181)  # nothing done and nothing typed: the page goes to sign in, and says why
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text("You were signed out because you did nothing for 3 minutes.")).to_be_visible()
    assert parse_qs(urlsplit(page.url).query) == {"next": ["/actions/mine/"]}
    check_a11y(page, "the sign-in page after a time-out")

    # Signed in again, the user types into a form and is called away: the page stays, with what was typed.
    page.get_by_label("Username").fill("sw.demo")
    page.get_by_label("Password").fill("demo-pass-2026")
    page.get_by_label("Password").press("Enter")
    page.goto(f"{base}/referrals/new/")
    page.get_by_label("Time received").fill("09:45")
    later(181)
    signed_out = page.get_by_role("dialog", name="You have been signed out")
    expect(signed_out).to_be_visible()
    expect(signed_out.get_by_role("button", name="Back to the page")).to_be_focused()
    check_a11y(page, "the signed-out dialog")
    page.keyboard.press("Enter")
    expect(signed_out).to_be_hidden()
    expect(page.get_by_label("Time received")).to_have_value("09:45")

    # Saving it asks to sign in, then brings the form back with what was typed (incomplete, so with its errors).
    page.get_by_role("button", name="Start referral").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("What you were saving has been kept.")).to_be_visible()
    page.get_by_label("Username").fill("sw.demo")
    page.get_by_label("Password").fill("demo-pass-2026")
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", name="Log a referral")).to_be_visible()
    expect(page.get_by_text("You were signed out before this was saved")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page.get_by_label("Time received")).to_have_value("09:45")
    assert errors == []


def test_signing_in_to_an_address_that_only_saves_a_form_leads_on_to_the_record(
    page: Page, live_server, demo_data, check_a11y
) -> None:
    """The sign-in after a time-out goes back to the address the page was at: after a refused "End the meeting",
    that address only takes the form's POST. Signed in, the social worker gets a page saying so, with the way on to
    the discussion, not the blank 405 page Django gives."""
    from strategy.models import Discussion

    discussion = Discussion.objects.filter(referral__allocated_social_worker__username="sw.demo").first()
    assert discussion is not None
    base = live_server.url
    page.goto(f"{base}/discussions/{discussion.pk}/end/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill("sw.demo")
    page.get_by_label("Password").fill("demo-pass-2026")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="This address saves a form", level=1)).to_be_visible()
    assert urlsplit(page.url).path == f"/discussions/{discussion.pk}/end/"
    expect(page.locator("main")).to_contain_text("Nothing has been saved or changed.")
    check_a11y(page, "the page of an address that only saves a form")
    page.get_by_role("link", name="Go to the strategy discussion").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Strategy discussion")
    assert urlsplit(page.url).path == f"/discussions/{discussion.pk}/"
