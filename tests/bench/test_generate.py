"""bench/generate.py (issue 18): the invented national data is what the app itself would have stored.

The generator loads with foreign-key checks and triggers off, so these tests check by query what the
database did not: every key points at a row, the copies kept on the referral row agree with their sources,
and the personas' pages open on the data.
"""

import pytest
from django.core.management import call_command
from django.db import connection

from bench.generate import SURNAMES, generate
from referrals.models import Referral, referral_search_text_refresh
from tests.db_roles import as_owner

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def made(django_db_setup, django_db_blocker):
    """Generated once for the module and committed (each test then runs in a transaction rolled back after it),
    flushed when the module ends, as the transactional tests flush theirs."""
    with django_db_blocker.unblock():
        try:
            with as_owner():  # a bulk load (triggers and key checks off, sequences set): the owner's, not the app's
                made = generate(3000, 12)
            yield made  # the tests ask as the app's role
        finally:
            call_command("flush", interactive=False, verbosity=0)


def _foreign_keys() -> list[tuple[str, str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, f.attname
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_attribute f ON f.attrelid = c.confrelid AND f.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND c.connamespace = current_schema()::regnamespace"""
        )
        return cursor.fetchall()


def test_every_key_points_at_a_row(made):
    broken = []
    with connection.cursor() as cursor:
        for table, column, target, key in _foreign_keys():
            cursor.execute(
                f'SELECT count(*) FROM {table} t WHERE t."{column}" IS NOT NULL '  # noqa: S608 (catalogue names)
                f'AND NOT EXISTS (SELECT 1 FROM {target} o WHERE o."{key}" = t."{column}")'
            )
            if count := cursor.fetchone()[0]:
                broken.append(f"{table}.{column}: {count}")
    assert broken == []


def test_the_rows_have_the_shape_asked_for(made):
    assert made["rows"]["referrals_referral"] == 3000
    with connection.cursor() as cursor:
        cursor.execute("SELECT status, count(*) FROM referrals_referral GROUP BY status")
        statuses = dict(cursor.fetchall())
        cursor.execute("SELECT DISTINCT state FROM referrals_deadline")
        states = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT count(*) FROM referrals_deadline WHERE state = 'open' AND due_at < %s", [made["now"]])
        overdue = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM referrals_person WHERE kind = 'child'")
        children = cursor.fetchone()[0]
    assert statuses["closed"] > statuses["discussion_held"] > statuses["awaiting_discussion"] > 0
    assert states == {"open", "met", "stopped"} and overdue > 0
    assert 3000 <= children <= 9000
    assert made["surname"] in SURNAMES


def test_each_generated_list_has_a_row_per_case_it_showed(made):
    """The list log by case (referrals.ListedCase) holds each list's cases at its moment, as list_look_record
    writes them (the database's own check is off while loading)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM referrals_listlook l
            CROSS JOIN LATERAL jsonb_array_elements_text(l.referral_ids) AS e(value)
            FULL JOIN referrals_listedcase c ON c.look_id = l.id AND c.referral_id = e.value::bigint
                AND c.looked_at = l.looked_at
            WHERE c.look_id IS NULL OR l.id IS NULL"""
        )
        unmatched = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM referrals_listedcase")
        rows = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(sum(jsonb_array_length(referral_ids)), 0) FROM referrals_listlook")
        shown = cursor.fetchone()[0]
    # Every case in two lists, and the measured cases in hundreds more (bench.generate.MEASURED_LOOKS).
    assert unmatched == 0 and rows == shown > 2 * made["rows"]["referrals_referral"]


def test_what_the_referral_row_keeps_agrees_with_its_sources(made):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM referrals_referral r JOIN referrals_deadline d ON d.id = r.sd_deadline_id "
            "WHERE d.due_at <> r.sd_due_at OR d.referral_id <> r.id"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM referrals_referral WHERE sd_deadline_id IS NULL")
        assert cursor.fetchone()[0] == 0
    referral = Referral.objects.get(pk=made["referral"])
    kept = referral.search_text
    referral_search_text_refresh(referral.pk)  # what the app itself would store
    referral.refresh_from_db()
    assert referral.search_text == kept and made["surname"].lower() in kept


def test_the_personas_pages_open(made, client):
    from agencies.models import User

    pages = {
        "social_worker": [
            "/referrals/",
            f"/referrals/?q={made['surname']}",
            f"/referrals/?q={made['reference']}",
            f"/referrals/{made['referral']}/",
            f"/discussions/{made['discussion']}/",
            f"/actions/{made['action']}/",
            "/actions/mine/",
            "/actions/agency/",
            "/deadlines/?tab=mine",
            f"/referrals/{made['referral']}/history/",
        ],
        "team_manager": ["/deadlines/?tab=team", f"/referrals/{made['referral']}/looks/"],
        "head_of_service": ["/deadlines/?tab=agency", f"/referrals/{made['closed_referral']}/"],
        "police_officer": ["/referrals/", f"/referrals/{made['referral']}/", "/actions/mine/"],
    }
    for persona, urls in pages.items():
        client.force_login(User.objects.get(pk=made[persona]))
        for url in urls:
            assert client.get(url).status_code == 200, (persona, url)
    assert f"/referrals/{made['referral']}/".encode() in client.get("/referrals/").content
