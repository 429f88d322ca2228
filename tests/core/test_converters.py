"""An id past what the database holds is the app's 404 on every URL that takes one (core/converters.py): it matches
no URL, whatever the method (SQLite raised OverflowError on two pages: scripts/smoke-sqlite.py tries them there)."""

import re

import pytest

from core.converters import RowId
from tests.test_every_url import case_patterns

pytestmark = pytest.mark.django_db
TOO_LONG = "9" * 19


def test_an_id_is_one_to_eighteen_digits():
    assert re.fullmatch(RowId.regex, "1") and re.fullmatch(RowId.regex, "9" * 18)
    assert not re.fullmatch(RowId.regex, TOO_LONG) and not re.fullmatch(RowId.regex, "-1")


def test_every_url_with_an_id_is_404_for_an_id_too_long(persona_client):
    client = persona_client("sw")
    tried = 0
    for name, route, converters in case_patterns():
        if not any(isinstance(converter, RowId) for converter in converters.values()):
            continue
        url = "/" + route
        for key, converter in converters.items():
            url = re.sub(rf"<(?:\w+:)?{key}>", TOO_LONG if isinstance(converter, RowId) else "x", url)
        for method in ("get", "post"):
            assert getattr(client, method)(url).status_code == 404, f"{name}: {method.upper()} {url}"
        tried += 1
    assert tried >= 40  # every URL of the app that names a row
