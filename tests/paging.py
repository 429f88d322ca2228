"""Walking a keyset list (core.pages) the way a person does: by its next and previous links."""

import html as htmllib
import re
from urllib.parse import urlencode

from django.test import Client


def link(html: str, rel: str) -> str:
    """The address of the page's previous or next link (query string only)."""
    match = re.search(rf'href="(\?[^"]*)" rel="{rel}"', html)
    assert match, f"no {rel} link"
    return htmllib.unescape(match.group(1))


def walk(client: Client, url: str, pattern: str, params: dict | None = None) -> list[list[str]]:
    """Every page of the list from the first, following "next"; each page as the texts `pattern` finds on it.

    On the way, checks that each page's "previous" link shows the page before it again, and that the last
    page has no "next" (and the first no "previous").
    """
    pages: list[list[str]] = []
    address = url + ("?" + urlencode(params) if params else "")
    while True:
        response = client.get(address)
        assert response.status_code == 200
        html = response.content.decode()
        pages.append(re.findall(pattern, html))
        assert len(pages) < 50, "the pages do not end"
        if len(pages) == 1:
            assert 'rel="prev"' not in html
        else:
            back = client.get(url + link(html, "prev")).content.decode()
            assert re.findall(pattern, back) == pages[-2], "previous does not go back to the page before"
        if 'rel="next"' not in html:
            return pages
        address = url + link(html, "next")


def listed(pages: list[list[str]]) -> list[str]:
    return [row for page in pages for row in page]
