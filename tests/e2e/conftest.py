"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser), axe-core on every page."""

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from core.timescales import LONDON
from tests.e2e import clock
from tests.e2e.gate import GATE, ready

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-results"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # bypass_csp lets axe-core be injected once a Content-Security-Policy is on.
    return {**browser_context_args, "bypass_csp": True, "locale": "en-GB", "timezone_id": "Europe/London"}


@pytest.fixture(scope="session", autouse=True)
def _gate_every_page():
    """Every browser context, the plugin's and those a test opens itself, gets GATE."""
    new_context = Browser.new_context

    def gated(self, *args, **kwargs):
        context = new_context(self, *args, **kwargs)
        context.add_init_script(GATE)
        return context

    Browser.new_context = gated
    yield
    Browser.new_context = new_context


# A Wednesday in term time, mid-morning: the demo's overdue and due-soon items read the same every run.
DEMO_MOMENT = dt.datetime(2026, 12, 2, 10, 30, tzinfo=LONDON)


@pytest.fixture
def seed_demo_at(demo_at, settings):
    """Move the server's clock to `moment` (it ticks on from there), then seed the demo data from it (seeded once
    per moment per test database, copied back after: tests/demo_snapshot.py)."""

    def seed(moment: dt.datetime) -> None:
        demo_at(moment, move_clock=True)
        settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True  # the browser's own clock is not moved

    return seed


@pytest.fixture
def demo_data(seed_demo_at) -> dt.datetime:
    """The demo data, seeded at a fixed moment the server's clock starts from; returns that moment."""
    seed_demo_at(DEMO_MOMENT)
    return DEMO_MOMENT


@pytest.fixture(autouse=True)
def _server_clock(time_machine):
    """Waiting for time to pass on the server moves its clock rather than sleeping (tests/e2e/clock.py)."""
    clock.use(time_machine)
    yield
    clock.use(None)


@pytest.fixture
def check_a11y():
    """Run axe-core on the page as it is now; fail with the violations listed (only violations are gathered: the
    passing and inapplicable checks' details, which nothing reads, are not)."""

    def check(page, name: str) -> None:
        ready(page)
        if not page.evaluate("() => typeof window.axe === 'object'"):  # once per document (htmx swaps keep it)
            page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, "
            "resultTypes: ['violations']})",
            AXE_TAGS,
        )
        violations = [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]
        ]
        assert violations == [], f"axe-core found accessibility problems on {name}:\n{json.dumps(violations, indent=1)}"

    return check


# What a failed browser test leaves to read: each open page's address, heading and the messages on it, and a
# screenshot in test-results/. A timeout ("waiting for get_by_label(...)") then says which page the browser was on.
PAGE_STATE = """() => {
  const text = (selector) => [...document.querySelectorAll(selector)].map((e) => e.innerText.trim()).join(' | ')
  return {title: document.title, h1: text('h1'), banners: text('.govuk-notification-banner'),
          errors: text('.govuk-error-summary'), dialog: text('dialog[open]')}
}"""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    browser = getattr(item, "funcargs", {}).get("browser")
    if browser is None:
        return
    lines = []
    for c, context in enumerate(browser.contexts):
        for p, page in enumerate(context.pages):
            try:
                state = page.evaluate(PAGE_STATE)
                ARTIFACTS.mkdir(exist_ok=True)
                shot = ARTIFACTS / f"{item.name.replace('/', '_')}-{c}-{p}.png"
                page.screenshot(path=str(shot), full_page=True)
                lines.append(f"page {c}.{p}: {page.url}\n  {json.dumps(state)}\n  screenshot: {shot}")
            except Exception as error:  # a closed or crashed page still names itself
                lines.append(f"page {c}.{p}: {page.url} (could not be read: {error})")
    report.sections.append(("open pages", "\n".join(lines) or "no page open"))


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
