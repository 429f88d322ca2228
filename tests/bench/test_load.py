"""bench/load.py (issue 28): the benchmark over real HTTP, at a tiny size.

On the test database: bench/generate.py's data for 300 referrals in 2 partnerships, gunicorn (one worker) with the
production settings, 2 signed-in users for 3 s. Checks that every page answered as its persona should see it, that
the report has its numbers, that the rows the run wrote were removed after it, and that its section of
docs/benchmarks.md is written from the result. Runs once (its processes never see TEST_CLOCK).
"""

import json
import os
from urllib.parse import urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.db import connection, connections

from bench import load
from referrals.models import CaseView, ListLook
from tests.db_roles import owner_wrapper

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.clock_free]


@pytest.fixture
def bench_database(monkeypatch, tmp_path):
    """The test database's address as its owner (the generator turns triggers off), emptied after the test
    (bench_meta by hand: it is no model's table)."""
    monkeypatch.setenv("BENCH_PARTNERSHIPS", "2")
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "tests.bench.load_settings")
    monkeypatch.setattr(load, "RESULTS", tmp_path)
    url = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{connection.settings_dict['NAME']}").geturl()
    yield url
    owner = owner_wrapper(connections["default"])
    try:
        with owner.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_meta")
    finally:
        owner.close()


def _generated_rows() -> dict:
    """The rows bench/generate.py made, as bench_meta keeps them (the owner's table: read as the owner)."""
    owner = owner_wrapper(connections["default"])
    try:
        with owner.cursor() as cursor:
            cursor.execute("SELECT meta FROM bench_meta")
            meta = cursor.fetchone()[0]
    finally:
        owner.close()
    return (json.loads(meta) if isinstance(meta, str) else meta)["made"]["rows"]


def test_two_users_for_three_seconds_over_http(bench_database):
    result = load.run(bench_database, os.environ["REDIS_URL"], 300, seconds=3, users=2, command="test", workers=1)

    assert result["warm_up_errors"] == []
    assert result["overall"]["requests"] > 0 and result["overall"]["errors"] == 0
    assert set(result["overall"]["statuses"]) == {"200"}
    assert result["personas"] == {"social_worker": 1, "team_manager": 1}
    assert result["workers"] == 1
    assert result["overall"]["p50"] <= result["overall"]["p95"]
    assert {kind for kind, row in result["kinds"].items() if row["requests"]} <= set(load.KINDS)
    assert result["cpu"]["python"] > 0 and result["cpu"]["postgresql"] > 0 and result["cpu"]["client"] > 0
    assert result["sign_in"].startswith("sessions made by django.contrib.auth.login")
    # What the run wrote (its list views, its sessions) was removed afterwards: the data is as generated.
    assert result["rows_written"]["referrals_listlook"] > 0 and result["rows_written"]["django_session"] == 2
    generated = _generated_rows()
    assert ListLook.objects.count() == generated["referrals_listlook"]
    assert CaseView.objects.count() == generated["referrals_caseview"]
    assert not Session.objects.exists()
    section = "\n".join(load.section([result]))
    assert section.startswith(load.HEADING) and "### 300 referrals" in section and "| **all** |" in section
