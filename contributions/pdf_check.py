"""The checks on a PDF file sent with a contribution (issue 31): it is parsed whole with pypdf, and refused when
it is not a PDF, is over 10 MB, is encrypted, cannot be parsed, or holds JavaScript, a launch action or an embedded
file (in any object, name tree or annotation). A refused file is never stored; a stored one is never rendered in the
browser, only downloaded as an attachment (contributions.views.file_download).

Every indirect object the file's cross-reference tables list (object streams included) and everything the trailer
reaches is read, and each dictionary's keys and every name are compared with the forbidden names: pypdf decodes
`#xx` escapes in names, so `/J#61vaScript` is `/JavaScript` here. The raw bytes are also searched for the longer
forbidden names, so an object pypdf could not read but a viewer might recover is refused too.
"""

import io
import logging
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
MAGIC = b"%PDF-"
# The names that make a PDF active or a container, and what the refusal calls them.
FORBIDDEN = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/Launch": "a launch action",
    "/EmbeddedFiles": "embedded files",
    "/EmbeddedFile": "embedded files",
    "/EF": "embedded files",
    "/FileAttachment": "an attached file",
}
# Searched for in the raw bytes as well (long enough never to turn up by chance in compressed data).
RAW = {
    b"/JavaScript": "JavaScript",
    b"/Launch": "a launch action",
    b"/EmbeddedFile": "embedded files",
    b"/FileAttachment": "an attached file",
}
MAX_OBJECTS = 500_000  # a file listing more objects than this is refused rather than walked


class Refused(Exception):
    """Why a file is refused, in words for the error summary (after the file's name)."""


def _walk(reader: PdfReader) -> None:
    """Read every object and raise Refused on the first forbidden name."""
    stack: list[Any] = [reader.trailer]
    for generation, numbers in reader.xref.items():
        stack.extend(IndirectObject(number, generation, reader) for number in numbers)
    stack.extend(IndirectObject(number, 0, reader) for number in reader.xref_objStm)
    seen: set[tuple[int, int]] = set()
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            if len(seen) > MAX_OBJECTS:
                raise Refused("has too many parts to check")
            item = item.get_object()
        if isinstance(item, DictionaryObject):  # streams too: their dictionaries
            for name, value in dict.items(item):
                if str(name) in FORBIDDEN:
                    raise Refused(f"contains {FORBIDDEN[str(name)]}")
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(list.__iter__(item))
        elif isinstance(item, NameObject) and str(item) in FORBIDDEN:
            raise Refused(f"contains {FORBIDDEN[str(item)]}")


def check(data: bytes) -> None:
    """Raise Refused with the reason when `data` is not a PDF this service accepts; return when it is."""
    if len(data) > MAX_BYTES:
        raise Refused("must be 10 MB or smaller")
    if not data.startswith(MAGIC):
        raise Refused("is not a PDF")
    for needle, what in RAW.items():
        if needle in data:
            raise Refused(f"contains {what}")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Refused("is protected with a password: send it without one")
        _walk(reader)
        if len(reader.pages) < 1:
            raise Refused("has no pages")
    except Refused:
        raise
    except Exception as exc:  # pypdf raises many kinds on a damaged file: each is a file we cannot read
        log.info("a contribution file could not be parsed: %s", type(exc).__name__)
        raise Refused("could not be read as a PDF: it may be damaged") from exc
