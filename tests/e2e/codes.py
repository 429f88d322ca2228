"""The one-time code an emailed link's page sends to its addressee (issue 31), read from the test's SMTP server as
the addressee reads their mailbox, and entered on the page."""

import re

from playwright.sync_api import Page, expect

CODE = re.compile(r"Your code is (\d{6})")


def enter_emailed_code(page: Page, smtp_server, address: str, check_a11y=None, where: str = "") -> None:
    """On a link's first page: ask for a code, read it from the newest email to `address`, enter it."""
    before = len(smtp_server.messages)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code")
    if check_a11y is not None:
        check_a11y(page, f"the code page{where}")
    sent = [m for m in smtp_server.messages[before:] if m["To"] == address]
    assert sent, f"no code was emailed to {address}"
    code = CODE.search(smtp_server.text(sent[-1])).group(1)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Continue").click()
