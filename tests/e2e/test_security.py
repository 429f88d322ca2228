"""The Content-Security-Policy as a real browser enforces it: pages work and nothing is blocked.

The other browser tests bypass the policy so axe-core can be injected; this one does not. It
signs in as tm.demo and opens the pages with scripts (GOV.UK Frontend, htmx on the meeting page),
saves a meeting section in the background, and fails on any CSP violation the console reports.
"""

import re

import pytest
from playwright.sync_api import Browser, expect

from strategy.models import Discussion, DiscussionStatus
from tests.e2e.test_log_referral import sign_in

pytestmark = pytest.mark.e2e


def test_pages_run_under_the_content_security_policy(browser: Browser, live_server, demo_data) -> None:
    base = live_server.url
    context = browser.new_context(bypass_csp=False, locale="en-GB", timezone_id="Europe/London")
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: blocked.append(str(error)))
    try:
        sign_in(page, base, "tm.demo")
        expect(page.get_by_role("heading", name="Referrals", level=1)).to_be_visible()
        upcoming = Discussion.objects.filter(status=DiscussionStatus.CONVENED).first()
        assert upcoming is not None
        for url in (f"/referrals/{upcoming.referral_id}/", f"/discussions/{upcoming.pk}/", "/deadlines/"):
            response = page.goto(base + url)
            assert response is not None and "frame-ancestors 'none'" in response.headers["content-security-policy"]
            classes = page.evaluate("document.body.className")
            assert "js-enabled" in classes and "govuk-frontend-supported" in classes, url
        page.goto(f"{base}/discussions/{upcoming.pk}/")
        assert page.evaluate("typeof htmx") == "object"  # the meeting page's script ran
        risk = page.locator("#risk .app-child-risk").first
        risk.get_by_label(re.compile("What harm are we most worried about", re.I)).fill("Invented worry, saved by htmx")
        risk.get_by_role("button", name=re.compile("^Save")).click()
        expect(page.locator("#risk")).to_contain_text("saved at")
        assert blocked == [], blocked
    finally:
        context.close()
