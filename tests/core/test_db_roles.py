"""Audit the app cannot rewrite (issue 26, finding 3): the tests run as the app's database role, and every rewrite
the probe made as the table owner is refused to it. The owner's triggers stay as a second guard.

The SQL here is built from this file's own table and column names (hence the S608 waivers): it is the attack.
"""

import datetime as dt

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from agencies.models import AuthEvent, AuthEventKind, auth_event_record
from core.db_roles import check_app_connection, grant_app_role, rights_by_table
from minutes.models import Circulation, ExternalDownload, Kind, MinutesDocument, MinutesVersion, Recipient
from referrals.models import CaseView, ListedCase, ListLook, ListLookMonth
from tests import builders, db_roles
from tests.builders import make_referral

REFUSED = r"permission denied|must be owner"
AUDIT = ("referrals_caseview", "referrals_listlook", "referrals_listedcase", "agencies_authevent")
APPEND_ONLY_FUNCTIONS = (
    "referrals_caseview_append_only",
    "agencies_authevent_append_only",
    "referrals_list_log_guard",
    "referrals_listedcase_check",
)
# A column of each audit table to "change" (the list log by case has a key of three columns and no id).
COLUMN = {"referrals_listedcase": "look_id"}


def refused(sql: str, params: list | None = None) -> None:
    """The statement, run as the tests' connection (the app's role), is refused by the database."""
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (a table name of this test)
        return cursor.fetchone()[0]


@pytest.fixture
def audited(world, sw_client):
    """A case looked at, a list looked at, a sign-in recorded, a download through an emailed link: rows in every
    audit table, and history rows for the case."""
    referral = make_referral(acting_user=world["sw"])
    sw_client.get(reverse("referrals:detail", args=[referral.pk]))
    sw_client.get(reverse("referrals:list"))
    auth_event_record(kind=AuthEventKind.SIGNED_IN, user=world["sw"], username="sw")
    discussion = builders.convene(world, referral, now=timezone.now())
    recipient = Recipient.objects.create(
        discussion=discussion, source="other", name="Invented GP", added_by=world["tm"]
    )
    version = MinutesVersion.objects.create(
        discussion=discussion, number=1, snapshot={}, approved_by=world["tm"], approved_at=timezone.now()
    )
    circulation = Circulation.objects.create(
        recipient=recipient,
        version=version,
        kind="full",
        sent_at=timezone.now(),
        sent_by=world["admin"],
        token_hash="0" * 64,
        expires_at=timezone.now() + dt.timedelta(days=14),
    )
    ExternalDownload.objects.create(circulation=circulation)
    assert CaseView.objects.exists() and ListLook.objects.exists() and AuthEvent.objects.exists()
    assert ListedCase.objects.exists()
    return {"referral": referral, "circulation": circulation}


def test_the_tests_run_as_the_apps_role_which_is_no_superuser_and_owns_nothing(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"
        )
        assert cursor.fetchone() == (settings.DATABASE_APP_ROLE, False, False, False)
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM pg_proc WHERE proowner = current_user::regrole")
        assert cursor.fetchone()[0] == 0


@pytest.mark.django_db
@pytest.mark.usefixtures("audited")
@pytest.mark.parametrize("table", AUDIT)
def test_the_app_cannot_empty_the_audit_with_truncate(table):
    before = count(table)
    refused(f"TRUNCATE {table}")
    refused(f"TRUNCATE {table} CASCADE")
    assert count(table) == before > 0


