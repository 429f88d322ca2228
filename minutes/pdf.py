"""The one PDF generator: WeasyPrint renders a snapshot of the record through `templates/pdf/`.

Two documents: the full minutes (`pdf/minutes.html`) and the family summary (`pdf/family_summary.html`),
which is given only `record.family_document(snapshot)`, never the rest of the record.

Both are archival, tagged PDFs (PDF/A-3a, DOMAIN section 6): a structure tree in reading order with
headings, paragraphs and tables a screen reader follows, the document's language, fonts embedded and
an output colour profile. The marking, the case reference, the version and "Page n of m" are in the
page margins, so they are on every page; table header rows repeat across page breaks and no row is
cut in half.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import CSS, HTML

from minutes import record
from minutes.models import Kind

# PDF/A-3a: archival (PDF/A-3) at level "a" (accessible: tagged, with a logical structure and language).
PDF_VARIANT = "pdf/a-3a"
TEMPLATES: dict[str, str] = {Kind.FULL: "pdf/minutes.html", Kind.SUMMARY: "pdf/family_summary.html"}


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    sha256: str


class NoFamilyDocument(Exception):
    """The snapshot has no family summary to render: the chair has not decided, or nothing is shared yet."""


def title(reference: str, *, kind: str, number: int | None) -> str:
    state = f"version {number}" if number else "draft"
    if kind == Kind.SUMMARY:
        return f"Family summary {reference}, {state}"
    return f"Strategy discussion minutes {reference}, {state} (full version)"


def render(data: dict[str, Any], *, kind: str, version=None, approved: str = "", printed: str = "") -> Rendered:
    """One PDF of a snapshot: the full minutes or the family summary, approved (`version` given) or a draft."""
    if kind not in TEMPLATES:
        raise ValueError(f"Not a document that is rendered: {kind}")
    draft = version is None
    if kind == Kind.SUMMARY:
        content = record.family_document(data)
        if content is None:
            raise NoFamilyDocument(record.family_document_missing(data))
    else:
        content = data
    html = render_to_string(
        TEMPLATES[kind],
        {
            "doc": content,
            "headings": record.HEADINGS,
            "draft": draft,
            "version": version,
            "approved": approved,
            "printed": printed,
            "title": title(data["reference"], kind=kind, number=None if draft else version.number),
        },
    )
    css = CSS(string=render_to_string("pdf/minutes.css"))
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render(stylesheets=[css])
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
    assert pdf is not None  # noqa: S101 (write_pdf without a target always returns the bytes)
    return Rendered(pdf=pdf, pages=len(document.pages), sha256=hashlib.sha256(pdf).hexdigest())


def filename(reference: str, *, kind: str, number: int | None) -> str:
    """No child's name in a file name: the reference, version and kind only."""
    state = f"v{number}" if number else "draft"
    if kind == Kind.SUMMARY:
        return f"{reference}-family-summary-{state}.pdf"
    return f"{reference}-minutes-{state}-{kind}.pdf"
