"""Minutes as PDF: WeasyPrint renders a snapshot of the record through `templates/pdf/`.

The marking, the case reference, the version and "Page n of m" are in the page margins, so they
are on every page; table header rows repeat across page breaks and no row is cut in half.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import CSS, HTML

from minutes import record


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    sha256: str


def render(data: dict[str, Any], *, family: bool, version=None, approved: str = "", printed: str = "") -> Rendered:
    """One PDF of a snapshot: full or family, approved (`version` given) or a draft."""
    content = record.for_family(data) if family else data
    draft = version is None
    title = (
        f"Strategy discussion minutes {data['reference']}, "
        f"{'draft' if draft else f'version {version.number}'} ({'family' if family else 'full'} version)"
    )
    html = render_to_string(
        "pdf/minutes.html",
        {
            "doc": content,
            "headings": record.HEADINGS,
            "family": family,
            "draft": draft,
            "version": version,
            "approved": approved,
            "printed": printed,
            "title": title,
        },
    )
    css = CSS(string=render_to_string("pdf/minutes.css"))
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render(stylesheets=[css])
    pdf = document.write_pdf()
    assert pdf is not None  # noqa: S101 (write_pdf without a target always returns the bytes)
    return Rendered(pdf=pdf, pages=len(document.pages), sha256=hashlib.sha256(pdf).hexdigest())


def filename(reference: str, *, family: bool, number: int | None) -> str:
    """No child's name in a file name: the reference, version and kind only."""
    return f"{reference}-minutes-{f'v{number}' if number else 'draft'}-{'family' if family else 'full'}.pdf"