@pytest.mark.django_db
@pytest.mark.usefixtures("audited")
@pytest.mark.parametrize("table", AUDIT)
def test_the_app_cannot_disable_or_drop_the_append_only_triggers_then_rewrite(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal ORDER BY tgname", [table]
        )
        triggers = [name for (name,) in cursor.fetchall()]
    assert triggers
    before = count(table)
    refused(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
    refused(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    for trigger in triggers:
        refused(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        refused(f"DROP TRIGGER {trigger} ON {table}")
    refused("SET session_replication_role = replica")  # the other way to switch triggers off
    column = COLUMN.get(table, "id")
    refused(f"UPDATE {table} SET {column} = {column}")  # noqa: S608
    refused(f"DELETE FROM {table}")  # noqa: S608
    refused(f"ALTER TABLE {table} OWNER TO CURRENT_USER")
    refused(f"DROP TABLE {table}")
    assert count(table) == before


@pytest.mark.django_db
@pytest.mark.parametrize("function", APPEND_ONLY_FUNCTIONS)
def test_the_app_cannot_replace_the_append_only_function(function):
    refused(f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql")
    refused(f"ALTER FUNCTION {function}() OWNER TO CURRENT_USER")
    refused(f"DROP FUNCTION {function}() CASCADE")
    # Nor can it make a function or table of its own elsewhere in the schema to stand in for one.
    refused("CREATE FUNCTION stand_in() RETURNS trigger AS $$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql")
    refused("CREATE TABLE stand_in (id int)")


@pytest.mark.django_db
@pytest.mark.usefixtures("audited")
def test_the_app_can_neither_change_nor_delete_nor_empty_any_history_table():
    tables = [table for table, (privileges, _) in rights_by_table().items() if "_historical" in table]
    assert {"referrals_historicalreferral", "agencies_historicaluser", "agencies_historicaluser_roles"} <= set(tables)
    assert count("referrals_historicalreferral") > 0
    for table in tables:
        refused(f"UPDATE {table} SET history_id = history_id")  # noqa: S608
        refused(f"DELETE FROM {table}")  # noqa: S608
        refused(f"TRUNCATE {table}")
    assert count("referrals_historicalreferral") > 0


@pytest.mark.django_db
def test_the_app_may_complete_a_circulation_but_change_nothing_else_nor_delete_it(audited):
    circulation = audited["circulation"]
    allowed = Circulation.db_completed_later
    for field in Circulation._meta.concrete_fields:
        if field.name in allowed or field.primary_key:
            continue
        refused(f"UPDATE minutes_circulation SET {field.column} = {field.column} WHERE id = %s", [circulation.pk])  # noqa: S608
    refused("DELETE FROM minutes_circulation")
    refused("TRUNCATE minutes_circulation CASCADE")
    # What the app does after sending: the email went, the link was used, or it was withdrawn.
    now = timezone.now()
    Circulation.objects.filter(pk=circulation.pk).update(emailed_at=now, used_at=now)
    Circulation.objects.filter(pk=circulation.pk).update(
        withdrawn_at=now, withdrawn_by=audited["circulation"].sent_by, withdrawn_reason="Invented reason"
    )
    circulation.refresh_from_db()
    assert circulation.used_at == now and circulation.withdrawn_reason == "Invented reason"


@pytest.mark.django_db
def test_the_app_cannot_rewrite_the_downloads_through_emailed_links(audited):
    refused("UPDATE minutes_externaldownload SET downloaded_at = now()")
    refused("UPDATE minutes_externaldownload SET circulation_id = circulation_id")
    refused("DELETE FROM minutes_externaldownload")
    refused("TRUNCATE minutes_externaldownload")
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        ExternalDownload.objects.all().delete()
    assert ExternalDownload.objects.count() == 1


@pytest.mark.django_db
def test_the_app_can_store_a_minutes_pdf_but_never_change_nor_delete_it(audited):
    """What was circulated stays what was approved: the stored PDF is written once, then only read."""
    version = audited["circulation"].version
    document = MinutesDocument.objects.create(
        version=version,
        kind=Kind.FULL,
        pdf=b"%PDF-1.7 invented",
        sha256="0" * 64,
        size=17,
        pages=1,
        rendered_at=timezone.now(),
    )
    refused("UPDATE minutes_minutesdocument SET pdf = %s WHERE id = %s", [b"%PDF-1.7 swapped", document.pk])
    refused("UPDATE minutes_minutesdocument SET sha256 = sha256")
    refused("DELETE FROM minutes_minutesdocument")
    refused("TRUNCATE minutes_minutesdocument CASCADE")
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        MinutesDocument.objects.filter(pk=document.pk).update(pdf=b"%PDF-1.7 swapped")
    assert bytes(MinutesDocument.objects.get(pk=document.pk).pdf) == b"%PDF-1.7 invented"


@pytest.mark.django_db
def test_every_table_has_exactly_the_rights_its_rule_gives(db):
    """The grants come from the models after every migrate: no table is missed, none has more than its rule."""
    rights = rights_by_table()
    role = settings.DATABASE_APP_ROLE
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        tables = {table for (table,) in cursor.fetchall()}
        assert tables - set(rights) == {"django_migrations"}
        for table in tables:
            privileges, columns = rights.get(table, (("SELECT",), ()))
            cursor.execute(
                "SELECT privilege_type FROM information_schema.role_table_grants "
                "WHERE grantee = %s AND table_name = %s",
                [role, table],
            )
            assert {p for (p,) in cursor.fetchall()} == set(privileges), table
            cursor.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
                "AND has_column_privilege(%s, attrelid, attnum, 'UPDATE')",
                [table, role],
            )
            updatable = {c for (c,) in cursor.fetchall()}
            if "UPDATE" not in privileges:
                assert updatable == set(columns), table
    audit = {
        CaseView._meta.db_table,
        ListLook._meta.db_table,
        ListedCase._meta.db_table,
        ListLookMonth._meta.db_table,
        AuthEvent._meta.db_table,
        ExternalDownload._meta.db_table,
        MinutesDocument._meta.db_table,
    }
    assert all(rights[table] == (("SELECT", "INSERT"), ()) for table in audit)
    assert rights["minutes_circulation"][0] == ("SELECT", "INSERT")
    assert rights["referrals_referral"][0] == ("SELECT", "INSERT", "UPDATE", "DELETE")


@pytest.mark.django_db(transaction=True)
def test_the_grants_are_made_by_the_owner_only_and_again_give_the_same(db):
    with pytest.raises(Exception, match="as the owner"):
        grant_app_role(connection, settings.DATABASE_APP_ROLE)
    with db_roles.as_owner() as owner:
        assert grant_app_role(owner, settings.DATABASE_APP_ROLE) > 50
        with owner.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] != settings.DATABASE_APP_ROLE
    refused("TRUNCATE referrals_caseview")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audited")
def test_the_owners_triggers_still_refuse_to_rewrite_the_audit():
    """The second guard: even connected as the owner, an UPDATE or DELETE of the audit is refused."""
    with db_roles.as_owner() as owner, owner.cursor() as cursor:
        for table in AUDIT:
            column = COLUMN.get(table, "id")
            for sql in (f"UPDATE {table} SET {column} = {column}", f"DELETE FROM {table}"):  # noqa: S608
                with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                    cursor.execute(sql)


@pytest.mark.django_db(transaction=True)
def test_the_deployment_check_fails_when_the_app_connects_as_a_superuser_or_an_owner():
    assert check_app_connection(databases=["default"]) == []
    with db_roles.as_owner():  # make test's owner: the throwaway server's superuser
        errors = check_app_connection(databases=["default"])
    assert [error.id for error in errors] == ["core.E101"]
    assert "superuser" in errors[0].msg
