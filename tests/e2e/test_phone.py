"""The meeting page and the list pages on a phone (375 px), as each persona sees them (issue 25, item 6).

Nothing may stick out sideways: the page itself never scrolls sideways, and whatever is wider than the
screen is inside a table's scroll container (focusable and named, so a keyboard and a screen reader can
use it). The meeting page lists its sections with their states and folds the ones the user cannot act on.
axe-core runs on every page.
"""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from strategy.models import Discussion, DiscussionStatus
from tests.e2e.test_log_referral import sign_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 812}

# Every element whose box reaches outside the screen and is not inside a table's scroll container. The
# document's own width is checked too: a page that scrolls sideways fails even if no one element is named.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth
  const found = []
  if (document.documentElement.scrollWidth > width) {
    found.push(`the page is ${document.documentElement.scrollWidth} px wide, the screen ${width} px`)
  }
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect()
    if (box.width === 0 && box.height === 0) continue
    if (box.left >= -1 && box.right <= width + 1) continue
    if (element.parentElement.closest('.app-table-scroll')) continue
    const name = element.tagName.toLowerCase() + (element.id ? '#' + element.id : '')
    const text = element.textContent.trim().slice(0, 60)
    found.push(`${name} spans ${Math.round(box.left)} to ${Math.round(box.right)} px: ${text}`)
  }
  return found
}"""

# Every scroll container that is wider inside than out must be reachable by keyboard and named.
SCROLLERS = """() => [...document.querySelectorAll('.app-table-scroll')].map((box) => ({
  scrolls: box.scrollWidth > box.clientWidth,
  focusable: box.tabIndex === 0,
  name: box.getAttribute('aria-label') || '',
  role: box.getAttribute('role'),
}))"""


def assert_fits(page: Page, name: str) -> None:
    assert page.evaluate(OVERFLOW) == [], f"{name} does not fit a 375 px screen"
    for scroller in page.evaluate(SCROLLERS):
        assert scroller["focusable"] and scroller["name"] and scroller["role"] == "region", (name, scroller)


@pytest.fixture
def phone(browser: Browser, browser_context_args, live_server) -> Iterator:
    """A fresh phone-sized browser per persona, signed in."""
    contexts = []

    def open_as(username: str) -> Page:
        context = browser.new_context(**{**browser_context_args, "viewport": PHONE})
        contexts.append(context)
        page = context.new_page()
        sign_in(page, live_server.url, username)
        return page

    yield open_as
    for context in contexts:
        context.close()


def _held() -> Discussion:
    """The ended demo discussion with the most actions: the widest tables of the meeting page."""
    held = Discussion.objects.filter(status=DiscussionStatus.ENDED, invitations__agency__name="Demo Police")
    return max(held.distinct(), key=lambda d: d.agreed_actions.count())


def _upcoming() -> Discussion:
    """The demo discussion convened for the next working day, police invited."""
    return Discussion.objects.filter(status=DiscussionStatus.CONVENED, invitations__agency__name="Demo Police").first()


def test_the_meeting_and_list_pages_fit_a_phone(phone, live_server, demo_data, check_a11y, artifacts) -> None:
    base = live_server.url
    held, upcoming = _held(), _upcoming()
    pages = {
        "tm.demo": [
            ("the referral list", "/referrals/"),
            ("my actions", "/actions/mine/"),
            ("the agency's actions", "/actions/agency/"),
            ("the deadlines", "/deadlines/"),
            ("the alerts", "/notifications/"),
            ("the case page", f"/referrals/{held.referral_id}/"),
            ("the held meeting", f"/discussions/{held.pk}/"),
            ("the held meeting, every section open", f"/discussions/{held.pk}/?sections=all"),
            ("the upcoming meeting", f"/discussions/{upcoming.pk}/"),
        ],
        "police.demo": [
            ("the referral list", "/referrals/"),
            ("my actions", "/actions/mine/"),
            ("the deadlines", "/deadlines/"),
            ("the upcoming meeting", f"/discussions/{upcoming.pk}/"),
            ("the upcoming meeting, every section open", f"/discussions/{upcoming.pk}/?sections=all"),
            ("the held meeting, every section open", f"/discussions/{held.pk}/?sections=all"),
        ],
        "admin.demo": [
            ("the deadlines", "/deadlines/"),
            ("the minutes", f"/discussions/{held.pk}/minutes/"),
        ],
    }
    for username, visits in pages.items():
        page = phone(username)
        for name, path in visits:
            response = page.goto(base + path)
            assert response is not None and response.ok, (username, path)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            assert_fits(page, f"{name} ({username})")
            check_a11y(page, f"{name} on a phone ({username})")
    # The invitations and actions tables scroll inside the page, and a keyboard reaches them.
    page = phone("tm.demo")
    page.goto(f"{base}/discussions/{held.pk}/?sections=all")
    actions = page.get_by_role("region", name="Table of the actions agreed")
    expect(actions).to_be_visible()
    assert actions.evaluate("box => box.scrollWidth > box.clientWidth"), "the actions table fits without scrolling"
    actions.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => document.querySelector('[aria-label=\"Table of the actions agreed\"]').scrollLeft > 0", timeout=3000
    )
    page.screenshot(path=str(artifacts / "meeting-on-a-phone.png"), full_page=False)


def test_the_meeting_page_lists_its_sections_and_folds_what_a_persona_cannot_act_on(
    phone, live_server, demo_data, check_a11y, artifacts
) -> None:
    base = live_server.url
    upcoming = _upcoming()

    # An invited police officer: their attendance and information are open, the rest folded with its state.
    page = phone("police.demo")
    page.goto(f"{base}/discussions/{upcoming.pk}/")
    contents = page.get_by_role("navigation", name="Sections of the record")
    expect(contents.get_by_role("link")).to_have_text(
        [
            "Invitations",
            "Attendance and quoracy",
            "Proceeding without an agency",
            "Information shared",
            "Risk analysis",
            "Decisions for each child",
            "Recorded whatever the outcome",
            "Enquiry plan",
            "What the family is told",
            "Actions agreed",
            "Show every section in full",
        ]
    )
    risk_link = contents.get_by_role("link", name="Risk analysis")
    expect(risk_link).to_have_accessible_description("Read only Not started")
    expect(contents.get_by_role("link", name="Decisions for each child")).to_have_accessible_description(
        "Read only Cannot start yet"
    )
    expect(page.locator("section#attendance")).to_be_visible()
    expect(page.get_by_role("button", name="Save attendance")).to_be_visible()
    expect(page.get_by_role("button", name="Add information")).to_be_visible()
    for key in ("invite", "proceed", "risk", "decision", "standing", "plan", "family", "action"):
        expect(page.locator(f"details#fold-{key}")).not_to_have_attribute("open", "")
        expect(page.locator(f"section#{key}")).to_be_hidden()
    expect(page.locator("details.app-fold")).to_have_count(8)
    # The headings read in order: the page, the contents, then the sections shown.
    expect(page.locator("main h1, main h2:visible")).to_have_text(
        [
            f"Strategy discussion: {', '.join(c.full_name for c in upcoming.children.order_by('position', 'pk'))}",
            "Sections of the record",
            "Attendance and quoracy",
            "Information shared",
        ]
    )
    check_a11y(page, "the meeting page as police")
    page.screenshot(path=str(artifacts / "meeting-as-police-on-a-phone.png"), full_page=True)
    # A link in the contents opens the folded section it points to.
    risk_link.click()
    expect(page.locator("details#fold-risk")).to_have_attribute("open", "")
    expect(page.get_by_role("heading", name="Risk analysis", level=2)).to_be_in_viewport()
    # The folded section opens from the keyboard too.
    summary = page.locator("details#fold-action > summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator("section#action")).to_be_visible()

    # The chair, before the meeting starts: what waits for the start is folded as "Cannot start yet".
    page = phone("tm.demo")
    page.goto(f"{base}/discussions/{upcoming.pk}/")
    contents = page.get_by_role("navigation", name="Sections of the record")
    expect(contents.get_by_role("link", name="Decisions for each child")).to_have_accessible_description(
        "Start the meeting first Cannot start yet"
    )
    expect(contents.get_by_role("link", name="Invitations")).to_have_accessible_description("Completed")
    for key in ("invite", "attendance", "information", "risk", "plan", "action"):
        expect(page.locator(f"section#{key}")).to_be_visible()
    for key in ("proceed", "decision", "standing", "family"):
        expect(page.locator(f"section#{key}")).to_be_hidden()
    check_a11y(page, "the meeting page as the chair, before the start")
    page.get_by_role("button", name="Start the meeting").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Meeting started")
    for key in ("decision", "standing", "family"):
        expect(page.locator(f"section#{key}")).to_be_visible()
    expect(contents.get_by_role("link", name="Decisions for each child")).to_have_accessible_description("Not started")
    check_a11y(page, "the meeting page as the chair, started")
    # A section saved in the background: its state in the contents follows without a reload.
    attendance = page.locator("section#attendance")
    attendance.get_by_role("group", name=re.compile("Tara Mendes")).get_by_label("Attended").check()
    attendance.get_by_role("button", name="Save attendance").click()
    expect(attendance).to_contain_text(re.compile(r"Attendance saved at \d\d:\d\d"))
    expect(contents.get_by_role("link", name="Attendance and quoracy")).to_have_accessible_description("In progress")
