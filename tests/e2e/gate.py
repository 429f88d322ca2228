"""Each page hidden from Playwright until its own scripts have run (conftest adds GATE to every browser context).

govuk-frontend moves focus when it starts (to an error summary, to a success banner), and app.js puts the cursor
in an added child's first field once the page has loaded. A fill or a click landing before that types into the
wrong place or clicks what has just moved: CI saw it. Playwright waits for an element to be visible before it acts,
so with the page drawn at no size from its new document until a moment after its load event, every action waits
for the page to be ready, and no test has to remember to. (Not visibility: hidden, which would also refuse the
scripts' own focus.)

A check that something is absent or hidden would pass on a page still gated: such checks, and axe-core, call
ready() first.
"""

from playwright.sync_api import Page

GATE = """(() => {
  const later = window.setTimeout  // the browser's own, before a test's fake clock (page.clock) replaces it
  const sheet = new CSSStyleSheet()
  sheet.replaceSync('html { transform: scale(0) !important }')  // not visibility: what is hidden takes no focus
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]
  window.addEventListener('load', () => later(() => {
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet)
    document.documentElement.dataset.e2eReady = ''
  }, 20))
})()"""


def ready(page: Page) -> None:
    """Wait until the page's own scripts have run (the gate lifted)."""
    page.wait_for_function("() => document.documentElement && document.documentElement.dataset.e2eReady === ''")
