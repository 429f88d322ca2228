"""Business support downloads the approved minutes and the family summary and circulates them, in Chromium.

admin.demo opens the held demo discussion (Mia and Ella), finds version 1 approved by the chair,
downloads the full minutes and the family summary (byte for byte what was stored at approval), and
circulates version 1: the page then lists who was sent which document, the mother the family summary
only, and the 48-hour clock is met. axe-core runs on every page visited.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from minutes.models import Circulation, Kind
from referrals.models import DeadlineState
from strategy.models import Discussion
from tests.e2e.gate import ready
from tests.e2e.test_log_referral import sign_in

pytestmark = pytest.mark.e2e


def test_business_support_downloads_both_versions_and_circulates_them(
    page: Page, live_server, demo_data, check_a11y, mailoutbox
) -> None:
    base = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    held = Discussion.objects.select_related("referral").get(referral__people__first_name="Mia")
    version = held.minutes_versions.get()
    stored = {d.kind: bytes(d.pdf) for d in version.documents.all()}

    sign_in(page, base, "admin.demo")
    page.goto(f"{base}/referrals/{held.referral.pk}/")
    page.get_by_role("link", name=re.compile("^Open the discussion")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Strategy discussion")
    page.get_by_role("link", name="Minutes: download and circulate").click()  # business support: not the chair's
    expect(page.get_by_role("heading", name="Minutes of the strategy discussion", level=1)).to_be_visible()
    expect(page.locator(".govuk-summary-list")).to_contain_text("Version 1, approved by")
    ready(page)  # its scripts have run: a check that something is absent means it
    expect(page.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)  # the chair's act
    check_a11y(page, "the minutes page")

    names = {
        Kind.FULL: f"{held.referral.reference}-minutes-v1-full.pdf",
        Kind.SUMMARY: f"{held.referral.reference}-family-summary-v1.pdf",
    }
    for kind, label in ((Kind.FULL, "Full version 1"), (Kind.SUMMARY, "Family summary 1")):
        with page.expect_download() as info:
            page.get_by_role("link", name=re.compile(f"^{label}")).click()
        download = info.value
        assert download.suggested_filename == names[kind]
        assert Path(download.path()).read_bytes() == stored[kind]

    seeded = len(mailoutbox)
    page.get_by_role("button", name="Circulate version 1").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Version 1 of the minutes is sent to")
    table = page.get_by_role("table").filter(has_text="Emailed link")
    sent = Circulation.objects.filter(version=version)
    expect(table.locator("tbody tr")).to_have_count(sent.count())
    expect(table).to_contain_text("1, full version")
    expect(table.locator("tr", has_text="Jade Thornbury")).to_contain_text("1, family summary")
    check_a11y(page, "the minutes page after circulation")
    held.minutes_deadline.refresh_from_db()
    assert held.minutes_deadline.state == DeadlineState.MET
    assert len(mailoutbox) - seeded == sent.count()  # after those the demo itself sent (requests for information)
    assert errors == []


def test_a_draft_pdf_is_prepared_off_the_web_worker_then_downloaded(page: Page, live_server, demo_data, check_a11y):
    """Issue 28: asking for a draft PDF queues it for the worker and shows a page saying so (no refresh, a button
    to try again); once the worker has rendered it, the same button downloads it."""
    from django.utils import timezone

    from minutes import services

    base = live_server.url
    held = Discussion.objects.select_related("referral").get(referral__people__first_name="Mia")
    sign_in(page, base, "admin.demo")
    page.goto(f"{base}/discussions/{held.pk}/minutes/")
    page.get_by_role("link", name="full version (PDF)").click()
    expect(page.get_by_role("heading", name="Preparing the draft PDF", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Download the draft (PDF)")).to_be_visible()
    check_a11y(page, "the page preparing a draft PDF")

    # Asked again before the worker has run: the same page, and the draft is not queued twice (the cache says so).
    page.get_by_role("button", name="Download the draft (PDF)").click()
    expect(page.get_by_role("heading", name="Preparing the draft PDF", level=1)).to_be_visible()

    # The worker's half (minutes.tasks.render_draft runs this), then the button downloads the PDF.
    now = timezone.now()
    draft = services.draft_find(held, now=now, kind=Kind.FULL)
    assert services.draft_render(
        discussion_pk=held.pk, kind=Kind.FULL, now=now, snapshot_sha256_wanted=draft.snapshot_sha256
    )
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the draft (PDF)").click()
    download = info.value
    assert download.suggested_filename == f"{held.referral.reference}-minutes-draft-full.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")
